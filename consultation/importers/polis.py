"""Import and export of Pol.is conversations (the CSV export of pol.is: comments.csv,
votes.csv, participants-votes.csv; comma separator, UTF-8).

Rules:

* Each comment becomes a statement of the campaign, found again on re-import by its
  `external_ref` ("polis:comment:12"). Pol.is's `moderated` column maps to visibility: 1
  published, 0 awaiting moderation, -1 hidden (moderated out, kept, and zeroed in the opinion
  groups as Pol.is does). A comment longer than a statement may be (280 characters) is
  shortened at a word boundary with "…" and listed in the report, rather than refusing a real
  export (the Seattle $15 conversation has one of 310).
* Pol.is participants exist here only as placeholder accounts, one per participant id and
  campaign: inactive, no password, an address under the reserved .invalid domain, named
  "Participant·e Pol.is n°12". Nothing personal is in a Pol.is export and nothing is invented.
* votes.csv is the history of votes: a participant who changed their mind has several rows
  for one comment. The latest (by timestamp) is the vote, as in Pol.is's own matrix
  (participants-votes.csv). Pol.is's comments.csv counts every row of the history, so its
  agrees/disagrees exceed the imported counts by exactly the superseded votes; the report
  says how many. Two rows for the same participant, comment and timestamp with different
  votes cannot be ordered: refused. The same row twice (the Scoop export has one) is counted
  once and reported.
* Everything is read and checked first; then written in one transaction, or not at all.
"""

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from consultation.importers.csvfiles import ExportError, Row, read_rows
from consultation.models import Campaign, Statement, StatementVote, User
from consultation.models.contributions import Visibility
from consultation.models.statements import STATEMENT_MAX_LENGTH
from consultation.text import clean_plain_text

COMMENTS_FILE = "comments.csv"
VOTES_FILE = "votes.csv"
PARTICIPANTS_FILE = "participants-votes.csv"
SUMMARY_FILE = "summary.csv"
COMMENT_COLUMNS = ["timestamp", "comment-id", "author-id", "moderated", "comment-body"]
VOTE_COLUMNS = ["timestamp", "comment-id", "voter-id", "vote"]

VISIBILITY = {1: Visibility.PUBLISHED, 0: Visibility.PENDING, -1: Visibility.HIDDEN}
MODERATED = {value: key for key, value in VISIBILITY.items()}
PLACEHOLDER_NAME = "Participant·e Pol.is n°{}"
PLACEHOLDER_EMAIL = "polis-{campaign}-{pid}@import.invalid"
REF_PREFIX = "polis:comment:"


# --- Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    polis_id: int
    author_id: int | None
    text: str
    shortened: bool
    visibility: str
    created_at: datetime


@dataclass(frozen=True)
class Vote:
    comment_id: int
    voter_id: int
    choice: int
    at: datetime


@dataclass
class PolisExport:
    comments: list[Comment]
    votes: list[Vote]  # latest per (voter, comment)
    superseded: int = 0
    repeated_rows: int = 0


def _read(path: Path, required: list[str]) -> list[Row]:
    if not path.is_file():
        raise ExportError(f"Fichier {path.name} : absent du dossier {path.parent}.")
    try:
        return read_rows(path, required, delimiter=",")
    except ExportError as exc:
        # The shared reader names the semicolon of Decidim exports; Pol.is uses commas.
        raise ExportError(str(exc).replace("« ; »", "« , »")) from None


def _moment(row: Row) -> datetime:
    milliseconds = row.integer("timestamp")
    if milliseconds < 0:
        raise row.fail(f"horodatage négatif ({milliseconds}).")
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


def _choice(row: Row, column: str) -> int:
    value = row.integer(column)
    if value not in (-1, 0, 1):
        raise row.fail(f"valeur « {value} » inconnue dans « {column} » (attendu : 1, 0 ou -1).")
    return value


def _shorten(text: str) -> str:
    cut = text[: STATEMENT_MAX_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def _read_comments(path: Path) -> list[Comment]:
    seen: dict[int, int] = {}
    comments = []
    for row in _read(path, COMMENT_COLUMNS):
        polis_id = row.integer("comment-id")
        if polis_id in seen:
            raise row.fail(f"le commentaire {polis_id} apparaît déjà ligne {seen[polis_id]}.")
        seen[polis_id] = row.line
        text = clean_plain_text(row["comment-body"]).strip()
        if not text:
            raise row.fail(f"le commentaire {polis_id} est vide.")
        shortened = len(text) > STATEMENT_MAX_LENGTH
        comments.append(
            Comment(
                polis_id=polis_id,
                author_id=row.optional_integer("author-id"),
                text=_shorten(text) if shortened else text,
                shortened=shortened,
                visibility=VISIBILITY[_choice(row, "moderated")],
                created_at=_moment(row),
            )
        )
    return comments


def _read_votes(path: Path, comment_ids: set[int]) -> PolisExport:
    latest: dict[tuple[int, int], tuple[Vote, Row]] = {}
    export = PolisExport(comments=[], votes=[])
    for row in _read(path, VOTE_COLUMNS):
        vote = Vote(
            row.integer("comment-id"), row.integer("voter-id"), _choice(row, "vote"), _moment(row)
        )
        if vote.comment_id not in comment_ids:
            raise row.fail(f"le commentaire {vote.comment_id} n'existe pas dans {COMMENTS_FILE}.")
        key = (vote.voter_id, vote.comment_id)
        previous = latest.get(key)
        if previous is None or vote.at > previous[0].at:
            latest[key] = (vote, row)
        elif vote.at == previous[0].at:
            if vote.choice != previous[0].choice:
                raise row.fail(
                    f"le participant {vote.voter_id} a deux votes différents sur le commentaire "
                    f"{vote.comment_id} au même instant (voir ligne {previous[1].line}) : "
                    "impossible de savoir lequel compte."
                )
            export.repeated_rows += 1
            continue
        if previous is not None:
            export.superseded += 1
    export.votes = [vote for vote, _row in latest.values()]
    return export


def read_polis_export(directory: Path) -> PolisExport:
    """Read and check comments.csv and votes.csv; raise ExportError on the first defect."""
    if not directory.is_dir():
        raise ExportError(f"Le dossier {directory} n'existe pas.")
    comments = _read_comments(directory / COMMENTS_FILE)
    export = _read_votes(directory / VOTES_FILE, {c.polis_id for c in comments})
    export.comments = comments
    return export


# --- Writing ------------------------------------------------------------------------------


@dataclass
class ImportReport:
    statements_created: int = 0
    statements_updated: int = 0
    hidden: int = 0
    pending: int = 0
    shortened: list[int] = field(default_factory=list)
    votes: int = 0
    superseded: int = 0
    repeated_rows: int = 0
    placeholders_created: int = 0
    participants: int = 0


def _placeholders(campaign: Campaign, pids: set[int]) -> tuple[dict[int, User], int]:
    emails = {PLACEHOLDER_EMAIL.format(campaign=campaign.pk, pid=pid): pid for pid in pids}
    found = {u.email: u for u in User.objects.filter(email__in=list(emails))}
    missing = []
    for email, pid in emails.items():
        if email not in found:
            user = User(email=email, display_name=PLACEHOLDER_NAME.format(pid), is_active=False)
            user.set_unusable_password()
            missing.append(user)
    User.objects.bulk_create(missing, batch_size=1000)
    users = {u.email: u for u in User.objects.filter(email__in=list(emails))}
    return {pid: users[email] for email, pid in emails.items()}, len(missing)


def _write_statements(campaign, comments, authors, report) -> dict[int, Statement]:
    existing = {
        s.external_ref: s
        for s in Statement.objects.filter(campaign=campaign, external_ref__startswith=REF_PREFIX)
    }
    to_create, to_update = [], []
    for comment in comments:
        statement = existing.get(f"{REF_PREFIX}{comment.polis_id}") or Statement(
            campaign=campaign, external_ref=f"{REF_PREFIX}{comment.polis_id}"
        )
        statement.text = comment.text
        statement.visibility = comment.visibility
        statement.author = authors.get(comment.author_id)
        statement.created_at = comment.created_at
        (to_update if statement.pk else to_create).append(statement)
        report.hidden += comment.visibility == Visibility.HIDDEN
        report.pending += comment.visibility == Visibility.PENDING
        if comment.shortened:
            report.shortened.append(comment.polis_id)
    Statement.objects.bulk_create(to_create, batch_size=500)
    # bulk_create stamps auto_now_add fields with "now"; the debate's dates are put back.
    created = Statement.objects.filter(campaign=campaign, external_ref__startswith=REF_PREFIX)
    by_ref = {s.external_ref: s for s in created}
    dates = {f"{REF_PREFIX}{c.polis_id}": c.created_at for c in comments}
    for ref, statement in by_ref.items():
        if ref in dates:
            statement.created_at = dates[ref]
    fields = ["text", "visibility", "author", "created_at"]
    for statement in to_update:
        by_ref[statement.external_ref] = statement
    Statement.objects.bulk_update(list(by_ref.values()), fields, batch_size=500)
    report.statements_created, report.statements_updated = len(to_create), len(to_update)
    return {int(ref.removeprefix(REF_PREFIX)): s for ref, s in by_ref.items()}


def _write_votes(statements, users, votes) -> None:
    """Insert the missing vote rows, then set every imported vote's choice and dates.

    The dates go through a plain UPDATE: the ORM's insert stamps `auto_now` fields with
    "now", and bulk_update's CASE expressions take tens of seconds at 17,000 rows on SQLite.
    """
    statement_ids = [s.pk for s in statements.values()]
    existing = set(
        StatementVote.objects.filter(
            statement_id__in=statement_ids, user__in=list(users.values())
        ).values_list("statement_id", "user_id")
    )
    keys = [(statements[v.comment_id].pk, users[v.voter_id].pk) for v in votes]
    StatementVote.objects.bulk_create(
        [
            StatementVote(statement_id=statement_id, user_id=user_id, choice=vote.choice)
            for (statement_id, user_id), vote in zip(keys, votes, strict=True)
            if (statement_id, user_id) not in existing
        ],
        batch_size=1000,
    )
    table = connection.ops.quote_name(StatementVote._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET choice = %s, created_at = %s, updated_at = %s "  # noqa: S608
            "WHERE statement_id = %s AND user_id = %s",
            [
                (vote.choice, adapt(vote.at), adapt(vote.at), statement_id, user_id)
                for (statement_id, user_id), vote in zip(keys, votes, strict=True)
            ],
        )


def import_polis_export(campaign: Campaign, directory: Path, *, dry_run: bool = False):
    """Import the Pol.is export in `directory` into `campaign`, all or nothing.

    Raises ExportError (nothing written) when a file is malformed. With `dry_run`, everything
    is written then rolled back, so the report says exactly what a real import would do.
    """
    export = read_polis_export(directory)
    report = ImportReport(
        votes=len(export.votes), superseded=export.superseded, repeated_rows=export.repeated_rows
    )
    pids = {v.voter_id for v in export.votes} | {
        c.author_id for c in export.comments if c.author_id is not None
    }
    with transaction.atomic():
        users, report.placeholders_created = _placeholders(campaign, pids)
        report.participants = len(users)
        statements = _write_statements(campaign, export.comments, users, report)
        _write_votes(statements, users, export.votes)
        if dry_run:
            transaction.set_rollback(True)
    return report


# --- Export -------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"^polis-(\d+)-(\d+)@import\.invalid$")


def _millis(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _polis_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def _numbering(keys, known: dict) -> dict:
    """Pol.is ids: the ones an import gave, then new ones after the largest, in key order."""
    ids = dict(known)
    following = max(ids.values(), default=-1) + 1
    for key in sorted(keys):
        if key not in ids:
            ids[key] = following
            following += 1
    return ids


def _participant_ids(campaign: Campaign, user_ids: set[int]) -> dict[int, int]:
    known = {}
    for pk, email in User.objects.filter(pk__in=user_ids).values_list("pk", "email"):
        match = _PLACEHOLDER.match(email or "")
        if match and int(match.group(1)) == campaign.pk:
            known[pk] = int(match.group(2))
    return _numbering(user_ids, known)


def export_polis(campaign: Campaign, directory: Path, groups: dict[int, int]) -> dict[str, int]:
    """Write comments.csv, votes.csv, participants-votes.csv and summary.csv of `campaign` in
    `directory`.

    `groups` maps account ids to opinion group numbers (participants-votes.csv's group-id).
    Accounts are written as numbers only: no name, no address.
    """
    statements = list(Statement.objects.filter(campaign=campaign).with_vote_counts().order_by("pk"))
    known = {
        s.pk: int(s.external_ref.removeprefix(REF_PREFIX))
        for s in statements
        if s.external_ref.startswith(REF_PREFIX)
    }
    comment_ids = _numbering([s.pk for s in statements], known)
    votes = list(
        StatementVote.objects.filter(statement__campaign=campaign)
        .order_by("statement_id", "updated_at", "pk")
        .values_list("statement_id", "user_id", "choice", "updated_at")
    )
    authors = {s.author_id for s in statements if s.author_id}
    pids = _participant_ids(campaign, {v[1] for v in votes} | authors)
    directory.mkdir(parents=True, exist_ok=True)
    _write_comments(directory / COMMENTS_FILE, statements, comment_ids, pids)
    _write_votes_file(directory / VOTES_FILE, votes, comment_ids, pids)
    _write_participants(directory / PARTICIPANTS_FILE, statements, votes, comment_ids, pids, groups)
    _write_summary(directory / SUMMARY_FILE, campaign, statements, votes, groups)
    return {"comments": len(statements), "votes": len(votes), "participants": len(pids)}


def _write_summary(path, campaign, statements, votes, groups) -> None:
    """Pol.is's key-value summary. `views` stays empty: page views are not recorded here."""
    url = settings.SITE_URL.rstrip("/") + reverse("frontend:campaign", args=[campaign.slug])
    rows = [
        ("topic", campaign.title),
        ("url", url),
        ("views", ""),
        ("voters", len({user_id for _, user_id, *_ in votes})),
        ("voters-in-conv", len(groups)),
        ("commenters", len({s.author_id for s in statements if s.author_id})),
        ("comments", len(statements)),
        ("groups", len(set(groups.values()))),
        ("conversation-description", campaign.summary),
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _write_comments(path, statements, comment_ids, pids) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "timestamp",
                "datetime",
                "comment-id",
                "author-id",
                "agrees",
                "disagrees",
                "moderated",
                "comment-body",
            ]
        )
        for s in sorted(statements, key=lambda s: -comment_ids[s.pk]):
            writer.writerow(
                [
                    _millis(s.created_at),
                    _polis_date(s.created_at),
                    comment_ids[s.pk],
                    pids.get(s.author_id, ""),
                    s.agree_count,
                    s.disagree_count,
                    MODERATED[s.visibility],
                    s.text,
                ]
            )


def _write_votes_file(path, votes, comment_ids, pids) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        for statement_id, user_id, choice, at in votes:
            writer.writerow(
                [_millis(at), _polis_date(at), comment_ids[statement_id], pids[user_id], choice]
            )


def _write_participants(path, statements, votes, comment_ids, pids, groups) -> None:
    columns = sorted(comment_ids[s.pk] for s in statements)
    position = {cid: i for i, cid in enumerate(columns)}
    cells: dict[int, list] = {pk: [""] * len(columns) for pk in {v[1] for v in votes}}
    for statement_id, user_id, choice, _at in votes:
        cells[user_id][position[comment_ids[statement_id]]] = choice
    authored = Counter(s.author_id for s in statements if s.author_id)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree", *columns]
        )
        for user_id in sorted(cells, key=pids.__getitem__):
            row = cells[user_id]
            writer.writerow(
                [
                    pids[user_id],
                    groups.get(user_id, ""),
                    authored.get(user_id, 0),
                    sum(v != "" for v in row),
                    row.count(1),
                    row.count(-1),
                    *row,
                ]
            )
