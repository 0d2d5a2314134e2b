"""Vote matrices with planted opinion groups, for bench/synthesis and the opinion tests.

Each planted group has, per statement, a leaning: most statements split the groups (each
group agrees with probability `split` or 1 - `split`, drawn per group; 0.8 by default), a
share are consensual (every group agrees with probability 0.75). Each participant sees each
statement with probability `fill`, passes 15% of the time, otherwise agrees with their
group's probability. Group membership is drawn per participant, so the groups are not in
blocks of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from consultation.opinion.matrix import VoteMatrix, build_vote_matrix

PASS_RATE = 0.15
CONSENSUAL_SHARE = 0.2


@dataclass(frozen=True)
class Planted:
    matrix: VoteMatrix
    groups: np.ndarray  # planted group of each row of matrix


def planted_votes(
    participants: int,
    statements: int,
    fill: float,
    *,
    groups: int = 3,
    seed: int = 0,
    split: float = 0.8,
) -> Planted:
    rng = np.random.default_rng(seed)
    sizes = rng.dirichlet(np.full(groups, 4.0))
    membership = rng.choice(groups, size=participants, p=sizes)
    agree_odds = np.where(rng.random((groups, statements)) < 0.5, split, 1 - split)
    agree_odds[:, rng.random(statements) < CONSENSUAL_SHARE] = 0.75
    rows, cols = _seen_cells(rng, participants, statements, fill)
    draw = rng.random(len(rows))
    agree = rng.random(len(rows)) < agree_odds[membership[rows], cols]
    values = np.where(draw < PASS_RATE, 0, np.where(agree, 1, -1))
    matrix = build_vote_matrix(rows, cols, values)
    return Planted(matrix, membership[matrix.participant_ids])


def _seen_cells(rng: np.random.Generator, participants: int, statements: int, fill: float):
    """Each cell seen with probability `fill`, drawn by blocks of rows to bound memory."""
    rows, cols = [], []
    block = max(1, 10_000_000 // statements)
    for start in range(0, participants, block):
        seen = rng.random((min(block, participants - start), statements), dtype=np.float32) < fill
        r, c = np.nonzero(seen)
        rows.append(r + start)
        cols.append(c)
    return np.concatenate(rows), np.concatenate(cols)
