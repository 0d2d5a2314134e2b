"""Who may do what, where, when.

Each permission is a list of conditions, checked in order, each with the French sentence shown
when it fails, plus the roles that bypass them. The same table feeds django-rules (for
`user.has_perm("consultation.support", contribution)` in templates and views) and
`check_permission`, which raises `PermissionRefused` with the first failing reason.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import rules
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultation.errors import PermissionRefused
from consultation.models import Campaign, CampaignRole, Contribution, Statement, Workshop
from consultation.models.contributions import Visibility

Role = CampaignRole.Role


def campaign_of(obj) -> Campaign | None:
    if isinstance(obj, Campaign):
        return obj
    return getattr(obj, "campaign", None)


def roles_in(user, campaign) -> set[str]:
    """The person's roles in the campaign, cached on the user object for the request."""
    if not user.is_authenticated or campaign is None:
        return set()
    cache = user.__dict__.setdefault("_campaign_roles", {})
    if campaign.pk not in cache:
        cache[campaign.pk] = set(
            CampaignRole.objects.filter(user=user, campaign=campaign).values_list("role", flat=True)
        )
    return cache[campaign.pk]


def _has_role(*wanted: str) -> Callable:
    def predicate(user, obj=None) -> bool:
        if user.is_authenticated and user.is_superuser:
            return True
        return bool(roles_in(user, campaign_of(obj)) & set(wanted))

    predicate.__name__ = "has_role_" + "_or_".join(wanted)
    return rules.predicate(predicate)


is_organiser = _has_role(Role.ORGANISER)
is_moderator = _has_role(Role.MODERATOR, Role.ORGANISER)
is_facilitator = _has_role(Role.FACILITATOR, Role.ORGANISER)
is_campaign_staff = _has_role(Role.ORGANISER, Role.MODERATOR, Role.FACILITATOR)


@rules.predicate
def is_logged_in(user, obj=None) -> bool:
    return user.is_authenticated and user.is_active


@rules.predicate
def has_verified_email(user, obj=None) -> bool:
    """The person proved the address is theirs: anyone can sign up with someone else's
    address, and what they publish would go out under it."""
    return user.is_authenticated and user.has_verified_email


@rules.predicate
def campaign_is_readable(user, obj) -> bool:
    campaign = campaign_of(obj)
    return campaign is not None and campaign.status != Campaign.Status.DRAFT


@rules.predicate
def campaign_is_open(user, obj) -> bool:
    campaign = campaign_of(obj)
    return campaign is not None and campaign.status == Campaign.Status.PUBLISHED


def _phase_allows(flag: str) -> Callable:
    def predicate(user, obj) -> bool:
        campaign = campaign_of(obj)
        phase = campaign.current_phase() if campaign else None
        return bool(phase and getattr(phase, flag))

    predicate.__name__ = f"phase_{flag}"
    return rules.predicate(predicate)


phase_allows_contributions = _phase_allows("allows_contributions")
phase_allows_comments = _phase_allows("allows_comments")
phase_allows_supports = _phase_allows("allows_supports")
phase_allows_votes = _phase_allows("allows_votes")


@rules.predicate
def is_published(user, obj) -> bool:
    return getattr(obj, "visibility", None) == Visibility.PUBLISHED


@rules.predicate
def is_not_merged(user, obj) -> bool:
    return getattr(obj, "merged_into_id", None) is None


@rules.predicate
def is_proposal(user, obj) -> bool:
    return isinstance(obj, Contribution) and obj.kind == Contribution.Kind.PROPOSAL


@rules.predicate
def workshop_takes_registrations(user, obj) -> bool:
    return isinstance(obj, Workshop) and obj.registrations_open and obj.starts_at > timezone.now()


@rules.predicate
def is_statement(user, obj) -> bool:
    return isinstance(obj, Statement)


def results_are_public(campaign: Campaign) -> bool:
    """Whether anyone may see the campaign's results page and open data (its staff always
    may, as a preview). "after_close": once the campaign is closed or archived."""
    if campaign.status == Campaign.Status.DRAFT:
        return False
    if campaign.results_visibility == "published":
        return True
    if campaign.results_visibility == "after_close":
        return campaign.status in (Campaign.Status.CLOSED, Campaign.Status.ARCHIVED)
    return False


@rules.predicate
def results_published(user, obj) -> bool:
    campaign = campaign_of(obj)
    return campaign is not None and results_are_public(campaign)


@dataclass(frozen=True)
class Policy:
    conditions: list[tuple[Callable, object]]
    bypass: Callable | None = None
    login_message: object = field(default=_("Connectez-vous pour continuer."))

    @property
    def predicate(self):
        combined = rules.always_true
        for condition, _message in self.conditions:
            combined = combined & condition
        return combined | self.bypass if self.bypass else combined


LOGIN = (is_logged_in, _("Connectez-vous ou créez un compte pour participer."))
VERIFIED = (
    has_verified_email,
    _(
        "Confirmez d'abord votre adresse électronique : ouvrez le lien que nous vous avons "
        "envoyé, ou demandez-en un nouveau depuis « Mon compte »."
    ),
)
READABLE = (campaign_is_readable, _("Cette campagne n'est pas publiée."))
OPEN = (campaign_is_open, _("Cette campagne n'est pas ouverte à la participation."))
PUBLISHED = (is_published, _("Ce contenu n'est pas publié."))
NOT_MERGED = (
    is_not_merged,
    _("Cette contribution a été fusionnée avec une autre : poursuivez sur celle-ci."),
)

POLICIES: dict[str, Policy] = {
    "view_campaign": Policy([READABLE], bypass=is_campaign_staff),
    "contribute": Policy(
        [
            LOGIN,
            VERIFIED,
            OPEN,
            (
                phase_allows_contributions,
                _("La phase en cours ne permet pas de déposer de contribution."),
            ),
        ],
        bypass=is_organiser,
    ),
    "comment": Policy(
        [
            LOGIN,
            VERIFIED,
            OPEN,
            PUBLISHED,
            NOT_MERGED,
            (phase_allows_comments, _("La phase en cours ne permet pas de commenter.")),
        ],
        bypass=is_moderator,
    ),
    "support": Policy(
        [
            LOGIN,
            VERIFIED,
            (is_proposal, _("Seules les propositions peuvent être soutenues.")),
            OPEN,
            PUBLISHED,
            NOT_MERGED,
            (phase_allows_supports, _("La phase en cours ne permet pas de soutenir.")),
        ],
    ),
    "vote_statement": Policy(
        [
            LOGIN,
            VERIFIED,
            (is_statement, _("Seules les affirmations se votent.")),
            OPEN,
            PUBLISHED,
            (phase_allows_votes, _("La phase en cours ne permet pas de voter.")),
        ],
    ),
    "propose_statement": Policy(
        [
            LOGIN,
            VERIFIED,
            OPEN,
            (phase_allows_votes, _("La phase en cours ne permet pas de proposer d'affirmation.")),
        ],
        bypass=is_moderator,
    ),
    "register_workshop": Policy(
        [
            LOGIN,
            OPEN,
            (workshop_takes_registrations, _("Les inscriptions à cet atelier sont fermées.")),
        ],
    ),
    "follow": Policy([LOGIN, READABLE, PUBLISHED]),
    "answer": Policy(
        [LOGIN, (is_organiser, _("Seule l'équipe organisatrice peut répondre officiellement."))]
    ),
    "manage_campaign": Policy(
        [LOGIN, (is_organiser, _("Seule l'équipe organisatrice peut gérer la campagne."))]
    ),
    "moderate": Policy([LOGIN, (is_moderator, _("Seule l'équipe de modération peut faire cela."))]),
    "publish_opinion_groups": Policy(
        [
            LOGIN,
            (
                is_organiser,
                _("Seule l'équipe organisatrice peut publier ou retirer les groupes d'opinion."),
            ),
        ]
    ),
    "report": Policy(
        [
            LOGIN,
            VERIFIED,
            READABLE,
            (is_published, _("Ce contenu n'est pas publié ou déjà masqué.")),
        ]
    ),
    "view_results": Policy(
        [(results_published, _("Les résultats de cette concertation ne sont pas encore publics."))],
        bypass=is_campaign_staff,
    ),
    "run_live_session": Policy(
        [
            LOGIN,
            (
                is_facilitator,
                _("Seule l'équipe d'animation de la campagne peut mener une session en direct."),
            ),
        ]
    ),
}

for _name, _policy in POLICIES.items():
    rules.add_perm(f"consultation.{_name}", _policy.predicate)


def check_permission(user, name: str, obj) -> None:
    """Raise PermissionRefused with the first failing reason, or return if allowed."""
    policy = POLICIES[name]
    if policy.bypass is not None and policy.bypass.test(user, obj):
        return
    for condition, message in policy.conditions:
        if not condition.test(user, obj):
            raise PermissionRefused(message, needs_login=condition is is_logged_in)
