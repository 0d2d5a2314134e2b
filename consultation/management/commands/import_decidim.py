"""Import a Decidim open-data export into an existing campaign.

    manage.py import_decidim DOSSIER --campaign SLUG [--dry-run]

The folder holds the CSV files of a Decidim open-data export (`;` separator, UTF-8):
propositions-libres.csv, commentaires_propositions_libres.csv, debats.csv,
commentaires_debats.csv (missing ones are reported and skipped).

Supports: Decidim exports a count per proposal, not the supporters. The import creates, per
campaign, inactive placeholder accounts (no password, an address under the reserved .invalid
domain: they cannot log in nor receive mail) and gives a proposal with N Decidim votes the
supports of placeholders 1..N. Every count shown on the platform is a count of support rows, so
it equals Decidim's count with no second counting path, and later supports by real residents
add up. See consultation/importers/decidim.py for the threading rule (the parent comes from
`commentable_id`, checked against `depth`) and why comments about contributions absent from the
export are skipped and listed rather than refused.

A malformed file (missing column, bad date, non-integer id, truncated quoted field, wrong
encoding) stops the command with a French message naming the file and the line; nothing is
written. A re-import updates only what changed (rows are found again by `external_ref`).
"""

from pathlib import Path

from consultation.importers.command import ImportCommand
from consultation.importers.decidim import ImportReport, import_decidim_export
from consultation.models import Campaign


class Command(ImportCommand):
    help = (
        "Importe un export open data Decidim (propositions, débats, commentaires, soutiens) "
        "dans une campagne existante."
    )

    def run_import(self, campaign: Campaign, directory: Path, *, dry_run: bool) -> ImportReport:
        return import_decidim_export(campaign, directory, dry_run=dry_run)

    def print_report(self, report: ImportReport) -> None:
        write = self.stdout.write
        write(f"Fichiers lus : {', '.join(report.files)}.")
        if report.missing_files:
            write(f"Fichiers absents (ignorés) : {', '.join(report.missing_files)}.")
        for what in ("propositions", "débats", "commentaires"):
            write(
                f"- {what} : {report.created.get(what, 0)} créé(e)s, "
                f"{report.updated.get(what, 0)} mis(es) à jour, "
                f"{report.unchanged.get(what, 0)} inchangé(e)s."
            )
        write(
            f"- soutiens : {report.supports_total} au total, "
            f"{report.updated.get('soutiens', 0)} ajouté(s) ou retiré(s)."
        )
        if report.themes_created:
            write(f"- thèmes créés : {', '.join(report.themes_created)}.")
        self._print_skipped(report)

    def _print_skipped(self, report: ImportReport) -> None:
        if not report.skipped:
            return
        groups: dict[tuple[str, str, str], list[int]] = {}
        for skip in report.skipped:
            groups.setdefault((skip.filename, skip.reason, skip.site), []).append(skip.decidim_id)
        self.stdout.write(
            self.style.WARNING(
                f"{len(report.skipped)} commentaire(s) non importé(s), car leur fil ne part pas "
                "d'une contribution de cet export :"
            )
        )
        for (filename, reason, site), ids in groups.items():
            self.stdout.write(
                f"- {filename} : {len(ids)} commentaire(s), {reason} (ils renvoient à {site}) : "
                f"identifiants {', '.join(map(str, ids))}."
            )
