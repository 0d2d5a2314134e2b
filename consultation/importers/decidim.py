"""Import of a Decidim open-data export (proposals, debates, their comments and supports).

Rules, decided on the export of the Métropole Européenne de Lille's "Grand débat" (2019):

* Proposals become contributions of kind "proposal", debates of kind "debate"; each keeps its
  Decidim id in `external_ref` ("decidim:proposal:457", "decidim:debate:30"), its date, and is
  signed with `author_label` (the export names no author). A re-import finds the same rows by
  `external_ref` and only rewrites what changed.
* Category -> theme of the campaign, created when missing. MEL debates carry their category as
  the whole description ("<p><strong>Transition écologique</strong></p>"): a short one-line
  description is read as the category; a longer one is kept below the question.
* HTML is turned into plain text (paragraphs and line breaks kept, tags dropped, entities
  decoded): residents' texts are plain text everywhere else on the platform.
* Supports: the export gives a count per proposal ("votes"), not the supporters. A support is a
  row (person, proposal) guarded by a unique constraint, and every count on the platform is a
  count of rows, so the import creates, per campaign, inactive placeholder accounts ("Soutien
  importé de Decidim n°1", ...; no password, an address under the reserved .invalid domain, so
  they can neither log in nor receive mail) and gives proposal N supports from placeholders 1..N.
  Counts shown everywhere then equal Decidim's, without a second counting path to keep in
  step, and supports added later by real residents add up naturally.
* Threading: for a reply, Decidim exports `commentable_type` "Decidim::Comments::Comment" and the
  parent comment's id in `commentable_id`; the parent is taken from there and the `depth`
  column is checked against it (parent depth + 1). Rebuilding parents from depth and file order
  alone ("the nearest earlier comment one level up") gives the wrong parent for 99 of the 148
  replies of the MEL export, because replies are listed by id, interleaved with other threads.
* Comments whose thread does not start at a proposal or debate of this export are not imported
  and are listed in the report (count, ids, the site they point to): the MEL export ships a
  comment file whose 44 comments all belong to another platform (participez.nancy.fr). A skip,
  not an error: refusing the whole export would make such real exports unimportable, and the
  skipped ids are printed so nothing disappears silently. The match uses the comment's
  `root_commentable_url` against the proposal's `url` (ids alone collide across platforms: 19
  of those Nancy comments carry an id that also exists in the MEL proposals).
* Everything is read and checked before anything is written, and written in one transaction.
* Rows are written here rather than through `submit_contribution` / `post_comment`: those
  actions apply the rules of live participation (open phase, rate limits, the author's own
  account, "now" as the date), none of which fits records of a debate that ended elsewhere.
  This module is the one place that writes imported records, staff-run and all-or-nothing.
"""

import html
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.text import slugify

from consultation.importers.csvfiles import ExportError, Row, read_rows
from consultation.models import Campaign, Comment, Contribution, Support, Theme, User
from consultation.models.contributions import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Provenance,
    Visibility,
)
from consultation.text import clean_plain_text

PROPOSALS_FILE = "propositions-libres.csv"
PROPOSAL_COMMENTS_FILE = "commentaires_propositions_libres.csv"
DEBATES_FILE = "debats.csv"
DEBATE_COMMENTS_FILE = "commentaires_debats.csv"

PROPOSAL_COLUMNS = ["id", "category/name/fr", "title", "body", "votes", "created_at", "url"]
DEBATE_COLUMNS = ["id", "title/fr", "description/fr", "created_at", "url"]
COMMENT_COLUMNS = [
    "id",
    "created_at",
    "body",
    "author/name",
    "alignment",
    "depth",
    "commentable_id",
    "commentable_type",
    "root_commentable_url",
]
REPLY_TYPE = "Decidim::Comments::Comment"
ITEM_TYPES = {"Decidim::Proposals::Proposal": "proposal", "Decidim::Debates::Debate": "debate"}

IMPORTED_SIGNATURE = "Participant·e du débat Decidim"
ANONYMOUS_COMMENTER = "Participant·e anonyme (Decidim)"
PLACEHOLDER_NAME = "Soutien importé de Decidim n°{}"


# --- HTML to plain text -------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "ul", "ol"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0  # inside <script> or <style>: their content is not text

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Plain text of a Decidim body: tags dropped, paragraphs kept, entities decoded."""
    if "<" not in value:
        text = html.unescape(value)
    else:
        extractor = _TextExtractor()
        extractor.feed(value)
        extractor.close()
        text = "".join(extractor.parts)
    text = text.replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return clean_plain_text(text)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def _url_key(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    return f"{parts.netloc.lower()}{parts.path}" if parts.netloc else url


# --- Reading ------------------------------------------------------------------------------


@dataclass
class Item:
    kind: str
    decidim_id: int
    title: str
    body: str
    theme_name: str
    created_at: datetime
    url: str
    supports: int | None

    @property
    def external_ref(self) -> str:
        return f"decidim:{self.kind}:{self.decidim_id}"


@dataclass
class ExportedComment:
    decidim_id: int
    row: Row
    created_at: datetime
    body: str
    author_label: str
    alignment: int
    depth: int
    commentable_type: str
    commentable_id: int
    root_url: str

    @property
    def external_ref(self) -> str:
        return f"decidim:comment:{self.decidim_id}"


def _check_unique(rows: list[Row], column: str = "id") -> None:
    seen: dict[int, int] = {}
    for row in rows:
        value = row.integer(column)
        if value in seen:
            raise row.fail(f"l'identifiant {value} apparaît déjà ligne {seen[value]}.")
        seen[value] = row.line


def _title_and_body(row: Row, raw_title: str, raw_body: str) -> tuple[str, str]:
    title = html_to_text(raw_title)
    body = html_to_text(raw_body)
    if not title:
        raise row.fail("le titre est vide.")
    if len(title) > TITLE_MAX_LENGTH:
        # Keep the whole wording: the full title opens the body.
        body = f"{title}\n\n{body}".strip()
        title = _shorten(title, TITLE_MAX_LENGTH)
    if not body:
        body = title
    if len(body) > BODY_MAX_LENGTH:
        raise row.fail(
            f"le texte dépasse {BODY_MAX_LENGTH} caractères ({len(body)}) : il ne peut pas être "
            "importé sans être coupé."
        )
    return title, body


def _read_proposals(path: Path) -> list[Item]:
    rows = read_rows(path, PROPOSAL_COLUMNS)
    _check_unique(rows)
    items = []
    for row in rows:
        title, body = _title_and_body(row, row["title"], row["body"])
        supports = row.integer("votes")
        if supports < 0:
            raise row.fail(f"le nombre de soutiens ne peut pas être négatif ({supports}).")
        items.append(
            Item(
                kind=Contribution.Kind.PROPOSAL,
                decidim_id=row.integer("id"),
                title=title,
                body=body,
                theme_name=html_to_text(row["category/name/fr"]),
                created_at=row.timestamp("created_at"),
                url=row["url"],
                supports=supports,
            )
        )
    return items


def _read_debates(path: Path) -> list[Item]:
    rows = read_rows(path, DEBATE_COLUMNS)
    _check_unique(rows)
    items = []
    for row in rows:
        description = html_to_text(row["description/fr"])
        theme_name = html_to_text(row.values.get("category/name/fr", ""))
        if not theme_name and description and "\n" not in description and len(description) <= 80:
            theme_name, description = description, ""
        title, body = _title_and_body(row, row["title/fr"], description)
        items.append(
            Item(
                kind=Contribution.Kind.DEBATE,
                decidim_id=row.integer("id"),
                title=title,
                body=body,
                theme_name=theme_name,
                created_at=row.timestamp("created_at"),
                url=row["url"],
                supports=None,
            )
        )
    return items


def _read_comments(path: Path) -> list[ExportedComment]:
    rows = read_rows(path, COMMENT_COLUMNS)
    _check_unique(rows)
    comments = []
    for row in rows:
        alignment = row.integer("alignment")
        if alignment not in (-1, 0, 1):
            raise row.fail(f"position « {alignment} » inconnue (attendu : 1, 0 ou -1).")
        depth = row.integer("depth")
        if depth < 0:
            raise row.fail(f"profondeur négative ({depth}).")
        body = html_to_text(row["body"])
        if not body:
            raise row.fail("le commentaire est vide.")
        if len(body) > COMMENT_MAX_LENGTH:
            raise row.fail(f"le commentaire dépasse {COMMENT_MAX_LENGTH} caractères ({len(body)}).")
        comments.append(
            ExportedComment(
                decidim_id=row.integer("id"),
                row=row,
                created_at=row.timestamp("created_at"),
                body=body,
                # A comment posted on behalf of a group (association, collective) is signed by it.
                author_label=(
                    row.values.get("user_group/name/fr", "").strip()
                    or row["author/name"].strip()
                    or ANONYMOUS_COMMENTER
                )[:120],
                alignment=alignment,
                depth=depth,
                commentable_type=row["commentable_type"].strip(),
                commentable_id=row.integer("commentable_id"),
                root_url=row["root_commentable_url"],
            )
        )
    return comments


@dataclass
class Export:
    items: list[Item] = field(default_factory=list)
    comments: list[ExportedComment] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)


def read_export(directory: Path) -> Export:
    """Read and check every known file of the export; raise ExportError on the first defect."""
    if not directory.is_dir():
        raise ExportError(f"Le dossier {directory} n'existe pas.")
    export = Export()
    readers = [
        (PROPOSALS_FILE, _read_proposals, "items"),
        (DEBATES_FILE, _read_debates, "items"),
        (PROPOSAL_COMMENTS_FILE, _read_comments, "comments"),
        (DEBATE_COMMENTS_FILE, _read_comments, "comments"),
    ]
    for filename, reader, target in readers:
        path = directory / filename
        if not path.is_file():
            export.missing_files.append(filename)
            continue
        getattr(export, target).extend(reader(path))
        export.files.append(filename)
    if not export.files:
        raise ExportError(
            f"Le dossier {directory} ne contient aucun fichier d'export Decidim attendu "
            f"({PROPOSALS_FILE}, {DEBATES_FILE}, {PROPOSAL_COMMENTS_FILE}, "
            f"{DEBATE_COMMENTS_FILE})."
        )
    return export


def _check_unique_comment_ids(threads) -> None:
    """Comment ids are unique within a file (checked on reading); two files may reuse an id
    only if one of them is skipped (the MEL export's proposal comments come from Nancy)."""
    seen: dict[int, ExportedComment] = {}
    for comment, _item, _parent in threads:
        other = seen.get(comment.decidim_id)
        if other is not None:
            raise comment.row.fail(
                f"le commentaire {comment.decidim_id} figure déjà dans {other.row.filename}, "
                f"ligne {other.row.line}."
            )
        seen[comment.decidim_id] = comment


# --- Threading ----------------------------------------------------------------------------


@dataclass
class Skipped:
    filename: str
    decidim_id: int
    reason: str
    site: str


def _resolve_threads(
    export: Export,
) -> tuple[list[tuple[ExportedComment, Item, ExportedComment | None]], list[Skipped]]:
    """Each importable comment with its proposal or debate and its parent, parents first."""
    by_url = {_url_key(item.url): item for item in export.items if item.url.strip()}
    by_id = {(item.kind, item.decidim_id): item for item in export.items}
    # Replies point to a parent of the same file: ids are only unique within one export.
    comments = {(c.row.filename, c.decidim_id): c for c in export.comments}
    resolved: dict[tuple, tuple[Item, ExportedComment | None, int] | None] = {}
    reasons: dict[tuple, str] = {}

    def resolve(comment: ExportedComment, chain: tuple[int, ...] = ()):
        key = (comment.row.filename, comment.decidim_id)
        if key in resolved:
            return resolved[key]
        if key in chain:
            raise comment.row.fail("les réponses forment une boucle.")
        result = None
        if comment.commentable_type == REPLY_TYPE:
            parent = comments.get((comment.row.filename, comment.commentable_id))
            if parent is None:
                reasons[key] = "commentaire parent absent de l'export"
            else:
                parent_result = resolve(parent, (*chain, key))
                if parent_result is None:
                    reasons[key] = "fil de discussion absent de l'export"
                else:
                    if comment.depth != parent.depth + 1:
                        raise comment.row.fail(
                            f"profondeur {comment.depth} incohérente : le commentaire parent "
                            f"{parent.decidim_id} est de profondeur {parent.depth}."
                        )
                    result = (parent_result[0], parent, parent_result[2] + 1)
        elif comment.commentable_type in ITEM_TYPES:
            kind = ITEM_TYPES[comment.commentable_type]
            root_key = _url_key(comment.root_url)
            item = by_url.get(root_key) if comment.root_url.strip() else None
            if item is None and not comment.root_url.strip():
                item = by_id.get((kind, comment.commentable_id))
            if item is None or (item.kind, item.decidim_id) != (kind, comment.commentable_id):
                reasons[key] = "contribution commentée absente de l'export"
            else:
                result = (item, None, 0)
        else:
            reasons[key] = f"type commenté non pris en charge ({comment.commentable_type})"
        resolved[key] = result
        return result

    threads, skipped = [], []
    for comment in export.comments:
        result = resolve(comment)
        if result is None:
            site = urlsplit(comment.root_url.strip()).netloc or "site inconnu"
            reason = reasons[(comment.row.filename, comment.decidim_id)]
            skipped.append(Skipped(comment.row.filename, comment.decidim_id, reason, site))
        else:
            threads.append((result[2], comment, result[0], result[1]))
    threads.sort(key=lambda entry: entry[0])  # stable: parents before replies, file order kept
    ordered = [(comment, item, parent) for _depth, comment, item, parent in threads]
    _check_unique_comment_ids(ordered)
    return ordered, skipped


# --- Writing ------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    themes_created: list[str] = field(default_factory=list)
    supports_total: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)

    def count(self, bucket: str, what: str) -> None:
        counter = getattr(self, bucket)
        counter[what] = counter.get(what, 0) + 1

    @property
    def changed_anything(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))


class _Writer:
    def __init__(self, campaign: Campaign, report: ImportReport):
        self.campaign = campaign
        self.report = report
        self.themes = {theme.slug: theme for theme in campaign.themes.all()}
        self.contributions = {
            c.external_ref: c
            for c in campaign.contributions.filter(external_ref__startswith="decidim:")
        }
        self.comments = {
            c.external_ref: c
            for c in Comment.objects.filter(
                contribution__campaign=campaign, external_ref__startswith="decidim:"
            )
        }

    def theme(self, name: str) -> Theme | None:
        if not name:
            return None
        slug = slugify(name)[:80] or "theme"
        theme = self.themes.get(slug)
        if theme is None:
            theme = Theme.objects.create(
                campaign=self.campaign, name=name[:120], slug=slug, position=len(self.themes) + 1
            )
            self.themes[slug] = theme
            self.report.themes_created.append(name)
        return theme

    def _upsert(self, model, existing, values: dict, created_at: datetime, what: str):
        if existing is None:
            row = model.objects.create(**values)
            # auto_now_add stamps "now" on create; the Decidim date is the true one.
            model.objects.filter(pk=row.pk).update(created_at=created_at)
            row.created_at = created_at
            self.report.count("created", what)
            return row
        values = {**values, "created_at": created_at}
        changed = [name for name, value in values.items() if getattr(existing, name) != value]
        if changed:
            model.objects.filter(pk=existing.pk).update(**{n: values[n] for n in changed})
            for name in changed:
                setattr(existing, name, values[name])
            self.report.count("updated", what)
        else:
            self.report.count("unchanged", what)
        return existing

    def item(self, item: Item) -> Contribution:
        values = {
            "campaign": self.campaign,
            "kind": item.kind,
            "title": item.title,
            "body": item.body,
            "theme": self.theme(item.theme_name),
            "author_label": IMPORTED_SIGNATURE,
            "provenance": Provenance.IMPORT,
            "visibility": Visibility.PUBLISHED,
            "external_ref": item.external_ref,
        }
        existing = self.contributions.get(item.external_ref)
        what = "propositions" if item.kind == Contribution.Kind.PROPOSAL else "débats"
        row = self._upsert(Contribution, existing, values, item.created_at, what)
        self.contributions[item.external_ref] = row
        return row

    def comment(self, comment: ExportedComment, item: Item, parent: ExportedComment | None):
        values = {
            "contribution": self.contributions[item.external_ref],
            "parent": self.comments[parent.external_ref] if parent else None,
            "author_label": comment.author_label,
            "body": comment.body,
            "alignment": comment.alignment,
            "visibility": Visibility.PUBLISHED,
            "external_ref": comment.external_ref,
        }
        existing = self.comments.get(comment.external_ref)
        self.comments[comment.external_ref] = self._upsert(
            Comment, existing, values, comment.created_at, "commentaires"
        )

    def supports(self, items: list[Item]) -> None:
        """Give each imported proposal exactly its Decidim count of placeholder supports."""
        wanted = {
            self.contributions[item.external_ref].pk: item.supports
            for item in items
            if item.supports is not None
        }
        placeholders = self._placeholders(max(wanted.values(), default=0))
        rank = {user.pk: index for index, user in enumerate(placeholders)}
        existing: dict[int, set[int]] = {}
        for contribution_id, user_id in Support.objects.filter(
            contribution_id__in=wanted, user__in=placeholders
        ).values_list("contribution_id", "user_id"):
            existing.setdefault(contribution_id, set()).add(rank[user_id])
        to_create, to_delete = [], []
        for contribution_id, count in wanted.items():
            have = existing.get(contribution_id, set())
            to_create += [
                Support(contribution_id=contribution_id, user=placeholders[i])
                for i in range(count)
                if i not in have
            ]
            to_delete += [(contribution_id, placeholders[i].pk) for i in have if i >= count]
        Support.objects.bulk_create(to_create)
        for contribution_id, user_id in to_delete:
            Support.objects.filter(contribution_id=contribution_id, user_id=user_id).delete()
        if to_create or to_delete:
            self.report.updated["soutiens"] = len(to_create) + len(to_delete)
        self.report.supports_total = sum(wanted.values())

    def _placeholders(self, count: int) -> list[User]:
        users = []
        for index in range(1, count + 1):
            email = f"soutien-decidim-{self.campaign.pk}-{index}@import.invalid"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(
                    email=email, display_name=PLACEHOLDER_NAME.format(index), is_active=False
                )
                user.set_unusable_password()
                user.save()
            users.append(user)
        return users


def import_decidim_export(campaign: Campaign, directory: Path, *, dry_run: bool = False):
    """Import the export found in `directory` into `campaign`, all or nothing.

    Raises ExportError (nothing written) when a file is malformed. With `dry_run`, everything is
    written then rolled back, so the report says exactly what a real import would do.
    """
    export = read_export(directory)
    threads, skipped = _resolve_threads(export)
    report = ImportReport(skipped=skipped, files=export.files, missing_files=export.missing_files)
    with transaction.atomic():
        writer = _Writer(campaign, report)
        for item in export.items:
            writer.item(item)
        for comment, item, parent in threads:
            writer.comment(comment, item, parent)
        writer.supports(export.items)
        if dry_run:
            transaction.set_rollback(True)
    return report
