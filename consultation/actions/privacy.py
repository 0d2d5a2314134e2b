"""What the platform holds about a person: the "Mes données" export and account deletion.

Both read the same list of places (account, external identities, participation online, reports
filed, live workshops): a place added to one belongs in the other.
"""

from collections.abc import Iterable

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token

from consultation.live import STAFF, participant_payload
from consultation.models import (
    BoardEvent,
    Card,
    CommandReceipt,
    Comment,
    Contribution,
    DotVote,
    ExternalIdentity,
    Follow,
    ModerationDecision,
    Participant,
    Registration,
    Report,
    Statement,
    StatementVote,
    Support,
    User,
)
from consultation.models.accounts import DELETED_PARTICIPANT
from consultation.models.moderation import TargetKind
from realtime.groups import board_group
from realtime.publish import publish_on_commit

HIDING = (ModerationDecision.Action.HIDE, ModerationDecision.Action.AUTO_HIDE)
# Where a participant's name is written inside stored board events and command answers
# (docs/realtime-protocol.md): a card's `author`, the `authors` of a session.changed, a
# participant entry. Keyed by name, because a cluster is also {"id", "name"}.
_NAME_HOLDERS = ("author", "participant", "me")


def deleted_name() -> str:
    """The name left where a deleted person's was; French whatever the request's language,
    since it is stored and read by everyone."""
    with translation.override("fr"):
        return str(DELETED_PARTICIPANT)


# --- live workshops -------------------------------------------------------------------------


def live_participations_of(
    user: User, *, guest_ids: Iterable[int] = (), email: str | None = None
) -> list[Participant]:
    """The person's live participants: their account's, the guests this browser joined as
    (`guest_ids`, kept in its session), and the guests who left the person's address to hear
    what became of their cards."""
    kept = [i for i in guest_ids if type(i) is int and 0 < i < 2**63]  # as stored by the join
    found = Q(user=user) | Q(pk__in=kept, user=None)
    if email:
        found |= Q(email__iexact=email, user=None)
    return list(Participant.objects.filter(found).select_related("session__workshop"))


def forget_live_identity(user: User, participants: list[Participant]) -> None:
    """Anonymise the person in live workshops: nickname and email left on each participant
    (which every console, projection, snapshot, print page and CSV export reads), the names
    written into the board's event log and command answers (replayed to reconnecting
    clients), and their open sockets are closed. Cards and dots stay, as contributions do."""
    if not participants:
        return
    name = deleted_name()
    ids = {p.pk for p in participants}
    Participant.objects.filter(pk__in=ids).update(nickname=name, email="")
    sessions = {p.session_id for p in participants}
    _rename_in_stored_messages(
        BoardEvent.objects.filter(board__session_id__in=sessions), ("staff", "participant"), ids
    )
    # Everyone's: a facilitator's answer to moving their card names its author too.
    _rename_in_stored_messages(
        CommandReceipt.objects.filter(participant__session_id__in=sessions), ("result",), ids
    )
    for participant in participants:
        if participant.user_id == user.pk:
            participant.nickname, participant.email = name, ""
            _close_sockets_on_commit(participant)


def _rename_in_stored_messages(rows, fields: tuple[str, ...], ids: set[int]) -> None:
    name = deleted_name()
    changed = []
    for row in rows.iterator(chunk_size=500):
        if [field for field in fields if _rename(getattr(row, field), ids, name)]:
            changed.append(row)
    if changed:
        rows.model.objects.bulk_update(changed, fields, batch_size=500)


def _rename(value, ids: set[int], name: str) -> bool:
    """Replace, in place, the name of every participant of `ids` in a stored message."""
    changed = False
    if isinstance(value, list):
        for item in value:
            changed |= _rename(item, ids, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in _NAME_HOLDERS and _is_one_of(item, ids) and item["name"] != name:
                item["name"], changed = name, True
            elif key in ("authors", "participants"):
                for person in item.values() if isinstance(item, dict) else item:
                    if _is_one_of(person, ids) and person["name"] != name:
                        person["name"], changed = name, True
            else:
                changed |= _rename(item, ids, name)
    return changed


def _is_one_of(value, ids: set[int]) -> bool:
    return isinstance(value, dict) and value.get("id") in ids and "name" in value


def _close_sockets_on_commit(participant: Participant) -> None:
    """Staff see the person leave under the new name; their open sockets are closed (4403),
    as when a facilitator removes someone."""
    now = timezone.now()
    presence = {"type": "presence", "participant": participant_payload(participant, now)}
    presence["participant"]["present"] = False
    for board_id in participant.session.boards.values_list("pk", flat=True):
        publish_on_commit(
            board_group(board_id),
            {"seq": None, "audiences": {STAFF: presence}, "close_participant": participant.pk},
        )


# --- deletion -------------------------------------------------------------------------------


@transaction.atomic
def delete_account(user: User, *, guest_ids: Iterable[int] = ()) -> None:
    """Anonymise the account: contributions, comments, supports, votes, reports, cards and
    dots stay, signed "Participant·e supprimé·e"; email, names, postal code, follows,
    registrations, API tokens, links to FranceConnect or ProConnect, report details and the
    live-workshop identity (`guest_ids`: the guests this browser joined as) are erased; no
    email goes to the address any more, and the person can no longer log in."""
    participants = live_participations_of(user, guest_ids=guest_ids, email=user.email)
    forget_live_identity(user, participants)
    Follow.objects.filter(user=user).delete()
    Registration.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    ExternalIdentity.objects.filter(user=user).delete()
    # Counts and reasons stay (the threshold and the queue rely on them); the free text the
    # person wrote goes, like their name.
    Report.objects.filter(reporter=user).update(details="")
    if user.email:  # also where someone else's account typed it: no task mails it again
        Participant.objects.filter(email__iexact=user.email).update(email="")
    # The admin's history of changes to the account is labelled with its name at the time.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=deleted_name())
    _erase_account(user)
    user.campaign_roles.all().delete()


def _erase_account(user: User) -> None:
    user.email = None
    user.pending_email = ""
    user.email_verified_at = None
    user.display_name = user.given_name = user.family_name = ""
    user.postal_code = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.deleted_at = timezone.now()
    user.set_unusable_password()
    user.save()


# --- export ---------------------------------------------------------------------------------


def _when(value):
    return value.isoformat() if value else None


def export_personal_data(user: User, *, guest_ids: Iterable[int] = ()) -> dict:
    """Everything the platform holds about a person, for the "Mes données" download.
    `guest_ids`: the guests this browser joined live sessions as."""
    return {
        "compte": _account(user),
        "identites_externes": [
            {
                "fournisseur": identity.get_provider_display(),
                "siret": identity.siret,
                "liee_le": _when(identity.created_at),
                "derniere_connexion": _when(identity.last_login_at),
            }
            for identity in ExternalIdentity.objects.filter(user=user)
        ],
        "jeton_api_cree_le": _when(
            Token.objects.filter(user=user).values_list("created", flat=True).first()
        ),
        "roles": [
            {"campagne": role.campaign.slug, "role": role.role}
            for role in user.campaign_roles.select_related("campaign")
        ],
        **_participation_online(user),
        "signalements": [_report(report) for report in Report.objects.filter(reporter=user)],
        "ateliers_en_direct": _live_participations(user, guest_ids),
    }


def _live_participations(user: User, guest_ids: Iterable[int]) -> list[dict]:
    """Theirs in full; of a guest who merely left the person's address, only that fact: the
    nickname and cards may be someone else's who typed it."""
    mine = live_participations_of(user, guest_ids=guest_ids)
    known = {p.pk for p in mine}
    typed = [p for p in live_participations_of(user, email=user.email) if p.pk not in known]
    return [_live_participation(p) for p in mine] + [
        {
            "session": p.session.title,
            "atelier": p.session.workshop.title,
            "adresse_laissee": p.email,
            "arrive_le": _when(p.joined_at),
        }
        for p in typed
    ]


def _account(user: User) -> dict:
    return {
        "adresse_electronique": user.email,
        "adresse_verifiee_le": _when(user.email_verified_at),
        "nouvelle_adresse_a_verifier": user.pending_email,
        "nom_affiche": user.display_name,
        "prenom": user.given_name,
        "nom_de_famille": user.family_name,
        "code_postal": user.postal_code,
        "inscrit_le": _when(user.date_joined),
        "derniere_connexion": _when(user.last_login),
    }


def _participation_online(user: User) -> dict:
    contributions = list(Contribution.objects.filter(author=user).select_related("campaign"))
    comments = list(Comment.objects.filter(author=user))
    statements = list(Statement.objects.filter(author=user))
    hidden_why = {
        **_hide_reasons(TargetKind.CONTRIBUTION, contributions),
        **_hide_reasons(TargetKind.COMMENT, comments),
        **_hide_reasons(TargetKind.STATEMENT, statements),
    }
    return {
        "contributions": [
            {
                "id": c.pk,
                "campagne": c.campaign.slug,
                "type": c.kind,
                "titre": c.title,
                "texte": c.body,
                "deposee_le": _when(c.created_at),
                "moderation": c.visibility,
                "motif_de_masquage": hidden_why.get((TargetKind.CONTRIBUTION, c.pk)),
            }
            for c in contributions
        ],
        "commentaires": [
            {
                "id": c.pk,
                "contribution": c.contribution_id,
                "texte": c.body,
                "position": c.alignment,
                "publie_le": _when(c.created_at),
                "moderation": c.visibility,
                "motif_de_masquage": hidden_why.get((TargetKind.COMMENT, c.pk)),
            }
            for c in comments
        ],
        "soutiens": [
            {"contribution": s.contribution_id, "le": _when(s.created_at)}
            for s in Support.objects.filter(user=user)
        ],
        "affirmations_proposees": [
            {
                "id": s.pk,
                "texte": s.text,
                "moderation": s.visibility,
                "motif_de_masquage": hidden_why.get((TargetKind.STATEMENT, s.pk)),
            }
            for s in statements
        ],
        "votes": [
            {"affirmation": v.statement_id, "vote": v.choice, "le": _when(v.updated_at)}
            for v in StatementVote.objects.filter(user=user)
        ],
        "suivis": list(Follow.objects.filter(user=user).values_list("contribution_id", flat=True)),
        "inscriptions_ateliers": [
            {"atelier": r.workshop.title, "statut": r.status, "le": _when(r.created_at)}
            for r in Registration.objects.filter(user=user).select_related("workshop")
        ],
    }


def _hide_reasons(kind: str, targets: list) -> dict:
    """The public reason of each hidden target's latest hiding, never the moderators' note."""
    hidden = [t.pk for t in targets if t.visibility == "hidden"]
    decisions = ModerationDecision.objects.filter(
        target_kind=kind, target_id__in=hidden, action__in=HIDING
    ).order_by("created_at", "id")
    return {(kind, d.target_id): d.get_reason_display() for d in decisions}


def _report(report: Report) -> dict:
    kind = next(k for k in ("contribution", "comment", "statement") if getattr(report, f"{k}_id"))
    return {
        "contenu": {"type": kind, "id": getattr(report, f"{kind}_id")},
        "motif": report.reason,
        "precisions": report.details,
        "le": _when(report.created_at),
        "traite_le": _when(report.resolved_at),
    }


def _live_participation(participant: Participant) -> dict:
    session = participant.session
    cards = Card.objects.filter(author=participant).select_related("board", "column")
    dots = (
        DotVote.objects.filter(participant=participant)
        .values("card_id", "card__text")
        .annotate(n=Count("id"))
        .order_by("card_id")
    )
    return {
        "session": session.title,
        "atelier": session.workshop.title,
        "pseudonyme": participant.nickname,
        "adresse_laissee": participant.email,
        "role": participant.role,
        "avec_le_compte": participant.user_id is not None,
        "arrive_le": _when(participant.joined_at),
        "cartes": [
            {
                "table": card.board.name,
                "colonne": card.column.title,
                "texte": card.text,
                "creee_le": _when(card.created_at),
                "modifiee_le": _when(card.updated_at),
                "supprimee": card.deleted,
                "masquee": card.hidden,
            }
            for card in cards
        ],
        "gommettes": [
            {"carte": row["card_id"], "texte": row["card__text"], "nombre": row["n"]}
            for row in dots
        ],
    }
