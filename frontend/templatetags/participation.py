"""Small display helpers for the participation pages: which DSFR badge colour goes with a
status. The colour only repeats the badge's text, never replaces it (RGAA 3.1)."""

from django import template

from consultation.models import Campaign, Comment, Contribution, OfficialAnswer, Registration

register = template.Library()

ALIGNMENT_CLASSES = {
    Comment.Alignment.FOR: "fr-badge--success",
    Comment.Alignment.AGAINST: "fr-badge--error",
    Comment.Alignment.NEUTRAL: "",
}
ANSWER_CLASSES = {
    OfficialAnswer.Status.UNDER_REVIEW: "fr-badge--info",
    OfficialAnswer.Status.ACCEPTED: "fr-badge--success",
    OfficialAnswer.Status.PARTIALLY_ACCEPTED: "fr-badge--new",
    OfficialAnswer.Status.REJECTED: "fr-badge--error",
    OfficialAnswer.Status.ALREADY_DONE: "fr-badge--success",
}
KIND_CLASSES = {
    Contribution.Kind.PROPOSAL: "fr-badge--blue-ecume",
    Contribution.Kind.QUESTION: "fr-badge--purple-glycine",
    Contribution.Kind.TESTIMONY: "fr-badge--green-archipel",
    Contribution.Kind.DEBATE: "fr-badge--brown-caramel",
}
CAMPAIGN_CLASSES = {
    Campaign.Status.PUBLISHED: "fr-badge--success",
    Campaign.Status.CLOSED: "fr-badge--info",
    Campaign.Status.DRAFT: "fr-badge--warning",
}
REGISTRATION_CLASSES = {
    Registration.Status.CONFIRMED: "fr-badge--success",
    Registration.Status.WAITING: "fr-badge--warning",
}


def _small(extra: str) -> str:
    return f"fr-badge--sm {extra}".strip()


@register.filter
def alignment_class(value) -> str:
    return _small(ALIGNMENT_CLASSES.get(value, ""))


@register.filter
def answer_class(value) -> str:
    return _small(ANSWER_CLASSES.get(value, ""))


@register.filter
def kind_class(value) -> str:
    return _small(KIND_CLASSES.get(value, ""))


@register.filter
def campaign_status_class(value) -> str:
    return _small(CAMPAIGN_CLASSES.get(value, ""))


@register.filter
def registration_class(value) -> str:
    return _small(REGISTRATION_CLASSES.get(value, ""))
