import pytest
from django.core import mail
from django.db import connection, transaction
from django.db.utils import DatabaseError

from consultation.actions.moderation import Seen, moderate, report_content
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import CampaignRole, ModerationDecision, Report, Tag
from consultation.models.contributions import Visibility
from tests import factories
from tests.conftest import require_postgresql


def seen(target, kind="contribution"):
    return Seen(kind=kind, id=target.pk, visibility=target.visibility)


@pytest.fixture
def reporters(db):
    return [factories.UserFactory() for _ in range(3)]


def test_a_resident_reports_a_contribution_with_a_reason(resident, proposal):
    report = report_content(resident, proposal, reason="insulting", details="Des insultes")
    assert report.campaign == proposal.campaign and report.contribution == proposal
    proposal.refresh_from_db()
    assert proposal.visibility == Visibility.PUBLISHED  # one report is not enough


@pytest.mark.parametrize(
    ("reason", "details", "code"),
    [("rude", "", "invalid_choice"), ("spam", "x" * 501, "too_long"), (None, "", "invalid_choice")],
)
def test_a_bad_report_is_refused_and_nothing_is_recorded(resident, proposal, reason, details, code):
    with pytest.raises(ActionRefused) as refused:
        report_content(resident, proposal, reason=reason, details=details)
    assert refused.value.code == code
    assert Report.objects.count() == 0


def test_reporting_twice_or_ones_own_content_is_refused(resident, other_resident, proposal):
    report_content(resident, proposal, reason="spam")
    with pytest.raises(ActionRefused) as refused:
        report_content(resident, proposal, reason="off_topic")
    assert refused.value.code == "already_reported"
    with pytest.raises(ActionRefused) as refused:
        report_content(other_resident, proposal, reason="spam")  # the author
    assert refused.value.code == "own"


def test_visitors_must_log_in_to_report(anonymous, proposal):
    with pytest.raises(PermissionRefused) as refused:
        report_content(anonymous, proposal, reason="spam")
    assert refused.value.needs_login


@pytest.mark.django_db(transaction=True)
def test_the_third_report_hides_the_content_and_tells_its_author(reporters, proposal):
    for reporter in reporters:
        report_content(reporter, proposal, reason="insulting")
    proposal.refresh_from_db()
    assert proposal.visibility == Visibility.HIDDEN
    [decision] = ModerationDecision.objects.all()
    assert decision.action == "auto_hide" and decision.moderator is None
    assert decision.reason == "insulting" and decision.note == "3 signalements"
    [email] = mail.outbox
    assert email.to == [proposal.author.email]
    assert "Propos injurieux" in email.body and proposal.title in email.body
    assert reporters[0].email not in email.body and reporters[0].display_name not in email.body


def test_the_threshold_is_set_per_campaign(reporters, proposal, campaign):
    campaign.report_threshold = 0  # never automatically
    campaign.save()
    for reporter in reporters:
        report_content(reporter, proposal, reason="spam")
    proposal.refresh_from_db()
    assert proposal.visibility == Visibility.PUBLISHED


def test_comments_and_statements_can_be_reported(resident, proposal, statement, campaign):
    comment = factories.CommentFactory(contribution=proposal)
    assert report_content(resident, comment, reason="spam").campaign == campaign
    assert report_content(resident, statement, reason="off_topic").statement == statement


@pytest.mark.django_db(transaction=True)
def test_a_moderator_hides_in_bulk_with_a_reason_and_each_decision_is_logged(
    moderator, campaign, reporters
):
    first, second = factories.ContributionFactory.create_batch(2, campaign=campaign)
    report_content(reporters[0], first, reason="spam")
    decisions = moderate(
        moderator,
        campaign,
        [seen(first), seen(second)],
        action="hide",
        reason="spam",
        note="Publicité pour un artisan",
    )
    assert [d.target_id for d in decisions] == [first.pk, second.pk]
    assert {d.moderator for d in decisions} == {moderator}
    first.refresh_from_db()
    assert first.visibility == Visibility.HIDDEN
    assert Report.objects.get().resolved_at is not None
    assert len(mail.outbox) == 2


def test_hiding_needs_a_reason_from_the_list(moderator, campaign, proposal):
    with pytest.raises(ActionRefused) as refused:
        moderate(moderator, campaign, [seen(proposal)], action="hide", reason="bof")
    assert refused.value.field == "reason"
    proposal.refresh_from_db()
    assert proposal.visibility == Visibility.PUBLISHED
    assert ModerationDecision.objects.count() == 0


def test_approving_a_pending_contribution_publishes_it(moderator, campaign):
    pending = factories.ContributionFactory(campaign=campaign, visibility=Visibility.PENDING)
    moderate(moderator, campaign, [seen(pending)], action="approve")
    pending.refresh_from_db()
    assert pending.visibility == Visibility.PUBLISHED


def test_a_hidden_comment_is_restored(moderator, campaign, proposal):
    comment = factories.CommentFactory(contribution=proposal, visibility=Visibility.HIDDEN)
    [decision] = moderate(moderator, campaign, [seen(comment, "comment")], action="restore")
    comment.refresh_from_db()
    assert comment.visibility == Visibility.PUBLISHED
    assert decision.data["was"] == "hidden"


def test_a_decision_on_a_stale_view_is_refused_and_nothing_changes(moderator, campaign):
    first, second = factories.ContributionFactory.create_batch(2, campaign=campaign)
    stale = Seen("contribution", second.pk, Visibility.PENDING)
    with pytest.raises(ActionRefused) as refused:
        moderate(moderator, campaign, [seen(first), stale], action="hide", reason="spam")
    assert refused.value.code == "stale" and "Rechargez" in refused.value.message
    first.refresh_from_db()
    assert first.visibility == Visibility.PUBLISHED  # all or nothing
    assert ModerationDecision.objects.count() == 0


def test_another_campaigns_content_is_not_found(moderator, campaign):
    foreign = factories.ContributionFactory()
    with pytest.raises(ActionRefused) as refused:
        moderate(moderator, campaign, [seen(foreign)], action="hide", reason="spam")
    assert refused.value.code == "not_found"


@pytest.mark.parametrize("persona", ["resident", "facilitator", "anonymous"])
def test_only_moderators_and_organisers_moderate(request, persona, campaign, proposal):
    with pytest.raises(PermissionRefused):
        moderate(request.getfixturevalue(persona), campaign, [seen(proposal)], action="approve")


def test_moderators_of_another_campaign_cannot_moderate_this_one(campaign, proposal):
    other = factories.CampaignFactory()
    outsider = factories.UserFactory()
    CampaignRole.objects.create(campaign=other, user=outsider, role="moderator")
    with pytest.raises(PermissionRefused):
        moderate(outsider, campaign, [seen(proposal)], action="approve")


def test_tags_and_themes_are_given_in_bulk(moderator, campaign, theme, proposal, statement):
    moderate(moderator, campaign, [seen(proposal)], action="tag", tag="À vérifier")
    assert list(Tag.objects.get().contributions.all()) == [proposal]
    moderate(
        moderator,
        campaign,
        [seen(proposal), seen(statement, "statement")],
        action="assign_theme",
        theme=theme,
    )
    proposal.refresh_from_db()
    statement.refresh_from_db()
    assert proposal.theme == theme and statement.theme == theme
    assert ModerationDecision.objects.filter(action="assign_theme").count() == 2


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"action": "delete"}, "action"),
        ({"action": "tag", "tag": "x"}, "tag"),
        ({"action": "assign_theme"}, "theme"),
    ],
)
def test_bad_decisions_are_refused(moderator, campaign, proposal, options, field):
    with pytest.raises(ActionRefused) as refused:
        moderate(moderator, campaign, [seen(proposal)], **options)
    assert refused.value.field == field


def test_an_empty_or_oversized_selection_is_refused(moderator, campaign, proposal):
    with pytest.raises(ActionRefused):
        moderate(moderator, campaign, [], action="approve")
    with pytest.raises(ActionRefused) as refused:
        moderate(moderator, campaign, [seen(proposal)] * 501, action="approve")
    assert refused.value.code == "too_many"


def test_the_log_cannot_be_changed_through_the_orm(moderator, campaign, proposal):
    [decision] = moderate(moderator, campaign, [seen(proposal)], action="approve")
    with pytest.raises(PermissionError):
        decision.save()
    with pytest.raises(PermissionError):
        decision.delete()
    with pytest.raises(PermissionError):
        ModerationDecision.objects.filter(pk=decision.pk).update(note="réécrit")
    with pytest.raises(PermissionError):
        ModerationDecision.objects.all().delete()


@pytest.mark.postgres
def test_postgresql_refuses_to_rewrite_the_log(moderator, campaign, proposal):
    require_postgresql(connection)
    [decision] = moderate(moderator, campaign, [seen(proposal)], action="approve")
    update = "UPDATE consultation_moderationdecision SET note = 'x' WHERE id = %s"
    with (
        pytest.raises(DatabaseError, match="journal"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(update, [decision.pk])
    with (
        pytest.raises(DatabaseError, match="journal"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM consultation_moderationdecision")


def test_refused_reports_do_not_use_up_the_limit(
    resident, proposal, campaign, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report": "2/h"}
    with django_capture_on_commit_callbacks(execute=True):
        report_content(resident, proposal, reason="spam")
    for _ in range(3):  # refused inside the transaction, after the limit was checked
        with pytest.raises(ActionRefused) as refused:
            report_content(resident, proposal, reason="spam")
        assert refused.value.code == "already_reported"
    second, third = factories.ContributionFactory.create_batch(2, campaign=campaign)

    with django_capture_on_commit_callbacks(execute=True):
        report_content(resident, second, reason="spam")
    with pytest.raises(ActionRefused) as refused:
        report_content(resident, third, reason="spam")

    assert refused.value.code == "throttled"
    assert Report.objects.filter(reporter=resident).count() == 2
