"""What every import command shares: DIRECTORY --campaign SLUG [--dry-run], all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consultation.importers.csvfiles import ExportError
from consultation.models import Campaign


class ImportCommand(BaseCommand):
    """Subclasses set `directory_help`, implement `run_import` (one transaction, raising
    ExportError on bad files) and `print_report`."""

    directory_help = "Dossier contenant les fichiers CSV de l'export."

    def add_arguments(self, parser):
        parser.add_argument("directory", help=self.directory_help)
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
            report = self.run_import(target, Path(directory), dry_run=dry_run)
        except ExportError as exc:
            raise CommandError(f"Import annulé, rien n'a été enregistré. {exc}") from exc
        title = "Simulation (rien n'a été enregistré)" if dry_run else "Import terminé"
        self.stdout.write(self.style.SUCCESS(f"{title} : campagne « {target.title} »."))
        self.print_report(report)
