"""Import a Pol.is conversation export into an existing campaign.

    manage.py import_polis DOSSIER --campaign SLUG [--dry-run]

The folder holds Pol.is's CSV export (`,` separator, UTF-8): comments.csv (each comment
becomes a statement; moderated-out ones are kept hidden) and votes.csv (the latest vote of a
participant on a comment wins). Pol.is participants become inactive placeholder accounts of
the campaign. See consultation/importers/polis.py for the rules. A malformed file stops the
command with a French message naming the file and the line; nothing is written.
"""

from pathlib import Path

from consultation.importers.command import ImportCommand
from consultation.importers.polis import ImportReport, import_polis_export
from consultation.models import Campaign


class Command(ImportCommand):
    help = "Importe un export Pol.is (commentaires et votes) dans une campagne existante."

    directory_help = "Dossier contenant comments.csv et votes.csv."

    def run_import(self, campaign: Campaign, directory: Path, *, dry_run: bool) -> ImportReport:
        return import_polis_export(campaign, directory, dry_run=dry_run)

    def print_report(self, report: ImportReport) -> None:
        write = self.stdout.write
        write(
            f"- affirmations : {report.statements_created} créée(s), "
            f"{report.statements_updated} mise(s) à jour ; dont {report.hidden} masquée(s) "
            f"(écartées par la modération Pol.is) et {report.pending} en attente de modération."
        )
        write(
            f"- votes : {report.votes} (le dernier vote de chaque participant·e sur chaque "
            f"affirmation) ; {report.superseded} vote(s) antérieur(s) remplacé(s) par un vote "
            "plus récent."
        )
        if report.repeated_rows:
            repeated = report.repeated_rows
            write(f"- lignes de vote identiques en double, comptées une fois : {repeated}.")
        write(
            f"- participant·es : {report.participants}, dont {report.placeholders_created} "
            "compte(s) de substitution créé(s) (inactifs, sans donnée personnelle)."
        )
        if report.shortened:
            ids = ", ".join(map(str, report.shortened))
            write(
                self.style.WARNING(
                    f"Commentaire(s) raccourci(s) à 280 caractères (identifiants Pol.is) : {ids}."
                )
            )
