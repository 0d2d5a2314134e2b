"""A campaign's open data: what was published, as CSV and JSON files described by a Data
Package (Frictionless TableSchema), under the Etalab 2.0 licence.

The same functions feed the `donnees/` pages and `manage.py export_open_data`. What goes out:
published content only (merged duplicates included, with the id they were merged into), counts
of supports and votes, the official answers. What never goes out: who wrote, supported or voted
what. A resident's signature is their public name, so it is left out; only the labels that staff
give to workshop and paper contributions ("Atelier « … »") are kept. An email address typed in a
text is masked.

CSV files follow RFC 4180 (comma, double quotes, CRLF), UTF-8 without BOM, dates in ISO 8601
(UTC). A text cell starting with = + - @ (or a tab or carriage return) is prefixed with an
apostrophe so that a spreadsheet never runs it as a formula; the JSON files keep the text as is.
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.db.models import Count, Q

from consultation.models import (
    Campaign,
    Comment,
    Contribution,
    OfficialAnswer,
    Statement,
    Theme,
    Topic,
)
from consultation.models.contributions import Provenance, Visibility

LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0 (Etalab)",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MASKED_EMAIL = "[adresse électronique masquée]"
# Signatures that staff write for contributions without an account; a resident's is personal.
PUBLIC_SIGNATURES = {Provenance.WORKSHOP, Provenance.PAPER}
ISO_DATETIME = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Field:
    """One column, as TableSchema describes it (types used: integer, string, datetime)."""

    name: str
    type: str
    description: str
    required: bool = False
    enum: tuple[str, ...] = ()

    def as_schema(self) -> dict:
        described = {"name": self.name, "type": self.type, "description": self.description}
        if self.type == "datetime":
            described["format"] = "default"  # YYYY-MM-DDThh:mm:ssZ, in UTC
        constraints = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if constraints:
            described["constraints"] = constraints
        return described


@dataclass(frozen=True)
class Resource:
    """One file of the data package: its columns and how its rows are read."""

    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    rows: Callable[[Campaign], Iterable[dict]]
    primary_key: tuple[str, ...] = ("id",)
    # (column, other resource, its column)
    foreign_keys: tuple[tuple[str, str, str], ...] = field(default=())

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def schema(self) -> dict:
        schema = {
            "fields": [f.as_schema() for f in self.fields],
            "missingValues": [""],
            "primaryKey": list(self.primary_key),
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": column, "reference": {"resource": other, "fields": other_column}}
                for column, other, other_column in self.foreign_keys
            ]
        return schema


# --- Reading the rows: one query per file, whatever the volume -----------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime(ISO_DATETIME) if moment else None


def _text(value: str | None) -> str | None:
    return EMAIL.sub(MASKED_EMAIL, value) if value else value


def _published_contributions(campaign: Campaign):
    return Contribution.objects.filter(campaign=campaign, visibility=Visibility.PUBLISHED)


def contribution_rows(campaign: Campaign) -> Iterable[dict]:
    rows = (
        _published_contributions(campaign)
        .with_counts()
        .order_by("pk")
        .values(
            "pk",
            "kind",
            "title",
            "body",
            "provenance",
            "author_label",
            "theme_id",
            "topic_id",
            "commune__insee_code",
            "commune__name",
            "commune__area__name",
            "workshop_id",
            "merged_into_id",
            "answer__status",
            "supports_count",
            "comments_count",
            "created_at",
        )
    )
    for row in rows.iterator(chunk_size=2000):
        public_signature = row["provenance"] in PUBLIC_SIGNATURES
        yield {
            "id": row["pk"],
            "type": row["kind"],
            "titre": _text(row["title"]),
            "texte": _text(row["body"]),
            "provenance": row["provenance"],
            "signature": _text(row["author_label"]) if public_signature else None,
            "theme_id": row["theme_id"],
            "theme_automatique_id": row["topic_id"],
            "commune_insee": row["commune__insee_code"],
            "commune": row["commune__name"],
            "territoire": row["commune__area__name"],
            "atelier_id": row["workshop_id"],
            "fusionnee_dans_id": row["merged_into_id"],
            "statut_reponse": row["answer__status"],
            "soutiens": row["supports_count"],
            "commentaires": row["comments_count"],
            "deposee_le": _iso(row["created_at"]),
        }


ALIGNMENTS = {
    Comment.Alignment.FOR: "pour",
    Comment.Alignment.NEUTRAL: "neutre",
    Comment.Alignment.AGAINST: "contre",
}


def comment_rows(campaign: Campaign) -> Iterable[dict]:
    rows = (
        Comment.objects.filter(
            contribution__campaign=campaign,
            contribution__visibility=Visibility.PUBLISHED,
            visibility=Visibility.PUBLISHED,
        )
        .order_by("pk")
        .values(
            "pk",
            "contribution_id",
            "parent_id",
            "parent__visibility",
            "body",
            "alignment",
            "created_at",
        )
    )
    for row in rows.iterator(chunk_size=2000):
        # A reply to a hidden comment stays, but does not point to what is not published.
        parent_shown = row["parent__visibility"] == Visibility.PUBLISHED
        yield {
            "id": row["pk"],
            "contribution_id": row["contribution_id"],
            "reponse_a_id": row["parent_id"] if parent_shown else None,
            "texte": _text(row["body"]),
            "position": ALIGNMENTS[row["alignment"]],
            "publie_le": _iso(row["created_at"]),
        }


def statement_rows(campaign: Campaign) -> Iterable[dict]:
    rows = (
        Statement.objects.filter(campaign=campaign)
        .published()
        .with_vote_counts()
        .order_by("pk")
        .values(
            "pk", "text", "theme_id", "created_at", "agree_count", "disagree_count", "pass_count"
        )
    )
    for row in rows.iterator(chunk_size=2000):
        yield {
            "id": row["pk"],
            "texte": _text(row["text"]),
            "theme_id": row["theme_id"],
            "votes_d_accord": row["agree_count"],
            "votes_pas_d_accord": row["disagree_count"],
            "votes_je_passe": row["pass_count"],
            "proposee_le": _iso(row["created_at"]),
        }


def theme_rows(campaign: Campaign) -> Iterable[dict]:
    published = Q(contributions__visibility=Visibility.PUBLISHED)
    rows = (
        Theme.objects.filter(campaign=campaign)
        .annotate(n=Count("contributions", filter=published))
        .order_by("position", "pk")
        .values("pk", "slug", "name", "description", "n")
    )
    for row in rows:
        yield {
            "id": row["pk"],
            "identifiant": row["slug"],
            "nom": row["name"],
            "description": _text(row["description"]) or None,
            "contributions": row["n"],
        }


def topic_rows(campaign: Campaign) -> Iterable[dict]:
    published = Q(contributions__visibility=Visibility.PUBLISHED)
    rows = (
        Topic.objects.filter(campaign=campaign)
        .annotate(n=Count("contributions", filter=published))
        .order_by("position", "pk")
        .values("pk", "label", "terms", "n")
    )
    for row in rows:
        yield {
            "id": row["pk"],
            "intitule": _text(row["label"]),
            "mots_caracteristiques": ", ".join(str(term) for term in row["terms"] or []) or None,
            "contributions": row["n"],
        }


def answer_rows(campaign: Campaign) -> Iterable[dict]:
    rows = (
        OfficialAnswer.objects.filter(
            contribution__campaign=campaign, contribution__visibility=Visibility.PUBLISHED
        )
        .order_by("contribution_id")
        .values("contribution_id", "status", "body", "published_at", "updated_at")
    )
    for row in rows.iterator(chunk_size=2000):
        yield {
            "contribution_id": row["contribution_id"],
            "statut": row["status"],
            "reponse": _text(row["body"]),
            "publiee_le": _iso(row["published_at"]),
            "modifiee_le": _iso(row["updated_at"]),
        }


# --- The files ---------------------------------------------------------------------------


def _codes(choices) -> tuple[str, ...]:
    return tuple(str(value) for value in choices.values)


def _listing(choices) -> str:
    return ", ".join(f"{value} ({label})" for value, label in choices.choices)


ANSWER_STATUS = _listing(OfficialAnswer.Status)

RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in [
        Resource(
            name="contributions",
            title="Contributions",
            description=(
                "Les contributions publiées (en ligne, en atelier, sur papier, importées), avec "
                "leurs nombres de soutiens et de commentaires. Les doublons fusionnés figurent "
                "avec l'identifiant de la contribution qui les regroupe."
            ),
            fields=(
                Field("id", "integer", "Identifiant de la contribution.", required=True),
                Field(
                    "type",
                    "string",
                    f"Type de contribution : {_listing(Contribution.Kind)}.",
                    required=True,
                    enum=_codes(Contribution.Kind),
                ),
                Field("titre", "string", "Titre.", required=True),
                Field("texte", "string", "Texte de la contribution.", required=True),
                Field(
                    "provenance",
                    "string",
                    f"Canal de dépôt : {_listing(Provenance)}.",
                    required=True,
                    enum=_codes(Provenance),
                ),
                Field(
                    "signature",
                    "string",
                    "Signature donnée par l'équipe organisatrice aux contributions d'atelier "
                    "et papier ; vide pour les contributions des habitant·es (donnée "
                    "personnelle, jamais publiée ici).",
                ),
                Field("theme_id", "integer", "Thème choisi au dépôt (fichier themes)."),
                Field(
                    "theme_automatique_id",
                    "integer",
                    "Thème automatique, regroupement des textes proches (fichier topics).",
                ),
                Field("commune_insee", "string", "Code INSEE de la commune concernée."),
                Field("commune", "string", "Nom de la commune concernée."),
                Field(
                    "territoire",
                    "string",
                    "Territoire de la commune (bassin versant, intercommunalité…).",
                ),
                Field("atelier_id", "integer", "Atelier d'où vient la contribution."),
                Field(
                    "fusionnee_dans_id",
                    "integer",
                    "Si la contribution est un doublon fusionné : la contribution qui la regroupe.",
                ),
                Field(
                    "statut_reponse",
                    "string",
                    f"Statut de la réponse officielle, s'il y en a une : {ANSWER_STATUS}.",
                    enum=_codes(OfficialAnswer.Status),
                ),
                Field("soutiens", "integer", "Nombre de soutiens.", required=True),
                Field("commentaires", "integer", "Nombre de commentaires publiés.", required=True),
                Field("deposee_le", "datetime", "Date et heure du dépôt (UTC).", required=True),
            ),
            rows=contribution_rows,
            foreign_keys=(
                ("theme_id", "themes", "id"),
                ("theme_automatique_id", "topics", "id"),
                ("fusionnee_dans_id", "contributions", "id"),
            ),
        ),
        Resource(
            name="comments",
            title="Commentaires",
            description="Les commentaires publiés sur les contributions publiées.",
            fields=(
                Field("id", "integer", "Identifiant du commentaire.", required=True),
                Field("contribution_id", "integer", "Contribution commentée.", required=True),
                Field(
                    "reponse_a_id",
                    "integer",
                    "Commentaire auquel celui-ci répond (s'il est publié).",
                ),
                Field("texte", "string", "Texte du commentaire.", required=True),
                Field(
                    "position",
                    "string",
                    "Position déclarée par l'auteur·rice : pour, neutre ou contre.",
                    required=True,
                    enum=tuple(ALIGNMENTS.values()),
                ),
                Field("publie_le", "datetime", "Date et heure (UTC).", required=True),
            ),
            rows=comment_rows,
            foreign_keys=(
                ("contribution_id", "contributions", "id"),
                ("reponse_a_id", "comments", "id"),
            ),
        ),
        Resource(
            name="statements",
            title="Affirmations et votes",
            description=(
                "Les affirmations publiées et le total des votes de chacune (jamais qui a voté "
                "quoi)."
            ),
            fields=(
                Field("id", "integer", "Identifiant de l'affirmation.", required=True),
                Field("texte", "string", "Texte de l'affirmation.", required=True),
                Field("theme_id", "integer", "Thème de l'affirmation (fichier themes)."),
                Field("votes_d_accord", "integer", "Votes « d'accord ».", required=True),
                Field("votes_pas_d_accord", "integer", "Votes « pas d'accord ».", required=True),
                Field("votes_je_passe", "integer", "Votes « je passe ».", required=True),
                Field("proposee_le", "datetime", "Date et heure (UTC).", required=True),
            ),
            rows=statement_rows,
            foreign_keys=(("theme_id", "themes", "id"),),
        ),
        Resource(
            name="themes",
            title="Thèmes",
            description="Les thèmes proposés par l'équipe organisatrice.",
            fields=(
                Field("id", "integer", "Identifiant du thème.", required=True),
                Field("identifiant", "string", "Identifiant court du thème.", required=True),
                Field("nom", "string", "Nom du thème.", required=True),
                Field("description", "string", "Présentation du thème."),
                Field(
                    "contributions",
                    "integer",
                    "Nombre de contributions publiées dans ce thème.",
                    required=True,
                ),
            ),
            rows=theme_rows,
        ),
        Resource(
            name="topics",
            title="Thèmes automatiques",
            description=(
                "Les regroupements de contributions aux textes proches, calculés sur la "
                "plateforme puis revus par la modération."
            ),
            fields=(
                Field("id", "integer", "Identifiant du thème automatique.", required=True),
                Field("intitule", "string", "Intitulé.", required=True),
                Field(
                    "mots_caracteristiques",
                    "string",
                    "Mots les plus caractéristiques, séparés par des virgules.",
                ),
                Field(
                    "contributions",
                    "integer",
                    "Nombre de contributions publiées dans ce thème.",
                    required=True,
                ),
            ),
            rows=topic_rows,
        ),
        Resource(
            name="answers",
            title="Réponses officielles",
            description="Les réponses officielles de l'organisation aux contributions publiées.",
            fields=(
                Field(
                    "contribution_id",
                    "integer",
                    "Contribution à laquelle il est répondu.",
                    required=True,
                ),
                Field(
                    "statut",
                    "string",
                    f"Statut : {ANSWER_STATUS}.",
                    required=True,
                    enum=_codes(OfficialAnswer.Status),
                ),
                Field("reponse", "string", "Texte de la réponse.", required=True),
                Field("publiee_le", "datetime", "Première publication (UTC).", required=True),
                Field("modifiee_le", "datetime", "Dernière modification (UTC).", required=True),
            ),
            rows=answer_rows,
            primary_key=("contribution_id",),
            foreign_keys=(("contribution_id", "contributions", "id"),),
        ),
    ]
}


def csv_cell(value) -> str:
    """A value as a CSV cell; text that a spreadsheet would run is made inert."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(resource: Resource, rows: Iterable[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: comma, quotes, CRLF
    writer.writerow(resource.field_names)
    for row in rows:
        writer.writerow([csv_cell(row[name]) for name in resource.field_names])
    return buffer.getvalue().encode("utf-8")


def to_json(rows: Iterable[dict]) -> bytes:
    return json.dumps(list(rows), ensure_ascii=False, indent=1).encode("utf-8")


def file_names() -> list[str]:
    """Every file of a campaign's open data, in the order the page lists them."""
    names = ["datapackage.json"]
    for name in RESOURCES:
        names += [f"{name}.csv", f"{name}.json", f"{name}.schema.json"]
    return names


def datapackage(campaign: Campaign) -> dict:
    return {
        "profile": "tabular-data-package",
        "name": f"concertation-{campaign.slug}",
        "title": f"Données de la concertation « {campaign.title} »",
        "description": (
            f"Contenus publiés de la concertation « {campaign.title} » "
            f"({campaign.organisation.name}) : contributions, commentaires, affirmations et "
            "votes, thèmes, réponses officielles. Aucune donnée personnelle : ni nom ni adresse "
            "des habitant·es, ni qui a soutenu ou voté quoi. Dans les CSV, une cellule de texte "
            "commençant par = + - ou @ est précédée d'une apostrophe (protection contre les "
            "formules de tableur)."
        ),
        "licenses": [LICENCE],
        "resources": [
            {
                "name": resource.name,
                "path": f"{resource.name}.csv",
                "title": resource.title,
                "description": resource.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "quoteChar": '"', "lineTerminator": "\r\n"},
                "schema": resource.schema(),
            }
            for resource in RESOURCES.values()
        ],
    }


def build_file(campaign: Campaign, name: str) -> bytes | None:
    """The bytes of one file (see `file_names`), or None if there is no such file."""
    if name == "datapackage.json":
        return _dumps(datapackage(campaign))
    stem, _dot, extension = name.partition(".")
    resource = RESOURCES.get(stem)
    if resource is None:
        return None
    if extension == "csv":
        return to_csv(resource, resource.rows(campaign))
    if extension == "json":
        return to_json(resource.rows(campaign))
    if extension == "schema.json":
        return _dumps(resource.schema())
    return None


def _dumps(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def write_files(campaign: Campaign, directory: Path) -> list[Path]:
    """Write every file into `directory` (created if needed); returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in file_names():
        path = directory / name
        path.write_bytes(build_file(campaign, name))
        written.append(path)
    return written
