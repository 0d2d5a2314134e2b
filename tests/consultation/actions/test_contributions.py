from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from consultation.actions.contributions import submit_contribution
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import Campaign, Contribution, Follow
from consultation.models.contributions import Provenance, Visibility
from tests import factories

GOOD = {
    "kind": "proposal",
    "title": "Planter des haies sur les coteaux",
    "body": "Des haies perpendiculaires à la pente freinent le ruissellement vers Hesdin.",
}


def test_a_resident_submits_a_proposal_and_follows_it(resident, campaign, theme, commune):
    contribution = submit_contribution(resident, campaign, theme=theme, commune=commune, **GOOD)
    assert contribution.author == resident
    assert contribution.visibility == Visibility.PUBLISHED
    assert contribution.provenance == Provenance.ONLINE
    assert Follow.objects.filter(user=resident, contribution=contribution).exists()


def test_pre_moderation_keeps_it_pending(resident, campaign):
    campaign.moderation_mode = Campaign.ModerationMode.PRE
    campaign.save()
    contribution = submit_contribution(resident, campaign, **GOOD)
    assert contribution.visibility == Visibility.PENDING
    assert Contribution.objects.published().count() == 0
    assert list(Contribution.objects.visible_to(resident)) == [contribution]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Titre : ce champ est obligatoire"),
        ({"title": "   \n\t "}, "Titre : ce champ est obligatoire"),
        ({"title": "Abc"}, "5 caractères au minimum"),
        ({"title": "x" * 151}, "150 caractères au maximum"),
        ({"body": "y" * 5001}, "5000 caractères au maximum"),
        ({"body": 42}, "un texte est attendu"),
        ({"body": None}, "un texte est attendu"),
        ({"kind": "petition"}, "valeur « petition » inconnue"),
        ({"kind": "debate"}, "valeur « debate » inconnue"),
    ],
)
def test_it_rejects_bad_input_and_writes_nothing(resident, campaign, changes, message):
    with pytest.raises(ActionRefused, match=message):
        submit_contribution(resident, campaign, **{**GOOD, **changes})
    assert not Contribution.objects.exists()


def test_it_rejects_another_campaigns_theme(resident, campaign):
    foreign_theme = factories.ThemeFactory()
    with pytest.raises(ActionRefused, match="thème n'appartient pas"):
        submit_contribution(resident, campaign, theme=foreign_theme, **GOOD)
    assert not Contribution.objects.exists()


def test_it_rejects_a_commune_outside_the_campaign_territory(resident, campaign, commune):
    other_basin = factories.AreaFactory(slug="aa", name="Bassin de l'Aa")
    campaign.areas.add(commune.area)
    outside = factories.CommuneFactory(area=other_basin, name="Saint-Omer", insee_code="62765")
    with pytest.raises(ActionRefused, match="ne fait pas partie du territoire"):
        submit_contribution(resident, campaign, commune=outside, **GOOD)
    assert submit_contribution(resident, campaign, commune=commune, **GOOD).commune == commune


def test_it_rejects_contributions_after_the_phase_ends(resident, campaign):
    campaign.phases.update(ends_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(PermissionRefused, match="ne permet pas de déposer"):
        submit_contribution(resident, campaign, **GOOD)
    assert not Contribution.objects.exists()


def test_markup_is_stored_as_text_without_control_characters(resident, campaign):
    contribution = submit_contribution(
        resident,
        campaign,
        kind="testimony",
        title="<script>alert('x')</script> Mon témoignage",
        body="L'eau est montée\x00 de <b>80 cm</b> en une nuit.\r\n\r\n\r\n\r\nRue du Moulin.",
    )
    assert contribution.title == "<script>alert('x')</script> Mon témoignage"
    assert contribution.body == "L'eau est montée de <b>80 cm</b> en une nuit.\n\nRue du Moulin."


def test_residents_cannot_sign_workshop_or_paper_contributions(resident, campaign):
    with pytest.raises(ActionRefused, match="Seule l'équipe organisatrice"):
        submit_contribution(resident, campaign, provenance=Provenance.PAPER, **GOOD)


def test_organisers_type_in_paper_contributions_even_after_the_phase(organiser, campaign):
    campaign.phases.update(ends_at=timezone.now() - timedelta(minutes=1))
    contribution = submit_contribution(
        organiser,
        campaign,
        provenance=Provenance.PAPER,
        author_label="Registre de la mairie",
        **GOOD,
    )
    assert contribution.author is None
    assert contribution.signature == "Registre de la mairie"
    assert contribution.visibility == Visibility.PUBLISHED


def test_a_flood_of_contributions_is_throttled(
    resident, campaign, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "contribution": "3/h"}
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):  # counted once written
            submit_contribution(resident, campaign, **GOOD)
    with pytest.raises(ActionRefused, match="Trop de demandes"):
        submit_contribution(resident, campaign, **GOOD)
    assert Contribution.objects.count() == 3


# --- The rate limit counts what was written ---------------------------------------------------


def _database_gone_at_the_write(execute, sql, params, many, context):
    # The server disappears as the row is sent: what a PostgreSQL outage did to submissions.
    if sql.startswith('INSERT INTO "consultation_contribution"'):
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


def test_submissions_lost_to_a_database_outage_do_not_use_up_the_limit(
    resident, campaign, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "contribution": "10/h"}
    with connection.execute_wrapper(_database_gone_at_the_write):
        for _ in range(12):
            with pytest.raises(OperationalError), django_capture_on_commit_callbacks(execute=True):
                submit_contribution(resident, campaign, **GOOD)

    for _ in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            submit_contribution(resident, campaign, **GOOD)
    with pytest.raises(ActionRefused, match="Trop de demandes") as refused:
        submit_contribution(resident, campaign, **GOOD)  # the 11th written one of the hour

    assert refused.value.code == "throttled"
    assert Contribution.objects.count() == 10


def test_refused_submissions_do_not_use_up_the_limit(
    resident, campaign, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "contribution": "2/h"}
    for _ in range(5):
        with pytest.raises(ActionRefused, match="Titre"):
            submit_contribution(resident, campaign, **{**GOOD, "title": "Non"})
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            submit_contribution(resident, campaign, **GOOD)

    with pytest.raises(ActionRefused, match="Trop de demandes"):
        submit_contribution(resident, campaign, **GOOD)
