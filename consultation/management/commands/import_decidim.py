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

from django.core.management.base import BaseCommand, CommandError

from consultation.importers.csvfiles import ExportError
from consultation.importers.decidim import ImportReport, import_decidim_export
from consultation.models import Campaign


class Command(BaseCommand):
    help = (
        "Importe un export open data Decidim (propositions, débats, commentaires, soutiens) "
        "dans une campagne existante."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Dossier contenant les fichiers CSV de l'export.")
        parser.add_argument(
            "--campaign", required=True, help="Identifiant (slug) de la campagne de destination."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Tout vérifier et afficher le bilan sans rien enregistrer.",
        )

    def handle(self, *args, directory, campaign, dry_run, **options):
        target = Campaign.objects.filter(slug=campaign).first()
        if target is None:
            raise CommandError(f"Campagne « {campaign} » introuvable.")
        try:
            report = import_decidim_export(target, Path(directory), dry_run=dry_run)
        except ExportError as exc:
            raise CommandError(f"Import annulé, rien n'a été enregistré. {exc}") from exc
        self._print(report, target, dry_run)

    def _print(self, report: ImportReport, campaign: Campaign, dry_run: bool) -> None:
        write = self.stdout.write
        title = "Simulation (rien n'a été enregistré)" if dry_run else "Import terminé"
        write(self.style.SUCCESS(f"{title} : campagne « {campaign.title} »."))
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
