"""The whole computation, from a vote matrix to what is stored and shown."""

from dataclasses import dataclass, field
from functools import cache

import numpy as np
from threadpoolctl import ThreadpoolController

from consultation.opinion import clusters, pca, repness
from consultation.opinion.matrix import VoteMatrix

RESULT_VERSION = 1


@dataclass
class OpinionGroups:
    """The outcome of one computation; `as_json()` is what the database keeps."""

    participant_ids: np.ndarray
    positions: np.ndarray  # (n_participants, 2)
    participant_groups: np.ndarray  # (n_participants,) group index, -1 if not clustered
    group_centers: np.ndarray  # (n_groups, 2)
    group_sizes: np.ndarray  # (n_groups,)
    repness: dict[int, list[dict]] = field(default_factory=dict)
    consensus: dict[str, list[dict]] = field(default_factory=dict)
    uncertainty: list[dict] = field(default_factory=list)
    silhouettes: dict[int, float] = field(default_factory=dict)
    base_clusters: int = 0
    statements: int = 0
    votes: int = 0

    @property
    def n_groups(self) -> int:
        return len(self.group_sizes)

    @property
    def clustered(self) -> int:
        return int((self.participant_groups >= 0).sum())

    def as_json(self) -> dict:
        """Columnar participants (small JSON at 100,000 people), rounded positions."""
        return {
            "version": RESULT_VERSION,
            "participants": {
                "ids": self.participant_ids.tolist(),
                "x": np.round(self.positions[:, 0], 4).tolist(),
                "y": np.round(self.positions[:, 1], 4).tolist(),
                "group": [None if g < 0 else int(g) for g in self.participant_groups],
            },
            "groups": [
                {"id": g, "members": int(size), "center": np.round(center, 4).tolist()}
                for g, (size, center) in enumerate(
                    zip(self.group_sizes, self.group_centers, strict=True)
                )
            ],
            "repness": {str(g): items for g, items in self.repness.items()},
            "consensus": self.consensus,
            "uncertainty": self.uncertainty,
            "silhouettes": {str(k): round(v, 4) for k, v in self.silhouettes.items()},
            "base_clusters": self.base_clusters,
        }


def _empty(matrix: VoteMatrix, positions: np.ndarray) -> OpinionGroups:
    return OpinionGroups(
        participant_ids=matrix.participant_ids,
        positions=positions,
        participant_groups=np.full(matrix.shape[0], -1),
        group_centers=np.zeros((0, 2)),
        group_sizes=np.zeros(0, dtype=int),
        statements=matrix.shape[1],
        votes=matrix.n_votes,
    )


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()  # finds the BLAS libraries loaded with numpy and scipy


def compute_opinion_groups(matrix: VoteMatrix) -> OpinionGroups:
    """Groups, positions, repness, consensus and uncertainty for the votes of `matrix`."""
    # BLAS only ever sees small arrays here (Gram matrices of at most 10^8 operations, the
    # ARPACK basis, 100 base centres): waking OpenBLAS's threads costs more than they save,
    # and on a busy machine they spin waiting for a core (339 x 54 votes, machine loaded:
    # about 20 ms instead of 90 at the median).
    with _blas().limit(limits=1, user_api="blas"):
        return _compute(matrix)


def _compute(matrix: VoteMatrix) -> OpinionGroups:
    if matrix.n_votes == 0:
        return _empty(matrix, np.zeros((matrix.shape[0], 2)))
    projection = pca.project(matrix)
    in_conv = clusters.in_conversation(matrix.votes_per_participant(), matrix.shape[1])
    clustering = clusters.cluster(projection.positions, in_conv)
    if clustering is None:
        return _empty(matrix, projection.positions)
    groups = clustering.participant_groups(matrix.shape[0])
    n_groups = len(clustering.groups.centers)
    candidates = np.flatnonzero(~matrix.moderated_out).tolist()
    counts = repness.count_by_group(matrix, groups, n_groups, zero_moderated=False)
    stats = repness.repness_stats(repness.moderated_as_passes(counts, matrix, groups, n_groups))
    agree, disagree = repness.group_aware_consensus(counts)
    ids = matrix.statement_ids
    return OpinionGroups(
        participant_ids=matrix.participant_ids,
        positions=projection.positions,
        participant_groups=groups,
        group_centers=clustering.groups.centers,
        group_sizes=np.bincount(groups[groups >= 0], minlength=n_groups),
        repness={
            g: repness.select_representative(stats, g, ids, candidates) for g in range(n_groups)
        },
        consensus={
            "agree": repness.top_consensus(agree, ids, candidates),
            "disagree": repness.top_consensus(disagree, ids, candidates),
        },
        uncertainty=repness.uncertain_statements(matrix, candidates),
        silhouettes=clustering.silhouettes,
        base_clusters=len(clustering.base.centers),
        statements=matrix.shape[1],
        votes=matrix.n_votes,
    )
