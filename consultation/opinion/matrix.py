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
    values = np.asarray(values)
    if not (len(participants) == len(statements) == len(values)):
        raise ValueError("participants, statements and values must have the same length")
    if len(values) and not np.isin(values, (AGREE, DISAGREE, PASS)).all():
        raise ValueError("votes must be 1, -1 or 0")
    values = values.astype(np.int8)
    participant_ids, rows = _index(participants)
    statement_ids, cols = _index(statements)
    if len(values) and _has_repeats(rows, cols, len(participant_ids), len(statement_ids)):
        raise ValueError("a participant has more than one vote on the same statement")
    moderated = np.isin(statement_ids, np.asarray(list(moderated_out_ids), dtype=np.int64))
    return VoteMatrix(participant_ids, statement_ids, rows, cols, values, moderated)


def _index(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ids, sorted, and the int32 position of each id among them (what
    np.unique(ids, return_inverse=True) gives), through a table indexed by id when the ids
    span a range not much wider than their number (database keys do), a sort otherwise."""
    if len(ids) == 0:
        return ids, np.zeros(0, dtype=np.int32)
    low = int(ids.min())
    span = int(ids.max()) - low + 1
    if span > 4 * len(ids) + 100_000:
        ordered = np.sort(ids)
        distinct = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
        return distinct, np.searchsorted(distinct, ids).astype(np.int32)
    offsets = ids - low
    present = np.zeros(span, dtype=bool)
    present[offsets] = True
    position = np.cumsum(present, dtype=np.int32) - 1
    return np.flatnonzero(present) + low, position[offsets]


def _has_repeats(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> bool:
    """Whether a (row, column) cell appears twice: a table of the cells when it is small
    (up to 20 MB), a sort of the cell numbers otherwise."""
    cells = rows.astype(np.int64) * n_cols + cols
    if n_rows * n_cols <= 20_000_000:
        seen = np.zeros(n_rows * n_cols, dtype=bool)
        seen[cells] = True
        return int(np.count_nonzero(seen)) != len(cells)
    cells.sort()
    return bool((cells[1:] == cells[:-1]).any())
