"""The vote matrix of a campaign, read from the database in one query."""

import numpy as np

from consultation.models import Campaign, Statement, StatementVote
from consultation.models.contributions import Visibility
from consultation.opinion.matrix import VoteMatrix, build_vote_matrix


def campaign_vote_matrix(campaign: Campaign) -> VoteMatrix:
    """Every statement vote of the campaign (rows: accounts, columns: statements with at least
    one vote). Hidden statements are the moderated-out ones; those awaiting moderation are
    kept, as Pol.is keeps unmoderated comments outside strict moderation."""
    rows = StatementVote.objects.filter(statement__campaign=campaign).values_list(
        "user_id", "statement_id", "choice"
    )
    votes = np.array(list(rows.iterator(chunk_size=20_000)), dtype=np.int64).reshape(-1, 3)
    hidden = Statement.objects.filter(campaign=campaign, visibility=Visibility.HIDDEN)
    return build_vote_matrix(
        votes[:, 0], votes[:, 1], votes[:, 2], hidden.values_list("pk", flat=True)
    )
