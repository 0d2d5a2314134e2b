"""Synthesis text: its small format, its citations, and its rendering to safe HTML.

The format is plain text a moderator can type anywhere:

    ## A heading
    A paragraph, which cites its sources [#123] [#c45].
    - A bullet, which cites its source [#a12].

Citations: `[#123]` a contribution, `[#c45]` a comment, `[#a12]` a statement (affirmation),
`[#k7]` a live board card (it must have been promoted to a contribution, so that residents can
follow the link). Every paragraph and every bullet must cite at least one source: a claim
without a source is refused, not published.
"""

import re
from dataclasses import dataclass

import nh3
from django.urls import reverse
from django.utils.html import escape

from consultation.errors import ActionRefused
from consultation.models import Campaign, Card, Comment, Contribution, Statement
from consultation.models.contributions import Visibility

CITATION = re.compile(r"\[#([cak]?)(\d{1,12})\]")
KINDS = {"": "contribution", "c": "comment", "a": "statement", "k": "card"}
KIND_LABELS = {
    "contribution": "la contribution",
    "comment": "le commentaire",
    "statement": "l'affirmation",
    "card": "la carte",
}


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "paragraph" or "bullet"
    text: str
    line: int


def blocks_of(body: str) -> list[Block]:
    """Headings, paragraphs (consecutive lines) and bullets, with the line each starts on."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    start = 0

    def flush():
        if paragraph:
            blocks.append(Block("paragraph", " ".join(paragraph), start))
            paragraph.clear()

    for number, raw in enumerate(body.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            flush()
            blocks.append(Block("heading", line.lstrip("#").strip(), number))
        elif line[:2] in ("- ", "* "):
            flush()
            blocks.append(Block("bullet", line[2:].strip(), number))
        else:
            if not paragraph:
                start = number
            paragraph.append(line)
    flush()
    return blocks


@dataclass(frozen=True)
class Source:
    kind: str
    id: int
    url: str

    @property
    def ref(self) -> str:
        prefix = {v: k for k, v in KINDS.items()}[self.kind]
        return f"#{prefix}{self.id}"


def _resolve(campaign: Campaign, kind: str, pk: int) -> Source | None:
    slug = campaign.slug
    if kind == "contribution":
        row = Contribution.objects.filter(
            pk=pk, campaign=campaign, visibility=Visibility.PUBLISHED
        ).first()
        return row and Source(kind, pk, row.get_absolute_url())
    if kind == "comment":
        row = (
            Comment.objects.filter(
                pk=pk,
                contribution__campaign=campaign,
                visibility=Visibility.PUBLISHED,
                contribution__visibility=Visibility.PUBLISHED,
            )
            .select_related("contribution__campaign")
            .first()
        )
        return row and Source(kind, pk, f"{row.contribution.get_absolute_url()}#commentaire-{pk}")
    if kind == "statement":
        row = Statement.objects.filter(
            pk=pk, campaign=campaign, visibility=Visibility.PUBLISHED
        ).first()
        url = reverse("frontend:statements", kwargs={"slug": slug})
        return row and Source(kind, pk, f"{url}#affirmation-{pk}")
    row = (
        Card.objects.filter(
            pk=pk,
            board__session__workshop__campaign=campaign,
            hidden=False,
            deleted=False,
            promoted_to__visibility=Visibility.PUBLISHED,
        )
        .select_related("promoted_to__campaign")
        .first()
    )
    return row and Source(kind, pk, row.promoted_to.get_absolute_url())


def check_citations(campaign: Campaign, body: str) -> list[Source]:
    """Every source cited, each checked; raises ActionRefused naming the first problem."""
    sources: dict[tuple[str, int], Source] = {}
    for block in blocks_of(body):
        found = CITATION.findall(block.text)
        if block.kind != "heading" and not found:
            what = "Le paragraphe" if block.kind == "paragraph" else "La puce"
            raise ActionRefused(
                f"{what} de la ligne {block.line} ne cite aucune source : ajoutez une référence "
                "comme [#123] (contribution), [#c45] (commentaire), [#a12] (affirmation) ou "
                "[#k7] (carte d'atelier).",
                code="uncited",
                field="body",
            )
        for prefix, number in found:
            kind, pk = KINDS[prefix], int(number)
            if (kind, pk) in sources:
                continue
            source = _resolve(campaign, kind, pk)
            if source is None:
                raise ActionRefused(
                    f"Ligne {block.line} : {KIND_LABELS[kind]} [#{prefix}{number}] n'existe pas "
                    "dans cette campagne, n'est pas publiée ou a été masquée.",
                    code="bad_citation",
                    field="body",
                )
            sources[(kind, pk)] = source
    return list(sources.values())


def render(body: str, sources: list[dict]) -> str:
    """Safe HTML of a checked text; `sources` as stored with its version."""
    urls = {(s["kind"], s["id"]): s["url"] for s in sources}
    html: list[str] = []
    in_list = False
    for block in blocks_of(body):
        if block.kind == "bullet" and not in_list:
            html.append("<ul>")
            in_list = True
        elif block.kind != "bullet" and in_list:
            html.append("</ul>")
            in_list = False
        text = _link_citations(escape(block.text), urls)
        tag = {"heading": "h3", "paragraph": "p", "bullet": "li"}[block.kind]
        html.append(f"<{tag}>{text}</{tag}>")
    if in_list:
        html.append("</ul>")
    return nh3.clean(
        "".join(html),
        tags={"h3", "p", "ul", "li", "a"},
        attributes={"a": {"href", "class"}},
        link_rel=None,
    )


def _link_citations(escaped: str, urls: dict) -> str:
    def link(match: re.Match) -> str:
        kind, pk = KINDS[match.group(1)], int(match.group(2))
        url = urls.get((kind, pk))
        if url is None:
            return match.group(0)
        return f'<a class="citation" href="{escape(url)}">{match.group(0)}</a>'

    return CITATION.sub(link, escaped)
