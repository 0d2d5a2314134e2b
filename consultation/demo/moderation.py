"""The demo's moderation work in progress, so the moderators' workbench is not empty.

Through the same actions moderators and residents use: a spam comment reported three times
(hidden automatically), an off-topic one reported once (waiting in the queue), the campaign's
automatic themes, one merge of two questions that ask the same thing, and a synthesis draft for
the ditches theme (saved, not published: publishing is the organisers' decision). Idempotent:
each part is skipped when its mark is already in the database.
"""

from consultation.actions.comments import post_comment
from consultation.actions.merges import merge_contributions
from consultation.actions.moderation import report_content
from consultation.actions.synthesis import create_section, draft_from_data, save_version
from consultation.actions.topics import regroup_contributions
from consultation.models import Campaign, Comment, Contribution, Merge, User

SPAM = (
    "Vends pompe de relevage neuve 400 W, jamais servie, livraison possible dans tout le "
    "Pas-de-Calais, contactez-moi en message privé."
)
OFF_TOPIC = "Et sinon, quelqu'un sait quand rouvre la piscine intercommunale ?"
DEMO_THEMES = 12  # fixed, so the demo does not spend seconds choosing it


def seed_moderation(campaign: Campaign, staff: dict[str, User], residents: list[User]) -> dict:
    made = {}
    if not Comment.objects.filter(contribution__campaign=campaign, body=SPAM).exists():
        made["signalements"] = _reported_comments(campaign, residents)
    if not campaign.topics.exists():
        made["thèmes automatiques"] = regroup_contributions(
            staff["moderator"], campaign, k=DEMO_THEMES
        ).topics
    if not Merge.objects.filter(campaign=campaign).exists():
        made["fusions"] = _merge_same_question(campaign, staff["moderator"])
    if not campaign.synthesis_sections.exists():
        made["parties de synthèse"] = _synthesis_draft(campaign, staff["moderator"])
    return made


def _reported_comments(campaign: Campaign, residents: list[User]) -> int:
    target = (
        Contribution.objects.filter(campaign=campaign, kind="proposal", visibility="published")
        .order_by("pk")
        .first()
    )
    spam = post_comment(residents[150], target, body=SPAM)
    off_topic = post_comment(residents[151], target, body=OFF_TOPIC)
    for reporter, reason in zip(residents[152:155], ["spam", "spam", "off_topic"], strict=True):
        report_content(reporter, spam, reason=reason)  # the third report hides it
    report_content(residents[155], off_topic, reason="off_topic")
    return 4


def _merge_same_question(campaign: Campaign, moderator: User) -> int:
    questions = list(
        Contribution.objects.filter(
            campaign=campaign,
            kind="question",
            title__startswith="Qui doit entretenir les fossés le long des routes",
        ).order_by("pk")[:2]
    )
    if len(questions) < 2:
        return 0
    merge_contributions(
        moderator,
        campaign,
        result=questions[0],
        merged=[questions[1]],
        note="Même question sur l'entretien des fossés de bord de route.",
    )
    return 1


def _synthesis_draft(campaign: Campaign, moderator: User) -> int:
    topic = campaign.topics.filter(label__icontains="fossés").first() or campaign.topics.first()
    section = create_section(moderator, campaign, title=topic.label, topic=topic)
    save_version(moderator, section, draft_from_data(section))
    return 1
