"""Fill the database with the Pas-de-Calais demo: `manage.py seed_demo` (run by `make run`).

Idempotent: a second run creates nothing and changes nothing (natural keys and "demo:"
external references, see consultation/demo/seed.py). Content goes through the same actions as
real participation (submit_contribution, post_comment, add_support, cast_vote, register,
answer_contribution), with two settings changed for the run only: per-person rate limits are
lifted (hundreds of demo residents act within seconds) and tasks go to the dummy backend, so
no official-answer email is sent to demo addresses.
"""

import time

from django.core.management.base import BaseCommand

from consultation.demo.content import CAMPAIGN_SLUG, CAMPAIGN_TITLE
from consultation.demo.live import DEMO_JOIN_CODE
from consultation.demo.seed import DEMO_PASSWORD, ROLE_ACCOUNTS, seed_demo


class Command(BaseCommand):
    help = (
        "Crée la démonstration du Pas-de-Calais : campagne « Concertation résilience : "
        "inventons le territoire de demain » (phases, bassins versants, communes, thèmes, "
        "ateliers, contributions, commentaires, soutiens, affirmations et votes, réponses "
        "officielles) et un compte par rôle. Les dates sont calculées à partir du jour du "
        "premier lancement, pour que la campagne soit en phase de contributions. Sans effet si "
        "la démonstration existe déjà : relancer la commande ne crée aucun doublon et ne modifie "
        "rien. Pour repartir de dates fraîches, videz la base (manage.py flush) et relancez."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        summary = seed_demo()
        elapsed = time.monotonic() - started
        if any(summary.created.values()):
            created = ", ".join(f"{what} : {n}" for what, n in summary.created.items() if n)
            self.stdout.write(self.style.SUCCESS(f"Démonstration créée : {created}."))
        else:
            self.stdout.write(self.style.SUCCESS("Démonstration déjà en place : rien à créer."))
        self.stdout.write(f"Campagne : {CAMPAIGN_TITLE} (/c/{CAMPAIGN_SLUG}/)")
        self.stdout.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        for email, name, role, _staff, superuser in ROLE_ACCOUNTS:
            label = {
                None: "administration (superutilisateur)" if superuser else "habitant·e",
                "organiser": "organisation",
                "moderator": "modération",
                "facilitator": "animation",
            }[role]
            self.stdout.write(f"  - {label:34} {email}  ({name})")
        self.stdout.write(
            "Comptes de l'équipe (organisation, modération, animation, administration) : à la "
            "première connexion, associez une application d'authentification (FreeOTP, Aegis, "
            "Google Authenticator… : code QR, ou clé affichée en texte) et notez les codes de "
            "secours ; chaque connexion demande ensuite un code."
        )
        self.stdout.write(
            f"Atelier en direct : code {DEMO_JOIN_CODE}. Rejoindre : "
            f"/ateliers-en-direct/rejoindre/?code={DEMO_JOIN_CODE} (dans une fenêtre, en "
            "invité·e) ; animer : connecté·e avec le compte d'animation, "
            f"/ateliers-en-direct/{summary.live_session_id}/animer/ (dans une autre fenêtre)."
        )
        self.stdout.write(f"Durée : {elapsed:.1f} s.")
