"""The moderators' queue and log, through the pages: who may open them, what the queue lists
and filters, bulk decisions that really change the rows, bad and forged input, CSRF, escaping,
query counts."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consultation.actions.moderation import Seen, moderate, report_content
from consultation.models import CampaignRole, ModerationDecision, Tag
from consultation.models.contributions import Provenance, Visibility
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

LOGIN = "/compte/connexion/"


def queue_url(campaign, query=""):
    return reverse("frontend:moderation", kwargs={"slug": campaign.slug}) + query


def log_url(campaign, query=""):
    return reverse("frontend:moderation_log", kwargs={"slug": campaign.slug}) + query


def value(target, kind="contribution"):
    return f"{kind}:{target.pk}:{target.visibility}"


def listed(response) -> list[tuple[str, int]]:
    return [(row.kind, row.target.pk) for row in response.context["rows"]]


def outsider_moderator():
    """A moderator, but of another campaign."""
    user = factories.UserFactory(display_name="Modération d'ailleurs")
    CampaignRole.objects.create(
        campaign=factories.CampaignFactory(), user=user, role=CampaignRole.Role.MODERATOR
    )
    return user


def as_moderator(client, moderator):
    sign_in(client, moderator)
    return client


def aged(target, minutes: int):
    """Date a row back so that "newest first" has a known order."""
    type(target).objects.filter(pk=target.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )
    target.refresh_from_db()
    return target


@pytest.fixture
def items(campaign, proposal, statement):
    """A contribution, a comment and a statement, the statement the newest."""
    comment = factories.CommentFactory(contribution=proposal, body="Un commentaire.")
    return {
        "contribution": aged(proposal, 30),
        "comment": aged(comment, 20),
        "statement": aged(statement, 10),
    }


# Who may open the pages


@pytest.mark.parametrize("url", [queue_url, log_url])
def test_anonymous_visitors_are_sent_to_log_in(client, campaign, url):
    response = client.get(url(campaign))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={url(campaign)}"


@pytest.mark.parametrize("persona", ["resident", "facilitator", "outsider"])
@pytest.mark.parametrize("url", [queue_url, log_url])
def test_the_pages_do_not_exist_for_anyone_but_the_campaigns_moderators(
    request, client, campaign, persona, url
):
    person = outsider_moderator() if persona == "outsider" else request.getfixturevalue(persona)
    sign_in(client, person)
    assert client.get(url(campaign)).status_code == 404


@pytest.mark.parametrize("persona", ["moderator", "organiser"])
@pytest.mark.parametrize("url", [queue_url, log_url])
def test_moderators_and_organisers_open_the_pages(request, client, campaign, persona, url):
    sign_in(client, request.getfixturevalue(persona))
    response = client.get(url(campaign))
    assert response.status_code == 200
    assert "Modération" in response.content.decode()


@pytest.mark.parametrize("persona", ["anonymous", "resident", "facilitator", "outsider"])
def test_no_one_else_can_decide_through_the_page(request, client, campaign, proposal, persona):
    if persona == "outsider":
        sign_in(client, outsider_moderator())
    elif persona != "anonymous":
        sign_in(client, request.getfixturevalue(persona))
    response = client.post(
        queue_url(campaign),
        {"targets": [value(proposal)], "action": "hide", "reason": "spam"},
    )
    if persona == "anonymous":
        assert response["Location"] == f"{LOGIN}?next={queue_url(campaign)}"
    else:
        assert response.status_code == 404
    proposal.refresh_from_db()
    assert proposal.visibility == Visibility.PUBLISHED
    assert not ModerationDecision.objects.exists()


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("moderator", True), ("organiser", True), ("facilitator", False), ("resident", False)],
)
def test_the_campaign_menu_offers_moderation_to_its_moderators_only(
    request, client, campaign, persona, shown
):
    sign_in(client, request.getfixturevalue(persona))
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert (f'href="{queue_url(campaign)}"' in page) is shown


# What the queue lists


def test_the_queue_lists_every_kind_newest_first_with_its_details(
    client, moderator, campaign, theme, items, reporters
):
    items["contribution"].theme = theme
    items["contribution"].save()
    Tag.objects.create(campaign=campaign, name="À vérifier").contributions.add(
        items["contribution"]
    )
    report_content(reporters[0], items["comment"], reason="spam")
    report_content(reporters[1], items["comment"], reason="insulting")
    report_content(reporters[2], items["comment"], reason="spam", details="Pub")
    response = as_moderator(client, moderator).get(queue_url(campaign))
    assert listed(response) == [
        ("statement", items["statement"].pk),
        ("comment", items["comment"].pk),
        ("contribution", items["contribution"].pk),
    ]
    page = response.content.decode()
    # The third report hid the comment: its checkbox says so, for the stale check.
    assert f'value="comment:{items["comment"].pk}:hidden"' in page
    assert f'value="contribution:{items["contribution"].pk}:published"' in page
    assert "Publicité ou spam (2)" in page
    assert "Propos injurieux, haineux ou discriminatoires (1)" in page
    assert "Dominique" in page  # the contribution's author
    assert items["contribution"].get_absolute_url() in page
    assert "À vérifier" in page and "Gestion de l&#x27;eau et des cours d&#x27;eau" in page
    assert f"#commentaire-{items['comment'].pk}" in page


def test_a_workshop_card_is_listed_with_its_provenance_and_signature(client, moderator, campaign):
    factories.ContributionFactory(
        campaign=campaign,
        author=None,
        author_label="Table 3 de l'atelier de Béthune",
        provenance=Provenance.WORKSHOP,
        title="Des bassins de rétention",
    )
    response = as_moderator(client, moderator).get(queue_url(campaign, "?provenance=workshop"))
    page = response.content.decode()
    assert len(response.context["rows"]) == 1
    assert "(carte d'atelier)" in page
    assert "Table 3 de l&#x27;atelier de Béthune" in page
    assert "<td>Atelier</td>" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?kind=comment", ["comment"]),
        ("?kind=statement", ["statement"]),
        ("?state=pending", ["pending_contribution"]),
        ("?state=hidden", ["comment"]),
        ("?state=published", ["statement", "contribution"]),
        ("?state=reported", ["statement"]),
        ("?theme=THEME", ["comment", "contribution"]),  # a comment follows its contribution
        ("?q=zones+humides", ["contribution"]),
        ("?q=commentaire", ["comment"]),
        ("?provenance=paper", []),
        ("?provenance=online&kind=statement", ["statement"]),
        ("?kind=statement&state=pending", []),
    ],
)
def test_the_filters(client, moderator, campaign, theme, items, resident, query, expected):
    items["contribution"].title = "Restaurer les zones humides"
    items["contribution"].theme = theme
    items["contribution"].save()
    items["pending_contribution"] = aged(
        factories.ContributionFactory(
            campaign=campaign, visibility=Visibility.PENDING, title="À valider", body="Texte."
        ),
        40,
    )
    type(items["comment"]).objects.filter(pk=items["comment"].pk).update(
        visibility=Visibility.HIDDEN
    )
    report_content(resident, items["statement"], reason="off_topic")
    response = as_moderator(client, moderator).get(
        queue_url(campaign, query.replace("THEME", theme.slug))
    )
    assert response.status_code == 200
    assert listed(response) == [(name.replace("pending_", ""), items[name].pk) for name in expected]


def test_reported_content_comes_most_reported_first(client, moderator, campaign, reporters):
    once, twice = factories.ContributionFactory.create_batch(2, campaign=campaign)
    aged(twice, 60)  # older, but more reported
    report_content(reporters[0], once, reason="spam")
    report_content(reporters[0], twice, reason="spam")
    report_content(reporters[1], twice, reason="off_topic")
    response = as_moderator(client, moderator).get(queue_url(campaign, "?state=reported"))
    assert listed(response) == [("contribution", twice.pk), ("contribution", once.pk)]


def test_a_resolved_report_no_longer_counts(client, moderator, campaign, proposal, resident):
    report_content(resident, proposal, reason="spam")
    moderate(
        moderator, campaign, [Seen("contribution", proposal.pk, "published")], action="approve"
    )
    response = as_moderator(client, moderator).get(queue_url(campaign, "?state=reported"))
    assert listed(response) == []


def test_unknown_filter_values_are_reported_and_ignored(client, moderator, campaign, items):
    response = as_moderator(client, moderator).get(
        queue_url(campaign, "?state=%3Cscript%3E&kind=poll&theme=nope")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sélectionnez un choix valide" in page
    assert "<script>" not in page
    assert len(response.context["rows"]) == 3


def test_fifty_rows_per_page(client, moderator, campaign):
    factories.StatementFactory.create_batch(51, campaign=campaign)
    as_moderator(client, moderator)
    first = client.get(queue_url(campaign))
    second = client.get(queue_url(campaign, "?page=2"))
    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 1
    assert "51 contenus trouvés" in first.content.decode()
    assert set(listed(first)).isdisjoint(listed(second))


def test_html_in_excerpts_is_shown_as_text(client, moderator, campaign, proposal):
    proposal.title = "<script>alert('titre')</script>"
    proposal.save()
    factories.CommentFactory(contribution=proposal, body="<script>alert('commentaire')</script>")
    factories.StatementFactory(campaign=campaign, text="<script>alert('affirmation')</script>")
    page = as_moderator(client, moderator).get(queue_url(campaign)).content.decode()
    assert "<script>alert(" not in page
    for where in ("titre", "commentaire", "affirmation"):
        assert f"&lt;script&gt;alert(&#x27;{where}&#x27;)&lt;/script&gt;" in page


@pytest.mark.parametrize("per_kind", [2, 15])
def test_the_queue_query_count_does_not_grow(
    client, moderator, campaign, theme, reporters, django_assert_num_queries, per_kind, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report": "1000/h"}
    for n in range(per_kind):
        contribution = factories.ContributionFactory(campaign=campaign, theme=theme)
        Tag.objects.get_or_create(campaign=campaign, name=f"Étiquette {n % 3}")[
            0
        ].contributions.add(contribution)
        comment = factories.CommentFactory(contribution=contribution)
        statement = factories.StatementFactory(campaign=campaign)
        for target in (contribution, comment, statement):
            report_content(reporters[n % 2], target, reason="spam")
    as_moderator(client, moderator).get(queue_url(campaign))
    # session, user, campaign (organisation joined), phases, the person's roles, themes,
    # paginator count, one page of (kind, id, date, open reports), contributions (authors,
    # themes, workshops joined), their tags, comments (authors, contributions joined),
    # statements (authors, themes joined), the page's open reports, the menu's campaigns.
    with django_assert_num_queries(16):  # +2: staff gate, role and second-factor device
        response = client.get(queue_url(campaign))
    assert len(response.context["rows"]) == 3 * per_kind


# Bulk decisions


def test_a_moderator_hides_two_contents_with_a_reason_and_comes_back_to_the_same_filters(
    client, moderator, campaign, items
):
    here = queue_url(campaign, "?state=published&q=&page=1")
    response = as_moderator(client, moderator).post(
        here,
        {
            "targets": [value(items["contribution"]), value(items["comment"], "comment")],
            "action": "hide",
            "reason": "insulting",
            "note": "Injures envers un voisin",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == here
    for target in (items["contribution"], items["comment"]):
        target.refresh_from_db()
        assert target.visibility == Visibility.HIDDEN
    decisions = ModerationDecision.objects.order_by("id")
    assert [(d.action, d.reason, d.note, d.moderator) for d in decisions] == [
        ("hide", "insulting", "Injures envers un voisin", moderator)
    ] * 2
    page = client.get(response["Location"]).content.decode()
    assert "2 décisions enregistrées." in page
    items["statement"].refresh_from_db()
    assert items["statement"].visibility == Visibility.PUBLISHED


def test_approving_restoring_tagging_and_theming_change_the_rows(
    client, organiser, campaign, theme, statement
):
    pending = factories.ContributionFactory(campaign=campaign, visibility=Visibility.PENDING)
    hidden = factories.CommentFactory(
        contribution=factories.ContributionFactory(campaign=campaign),
        visibility=Visibility.HIDDEN,
    )
    as_moderator(client, organiser)
    client.post(queue_url(campaign), {"targets": [value(pending)], "action": "approve"})
    client.post(queue_url(campaign), {"targets": [value(hidden, "comment")], "action": "restore"})
    pending.refresh_from_db()  # now published: the next decisions are taken on what is shown
    client.post(
        queue_url(campaign), {"targets": [value(pending)], "action": "tag", "tag": "À vérifier"}
    )
    client.post(
        queue_url(campaign),
        {
            "targets": [value(pending), value(statement, "statement")],
            "action": "assign_theme",
            "theme": str(theme.pk),
        },
    )
    pending.refresh_from_db()
    hidden.refresh_from_db()
    statement.refresh_from_db()
    assert pending.visibility == Visibility.PUBLISHED
    assert hidden.visibility == Visibility.PUBLISHED
    assert list(Tag.objects.get(name="À vérifier").contributions.all()) == [pending]
    assert pending.theme == theme and statement.theme == theme
    assert list(ModerationDecision.objects.order_by("id").values_list("action", flat=True)) == [
        "approve",
        "restore",
        "tag",
        "assign_theme",
        "assign_theme",
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"action": "hide"}, "reason", "Choisissez le motif pour masquer."),
        ({"action": "hide", "reason": "rude"}, "reason", "Sélectionnez un choix valide"),
        ({"action": "delete"}, "action", "Sélectionnez un choix valide"),
        ({}, "action", "Ce champ est obligatoire."),
        ({"action": "tag"}, "tag", "Écrivez l&#x27;étiquette à donner."),
        ({"action": "tag", "tag": "x" * 61}, "tag", "au plus 60 caractères"),
        ({"action": "assign_theme"}, "theme", "Choisissez le thème à attribuer."),
        ({"action": "assign_theme", "theme": "abc"}, "theme", "Sélectionnez un choix valide"),
        ({"action": "approve", "note": "n" * 501}, "note", "au plus 500 caractères"),
    ],
)
def test_a_bad_decision_is_refused_on_the_form_and_changes_nothing(
    client, moderator, campaign, proposal, data, field, message
):
    response = as_moderator(client, moderator).post(
        queue_url(campaign, "?state=published"), {"targets": [value(proposal)], **data}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'<a href="#id_{field}">' in page and message in page
    assert f'value="{value(proposal)}" id="cocher-contribution-{proposal.pk}" checked' in page
    assert response.context["filters"].values == {"state": "published"}
    proposal.refresh_from_db()
    assert proposal.visibility == Visibility.PUBLISHED
    assert not ModerationDecision.objects.exists()


def test_another_campaigns_theme_is_refused(client, moderator, campaign, proposal):
    foreign = factories.ThemeFactory()
    response = as_moderator(client, moderator).post(
        queue_url(campaign),
        {"targets": [value(proposal)], "action": "assign_theme", "theme": str(foreign.pk)},
    )
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.theme is None


def test_ticking_nothing_is_refused(client, moderator, campaign, proposal):
    response = as_moderator(client, moderator).post(queue_url(campaign), {"action": "approve"})
    assert response.status_code == 400
    assert "Cochez au moins un contenu." in response.content.decode()


@pytest.mark.parametrize(
    "forged",
    [
        "contribution:abc:published",
        "poll:1:published",
        "contribution:1:deleted",
        "contribution:-1:published",
        "contribution:１:published",  # a full-width digit
        "contribution:99999999999999999999999:published",
        "contribution",
        "<script>alert(1)</script>",
    ],
)
def test_forged_checkbox_values_are_refused(client, moderator, campaign, proposal, forged):
    response = as_moderator(client, moderator).post(
        queue_url(campaign),
        {"targets": [value(proposal), forged], "action": "hide", "reason": "spam"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "La sélection envoyée n&#x27;est pas valide : rechargez la page." in page
    assert "<script>alert(1)</script>" not in page
    proposal.refresh_from_db()
    assert proposal.visibility == Visibility.PUBLISHED
    assert not ModerationDecision.objects.exists()


def test_another_campaigns_content_is_refused_and_nothing_changes(
    client, moderator, campaign, proposal
):
    foreign = factories.ContributionFactory()
    foreign_comment = factories.CommentFactory(contribution=foreign)
    as_moderator(client, moderator)
    for target, kind in [(foreign, "contribution"), (foreign_comment, "comment")]:
        response = client.post(
            queue_url(campaign),
            {"targets": [value(proposal), value(target, kind)], "action": "hide", "reason": "spam"},
            follow=True,
        )
        assert "introuvable dans cette campagne" in response.content.decode()
    for target in (proposal, foreign, foreign_comment):
        target.refresh_from_db()
        assert target.visibility == Visibility.PUBLISHED
    assert not ModerationDecision.objects.exists()


def test_a_decision_on_a_stale_page_is_refused_and_says_to_reload(
    client, moderator, campaign, proposal
):
    as_moderator(client, moderator)
    seen_as = value(proposal)  # the page was shown with the contribution published...
    other = factories.ContributionFactory(campaign=campaign)
    moderate(
        moderator,
        campaign,
        [Seen("contribution", proposal.pk, "published")],
        action="hide",
        reason="spam",
    )
    # ...then someone hid it: hiding what one saw as published is refused.
    response = client.post(
        queue_url(campaign, "?state=all"),
        {"targets": [value(other), seen_as], "action": "hide", "reason": "off_topic"},
    )
    assert response["Location"] == queue_url(campaign, "?state=all")
    page = client.get(response["Location"]).content.decode()
    assert "son état a changé depuis l&#x27;affichage de la file" in page
    assert "Rechargez la page." in page
    other.refresh_from_db()
    assert other.visibility == Visibility.PUBLISHED  # all or nothing
    assert ModerationDecision.objects.count() == 1


def test_tagging_a_comment_is_refused_in_french(client, moderator, campaign, proposal):
    comment = factories.CommentFactory(contribution=proposal)
    response = as_moderator(client, moderator).post(
        queue_url(campaign),
        {"targets": [value(comment, "comment")], "action": "tag", "tag": "À vérifier"},
        follow=True,
    )
    assert "Seules les contributions s&#x27;étiquettent." in response.content.decode()
    assert not Tag.objects.exists()


def test_deciding_without_a_csrf_token_is_forbidden(moderator, campaign, proposal):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, moderator)
    response = client.post(
        queue_url(campaign), {"targets": [value(proposal)], "action": "hide", "reason": "spam"}
    )
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.visibility == Visibility.PUBLISHED


def test_the_queue_form_carries_a_csrf_token(client, moderator, campaign, proposal):
    page = as_moderator(client, moderator).get(queue_url(campaign)).content.decode()
    assert re.search(
        r'<form method="post"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"', page
    )


# The log


def test_the_log_says_who_decided_what_when_and_why(
    client, moderator, campaign, proposal, reporters
):
    campaign.report_threshold = 1
    campaign.save()
    statement = factories.StatementFactory(campaign=campaign, text="<script>x()</script> digues")
    report_content(reporters[0], statement, reason="off_topic")  # hidden automatically
    moderate(
        moderator,
        campaign,
        [Seen("contribution", proposal.pk, "published")],
        action="hide",
        reason="spam",
        note="Lien publicitaire",
    )
    response = as_moderator(client, moderator).get(log_url(campaign))
    page = response.content.decode()
    assert "2 décisions" in page
    assert "Équipe de modération" in page and "Automatique (seuil de signalements)" in page
    assert "Masqué automatiquement (signalements)" in page
    assert "Publicité ou spam" in page and "Lien publicitaire" in page
    assert f'href="{proposal.get_absolute_url()}"' in page
    assert "<script>x()" not in page and "&lt;script&gt;x()&lt;/script&gt; digues" in page
    decisions = response.context["page_obj"].object_list
    assert [d.action for d in decisions] == ["hide", "auto_hide"]  # newest first


def test_the_log_links_a_comment_to_its_contribution(client, moderator, campaign, proposal):
    comment = factories.CommentFactory(contribution=proposal)
    moderate(moderator, campaign, [Seen("comment", comment.pk, "published")], action="approve")
    page = as_moderator(client, moderator).get(log_url(campaign)).content.decode()
    assert f'href="{proposal.get_absolute_url()}#commentaire-{comment.pk}"' in page


def test_the_log_filters_by_decision_and_ignores_an_unknown_one(
    client, moderator, campaign, proposal
):
    seen = Seen("contribution", proposal.pk, "published")
    moderate(moderator, campaign, [seen], action="approve")
    moderate(moderator, campaign, [seen], action="tag", tag="À revoir")
    as_moderator(client, moderator)
    response = client.get(log_url(campaign, "?action=tag"))
    assert [d.action for d in response.context["page_obj"].object_list] == ["tag"]
    response = client.get(log_url(campaign, "?action=erase"))
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert len(response.context["page_obj"].object_list) == 2


def test_the_log_is_of_this_campaign_only_and_paginated(client, moderator, campaign):
    elsewhere = factories.ContributionFactory(title="Décision ailleurs")
    other_moderator = outsider_moderator()
    CampaignRole.objects.create(
        campaign=elsewhere.campaign, user=other_moderator, role=CampaignRole.Role.MODERATOR
    )
    moderate(
        other_moderator,
        elsewhere.campaign,
        [Seen("contribution", elsewhere.pk, "published")],
        action="approve",
    )
    statements = factories.StatementFactory.create_batch(51, campaign=campaign)
    moderate(
        moderator,
        campaign,
        [Seen("statement", s.pk, "published") for s in statements],
        action="approve",
    )
    as_moderator(client, moderator)
    first = client.get(log_url(campaign))
    assert "51 décisions" in first.content.decode()
    assert "Décision ailleurs" not in first.content.decode()
    assert len(first.context["page_obj"].object_list) == 50
    assert len(client.get(log_url(campaign, "?page=2")).context["page_obj"].object_list) == 1


@pytest.mark.parametrize("count", [2, 30])
def test_the_log_query_count_does_not_grow(
    client, moderator, campaign, proposal, django_assert_num_queries, count
):
    comments = factories.CommentFactory.create_batch(count, contribution=proposal)
    moderate(
        moderator,
        campaign,
        [Seen("comment", c.pk, "published") for c in comments],
        action="hide",
        reason="spam",
    )
    as_moderator(client, moderator).get(log_url(campaign))
    # session, user, campaign, phases, the person's roles, count, one page of decisions
    # (moderators joined), the comments' contributions, the menu's campaigns.
    with django_assert_num_queries(11):  # +2: staff gate, role and second-factor device
        response = client.get(log_url(campaign))
    assert len(response.context["page_obj"].object_list) == count


@pytest.fixture
def reporters(db):
    return factories.UserFactory.create_batch(3)


# What the author of hidden content is told

INTERNAL_NOTE = "Auteur déjà averti deux fois, cf. ticket 4417 (M. Lefebvre)"


def hide_through_the_queue(client, moderator, campaign, target, capture):
    with capture(execute=True):
        response = as_moderator(client, moderator).post(
            queue_url(campaign),
            {
                "targets": [value(target)],
                "action": "hide",
                "reason": "insulting",
                "note": INTERNAL_NOTE,
            },
        )
    assert response.status_code == 302
    return ModerationDecision.objects.get(target_id=target.pk)


def test_the_hide_email_gives_the_reason_and_never_the_moderators_note(
    client, moderator, campaign, proposal, mailoutbox, django_capture_on_commit_callbacks
):
    # Replays the review's finding: the « Note pour le journal » (labelled « Visible de
    # l'équipe de modération seulement ») was mailed to the author as « Précision ».
    decision = hide_through_the_queue(
        client, moderator, campaign, proposal, django_capture_on_commit_callbacks
    )
    assert decision.note == INTERNAL_NOTE  # kept in the log, for the team
    [email] = mailoutbox
    assert email.to == [proposal.author.email]
    assert "Motif : Propos injurieux, haineux ou discriminatoires." in email.body
    assert proposal.title in email.body
    assert INTERNAL_NOTE not in email.body and "ticket 4417" not in email.body
    assert "Précision de l'équipe" not in email.body


def test_nothing_the_author_or_the_public_sees_carries_the_moderators_note(
    client, moderator, campaign, proposal, django_capture_on_commit_callbacks
):
    hide_through_the_queue(
        client, moderator, campaign, proposal, django_capture_on_commit_callbacks
    )
    from consultation.opendata import file_names

    slug = campaign.slug
    pages = [
        reverse("frontend:account"),
        reverse("frontend:account_data"),
        proposal.get_absolute_url(),
        reverse("frontend:campaign", kwargs={"slug": slug}),
        f"/api/v1/contributions/{proposal.pk}/",
        f"/api/v1/contributions/?campaign={slug}",
    ]
    # Open data is public once the results are; its staff preview holds the same files.
    open_data = [reverse("frontend:open_data", kwargs={"slug": slug})] + [
        reverse("frontend:open_data_file", kwargs={"slug": slug, "name": name})
        for name in file_names()
    ]
    author, public, preview = Client(), Client(), Client()
    author.force_login(proposal.author)
    sign_in(preview, moderator)
    seen = [(url, viewer.get(url)) for url in pages for viewer in (author, public)]
    seen += [(url, preview.get(url)) for url in open_data]
    assert all(response.status_code == 200 for url, response in seen if url in open_data)
    for url, response in seen:
        assert b"ticket 4417" not in response.content, url
    # The author's own export does say why their contribution was hidden.
    data = author.get(reverse("frontend:account_data")).json()
    [mine] = data["contributions"]
    assert mine["moderation"] == "hidden"
    assert mine["motif_de_masquage"] == "Propos injurieux, haineux ou discriminatoires"
