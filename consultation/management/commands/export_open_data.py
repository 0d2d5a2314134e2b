"""Write a campaign's open data (the files of its `donnees/` page) into a folder.

    manage.py export_open_data --campaign SLUG DOSSIER

datapackage.json, and for each table its CSV, its JSON and its TableSchema. Only published
content, never personal data (consultation/opendata.py says what goes out).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consultation.models import Campaign
from consultation.opendata import write_files
from consultation.rules import results_are_public

# argparse speaks English; these are the mistakes people make with this command.
PARSER_ERRORS = {
    "unrecognized arguments": "Option ou argument inconnu : {rest}",
    "expected one argument": "L'option {rest} attend une valeur.",
}


class Command(BaseCommand):
    help = "Écrit les données ouvertes d'une campagne (CSV, JSON, TableSchema) dans un dossier."

    def create_parser(self, prog_name, subcommand, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = self._french_error
        return parser

    def _french_error(self, message: str):
        for english, french in PARSER_ERRORS.items():
            if english in message:
                rest = message.split(":", 1)[-1].strip()
                if english == "expected one argument":
                    rest = message.split(":", 1)[0].replace("argument", "").strip()
                raise CommandError(french.format(rest=rest))
        raise CommandError(f"Options invalides ({message}).")

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", help="Dossier où écrire les fichiers.")
        parser.add_argument("--campaign", help="Identifiant (slug) de la campagne.")

    def handle(self, *args, directory=None, campaign=None, **options):
        if not campaign:
            raise CommandError("Indiquez la campagne : --campaign IDENTIFIANT.")
        if not directory:
            raise CommandError("Indiquez le dossier où écrire les fichiers.")
        source = Campaign.objects.select_related("organisation").filter(slug=campaign).first()
        if source is None:
            raise CommandError(f"Campagne « {campaign} » introuvable.")
        target = Path(directory)
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} existe et n'est pas un dossier.")
        try:
            written = write_files(source, target)
        except OSError as error:
            raise CommandError(f"Impossible d'écrire dans {target} : {error.strerror}.") from error
        if not results_are_public(source):
            self.stderr.write(
                self.style.WARNING(
                    "Attention : les résultats de cette campagne ne sont pas encore publics ; "
                    "ne diffusez pas ces fichiers avant leur publication sur le site."
                )
            )
        self.stdout.write(
            self.style.SUCCESS(f"{len(written)} fichiers de données ouvertes écrits dans {target}.")
        )
