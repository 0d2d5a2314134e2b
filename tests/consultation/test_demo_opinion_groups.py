"""The demo publishes one computation of its opinion groups, once: the moderators' dashboard
and the results page show the map right after `manage.py seed_demo`."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from consultation.models import Campaign, OpinionGroups, User
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

SLUG = "inventons-le-territoire-de-demain"


def test_the_demo_publishes_its_opinion_groups_once():
    call_command("seed_demo", stdout=StringIO())
    campaign = Campaign.objects.get(slug=SLUG)
    published = OpinionGroups.objects.published_for(campaign)
    assert published is not None and published.groups_count >= 2
    assert published.published_by.email == "organisation@demo.concertation.fr"

    organiser = User.objects.get(email="organisation@demo.concertation.fr")
    client = Client()
    sign_in(client, organiser)
    page = client.get(reverse("frontend:results", args=[SLUG])).content.decode()
    assert "Carte des participant·es et des groupes d'opinion" in page
    dashboard = client.get(reverse("frontend:workbench_opinions", args=[SLUG]))
    assert dashboard.status_code == 200 and "Retirer la publication" in dashboard.content.decode()

    call_command("seed_demo", stdout=StringIO())
    assert OpinionGroups.objects.filter(campaign=campaign).count() == 1
    assert OpinionGroups.objects.published_for(campaign) == published
