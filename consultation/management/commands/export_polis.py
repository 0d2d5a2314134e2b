"""Export a campaign's statements and votes in Pol.is's CSV format.

    manage.py export_polis --campaign SLUG DOSSIER

Writes comments.csv, votes.csv, participants-votes.csv (with the opinion group of each
participant, computed from the current votes) and summary.csv. Participants are numbers only:
accounts imported from Pol.is keep their Pol.is number, others are numbered after them.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consultation.importers.polis import export_polis
from consultation.models import Campaign
from consultation.opinion.database import campaign_vote_matrix
from consultation.opinion.pipeline import compute_opinion_groups


class Command(BaseCommand):
    help = "Exporte les affirmations et les votes d'une campagne au format Pol.is."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Dossier où écrire les fichiers CSV.")
        parser.add_argument("--campaign", required=True, help="Identifiant (slug) de la campagne.")

    def handle(self, *args, directory, campaign, **options):
        source = Campaign.objects.filter(slug=campaign).first()
        if source is None:
            raise CommandError(f"Campagne « {campaign} » introuvable.")
        target = Path(directory)
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} existe et n'est pas un dossier.")
        result = compute_opinion_groups(campaign_vote_matrix(source))
        groups = {
            int(account): int(group)
            for account, group in zip(
                result.participant_ids, result.participant_groups, strict=True
            )
            if group >= 0
        }
        counts = export_polis(source, target, groups)
        self.stdout.write(
            self.style.SUCCESS(
                f"Export Pol.is écrit dans {target} : {counts['comments']} commentaire(s), "
                f"{counts['votes']} vote(s), {counts['participants']} participant·e(s), "
                f"{result.n_groups} groupe(s) d'opinion."
            )
        )
