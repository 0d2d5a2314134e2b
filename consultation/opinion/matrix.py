"""The vote matrix: one row per participant, one column per statement that received a vote.

Stored as coordinates (row, column, vote) rather than a dense array: at 100,000 participants x
2,000 statements a dense float matrix is 1.6 GB, while 1% of it voted is 2 million triples.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

AGREE, DISAGREE, PASS = 1, -1, 0


@dataclass(frozen=True)
class VoteMatrix:
    """Latest votes, one per (participant, statement); `moderated_out` flags columns."""

    participant_ids: np.ndarray  # (n_participants,) ids of the rows, in row order
    statement_ids: np.ndarray  # (n_statements,) ids of the columns, in column order
    rows: np.ndarray  # (n_votes,) int32 row index of each vote
    cols: np.ndarray  # (n_votes,) int32 column index of each vote
    values: np.ndarray  # (n_votes,) int8: 1 agree, -1 disagree, 0 pass
    moderated_out: np.ndarray  # (n_statements,) bool

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.participant_ids), len(self.statement_ids)

    @property
    def n_votes(self) -> int:
        return len(self.values)

    def votes_per_participant(self) -> np.ndarray:
        """Votes cast by each participant, passes included, moderation ignored (Pol.is's
        user-vote-counts, read from the raw matrix)."""
        return np.bincount(self.rows, minlength=self.shape[0])

    def csr(self, data: np.ndarray) -> sparse.csr_matrix:
        """A CSR matrix with this matrix's pattern and `data` (one value per vote)."""
        return sparse.csr_matrix((data, (self.rows, self.cols)), shape=self.shape)

    def dense(self) -> np.ndarray:
        """The matrix with NaN for unseen cells; for tests and small exports only."""
        out = np.full(self.shape, np.nan)
        out[self.rows, self.cols] = self.values
        return out


def build_vote_matrix(
    participants: np.ndarray,
    statements: np.ndarray,
    values: np.ndarray,
    moderated_out_ids=(),
) -> VoteMatrix:
    """A matrix from parallel arrays of (participant id, statement id, vote), one per vote.

    Rows and columns are sorted by id, so the same votes always give the same matrix whatever
    order they were read in (Pol.is's first-distinct k-means start depends on row order).
    Callers pass latest votes only: a repeated (participant, statement) pair is refused.
    """
    participants = np.asarray(participants, dtype=np.int64)
    statements = np.asarray(statements, dtype=np.int64)
    values = np.asarray(values, dtype=np.int8)
    if not (len(participants) == len(statements) == len(values)):
        raise ValueError("participants, statements and values must have the same length")
    if len(values) and not np.isin(values, (AGREE, DISAGREE, PASS)).all():
        raise ValueError("votes must be 1, -1 or 0")
    participant_ids, rows = np.unique(participants, return_inverse=True)
    statement_ids, cols = np.unique(statements, return_inverse=True)
    rows, cols = rows.astype(np.int32), cols.astype(np.int32)
    if len(values):
        keys = rows.astype(np.int64) * max(len(statement_ids), 1) + cols
        if len(np.unique(keys)) != len(keys):
            raise ValueError("a participant has more than one vote on the same statement")
    moderated = np.isin(statement_ids, np.asarray(list(moderated_out_ids), dtype=np.int64))
    return VoteMatrix(participant_ids, statement_ids, rows, cols, values, moderated)
