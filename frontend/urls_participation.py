from django.urls import path

from frontend.views import pages

urlpatterns = [
    path("", pages.home, name="home"),
]
