"""The demo's live board: an open session of the Montreuil-sur-Mer workshop, with a known code.

`make run` prints the code so that a newcomer can open the projection in one window, join from
another as a guest, and watch cards arrive. The first cards are written by four participants of
the workshop through `run_command`, with ids derived from their text (uuid5): a second seeding
run finds them and adds nothing.
"""

import uuid

from django.contrib.auth.models import AnonymousUser

from consultation.actions.boards import join_session, open_session, run_command
from consultation.models import LiveSession, Participant, User, Workshop
from consultation.models.boards import BoardTemplate

DEMO_JOIN_CODE = "CANCHE"
NAMESPACE = uuid.UUID("6f1c2a52-5b8e-4d0e-9a52-62a0c0a0d062")

# (nickname, column index, text): what people at a Canche workshop say first.
FIRST_CARDS = [
    (
        "Martine, Beutin",
        0,
        "En novembre 2023, la Canche est montée en une nuit : on n'a eu "
        "l'alerte qu'au matin, quand l'eau était déjà dans les caves.",
    ),
    (
        "Jean-Luc, agriculteur",
        0,
        "Les fossés le long des routes ne sont plus curés depuis des "
        "années, l'eau des champs part directement dans les rues.",
    ),
    (
        "Sophie, Montreuil",
        0,
        "Les personnes âgées du centre-bourg ne savaient pas où aller : "
        "personne n'a frappé à leur porte.",
    ),
    (
        "Martine, Beutin",
        1,
        "Une liste de voisins volontaires par rue, qui préviennent les "
        "personnes isolées dès la vigilance orange.",
    ),
    (
        "Jean-Luc, agriculteur",
        1,
        "Replanter des haies et des bandes enherbées en travers des "
        "pentes, avec une aide à l'entretien pour les exploitants.",
    ),
    (
        "Karim, Étaples",
        1,
        "Des repères de crue visibles sur les ponts, pour que chacun sache "
        "jusqu'où l'eau est montée.",
    ),
    (
        "Sophie, Montreuil",
        2,
        "Organiser un exercice d'évacuation par an dans chaque commune de "
        "la vallée, avec les écoles.",
    ),
]


def _participant(session: LiveSession, nickname: str) -> Participant:
    existing = session.participants.filter(nickname=nickname, user__isnull=True).first()
    if existing is not None:
        return existing
    return join_session(AnonymousUser(), session.join_code, nickname=nickname)[0]


def seed_live_session(facilitator: User, workshop: Workshop) -> tuple[LiveSession, int]:
    """Open (or find) the demo session and its first cards; returns it and the cards created."""
    session = LiveSession.objects.filter(join_code=DEMO_JOIN_CODE).first()
    if session is None:
        session = open_session(
            facilitator,
            workshop,
            title="Vallée de la Canche : constats, idées, actions",
            template=BoardTemplate.FINDINGS_IDEAS_ACTIONS,
        )
        LiveSession.objects.filter(pk=session.pk).update(join_code=DEMO_JOIN_CODE)
        session.refresh_from_db()
    board = session.boards.order_by("position").first()
    columns = list(board.columns.order_by("position"))
    created = 0
    for nickname, column, text in FIRST_CARDS:
        key = uuid.uuid5(NAMESPACE, text)
        if board.cards.filter(key=key).exists():
            continue
        message = {"type": "card.add", "id": str(key), "column": columns[column].pk, "text": text}
        run_command(_participant(session, nickname), board, message)
        created += 1
    return session, created
