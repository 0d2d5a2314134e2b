from django.shortcuts import render

from consultation.models import Campaign


def home(request):
    campaigns = Campaign.objects.public().select_related("organisation")
    return render(request, "frontend/home.html", {"campaigns": campaigns})
