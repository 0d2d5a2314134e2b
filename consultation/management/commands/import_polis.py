"""Import a Pol.is conversation export into an existing campaign.

    manage.py import_polis DOSSIER --campaign SLUG [--dry-run]

The folder holds Pol.is's CSV export (`,` separator, UTF-8): comments.csv (each comment
becomes a statement; moderated-out ones are kept hidden) and votes.csv (the latest vote of a
participant on a comment wins). Pol.is participants become inactive placeholder accounts of
the campaign. See consultation/importers/polis.py for the rules. A malformed file stops the
command with a French message naming the file and the line; nothing is written.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consultation.importers.csvfiles import ExportError
from consultation.importers.polis import ImportReport, import_polis_export
from consultation.models import Campaign


class Command(BaseCommand):
    help = "Importe un export Pol.is (commentaires et votes) dans une campagne existante."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Dossier contenant comments.csv et votes.csv.")
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
            report = import_polis_export(target, Path(directory), dry_run=dry_run)
        except ExportError as exc:
            raise CommandError(f"Import annulé, rien n'a été enregistré. {exc}") from exc
        self._print(report, target, dry_run)

    def _print(self, report: ImportReport, campaign: Campaign, dry_run: bool) -> None:
        write = self.stdout.write
        title = "Simulation (rien n'a été enregistré)" if dry_run else "Import terminé"
        write(self.style.SUCCESS(f"{title} : campagne « {campaign.title} »."))
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
