"""The open data files: they validate against their TableSchema, hold no personal data (no
email, no resident's name, no IP, never who voted or supported what), neutralise spreadsheet
formulas, leave out what is not published; `export_open_data` writes them.

The TableSchema check is a small validator of our own (below) for the types the files use:
integer, string, datetime (default format), with `required`, `enum`, the primary key and the
foreign keys between files. Keeping it here avoids a heavy dependency for four rules."""

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from consultation import opendata
from consultation.models import Campaign, OfficialAnswer, StatementVote, Support
from consultation.models.contributions import Provenance, Visibility
from consultation.rules import results_are_public
from tests import factories

pytestmark = pytest.mark.django_db

RESIDENT_NAME = "Zéphyrine Quillebeuf-Tartempion"
RESIDENT_EMAIL = "zephyrine.quillebeuf@exemple-secret.fr"
IMPORTED_NAME = "Marcel Importé-Decidim"
IPV4 = re.compile(rb"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")
EMAIL = re.compile(rb"[\w.+-]+@[\w-]+\.[\w.-]+")


# --- A TableSchema validator for the types we use --------------------------------------------


def _check_cell(field: dict, value: str, where: str) -> None:
    constraints = field.get("constraints", {})
    if value == "":
        assert not constraints.get("required"), f"{where} : valeur obligatoire manquante"
        return
    if field["type"] == "integer":
        assert re.fullmatch(r"-?\d+", value), f"{where} : entier attendu, pas {value!r}"
    elif field["type"] == "datetime":
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")  # raises on anything else
    else:
        assert field["type"] == "string", f"{where} : type {field['type']} non géré"
    if "enum" in constraints:
        assert value in constraints["enum"], f"{where} : {value!r} hors de la liste"


def read_csv(content: bytes) -> list[dict]:
    text = content.decode("utf-8")  # strict: not UTF-8 fails here
    assert not text.startswith("\ufeff")
    assert "\r\n" in text or text.count("\n") == 0
    return list(csv.DictReader(io.StringIO(text, newline=""), strict=True))


def validate_package(files: dict[str, bytes]) -> dict[str, list[dict]]:
    """Check every CSV against its schema in datapackage.json, keys included; the tables."""
    package = json.loads(files["datapackage.json"])
    tables = {}
    for resource in package["resources"]:
        schema = resource["schema"]
        assert json.loads(files[f"{resource['name']}.schema.json"]) == schema
        content = files[resource["path"]]
        header = next(csv.reader(io.StringIO(content.decode("utf-8"))))
        assert header == [f["name"] for f in schema["fields"]], resource["name"]
        rows = read_csv(content)
        for number, row in enumerate(rows, start=2):
            for field in schema["fields"]:
                where = f"{resource['path']} ligne {number}, {field['name']}"
                _check_cell(field, row[field["name"]], where)
        keys = [tuple(row[k] for k in schema["primaryKey"]) for row in rows]
        assert len(keys) == len(set(keys)), f"{resource['path']} : clé primaire en double"
        tables[resource["name"]] = rows
    for resource in package["resources"]:
        for key in resource["schema"].get("foreignKeys", []):
            target = key["reference"]
            known = {row[target["fields"]] for row in tables[target["resource"]]}
            for row in tables[resource["name"]]:
                value = row[key["fields"]]
                assert value == "" or value in known, (
                    f"{resource['path']} : {key['fields']}={value} absent de {target['resource']}"
                )
    return tables


def build_all(campaign) -> dict[str, bytes]:
    return {name: opendata.build_file(campaign, name) for name in opendata.file_names()}


# --- A campaign with everything the files must handle ----------------------------------------


@pytest.fixture
def planted(campaign, theme, commune):
    """Published and hidden content, a resident with a distinctive name and email, formulas."""
    resident = factories.UserFactory(display_name=RESIDENT_NAME, email=RESIDENT_EMAIL)
    voter = factories.UserFactory(display_name="Votant Singulier", email="votant@exemple.fr")
    make = factories.ContributionFactory
    main = make(
        campaign=campaign,
        author=resident,
        theme=theme,
        commune=commune,
        title='=HYPERLINK("http://piege.example")',
        body="Écrivez-moi à jean.dupont@exemple.fr pour en parler.",
    )
    paper = make(
        campaign=campaign,
        author=None,
        provenance=Provenance.PAPER,
        author_label="Note papier, atelier « Canche »",
        title="+33 idées pour la Canche",
    )
    imported = make(
        campaign=campaign, author=None, provenance=Provenance.IMPORT, author_label=IMPORTED_NAME
    )
    duplicate = make(campaign=campaign, author=resident, merged_into=main, title="Doublon")
    make(campaign=campaign, title="Contribution masquée", visibility=Visibility.HIDDEN)
    make(campaign=campaign, title="Contribution en attente", visibility=Visibility.PENDING)
    Support.objects.create(contribution=main, user=voter)
    Support.objects.create(contribution=main, user=resident)
    comment = factories.CommentFactory(contribution=main, author=resident, body="@SOMME(A1)")
    factories.CommentFactory(contribution=main, author=None, author_label=IMPORTED_NAME)
    hidden_comment = factories.CommentFactory(
        contribution=main, body="Commentaire masqué", visibility=Visibility.HIDDEN
    )
    factories.CommentFactory(contribution=main, parent=hidden_comment, body="Réponse au masqué")
    factories.CommentFactory(contribution=main, parent=comment, body="-2+3 réponse")
    statement = factories.StatementFactory(campaign=campaign, author=resident, theme=theme)
    factories.StatementFactory(
        campaign=campaign, text="Affirmation masquée", visibility=Visibility.HIDDEN
    )
    StatementVote.objects.create(statement=statement, user=resident, choice=1)
    StatementVote.objects.create(statement=statement, user=voter, choice=-1)
    factories.OfficialAnswerFactory(
        contribution=main, status=OfficialAnswer.Status.ACCEPTED, author=factories.UserFactory()
    )
    hidden = campaign.contributions.get(title="Contribution masquée")
    factories.OfficialAnswerFactory(contribution=hidden, body="Réponse à un contenu masqué.")
    topic = campaign.topics.create(label="Fossés", terms=["fossé", "curage"])
    main.topic = topic
    main.save()
    return {
        "main": main,
        "paper": paper,
        "imported": imported,
        "duplicate": duplicate,
        "statement": statement,
        "comment": comment,
    }


def test_every_file_validates_against_its_table_schema(campaign, planted):
    files = build_all(campaign)
    tables = validate_package(files)
    assert {row["id"] for row in tables["contributions"]} == {
        str(planted[k].pk) for k in ("main", "paper", "imported", "duplicate")
    }
    for name, rows in tables.items():
        # The JSON holds the same rows, typed (integers as numbers, no formula prefix).
        as_json = json.loads(files[f"{name}.json"])
        assert len(as_json) == len(rows)


def test_counts_of_supports_comments_and_votes_are_given_never_who(campaign, planted):
    tables = validate_package(build_all(campaign))
    main = next(r for r in tables["contributions"] if r["id"] == str(planted["main"].pk))
    assert main["soutiens"] == "2"
    assert main["commentaires"] == "4"  # the hidden comment is not counted
    assert main["statut_reponse"] == "accepted"
    assert main["theme_automatique_id"] == str(planted["main"].topic_id)
    statement = tables["statements"][0]
    assert (statement["votes_d_accord"], statement["votes_pas_d_accord"]) == ("1", "1")
    for rows in tables.values():
        for row in rows:
            assert not {"user", "user_id", "author", "author_id", "email"} & set(row)


def test_no_file_holds_an_email_a_residents_name_or_an_ip(campaign, planted):
    for name, content in build_all(campaign).items():
        assert RESIDENT_NAME.encode() not in content, name
        assert RESIDENT_NAME.encode("unicode_escape") not in content, name
        assert b"Quillebeuf" not in content, name
        assert b"Votant Singulier" not in content, name
        assert IMPORTED_NAME.encode() not in content, name
        assert not EMAIL.findall(content), (name, EMAIL.findall(content))
        assert not IPV4.findall(content), name
    contributions = opendata.build_file(campaign, "contributions.csv").decode()
    assert opendata.MASKED_EMAIL in contributions


def test_only_workshop_and_paper_signatures_are_published(campaign, planted):
    tables = validate_package(build_all(campaign))
    signatures = {row["id"]: row["signature"] for row in tables["contributions"]}
    assert signatures[str(planted["paper"].pk)] == "Note papier, atelier « Canche »"
    assert signatures[str(planted["main"].pk)] == ""
    assert signatures[str(planted["imported"].pk)] == ""


def test_cells_that_a_spreadsheet_would_run_are_prefixed(campaign, planted):
    files = build_all(campaign)
    contributions = read_csv(files["contributions.csv"])
    titles = {row["id"]: row["titre"] for row in contributions}
    assert titles[str(planted["main"].pk)] == '\'=HYPERLINK("http://piege.example")'
    assert titles[str(planted["paper"].pk)] == "'+33 idées pour la Canche"
    comments = {row["texte"] for row in read_csv(files["comments.csv"])}
    assert "'@SOMME(A1)" in comments
    assert "'-2+3 réponse" in comments
    for name in files:
        if name.endswith(".csv"):
            for row in csv.reader(io.StringIO(files[name].decode())):
                assert not any(cell[:1] in "=+-@" for cell in row if cell), (name, row)
    # The JSON keeps the text as typed.
    as_json = json.loads(files["contributions.json"])
    assert '=HYPERLINK("http://piege.example")' in {row["titre"] for row in as_json}


def test_hidden_and_pending_content_is_absent(campaign, planted):
    files = build_all(campaign)
    everything = b"".join(files.values()).decode()
    for secret in [
        "Contribution masquée",
        "Contribution en attente",
        "Commentaire masqué",
        "Affirmation masquée",
        "Réponse à un contenu masqué",
    ]:
        assert secret not in everything
    comments = read_csv(files["comments.csv"])
    reply = next(row for row in comments if row["texte"] == "Réponse au masqué")
    assert reply["reponse_a_id"] == ""  # the hidden comment it answers is not named


def test_merged_duplicates_appear_with_the_contribution_they_were_merged_into(campaign, planted):
    tables = validate_package(build_all(campaign))
    merged = next(r for r in tables["contributions"] if r["id"] == str(planted["duplicate"].pk))
    assert merged["fusionnee_dans_id"] == str(planted["main"].pk)


def test_dates_are_iso_8601_in_utc_and_csv_is_rfc_4180(campaign, planted):
    content = opendata.build_file(campaign, "contributions.csv")
    first_data_line = content.split(b"\r\n")[1].decode()
    assert re.search(r",\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", first_data_line)
    assert content.endswith(b"\r\n")


def test_the_package_states_the_etalab_licence_and_describes_every_field_in_french(campaign):
    package = json.loads(opendata.build_file(campaign, "datapackage.json"))
    assert package["licenses"][0]["name"] == "etalab-2.0"
    assert "etalab.gouv.fr" in package["licenses"][0]["path"]
    names = {resource["path"] for resource in package["resources"]}
    assert names == {
        f"{n}.csv"
        for n in ["contributions", "comments", "statements", "themes", "topics", "answers"]
    }
    for resource in package["resources"]:
        assert resource["encoding"] == "utf-8"
        assert resource["dialect"]["delimiter"] == ","
        for field in resource["schema"]["fields"]:
            assert field["description"].strip(), (resource["name"], field["name"])


def test_an_unknown_file_name_has_no_content(campaign):
    assert opendata.build_file(campaign, "users.csv") is None
    assert opendata.build_file(campaign, "contributions.xlsx") is None


@pytest.mark.parametrize(
    ("visibility", "status", "public"),
    [
        ("after_close", Campaign.Status.PUBLISHED, False),
        ("after_close", Campaign.Status.CLOSED, True),
        ("published", Campaign.Status.PUBLISHED, True),
        ("published", Campaign.Status.DRAFT, False),
        ("hidden", Campaign.Status.ARCHIVED, False),
    ],
)
def test_results_are_public_per_setting_and_status(campaign, visibility, status, public):
    campaign.results_visibility = visibility
    campaign.status = status
    assert results_are_public(campaign) is public


# --- The command -----------------------------------------------------------------------------


def test_the_command_writes_the_same_files(campaign, planted, tmp_path):
    out = io.StringIO()
    call_command("export_open_data", str(tmp_path / "export"), campaign=campaign.slug, stdout=out)
    written = {p.name: p.read_bytes() for p in (tmp_path / "export").iterdir()}
    assert set(written) == set(opendata.file_names())
    validate_package(written)
    assert written["contributions.csv"] == opendata.build_file(campaign, "contributions.csv")
    assert "fichiers de données ouvertes écrits" in out.getvalue()


def test_the_command_warns_when_results_are_not_public_yet(campaign, tmp_path):
    err = io.StringIO()
    call_command("export_open_data", str(tmp_path), campaign=campaign.slug, stderr=err)
    assert "pas encore publics" in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--campaign", "nexiste-pas", "DIR"], "Campagne « nexiste-pas » introuvable."),
        (["DIR"], "Indiquez la campagne"),
        (["--campaign", "SLUG"], "Indiquez le dossier"),
        (["--campaign", "SLUG", "DIR", "--format", "xls"], "Option ou argument inconnu"),
        (["DIR", "--campaign"], "attend une valeur"),
    ],
)
def test_bad_options_get_french_errors(campaign, tmp_path, args, message):
    args = [a.replace("DIR", str(tmp_path)).replace("SLUG", campaign.slug) for a in args]
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("export_open_data", *args)


def test_the_command_refuses_a_file_as_directory(campaign, tmp_path):
    target = Path(tmp_path / "fichier.txt")
    target.write_text("déjà là")
    with pytest.raises(CommandError, match="n'est pas un dossier"):
        call_command("export_open_data", str(target), campaign=campaign.slug)
