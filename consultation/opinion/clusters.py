"""Pol.is's two-level k-means (clusters.clj, conversation.clj).

Participants with enough votes are first grouped into up to 100 base clusters; the opinion
groups are then a k-means of the base centres weighted by their sizes, for k = 2..5, keeping
the k whose clustering has the best silhouette on the base centres. As in Pol.is:

* k-means starts from the first k distinct points, in row order (no random draw);
* a cluster left empty by an assignment step is dropped, not re-seeded, so fewer than k
  clusters may come out;
* it stops when every centre moved less than 0.01, or after the iteration budget: 100 for
  base clusters; 20 for groups, because conversation.clj passes the group budget under a key
  (`:cluster-iters`) that `kmeans` ignores, so its default of 20 applies;
* k is at most 2 + (number of base clusters) / 12, and at most 5.

Not reproduced: Pol.is starts each update from the previous update's clusters and only
changes k after the same best k came out 4 updates running. Here each computation starts
fresh. A fresh start from the first distinct base centres alone often stops in a poor local
optimum that Pol.is's update-after-update refinement would have left (on the Seattle $15
conversation, adjusted Rand index 0.56 against Pol.is's groups); so the group k-means also
runs from 15 seeded k-means++ starts and keeps the clustering with the least weighted
within-group variance (0.88 there). The seed is fixed: the same votes give the same groups.
"""

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

BASE_K = 100
BASE_ITERS = 100
GROUP_ITERS = 20
MAX_GROUPS = 5
SAME_CENTER_DISTANCE = 0.01
MIN_VOTES = 7
GREEDY_PARTICIPANTS = 15
GROUP_STARTS = 15
SEED = 20140618


@dataclass(frozen=True)
class KMeans:
    centers: np.ndarray  # (n_clusters, 2)
    labels: np.ndarray  # (n_points,) index into centers


@dataclass(frozen=True)
class Clustering:
    in_conv: np.ndarray  # (n_participants,) bool: clustered participants
    base: KMeans  # over the in-conv participants, in row order
    groups: KMeans  # over the base centres
    silhouettes: dict[int, float]  # k tried -> silhouette

    def participant_groups(self, n_participants: int) -> np.ndarray:
        """Group index of every participant, -1 for those not clustered."""
        out = np.full(n_participants, -1)
        out[self.in_conv] = self.groups.labels[self.base.labels]
        return out


def first_distinct(points: np.ndarray, k: int) -> np.ndarray:
    """Indices of the first k distinct rows of `points`, in order (Pol.is's init-clusters)."""
    _, first = np.unique(points, axis=0, return_index=True)
    return np.sort(first)[:k]


def nearest(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the closest centre to each point. A k-d tree over the (at most 100) centres
    answers in O(log k) per point, where a full distance table costs O(k)."""
    workers = -1 if len(points) > 20_000 else 1  # threads cost more than they save below
    _, labels = cKDTree(centers).query(points, workers=workers)
    return labels


def _same_clustering(old: np.ndarray, new: np.ndarray) -> bool:
    # Pol.is sorts both sets of centres and compares them pairwise, zip-style: when a cluster
    # was dropped, the extra centre is not compared.
    old = old[np.lexsort(old.T[::-1])]
    new = new[np.lexsort(new.T[::-1])]
    n = min(len(old), len(new))
    return bool(np.all(np.linalg.norm(old[:n] - new[:n], axis=1) < SAME_CENTER_DISTANCE))


def kmeans(points: np.ndarray, k: int, max_iters: int, weights=None, start=None) -> KMeans:
    """Pol.is's k-means: first-distinct start (unless `start` centres are given), empty
    clusters dropped, weighted means."""
    weights = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=float)
    centers = points[first_distinct(points, k)] if start is None else start
    for iteration in range(max_iters + 1):
        labels = nearest(points, centers)
        mass = np.bincount(labels, weights=weights, minlength=len(centers))
        kept = np.flatnonzero(mass > 0)
        sums = np.stack(
            [
                np.bincount(labels, weights=weights * points[:, d], minlength=len(centers))
                for d in (0, 1)
            ],
            axis=1,
        )
        new_centers = sums[kept] / mass[kept, None]
        relabel = np.full(len(centers), -1)
        relabel[kept] = np.arange(len(kept))
        labels = relabel[labels]
        if iteration == max_iters or _same_clustering(centers, new_centers):
            return KMeans(new_centers, labels)
        centers = new_centers
    raise AssertionError("unreachable")


def within_variance(points: np.ndarray, result: KMeans, weights: np.ndarray) -> float:
    return float((weights * ((points - result.centers[result.labels]) ** 2).sum(axis=1)).sum())


def kmeans_plusplus(
    points: np.ndarray, k: int, weights: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """k-means++ starting centres, each point drawn with probability weight x squared
    distance to the centres already drawn."""
    chosen = [rng.choice(len(points), p=weights / weights.sum())]
    closest = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        odds = weights * closest
        if odds.sum() <= 0:
            break
        chosen.append(rng.choice(len(points), p=odds / odds.sum()))
        closest = np.minimum(closest, ((points - points[chosen[-1]]) ** 2).sum(axis=1))
    return points[chosen]


def group_kmeans(centers: np.ndarray, k: int, weights: np.ndarray) -> KMeans:
    """The best of Pol.is's k-means from the first-distinct start and from seeded k-means++
    starts, by weighted within-group variance (the first start wins ties)."""
    results = [kmeans(centers, k, GROUP_ITERS, weights)]
    if len(centers) > k:
        rng = np.random.default_rng([SEED, k])
        for _ in range(GROUP_STARTS):
            start = kmeans_plusplus(centers, k, weights, rng)
            results.append(kmeans(centers, k, GROUP_ITERS, weights, start=start))
    scores = [within_variance(centers, result, weights) for result in results]
    return results[int(np.argmin(scores))]


def silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of the points (Pol.is: a member alone in its cluster scores 0)."""
    distances = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    clusters = np.unique(labels)
    if len(clusters) < 2:
        return 0.0
    member = labels[None, :] == clusters[:, None]  # (n_clusters, n_points)
    sizes = member.sum(axis=1)
    mean_to = (distances @ member.T) / sizes[None, :]  # (n_points, n_clusters)
    own = np.searchsorted(clusters, labels)
    own_size = sizes[own]
    a = (distances * member[own]).sum(axis=1) / np.maximum(own_size - 1, 1)
    mean_to[np.arange(len(points)), own] = np.inf
    b = mean_to.min(axis=1)
    widest = np.maximum(a, b)
    scores = np.divide(b - a, widest, out=np.zeros(len(points)), where=widest > 0)
    scores[own_size == 1] = 0.0
    return float(scores.mean())


def in_conversation(votes_per_participant: np.ndarray, n_statements: int) -> np.ndarray:
    """Who is clustered: at least min(7, statements) votes; if that leaves fewer than 15
    people, Pol.is tops up with the most active voters."""
    selected = votes_per_participant >= min(MIN_VOTES, n_statements)
    selected &= votes_per_participant > 0
    missing = GREEDY_PARTICIPANTS - int(selected.sum())
    if missing > 0:
        candidates = np.flatnonzero(~selected & (votes_per_participant > 0))
        # Most votes first; ties by row order (stable sort), so the choice is deterministic.
        order = candidates[np.argsort(-votes_per_participant[candidates], kind="stable")]
        selected[order[:missing]] = True
    return selected


def max_groups(n_base: int) -> int:
    return min(MAX_GROUPS, 2 + n_base // 12)


def cluster(positions: np.ndarray, in_conv: np.ndarray) -> Clustering | None:
    """Base clusters then groups; None when nobody can be clustered."""
    points = positions[in_conv]
    if len(points) == 0:
        return None
    base = kmeans(points, BASE_K, BASE_ITERS)
    weights = np.bincount(base.labels, minlength=len(base.centers))
    candidates = {
        k: group_kmeans(base.centers, k, weights.astype(float))
        for k in range(2, max_groups(len(base.centers)) + 1)
    }
    silhouettes = {k: silhouette(base.centers, c.labels) for k, c in candidates.items()}
    # Pol.is's max-key keeps the last of equal scores, i.e. the largest k.
    best = max(silhouettes, key=lambda k: (silhouettes[k], k))
    return Clustering(in_conv, base, candidates[best], silhouettes)
