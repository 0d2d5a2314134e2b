"""The Decidim import, on the real export of the MEL "Grand débat" (2019) and on broken copies."""

import csv
import shutil
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from consultation.importers.decidim import html_to_text
from consultation.models import Comment, Contribution, Support, Theme, User
from consultation.models.contributions import Provenance

# Shared data sits beside the project: ../shared from the project root.
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "decidim-mel-grand-debat"


def run_import(directory, campaign, *extra):
    out = StringIO()
    call_command("import_decidim", str(directory), "--campaign", campaign.slug, *extra, stdout=out)
    return out.getvalue()


def counts(campaign):
    return (
        Contribution.objects.filter(campaign=campaign).count(),
        Comment.objects.filter(contribution__campaign=campaign).count(),
        Support.objects.filter(contribution__campaign=campaign).count(),
        Theme.objects.filter(campaign=campaign).count(),
        User.objects.count(),
    )


@pytest.fixture
def imported(campaign):
    output = run_import(DATA, campaign)
    return campaign, output


def test_it_imports_every_proposal_with_its_date_theme_and_reference(imported):
    campaign, _ = imported
    proposals = Contribution.objects.filter(campaign=campaign, kind=Contribution.Kind.PROPOSAL)
    assert proposals.count() == 196
    linky = proposals.get(external_ref="decidim:proposal:418")
    assert linky.title == "Non au déploiement forcé des compteurs intelligents Linky"
    assert linky.body.startswith('L\'installation de ces compteurs "intelligents" devrait')
    assert linky.theme.name == "Autre sujet"
    assert linky.provenance == Provenance.IMPORT
    assert linky.created_at == datetime(2019, 1, 23, 11, 7, 32, tzinfo=UTC)
    assert proposals.get(external_ref="decidim:proposal:457").theme is None


def decidim_rows(filename):
    with open(DATA / filename, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_every_support_count_equals_the_decidim_votes_column(imported):
    campaign, _ = imported
    listed = dict(
        Contribution.objects.filter(campaign=campaign, kind=Contribution.Kind.PROPOSAL)
        .with_counts()
        .values_list("external_ref", "supports_count")
    )
    expected = {
        f"decidim:proposal:{row['id']}": int(row["votes"])
        for row in decidim_rows("propositions-libres.csv")
    }
    assert listed == expected
    assert listed["decidim:proposal:457"] == 2
    assert listed["decidim:proposal:418"] == 2
    assert sum(listed.values()) == 498
    assert max(listed.values()) == 13
    placeholders = User.objects.filter(email__endswith="@import.invalid")
    assert placeholders.count() == 13
    assert not placeholders.filter(is_active=True).exists()
    assert not any(user.has_usable_password() for user in placeholders)


def test_it_imports_debates_with_their_category_as_theme_and_full_question(imported):
    campaign, _ = imported
    debates = Contribution.objects.filter(campaign=campaign, kind=Contribution.Kind.DEBATE)
    assert debates.count() == 29
    blank_vote = debates.get(external_ref="decidim:debate:30")
    assert blank_vote.title == "Faut-il reconnaître le vote blanc ?"
    assert blank_vote.theme.name == "Démocratie et citoyenneté"
    europe = debates.get(external_ref="decidim:debate:29")
    assert europe.theme.name == "Transition écologique"  # "&nbsp;" and tags gone
    assert "<" not in europe.body


def test_it_imports_every_debate_comment_with_alignment_and_threading(imported):
    campaign, _ = imported
    comments = Comment.objects.filter(contribution__campaign=campaign)
    assert comments.count() == 693
    assert comments.filter(parent__isnull=True).count() == 545
    first = comments.get(external_ref="decidim:comment:515")
    assert first.body == "l'état devrait mieux écouter les maires des villes"
    assert first.contribution.external_ref == "decidim:debate:23"
    assert first.author_label == "Participant 963097"
    assert first.alignment == Comment.Alignment.NEUTRAL
    # No author name in the export: signed as an anonymous participant, not as a deleted one.
    assert comments.get(external_ref="decidim:comment:537").signature == (
        "Participant·e anonyme (Decidim)"
    )
    # Depth 3 reply 1194 answers comment 1071 (not the nearest earlier depth-2 comment).
    deep = comments.get(external_ref="decidim:comment:1194")
    assert deep.parent.external_ref == "decidim:comment:1071"
    assert deep.parent.parent.parent.parent is None
    assert comments.filter(
        external_ref="decidim:comment:809", parent__external_ref="decidim:comment:804"
    ).exists()
    assert comments.filter(alignment=Comment.Alignment.FOR).count() == 93
    assert comments.filter(alignment=Comment.Alignment.AGAINST).count() == 26


def test_every_reply_hangs_under_the_comment_decidim_names_as_its_parent(imported):
    campaign, _ = imported
    imported_parents = dict(
        Comment.objects.filter(contribution__campaign=campaign).values_list(
            "external_ref", "parent__external_ref"
        )
    )
    expected = {
        f"decidim:comment:{row['id']}": (
            f"decidim:comment:{row['commentable_id']}"
            if row["commentable_type"] == "Decidim::Comments::Comment"
            else None
        )
        for row in decidim_rows("commentaires_debats.csv")
    }
    assert imported_parents == expected


def test_plain_text_with_angle_brackets_is_kept_as_written(imported):
    campaign, _ = imported
    body = Contribution.objects.get(campaign=campaign, external_ref="decidim:proposal:491").body
    assert "doublement des lignes Béthune <> Lille, Orchies <> Villeneuve" in body


def test_each_debate_shows_as_many_comments_as_decidim_counted(imported):
    campaign, _ = imported
    debates = Contribution.objects.filter(campaign=campaign, kind=Contribution.Kind.DEBATE)
    counted = dict(debates.with_counts().values_list("external_ref", "comments_count"))
    assert counted["decidim:debate:30"] == 75
    assert counted == {
        f"decidim:debate:{row['id']}": int(row["comments"]) for row in decidim_rows("debats.csv")
    }


def test_it_reports_comments_about_another_platforms_proposals(imported):
    campaign, output = imported
    # Nancy's comment 532 is skipped; MEL's debate comment 532 (another thread) is imported.
    assert not Comment.objects.filter(body__startswith="Toutes les sensibilités").exists()
    assert Comment.objects.get(external_ref="decidim:comment:532").body.startswith("Oui il faut")
    assert "44 commentaire(s) non importé(s)" in output
    assert "participez.nancy.fr" in output
    assert "commentaires_propositions_libres.csv" in output
    assert "40 commentaire(s), contribution commentée absente de l'export" in output
    assert "identifiants 532, 548, 552, 568," in output
    assert "4 commentaire(s), fil de discussion absent de l'export" in output
    assert "identifiants 597, 607, 609, 675." in output


def test_a_second_import_changes_nothing(imported):
    campaign, _ = imported
    before = counts(campaign)
    output = run_import(DATA, campaign)
    assert counts(campaign) == before
    assert "propositions : 0 créé(e)s, 0 mis(es) à jour, 196 inchangé(e)s" in output
    assert "commentaires : 0 créé(e)s, 0 mis(es) à jour, 693 inchangé(e)s" in output


def test_a_dry_run_writes_nothing_but_tells_what_would_happen(campaign):
    before = counts(campaign)
    output = run_import(DATA, campaign, "--dry-run")
    assert counts(campaign) == before
    assert "Simulation" in output
    assert "propositions : 196 créé(e)s" in output


def test_a_reimport_after_a_change_in_decidim_updates_the_row(imported, tmp_path):
    campaign, _ = imported
    copy = tmp_path / "export"
    shutil.copytree(DATA, copy)
    path = copy / "propositions-libres.csv"
    data = path.read_bytes()
    path.write_bytes(
        data.replace("Non au déploiement forcé des compteurs intelligents Linky".encode(), b"Linky")
    )
    output = run_import(copy, campaign)
    assert "propositions : 0 créé(e)s, 1 mis(es) à jour, 195 inchangé(e)s" in output
    assert Contribution.objects.get(external_ref="decidim:proposal:418").title == "Linky"


def test_it_refuses_an_unknown_campaign(db):
    with pytest.raises(CommandError, match="Campagne « inconnue » introuvable"):
        call_command("import_decidim", str(DATA), "--campaign", "inconnue")


def test_it_refuses_a_folder_without_export(campaign, tmp_path):
    with pytest.raises(CommandError, match="aucun fichier d'export Decidim"):
        run_import(tmp_path, campaign)


def _broken_copy(tmp_path, filename, transform):
    copy = tmp_path / "export"
    shutil.copytree(DATA, copy)
    path = copy / filename
    path.write_bytes(transform(path.read_bytes()))
    return copy


def _replace_line(number, new):
    def transform(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[number - 1] = new(lines[number - 1])
        return b"\n".join(lines)

    return transform


BROKEN = {
    "missing column": (
        "debats.csv",
        lambda data: data.replace(b"title/fr;", b"titre;", 1),
        r"debats\.csv, ligne 1 : colonne\(s\) manquante\(s\) : title/fr",
    ),
    "bad date": (
        "commentaires_debats.csv",
        lambda data: data.replace(b"2019-01-17 10:38:20 +0100", b"17/01/2019 10h38", 1),
        r"commentaires_debats\.csv, ligne 2 : la colonne « created_at » doit contenir une date",
    ),
    "non-integer id": (
        "debats.csv",
        _replace_line(3, lambda line: line.replace(b"30;", b"trente;", 1)),
        r"debats\.csv, ligne 3 : la colonne « id » doit contenir un nombre entier",
    ),
    "truncated quoted field": (
        "propositions-libres.csv",
        lambda data: data[: data.rindex(b'"Il est')] + b'"Il est temps',
        r"propositions-libres\.csv, ligne \d+ : enregistrement mal formé",
    ),
    "wrong encoding": (
        "debats.csv",
        lambda data: data.decode("utf-8").encode("latin-1", errors="replace"),
        r"debats\.csv, ligne 2 : le fichier n'est pas encodé en UTF-8",
    ),
    "unknown alignment": (
        "commentaires_debats.csv",
        lambda data: data.replace(b";Participant 963097;0;0;", b";Participant 963097;2;0;", 1),
        r"commentaires_debats\.csv, ligne 2 : position « 2 » inconnue",
    ),
}


@pytest.mark.parametrize("case", BROKEN.keys())
def test_a_malformed_file_stops_the_import_and_writes_nothing(campaign, tmp_path, case):
    filename, transform, message = BROKEN[case]
    copy = _broken_copy(tmp_path, filename, transform)
    before = counts(campaign)
    with pytest.raises(CommandError, match=message):
        run_import(copy, campaign)
    assert counts(campaign) == before


def test_a_malformed_file_on_reimport_keeps_the_first_import_as_it_was(imported, tmp_path):
    campaign, _ = imported
    before = counts(campaign)
    copy = _broken_copy(
        tmp_path,
        "commentaires_debats.csv",
        lambda data: data.replace(b"2019-01-17 10:38:20 +0100", b"hier", 1),
    )
    with pytest.raises(CommandError, match="rien n'a été enregistré"):
        run_import(copy, campaign)
    assert counts(campaign) == before


def test_html_becomes_plain_text_with_paragraphs():
    assert html_to_text("<p><strong>Transition&nbsp;écologique&nbsp;</strong></p>") == (
        "Transition écologique"
    )
    assert html_to_text("<p>Un</p><p>Deux &amp; trois<br>quatre</p><script>x</script>") == (
        "Un\n\nDeux & trois\nquatre"
    )
    assert html_to_text("Liste :\n  - un   \n  - deux") == "Liste :\n  - un\n  - deux"
