"""Build the Pas-de-Calais demo through the same actions residents and staff use.

Idempotence: every row has a natural key (slug, INSEE code, email, (campaign, kind) for phases,
`external_ref` "demo:..." for contributions, comments and statements). A contribution's comments,
supports and official answer, a statement's votes and a workshop's registrations are only
created in the run that creates their parent, so a second run finds everything in place and
writes nothing (not even a vote's `updated_at`).

Determinism: all the content is drawn from `random.Random(2024)` before anything is written,
so the same texts, authors and numbers come out whatever the database already holds.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from random import Random

from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django.utils.text import slugify

from consultation.actions.answers import answer_contribution
from consultation.actions.comments import post_comment
from consultation.actions.contributions import submit_contribution
from consultation.actions.statements import cast_vote, propose_statement
from consultation.actions.supports import add_support
from consultation.actions.workshops import register
from consultation.demo import content
from consultation.demo.content import Place
from consultation.demo.live import seed_live_session
from consultation.demo.moderation import seed_moderation
from consultation.demo.opinions import seed_opinion_groups
from consultation.demo.territory import ARRAS_DISTRICT, COMMUNES, RIVER_BASINS, CommuneSpec
from consultation.models import (
    Area,
    Campaign,
    CampaignRole,
    Comment,
    Commune,
    Contribution,
    Organisation,
    Phase,
    Statement,
    Theme,
    User,
    Workshop,
)
from consultation.models.contributions import Provenance
from consultation.text import clean_html

# Public on purpose: printed by seed_demo so that anyone trying the demo can log in.
DEMO_PASSWORD = "Inventons-demain-62"  # noqa: S105
DEMO_DOMAIN = "demo.concertation.fr"
RESIDENT_COUNT = 180
ONLINE_CONTRIBUTIONS = 320
SEED = 2024

# The seeding run acts for hundreds of residents within seconds: per-person rate limits would
# refuse it, so they are lifted for this run only. Emails are not sent: the dummy task backend
# records the "official answer" notifications instead of mailing demo addresses.
SEEDING_SETTINGS = {
    "RATE_LIMITS": {
        "contribution": "1000000/s",
        "comment": "1000000/s",
        "signup": "1000000/s",
        "report": "1000000/s",
    },
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}},
}

ROLE_ACCOUNTS = [
    # email, display name, campaign role, is_staff, is_superuser
    (f"habitant@{DEMO_DOMAIN}", "Camille de Montreuil", None, False, False),
    (f"organisation@{DEMO_DOMAIN}", "Préfecture du Pas-de-Calais", "organiser", True, False),
    (f"moderation@{DEMO_DOMAIN}", "Équipe de modération", "moderator", True, False),
    (f"animation@{DEMO_DOMAIN}", "Animation des ateliers", "facilitator", True, False),
    (f"admin@{DEMO_DOMAIN}", "Administration de la plateforme", None, True, True),
]

# Bigger towns write more.
TOWN_WEIGHT = {
    "62160": 6, "62765": 5, "62119": 5, "62588": 4, "62447": 4, "62318": 4, "62040": 3,
    "62014": 3, "62473": 3, "62826": 2, "62139": 2, "62902": 2, "62534": 2, "62057": 2,
}  # fmt: skip


@dataclass
class Summary:
    created: dict[str, int] = field(default_factory=dict)
    live_session_id: int | None = None

    def add(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


@dataclass(frozen=True)
class ContributionSpec:
    ref: str
    kind: str
    title: str
    body: str
    theme: str | None
    commune: CommuneSpec
    author: int  # index of a resident, or -1 for staff entries
    created_at: datetime
    provenance: str = Provenance.ONLINE
    author_label: str = ""
    comments: tuple = ()  # (ref, body, alignment, parent index or None, author, delay)
    supporters: tuple = ()
    answer: str | None = None


def _aware(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


class DemoPlan:
    """Everything the demo will contain, drawn from the seeded generator, before any write."""

    def __init__(self, now: datetime):
        self.rng = Random(SEED)
        self.now = now
        self.towns = [c for c in COMMUNES if c.area != ARRAS_DISTRICT.slug]
        self.weights = [TOWN_WEIGHT.get(c.insee_code, 1) for c in self.towns]
        self.residents = self._residents()
        self.titles: set[str] = set()
        self.contributions = self._online() + self._staff_entries()
        self._add_answers()

    def _town(self) -> CommuneSpec:
        return self.rng.choices(self.towns, self.weights)[0]

    def _residents(self) -> list[tuple[str, str, CommuneSpec]]:
        people = []
        for index in range(RESIDENT_COUNT):
            commune = self._town()
            name = content.resident_display_name(self.rng, commune, index)
            email = f"{slugify(name.split()[0])}.{index + 1:03d}@{DEMO_DOMAIN}"
            people.append((email, name, commune))
        return people

    def _when(self, earliest: datetime) -> datetime:
        span = (self.now - timedelta(hours=1) - earliest).total_seconds()
        return earliest + timedelta(seconds=self.rng.random() * max(span, 60))

    def _online(self) -> list[ContributionSpec]:
        phase_start = self.now - timedelta(days=30)
        specs = []
        while len(specs) < ONLINE_CONTRIBUTIONS:
            author = self.rng.randrange(RESIDENT_COUNT)
            # Most people write about their own commune.
            commune = self.residents[author][2] if self.rng.random() < 0.8 else self._town()
            place = Place(commune)
            roll = self.rng.random()
            if roll < 0.6:
                kind = Contribution.Kind.PROPOSAL
                theme = self.rng.choice(content.THEMES)[0]
                title, body = content.proposal_text(self.rng, theme, place)
            elif roll < 0.8:
                kind = Contribution.Kind.QUESTION
                theme, title, body = content.question_text(self.rng, place)
            else:
                kind = Contribution.Kind.TESTIMONY
                theme = self.rng.choice([None, "gestion-de-crise", "culture-du-risque"])
                title, body = content.testimony_text(self.rng, place)
            if title in self.titles:
                continue
            self.titles.add(title)
            created_at = self._when(phase_start)
            specs.append(
                ContributionSpec(
                    ref=f"demo:contribution:{len(specs) + 1}",
                    kind=kind,
                    title=title,
                    body=body,
                    theme=theme,
                    commune=commune,
                    author=author,
                    created_at=created_at,
                    comments=self._comments(len(specs) + 1, created_at, kind),
                    supporters=self._supporters() if kind == Contribution.Kind.PROPOSAL else (),
                )
            )
        # The demo resident (index 0) wrote two of them.
        for index in (3, 17):
            specs[index] = replace(specs[index], author=0)
        return specs

    def _comments(self, number: int, after: datetime, kind: str) -> tuple:
        count = self.rng.choices([0, 1, 2, 3, 4, 6], [30, 20, 18, 14, 10, 8])[0]
        comments, depths = [], []
        for index in range(count):
            parent = None
            # Replies go at most two levels deep (the platform allows three).
            open_to_reply = [i for i, depth in enumerate(depths) if depth < 2]
            if open_to_reply and self.rng.random() < 0.35:
                parent = self.rng.choice(open_to_reply)
                body, alignment = self.rng.choice(content.REPLIES), 0
            elif kind != Contribution.Kind.PROPOSAL:
                pool = (
                    content.COMMENTS_ON_QUESTION
                    if kind == Contribution.Kind.QUESTION
                    else content.COMMENTS_ON_TESTIMONY
                )
                body, alignment = self.rng.choice(pool), 0
            else:
                alignment = self.rng.choices([1, -1, 0], [55, 20, 25])[0]
                pool = {
                    1: content.COMMENTS_FOR,
                    -1: content.COMMENTS_AGAINST,
                    0: content.COMMENTS_NEUTRAL,
                }[alignment]
                body = self.rng.choice(pool)
            depths.append(0 if parent is None else depths[parent] + 1)
            delay = timedelta(hours=2 + index * 7 + self.rng.random() * 20)
            comments.append(
                (
                    f"demo:comment:{number}:{index + 1}",
                    body,
                    alignment,
                    parent,
                    self.rng.randrange(RESIDENT_COUNT),
                    min(after + delay, self.now - timedelta(minutes=5)),
                )
            )
        return tuple(comments)

    def _supporters(self) -> tuple:
        count = min(int(self.rng.paretovariate(1.3)) * 2 + self.rng.randrange(4), 70)
        return tuple(sorted(self.rng.sample(range(1, RESIDENT_COUNT), count)))

    def _staff_entries(self) -> list[ContributionSpec]:
        launch = self.now - timedelta(days=12)
        specs = []
        while len(specs) < 30:
            index = len(specs)
            commune = self._town()
            place = Place(commune)
            theme = self.rng.choice(content.THEMES)[0]
            title, body = content.proposal_text(self.rng, theme, place)
            if title in self.titles:
                continue
            self.titles.add(title)
            if index < 18:
                provenance = Provenance.WORKSHOP
                label = self.rng.choice(content.WORKSHOP_TABLES).format(n=index % 6 + 1)
                created_at = launch + timedelta(hours=2, minutes=index * 3)
            else:
                provenance = Provenance.PAPER
                label = content._fill(self.rng.choice(content.PAPER_LABELS), place)
                created_at = self._when(self.now - timedelta(days=25))
            specs.append(
                ContributionSpec(
                    ref=f"demo:{provenance}:{index + 1}",
                    kind=Contribution.Kind.PROPOSAL,
                    title=title,
                    body=body,
                    theme=theme,
                    commune=commune,
                    author=-1,
                    created_at=created_at,
                    provenance=provenance,
                    author_label=label,
                    supporters=self._supporters(),
                )
            )
        return specs

    def _add_answers(self) -> None:
        statuses = list(content.ANSWERS)
        proposals = [
            i for i, s in enumerate(self.contributions) if s.kind == Contribution.Kind.PROPOSAL
        ]
        for n, index in enumerate(self.rng.sample(proposals, 12)):
            spec = self.contributions[index]
            self.contributions[index] = replace(spec, answer=statuses[n % len(statuses)])


class DemoBuilder:
    def __init__(self, now: datetime):
        self.now = now
        self.summary = Summary()
        self.plan = DemoPlan(now)

    def run(self) -> Summary:
        self.basins, self.communes = self._territory()
        self.campaign = self._campaign()
        self.themes = self._themes()
        self.staff = self._accounts()
        self.residents = self._residents()
        self.workshops = self._workshops()
        # Permission checks read the phases and areas of `contribution.campaign`: prefetch once.
        self.campaign = Campaign.objects.prefetch_related("phases", "areas").get(
            pk=self.campaign.pk
        )
        self._contributions()
        self._statements()
        self.live_session, cards = seed_live_session(
            self.staff["facilitator"], self.workshops["62588"]
        )
        self.summary.add("cartes de l'atelier en direct", cards)
        self.summary.live_session_id = self.live_session.pk
        for what, n in seed_moderation(self.campaign, self.staff, self.residents).items():
            self.summary.add(what, n)
        for what, n in seed_opinion_groups(self.campaign, self.staff).items():
            self.summary.add(what, n)
        return self.summary

    # territory, campaign, people -----------------------------------------------------------

    def _territory(self):
        basins = {}
        for spec in [*RIVER_BASINS, ARRAS_DISTRICT]:
            area, created = Area.objects.get_or_create(
                slug=spec.slug,
                defaults={"name": spec.name, "kind": spec.kind, "description": spec.description},
            )
            basins[spec.slug] = area
            self.summary.add("territoires", created)
        communes = {}
        for spec in COMMUNES:
            commune, created = Commune.objects.get_or_create(
                insee_code=spec.insee_code,
                defaults={
                    "name": spec.name,
                    "postal_code": spec.postal_code,
                    "area": basins[spec.area],
                },
            )
            communes[spec.insee_code] = commune
            self.summary.add("communes", created)
        return basins, communes

    def _campaign(self) -> Campaign:
        organisation, _ = Organisation.objects.get_or_create(
            slug="prefecture-pas-de-calais",
            defaults={
                "name": "Préfecture du Pas-de-Calais",
                "website": "https://www.pas-de-calais.gouv.fr",
                "description": "Services de l'État dans le Pas-de-Calais.",
            },
        )
        campaign, created = Campaign.objects.get_or_create(
            slug=content.CAMPAIGN_SLUG,
            defaults={
                "organisation": organisation,
                "title": content.CAMPAIGN_TITLE,
                "summary": content.CAMPAIGN_SUMMARY,
                "context": clean_html(content.CAMPAIGN_CONTEXT),
                "status": Campaign.Status.PUBLISHED,
                "moderation_mode": Campaign.ModerationMode.POST,
                "starts_at": self.now - timedelta(days=50),
                "ends_at": self.now + timedelta(days=150),
            },
        )
        self.summary.add("campagnes", created)
        campaign.areas.add(*[self.basins[b.slug] for b in RIVER_BASINS])
        for position, (kind, title, description, start, end, allows) in enumerate(
            content.PHASES, start=1
        ):
            _, created = Phase.objects.get_or_create(
                campaign=campaign,
                kind=kind,
                defaults={
                    "title": title,
                    "description": description,
                    "position": position,
                    "starts_at": self.now + timedelta(days=start),
                    "ends_at": self.now + timedelta(days=end),
                    "allows_contributions": allows[0],
                    "allows_comments": allows[1],
                    "allows_supports": allows[2],
                    "allows_votes": allows[3],
                },
            )
            self.summary.add("phases", created)
        return campaign

    def _themes(self) -> dict[str, Theme]:
        themes = {}
        for position, (slug, name, description) in enumerate(content.THEMES, start=1):
            theme, created = Theme.objects.get_or_create(
                campaign=self.campaign,
                slug=slug,
                defaults={"name": name, "description": description, "position": position},
            )
            themes[slug] = theme
            self.summary.add("thèmes", created)
        return themes

    def _accounts(self) -> dict[str, User]:
        accounts = {}
        for email, name, role, is_staff, is_superuser in ROLE_ACCOUNTS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, display_name=name, postal_code="62170")
                self.summary.add("comptes de démonstration")
            user.is_staff, user.is_superuser, user.is_active = is_staff, is_superuser, True
            if user.pk is None or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)  # the printed password must keep working
                user.save()
            if user.email_verified_at is None:  # demo addresses: the demo may publish
                user.email_verified_at = timezone.now()
                user.save(update_fields=["email_verified_at"])
            if role:
                CampaignRole.objects.get_or_create(campaign=self.campaign, user=user, role=role)
            accounts[role or ("admin" if is_superuser else "resident")] = user
        return accounts

    def _residents(self) -> list[User]:
        emails = [email for email, _name, _commune in self.plan.residents]
        existing = {u.email: u for u in User.objects.filter(email__in=emails)}
        missing = []
        for email, name, commune in self.plan.residents:
            if email not in existing:
                # No password: these residents exist to make the demo lively, not to log in.
                user = User(
                    email=email,
                    display_name=name,
                    postal_code=commune.postal_code,
                    email_verified_at=timezone.now(),
                )
                user.set_unusable_password()
                missing.append(user)
        User.objects.bulk_create(missing)
        # Seeded before addresses were verified: the demo's residents publish.
        User.objects.filter(email__in=emails, email_verified_at__isnull=True).update(
            email_verified_at=timezone.now()
        )
        self.summary.add("habitants", len(missing))
        existing = {u.email: u for u in User.objects.filter(email__in=emails)}
        # Index 0 is the demo resident who can log in.
        return [self.staff["resident"]] + [existing[email] for email in emails[1:]]

    # workshops ---------------------------------------------------------------------------

    def _workshop_specs(self):
        return [
            # title, audience, venue, address, insee, day offset, hours, capacity, registrants
            (
                "Réunion publique de lancement (Liane, Wimereux, Slack)",
                Workshop.Audience.EVERYONE,
                "Salle du conseil de l'hôtel de ville",
                "Place Godefroy-de-Bouillon, 62200 Boulogne-sur-Mer",
                "62160",
                -12,
                (18, 21),
                120,
                0,
            ),
            (
                "Atelier du bassin de la Canche et de l'Authie",
                Workshop.Audience.EVERYONE,
                "Salle des fêtes",
                "Place du Général-de-Gaulle, 62170 Montreuil-sur-Mer",
                "62588",
                48,
                (18, 21),
                40,
                23,
            ),
            (
                "Atelier du bassin de la Lys",
                Workshop.Audience.EVERYONE,
                "Salle des fêtes de l'hôtel de ville",
                "Grand-Place, 62400 Béthune",
                "62119",
                52,
                (18, 21),
                60,
                31,
            ),
            (
                "Atelier des bassins de l'Aa et de la Hem",
                Workshop.Audience.EVERYONE,
                "Salle du conseil de l'hôtel de ville",
                "Place Foch, 62500 Saint-Omer",
                "62765",
                55,
                (18, 21),
                30,
                34,  # full: four people on the waiting list
            ),
            (
                "Atelier agriculteurs et agricultrices : l'eau, les sols et les prairies",
                Workshop.Audience.FARMERS,
                "Salle des mariages de l'hôtel de ville",
                "Place des Héros, 62000 Arras",
                "62041",
                50,
                (14, 17),
                35,
                33,  # nearly full
            ),
        ]

    def _workshops(self) -> dict[str, Workshop]:
        workshops = {}
        today = timezone.localdate(self.now)
        rng = Random(SEED + 1)
        for (
            title,
            audience,
            venue,
            address,
            insee,
            offset,
            hours,
            capacity,
            registrants,
        ) in self._workshop_specs():
            day = today + timedelta(days=offset)
            workshop, created = Workshop.objects.get_or_create(
                campaign=self.campaign,
                title=title,
                defaults={
                    "audience": audience,
                    "venue": venue,
                    "address": address,
                    "commune": self.communes[insee],
                    "description": (
                        "Trois heures en petits groupes, avec les services de l'État, les "
                        "syndicats de bassin et les élus, pour passer des constats aux "
                        "propositions. Inscription gratuite, places limitées."
                    ),
                    "starts_at": _aware(day, hours[0]),
                    "ends_at": _aware(day, hours[1]),
                    "capacity": capacity,
                    "registrations_open": offset > 0,
                },
            )
            workshops[insee] = workshop
            self.summary.add("ateliers", created)
            if created and registrants:
                for index in rng.sample(range(1, RESIDENT_COUNT), registrants):
                    register(self.residents[index], workshop)
                self.summary.add("inscriptions", registrants)
        return workshops

    # contributions -----------------------------------------------------------------------

    def _contributions(self) -> None:
        existing = set(
            self.campaign.contributions.filter(external_ref__startswith="demo:").values_list(
                "external_ref", flat=True
            )
        )
        for spec in self.plan.contributions:
            if spec.ref not in existing:
                self._contribution(spec)

    def _contribution(self, spec: ContributionSpec) -> None:
        staff_entry = spec.author < 0
        author = self.staff["organiser"] if staff_entry else self.residents[spec.author]
        contribution = submit_contribution(
            author,
            self.campaign,
            kind=spec.kind,
            title=spec.title,
            body=spec.body,
            theme=self.themes.get(spec.theme) if spec.theme else None,
            commune=self.communes[spec.commune.insee_code],
            provenance=spec.provenance,
            workshop=self.workshops["62160"] if spec.provenance == Provenance.WORKSHOP else None,
            author_label=spec.author_label,
        )
        # Seed-only bookkeeping: the natural key, and a date inside the contribution phase.
        Contribution.objects.filter(pk=contribution.pk).update(
            external_ref=spec.ref, created_at=spec.created_at
        )
        contribution.campaign = self.campaign
        self.summary.add(f"contributions ({spec.provenance})")
        self._comments(contribution, spec)
        for index in spec.supporters:
            add_support(self.residents[index], contribution)
        self.summary.add("soutiens", len(spec.supporters))
        if spec.answer:
            answer_contribution(
                self.staff["organiser"],
                contribution,
                status=spec.answer,
                body=content.ANSWERS[spec.answer],
            )
            self.summary.add("réponses officielles")

    def _comments(self, contribution: Contribution, spec: ContributionSpec) -> None:
        posted: list[Comment] = []
        for ref, body, alignment, parent, author, created_at in spec.comments:
            comment = post_comment(
                self.residents[author],
                contribution,
                body=body,
                alignment=alignment,
                parent=posted[parent] if parent is not None else None,
            )
            Comment.objects.filter(pk=comment.pk).update(
                external_ref=ref, created_at=max(created_at, spec.created_at)
            )
            posted.append(comment)
        self.summary.add("commentaires", len(posted))

    # statements --------------------------------------------------------------------------

    def _statements(self) -> None:
        rng = Random(SEED + 2)
        existing = set(
            self.campaign.statements.filter(external_ref__startswith="demo:").values_list(
                "external_ref", flat=True
            )
        )
        voters = range(1, RESIDENT_COUNT)  # the demo resident is left to vote by themself
        for number, ((theme, text), (agree, disagree)) in enumerate(
            zip(content.STATEMENTS, content.STATEMENT_LEANINGS, strict=True), start=1
        ):
            ref = f"demo:statement:{number}"
            chosen = rng.sample(voters, rng.randrange(60, 140))
            choices = [rng.random() for _ in chosen]
            if ref in existing:
                continue
            statement = propose_statement(self.staff["moderator"], self.campaign, text)
            Statement.objects.filter(pk=statement.pk).update(
                external_ref=ref, theme=self.themes[theme]
            )
            statement.campaign = self.campaign
            for index, roll in zip(chosen, choices, strict=True):
                choice = 1 if roll < agree else (-1 if roll < agree + disagree else 0)
                cast_vote(self.residents[index], statement, choice)
            self.summary.add("affirmations")
            self.summary.add("votes", len(chosen))


def seed_demo(now: datetime | None = None) -> Summary:
    """Create or complete the demo; all in one transaction."""
    with override_settings(**SEEDING_SETTINGS), transaction.atomic():
        return DemoBuilder(now or timezone.now()).run()
