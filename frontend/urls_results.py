from django.urls import path

from frontend.views import answers_bulk, opendata, results

urlpatterns = [
    path("c/<slug:slug>/resultats/", results.results, name="results"),
    path("c/<slug:slug>/resultats.pdf", results.results_pdf, name="results_pdf"),
    path("c/<slug:slug>/donnees/", opendata.open_data, name="open_data"),
    path(
        "c/<slug:slug>/donnees/<str:name>",
        opendata.open_data_file,
        name="open_data_file",
    ),
    path(
        "c/<slug:slug>/reponses/theme/<int:topic_pk>/",
        answers_bulk.answer_topic_page,
        name="answer_topic",
    ),
]
