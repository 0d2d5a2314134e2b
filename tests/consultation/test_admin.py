"""The back-office: each member of staff sees and changes only their campaigns."""

import pytest
from django.core import mail
from django.urls import reverse

from consultation.models import (
    CampaignRole,
    Contribution,
    OfficialAnswer,
    Registration,
    User,
)
from consultation.models.contributions import Provenance
from tests import factories
from tests.staff import sign_in


@pytest.fixture
def other_campaign(db):
    campaign = factories.CampaignFactory(title="Concertation de la vallée de la Sambre")
    factories.PhaseFactory(campaign=campaign)
    return campaign


@pytest.fixture
def foreign_proposal(other_campaign, other_resident):
    return factories.ContributionFactory(
        campaign=other_campaign, author=other_resident, title="Une idée pour la Sambre"
    )


def as_staff(client, user):
    user.is_staff = True
    user.save()
    sign_in(client, user)
    return client


def change_url(obj):
    return reverse(f"admin:consultation_{obj._meta.model_name}_change", args=[obj.pk])


def campaign_post_data(campaign, **changes):
    data = {
        "organisation": campaign.organisation_id,
        "title": campaign.title,
        "slug": campaign.slug,
        "summary": campaign.summary,
        "context": campaign.context,
        "status": campaign.status,
        "moderation_mode": campaign.moderation_mode,
        "visibility": campaign.visibility,
        "starts_at_0": campaign.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": "08:00:00",
        "ends_at_0": campaign.ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": "20:00:00",
    }
    for prefix in ["phases", "themes", "roles"]:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(changes)
    return data


def test_an_organiser_lists_only_their_campaigns(client, organiser, campaign, other_campaign):
    response = as_staff(client, organiser).get(reverse("admin:consultation_campaign_changelist"))
    assert response.status_code == 200
    assert campaign.title in response.content.decode()
    assert other_campaign.title not in response.content.decode()


def test_another_campaign_and_its_contents_do_not_exist_for_an_organiser(
    client, organiser, other_campaign, foreign_proposal
):
    client = as_staff(client, organiser)
    assert client.get(change_url(other_campaign)).status_code == 404
    assert client.get(change_url(foreign_proposal)).status_code == 404
    response = client.post(change_url(foreign_proposal), {"title": "Détourné"})
    assert response.status_code == 404
    foreign_proposal.refresh_from_db()
    assert foreign_proposal.title == "Une idée pour la Sambre"
    listing = client.get(reverse("admin:consultation_contribution_changelist"))
    assert "Une idée pour la Sambre" not in listing.content.decode()


def test_an_organiser_is_offered_only_their_campaigns_in_forms(
    client, organiser, campaign, other_campaign
):
    response = as_staff(client, organiser).get(reverse("admin:consultation_contribution_add"))
    choices = response.context["adminform"].form.fields["campaign"].queryset
    assert list(choices) == [campaign]


def test_script_in_the_campaign_context_is_removed_on_save(client, organiser, campaign):
    data = campaign_post_data(
        campaign,
        context='<p>Après les crues.</p><script>alert("x")</script><a href="javascript:x">lien</a>',
    )
    response = as_staff(client, organiser).post(change_url(campaign), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign.refresh_from_db()
    assert "<p>Après les crues.</p>" in campaign.context
    assert "<script" not in campaign.context
    assert "javascript:" not in campaign.context


def test_a_moderator_reads_the_campaign_but_cannot_change_it(client, moderator, campaign):
    client = as_staff(client, moderator)
    assert client.get(change_url(campaign)).status_code == 200
    response = client.post(change_url(campaign), campaign_post_data(campaign, title="Autre titre"))
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.title != "Autre titre"


def test_a_resident_cannot_enter_the_back_office(client, resident):
    client.force_login(resident)
    response = client.get(reverse("admin:consultation_campaign_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_answer_saved_in_the_admin_emails_the_author(
    client, organiser, proposal, django_capture_on_commit_callbacks
):
    client = as_staff(client, organiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:consultation_officialanswer_add"),
            {
                "contribution": proposal.pk,
                "status": OfficialAnswer.Status.ACCEPTED,
                "body": "Proposition retenue dans le plan d'action du bassin de la Canche.",
            },
        )
    assert response.status_code == 302
    answer = OfficialAnswer.objects.get(contribution=proposal)
    assert answer.author == organiser
    assert answer.history.count() == 1
    assert [message.to for message in mail.outbox] == [[proposal.author.email]]
    assert proposal.title in mail.outbox[0].subject


def test_an_organiser_cannot_answer_another_campaigns_contribution(
    client, organiser, foreign_proposal, django_capture_on_commit_callbacks
):
    client = as_staff(client, organiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:consultation_officialanswer_add"),
            {
                "contribution": foreign_proposal.pk,
                "status": OfficialAnswer.Status.REJECTED,
                "body": "Une réponse qui ne devrait pas partir.",
            },
        )
    assert response.status_code == 200
    assert "contribution" in response.context["adminform"].form.errors
    assert not OfficialAnswer.objects.exists()
    assert mail.outbox == []


def test_a_too_short_answer_is_refused_with_a_french_message(client, organiser, proposal):
    response = as_staff(client, organiser).post(
        reverse("admin:consultation_officialanswer_add"),
        {"contribution": proposal.pk, "status": "accepted", "body": "Oui"},
    )
    assert response.status_code == 200
    assert "10 caractères au minimum" in str(response.context["adminform"].form.errors)
    assert not OfficialAnswer.objects.exists()


def test_a_paper_contribution_entered_in_the_admin_is_signed_by_its_label(
    client, organiser, campaign, theme
):
    response = as_staff(client, organiser).post(
        reverse("admin:consultation_contribution_add"),
        {
            "campaign": campaign.pk,
            "kind": "proposal",
            "title": "Curer les fossés de la route de Brimeux",
            "body": "Courrier manuscrit : les fossés débordent à chaque orage depuis des années.",
            "theme": theme.pk,
            "provenance": Provenance.PAPER,
            "author_label": "Courrier déposé en mairie de Brimeux",
            "visibility": "published",
        },
    )
    assert response.status_code == 302
    contribution = Contribution.objects.get(title="Curer les fossés de la route de Brimeux")
    assert contribution.author is None
    assert contribution.signature == "Courrier déposé en mairie de Brimeux"


def test_an_online_contribution_cannot_be_typed_in_by_staff(client, organiser, campaign):
    response = as_staff(client, organiser).post(
        reverse("admin:consultation_contribution_add"),
        {
            "campaign": campaign.pk,
            "kind": "proposal",
            "title": "Une contribution au nom de quelqu'un",
            "body": "Texte suffisamment long pour passer la validation.",
            "provenance": Provenance.ONLINE,
            "visibility": "published",
        },
    )
    assert response.status_code == 200
    assert "provenance" in response.context["adminform"].form.errors
    assert not Contribution.objects.exists()


def test_the_workshop_list_shows_registration_counts(client, organiser, workshop, resident):
    Registration.objects.create(workshop=workshop, user=resident, status="confirmed")
    response = as_staff(client, organiser).get(reverse("admin:consultation_workshop_changelist"))
    assert response.status_code == 200
    row = response.context["cl"].result_list[0]
    assert (row.confirmed_count, row.waiting_count) == (1, 0)


def test_the_contribution_list_costs_the_same_for_many_rows(
    client, organiser, campaign, theme, commune, django_assert_num_queries
):
    for _number in range(30):
        factories.ContributionFactory(campaign=campaign, theme=theme, commune=commune)
    client = as_staff(client, organiser)
    # session, user, roles (once for every permission check), campaign and theme filters,
    # two counts, model permissions (user, groups), the page of rows with its counts, and the
    # date hierarchy (range, days): 12, whatever the number of rows.
    with django_assert_num_queries(13):  # +1: the staff gate's second-factor device
        response = client.get(reverse("admin:consultation_contribution_changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 30


def test_a_superuser_sees_every_campaign(client, campaign, other_campaign):
    admin_user = factories.UserFactory(is_staff=True, is_superuser=True)
    sign_in(client, admin_user)
    response = client.get(reverse("admin:consultation_campaign_changelist"))
    assert campaign.title in response.content.decode()
    assert other_campaign.title in response.content.decode()


def test_an_organiser_cannot_grant_roles(client, organiser, campaign, resident):
    data = campaign_post_data(
        campaign,
        **{
            "roles-TOTAL_FORMS": "1",
            "roles-0-user": resident.pk,
            "roles-0-role": CampaignRole.Role.ORGANISER,
            "roles-0-campaign": campaign.pk,
        },
    )
    as_staff(client, organiser).post(change_url(campaign), data)
    assert not CampaignRole.objects.filter(user=resident).exists()


ADMIN_PAGES = [
    "campaign",
    "contribution",
    "comment",
    "statement",
    "officialanswer",
    "workshop",
    "livesession",
    "area",
    "commune",
    "organisation",
    "user",
]


@pytest.fixture
def filled_campaign(
    campaign, proposal, statement, workshop, other_resident, organiser, live_session
):
    factories.CommentFactory(contribution=proposal, author=other_resident)
    factories.OfficialAnswerFactory(contribution=proposal, body="La préfecture étudie ce point.")
    factories.ThemeFactory(campaign=campaign)
    return campaign


@pytest.mark.parametrize("model", ADMIN_PAGES)
def test_every_back_office_page_opens_for_a_superuser(client, filled_campaign, model):
    sign_in(client, factories.UserFactory(is_staff=True, is_superuser=True))
    listing = client.get(reverse(f"admin:consultation_{model}_changelist"))
    assert listing.status_code == 200
    rows = listing.context["cl"].result_list
    if rows:
        assert client.get(change_url(rows[0])).status_code == 200


def test_an_organiser_opens_their_pages_and_the_answer_history(
    client, filled_campaign, organiser, proposal
):
    client = as_staff(client, organiser)
    for model in ["campaign", "contribution", "comment", "statement", "officialanswer", "workshop"]:
        assert client.get(reverse(f"admin:consultation_{model}_changelist")).status_code == 200
    for model in ["organisation", "user"]:
        assert client.get(reverse(f"admin:consultation_{model}_changelist")).status_code == 403
    history = reverse("admin:consultation_officialanswer_history", args=[proposal.answer.pk])
    assert client.get(history).status_code == 200


def test_a_superuser_creates_an_account_with_an_email_and_no_username(client, db):
    sign_in(client, factories.UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:consultation_user_add"),
        {
            "email": "nouvelle.agente@pas-de-calais.gouv.fr",
            "display_name": "Nouvelle agente",
            "password1": "une-phrase-de-passe-solide",
            "password2": "une-phrase-de-passe-solide",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle.agente@pas-de-calais.gouv.fr")
    assert user.check_password("une-phrase-de-passe-solide")


def test_bulk_deletion_spares_a_campaign_the_person_only_moderates(
    client, organiser, campaign, proposal, other_campaign, foreign_proposal
):
    CampaignRole.objects.create(
        campaign=other_campaign, user=organiser, role=CampaignRole.Role.MODERATOR
    )
    client = as_staff(client, organiser)
    listing = client.get(reverse("admin:consultation_contribution_changelist"))
    assert "Une idée pour la Sambre" in listing.content.decode()  # readable as moderator
    client.post(
        reverse("admin:consultation_contribution_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [proposal.pk, foreign_proposal.pk],
            "post": "yes",
        },
    )
    assert Contribution.objects.filter(pk=foreign_proposal.pk).exists()


def test_a_theme_of_another_campaign_is_refused_for_a_statement(
    client, organiser, campaign, statement, other_campaign
):
    foreign_theme = factories.ThemeFactory(campaign=other_campaign, name="Thème de la Sambre")
    response = as_staff(client, organiser).post(
        change_url(statement),
        {
            "campaign": campaign.pk,
            "text": statement.text,
            "theme": foreign_theme.pk,
            "visibility": "published",
        },
    )
    assert response.status_code == 200
    assert "theme" in response.context["adminform"].form.errors
    statement.refresh_from_db()
    assert statement.theme is None


def test_a_commune_outside_the_campaign_territory_is_refused(
    client, organiser, campaign, area, proposal
):
    campaign.areas.add(area)
    elsewhere = factories.CommuneFactory(
        insee_code="62041",
        name="Arras",
        area=factories.AreaFactory(slug="arrondissement-arras", name="Arrondissement d'Arras"),
    )
    response = as_staff(client, organiser).post(
        change_url(proposal),
        {
            "campaign": campaign.pk,
            "kind": proposal.kind,
            "title": proposal.title,
            "body": proposal.body,
            "commune": elsewhere.pk,
            "provenance": proposal.provenance,
            "author_label": "",
            "visibility": "published",
        },
    )
    assert response.status_code == 200
    assert "commune" in response.context["adminform"].form.errors


def test_live_sessions_are_read_only_in_the_back_office_and_scoped(
    client, organiser, live_session, other_campaign
):
    from consultation.actions.boards import open_session

    other_workshop = factories.WorkshopFactory(campaign=other_campaign)
    foreign = open_session(factories.UserFactory(is_superuser=True), other_workshop)
    client = as_staff(client, organiser)
    listing = client.get(reverse("admin:consultation_livesession_changelist"))
    assert live_session.join_code in listing.content.decode()
    assert foreign.join_code not in listing.content.decode()
    assert client.get(change_url(foreign)).status_code == 404
    page = client.get(change_url(live_session))
    assert page.status_code == 200 and b'name="title"' not in page.content
    response = client.post(change_url(live_session), {"title": "Renommée"})
    assert response.status_code == 403
    live_session.refresh_from_db()
    assert live_session.title == "Atelier en direct de Béthune"


def test_an_administrator_resets_someones_second_factor(client, campaign, moderator):
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    their_session = Client()
    sign_in(their_session, moderator)
    queue = reverse("frontend:moderation", kwargs={"slug": campaign.slug})
    assert their_session.get(queue).status_code == 200
    sign_in(client, factories.UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        reverse("admin:consultation_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [moderator.pk]},
        follow=True,
    )

    assert "Double authentification réinitialisée pour 1 compte(s)" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=moderator).exists()
    assert their_session.get(queue)["Location"].startswith(reverse("frontend:second_factor_setup"))
