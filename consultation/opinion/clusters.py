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

Speed without changing a result (each fast path is checked against the plain loop it replaces,
to the last bit, in tests/consultation/opinion/test_clusters.py): the base k-means searches
a distance table when there are few points, and otherwise re-searches at each step only the
points whose nearest centre may have changed (Hamerly's and Elkan's bounds); ties still go
where the plain k-d tree search sends them. The 4 x 16 group k-means run side by side, one
small distance table per centre and step for all of them, from k-means++ starts also drawn
side by side from the same seeded generators.
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
# Up to this many centres, or this many point x centre distances, a full distance table is
# cheaper than building and searching a k-d tree.
TABLE_MAX_CENTERS = 8
TABLE_MAX_CELLS = 40_000


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
    """Indices of the first k distinct rows of `points`, in order (Pol.is's init-clusters).

    Only a head of the rows is searched, grown until it holds k distinct rows: the k first
    distinct rows of the head are then those of the whole."""
    size = k
    while True:
        _, first = np.unique(points[:size], axis=0, return_index=True)
        if len(first) >= k or size >= len(points):
            return np.sort(first)[:k]
        size *= 4


def squared_distances(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(..., n_points, n_centres) squared distances from (n_points, 2) points to
    (..., n_centres, 2) centres."""
    dx = points[:, 0, None] - centers[..., None, :, 0]
    dy = points[:, 1, None] - centers[..., None, :, 1]
    return dx * dx + dy * dy


def nearest(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the closest centre to each point. For a few centres, a distance table (ties go
    to the first centre); beyond, a k-d tree over the (at most 100) centres answers in
    O(log k) per point, where a table costs O(k)."""
    if len(centers) <= TABLE_MAX_CENTERS:
        return squared_distances(points, centers).argmin(axis=1)
    return _tree_query(cKDTree(centers), points, 1)[1]


def _tree_query(tree: cKDTree, points: np.ndarray, k: int):
    workers = -1 if len(points) > 20_000 else 1  # threads cost more than they save below
    return tree.query(points, k=k, workers=workers)


class _Assignment:
    """The nearest centre of every point, step after step of one k-means, the same as
    `nearest` would give, but re-searched only for the points whose nearest centre may have
    changed. Two bounds tell which points keep their centre: Hamerly's (closer to the own
    centre than any other centre can be: the distance to the second closest, minus how far
    the others moved since) and Elkan's (closer to the own centre than half its distance to
    the closest other centre)."""

    def __init__(self, points: np.ndarray):
        self.points = points
        self.labels = np.zeros(len(points), dtype=np.intp)
        self.upper = np.full(len(points), np.inf)  # >= distance to the own centre
        self.lower = np.zeros(len(points))  # <= distance to any other centre
        self.bounded = True  # False once the centres are few enough for a table
        # Rounding in the bounds is far below this; a point this close to a tie is re-searched.
        self.slack = 1e-9 * (1.0 + float(np.abs(points).max(initial=0.0)))

    def nearest(self, centers: np.ndarray) -> np.ndarray:
        # Centres are only ever dropped: once few enough for a table, they stay so, and the
        # bounds are not needed any more.
        self.bounded = len(centers) > TABLE_MAX_CENTERS and (
            len(centers) * len(self.points) > TABLE_MAX_CELLS
        )
        if len(centers) <= TABLE_MAX_CENTERS:
            return nearest(self.points, centers)
        if not self.bounded:
            return self._from_table(centers)
        tree = cKDTree(centers)
        half_gap = tree.query(centers, k=2)[0][:, 1] / 2  # to the closest other centre
        unsure = self._unsure(np.arange(len(self.points)), half_gap)
        if len(unsure):  # the upper bound has drifted: measure the distance to the own centre
            self.upper[unsure] = _distance(self.points[unsure], centers[self.labels[unsure]])
            unsure = self._unsure(unsure, half_gap)
        if len(unsure):
            distance, index = _tree_query(tree, self.points[unsure], 2)
            self.labels[unsure], self.upper[unsure] = index[:, 0], distance[:, 0]
            self.lower[unsure] = distance[:, 1]
            # With two centres (nearly) as close, take the one a plain search would give.
            tied = unsure[distance[:, 1] - distance[:, 0] <= self.slack]
            if len(tied):
                self.labels[tied] = _tree_query(tree, self.points[tied], 1)[1]
        return self.labels

    def _from_table(self, centers: np.ndarray) -> np.ndarray:
        """The nearest centres from a distance table; a point with two centres (nearly) as
        close is searched in the tree, so that it goes where a plain search would send it."""
        distances = squared_distances(self.points, centers)
        labels = distances.argmin(axis=1)
        reach = (np.sqrt(distances[np.arange(len(labels)), labels]) + self.slack) ** 2
        tied = np.flatnonzero((distances <= reach[:, None]).sum(axis=1) > 1)
        if len(tied):
            labels[tied] = _tree_query(cKDTree(centers), self.points[tied], 1)[1]
        return labels

    def _unsure(self, candidates: np.ndarray, half_gap: np.ndarray) -> np.ndarray:
        labels = self.labels[candidates]
        bound = np.maximum(self.lower[candidates], half_gap[labels])
        return candidates[self.upper[candidates] + self.slack >= bound]

    def moved(self, relabel: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
        """The kept centres moved from `before` to `after` and are renumbered by `relabel` (-1
        for the dropped ones, which had no point: dropping one only pushes the others away)."""
        if not self.bounded:
            return
        shift = np.linalg.norm(after - before, axis=1)
        self.labels = relabel[self.labels]
        self.upper += shift[self.labels]
        self.upper[self.labels < 0] = np.inf  # in a dropped cluster (weight 0): search again
        farthest = int(np.argmax(shift))
        others = np.partition(shift, -2)[-2] if len(shift) > 1 else 0.0
        self.lower -= np.where(self.labels == farthest, others, shift[farthest])


def _distance(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    dx, dy = points[:, 0] - centers[:, 0], points[:, 1] - centers[:, 1]
    return np.sqrt(dx * dx + dy * dy)


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
    weighted = (weights, weights * points[:, 0], weights * points[:, 1])
    centers = points[first_distinct(points, k)] if start is None else start
    assignment = _Assignment(points)
    for iteration in range(max_iters + 1):
        labels = assignment.nearest(centers)
        mass, x, y = (np.bincount(labels, weights=w, minlength=len(centers)) for w in weighted)
        kept = np.flatnonzero(mass > 0)
        new_centers = np.stack([x[kept], y[kept]], axis=1) / mass[kept, None]
        relabel = np.full(len(centers), -1)
        relabel[kept] = np.arange(len(kept))
        if iteration == max_iters or _same_clustering(centers, new_centers):
            return KMeans(new_centers, relabel[labels])
        assignment.moved(relabel, centers[kept], new_centers)
        centers = new_centers
    raise AssertionError("unreachable")


def kmeans_many(
    points: np.ndarray, starts: list[np.ndarray], max_iters: int, weights: np.ndarray
) -> list[KMeans]:
    """`kmeans(points, len(start), max_iters, weights, start)` for every start, all run side
    by side: one (runs x centres x points) distance table per step instead of one small
    k-means after the other. Same results as the calls one by one, for up to
    TABLE_MAX_CENTERS centres per start."""
    runs = _Runs(points, starts, max_iters, weights)
    return [runs.result(run) for run in range(len(starts))]


class _Runs:
    """Side-by-side k-means runs; centres are (runs x width) x and y arrays where a dropped or
    missing centre is at infinity, so it is never the closest and sorts last."""

    def __init__(self, points, starts, max_iters: int, weights: np.ndarray):
        n_runs, width = len(starts), max(len(start) for start in starts)
        self.points, self.width = points, width
        self.labels = np.empty((n_runs, len(points)), dtype=np.intp)
        self.x, self.y = np.full((n_runs, width), np.inf), np.full((n_runs, width), np.inf)
        for run, start in enumerate(starts):
            self.x[run, : len(start)], self.y[run, : len(start)] = start[:, 0], start[:, 1]
        # Rows by number of centres: centre c is then computed only for a tail of the rows.
        sizes = np.array([len(start) for start in starts])
        order = np.argsort(sizes, kind="stable")
        self._run(order, sizes[order], max_iters, weights)

    def _run(self, running, sizes, max_iters, weights) -> None:
        """`running`: the run of each row; `sizes`: its number of starting centres."""
        px, py = np.ascontiguousarray(self.points.T)
        n, width = len(px), self.width
        x, y = self.x[running], self.y[running]
        weighted = [np.tile(w, len(x)) for w in (weights, weights * px, weights * py)]
        offsets = width * np.arange(len(x))[:, None]
        in_order, active = _in_order(x, y), np.isfinite(x).sum(axis=1)
        tails = np.searchsorted(sizes, np.arange(width), side="right")
        for iteration in range(max_iters + 1):
            rows = len(running)
            labels = _nearest_of_many(px, py, x, y, tails)
            bins = (labels + offsets[:rows]).ravel()
            mass, sum_x, sum_y = (
                np.bincount(bins, w[: rows * n], rows * width).reshape(rows, width)
                for w in weighted
            )
            kept = mass > 0
            x = np.divide(sum_x, mass, out=np.full_like(mass, np.inf), where=kept)
            y = np.divide(sum_y, mass, out=np.full_like(mass, np.inf), where=kept)
            new_order, new_active = _in_order(x, y), kept.sum(axis=1)
            done = _unmoved(in_order, active, new_order, new_active)
            if iteration == max_iters:
                done[:] = True
            if done.any():
                finished, going = running[done], ~done
                self.labels[finished], self.x[finished], self.y[finished] = (
                    labels[done],
                    x[done],
                    y[done],
                )
                running, sizes, x, y = running[going], sizes[going], x[going], y[going]
                new_order, new_active = new_order[going], new_active[going]
                if not len(running):
                    return
                tails = np.searchsorted(sizes, np.arange(width), side="right")
            in_order, active = new_order, new_active

    def within_variances(self, weights: np.ndarray) -> np.ndarray:
        """`within_variance` of every run."""
        px, py = self.points[:, 0], self.points[:, 1]
        dx = px - np.take_along_axis(self.x, self.labels, axis=1)
        dy = py - np.take_along_axis(self.y, self.labels, axis=1)
        return (weights * (dx * dx + dy * dy)).sum(axis=1)

    def result(self, run: int) -> KMeans:
        kept = np.isfinite(self.x[run])
        relabel = np.where(kept, np.cumsum(kept) - 1, -1)
        centers = np.stack([self.x[run, kept], self.y[run, kept]], axis=1)
        return KMeans(centers, relabel[self.labels[run]])


def _nearest_of_many(px, py, x, y, tails) -> np.ndarray:
    """(runs, points) index of each point's closest centre in each run (ties to the first,
    like `nearest`, with which the distances agree to the last bit); only the rows from
    `tails[c]` on have a centre c. One centre at a time: (runs x points) arrays stay small
    enough for the allocator to reuse them."""
    labels = np.zeros((len(x), len(px)), dtype=np.intp)
    best = _squared_distance(px, py, x[:, 0, None], y[:, 0, None])
    for centre in range(1, x.shape[1]):
        tail = tails[centre]
        if tail == len(x):
            break
        distance = _squared_distance(px, py, x[tail:, centre, None], y[tail:, centre, None])
        np.putmask(labels[tail:], distance < best[tail:], centre)
        np.minimum(best[tail:], distance, out=best[tail:])
    return labels


def _squared_distance(px, py, x, y) -> np.ndarray:
    dx, dy = px - x, py - y
    dx *= dx
    dy *= dy
    dx += dy
    return dx


def _in_order(x, y) -> np.ndarray:
    """Each run's centres as complex numbers x + iy, sorted: by x, then y (a lexsort)."""
    centers = np.empty(x.shape, dtype=complex)
    centers.real, centers.imag = x, y
    return np.sort(centers, axis=1)


def _unmoved(old, old_active, new, new_active) -> np.ndarray:
    """`_same_clustering` of each run's sorted centres before and after a step: the first
    min(active before, active after) pairs compared."""
    compared = np.arange(old.shape[1]) < np.minimum(old_active, new_active)[:, None]
    moved = np.subtract(old, new, out=np.zeros_like(old), where=compared)
    return (np.sqrt(moved.real * moved.real + moved.imag * moved.imag) < SAME_CENTER_DISTANCE).all(
        axis=1
    )


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


def kmeans_plusplus_starts(
    points: np.ndarray, k: int, weights: np.ndarray, rng: np.random.Generator, n_starts: int
) -> list[np.ndarray]:
    """`n_starts` successive `kmeans_plusplus` draws from `rng`, drawn side by side."""
    return _plusplus_starts(points, weights, {k: rng}, n_starts)[k]


def _plusplus_starts(points, weights, rngs: dict, n_starts: int) -> dict[int, list]:
    """For each k, `n_starts` successive `kmeans_plusplus(points, k, weights, rngs[k])`, all
    drawn side by side: the same starts, since `rng.choice(n, p=p)` is the first index whose
    normalised cumulative p exceeds one uniform draw. When a start runs out of distinct points
    (its draws stop early, so the next start's draws shift), that k's starts are drawn one by
    one instead."""
    ks = sorted(rngs)
    states = {k: rngs[k].bit_generator.state for k in ks}
    sizes = np.repeat(ks, n_starts)  # rows by k: step s concerns a tail of the rows
    uniform = np.zeros((len(sizes), max(ks)))
    for k in ks:
        uniform[sizes == k, :k] = rngs[k].random((n_starts, k))
    px, py = points[:, 0], points[:, 1]
    cdf = _cdf(weights[None, :] / weights.sum())
    chosen = np.zeros((len(sizes), max(ks)), dtype=np.intp)
    chosen[:, 0] = (cdf <= uniform[:, :1]).sum(axis=1)
    closest = _squared_distance(px, py, px[chosen[:, :1]], py[chosen[:, :1]])
    stopped = np.zeros(len(sizes), dtype=bool)  # would have stopped early
    for step in range(1, max(ks)):
        tail = int(np.searchsorted(sizes, step, side="right"))
        odds = weights * closest[tail:]
        total = odds.sum(axis=1)
        stopped[tail:] |= total <= 0
        with np.errstate(divide="ignore", invalid="ignore"):  # in stopped rows, redrawn below
            cdf = _cdf(odds / total[:, None])
        chosen[tail:, step] = (cdf <= uniform[tail:, step, None]).sum(axis=1)
        drawn = chosen[tail:, step, None]
        np.minimum(
            closest[tail:], _squared_distance(px, py, px[drawn], py[drawn]), out=closest[tail:]
        )
    starts = {}
    for k in ks:
        mine = sizes == k
        if stopped[mine].any():
            rngs[k].bit_generator.state = states[k]
            starts[k] = [kmeans_plusplus(points, k, weights, rngs[k]) for _ in range(n_starts)]
        else:
            starts[k] = list(points[chosen[mine, :k]])
    return starts


def _cdf(p: np.ndarray) -> np.ndarray:
    """Cumulative probabilities by row, normalised as numpy's Generator.choice does."""
    cdf = p.cumsum(axis=1)
    cdf /= cdf[:, -1:]
    return cdf


def group_candidates(centers: np.ndarray, ks, weights: np.ndarray) -> dict[int, KMeans]:
    """For each k, the best of Pol.is's k-means from the first-distinct start and from seeded
    k-means++ starts, by weighted within-group variance (the first start wins ties)."""
    first = first_distinct(centers, max(ks))
    starts = {k: [centers[first[:k]]] for k in ks}
    drawn = {k: np.random.default_rng([SEED, k]) for k in ks if len(centers) > k}
    if drawn:
        for k, extra in _plusplus_starts(centers, weights, drawn, GROUP_STARTS).items():
            starts[k] += extra
    runs = _Runs(centers, [s for k in ks for s in starts[k]], GROUP_ITERS, weights)
    scores = runs.within_variances(weights)
    best, offset = {}, 0
    for k in ks:
        best[k] = runs.result(offset + int(np.argmin(scores[offset : offset + len(starts[k])])))
        offset += len(starts[k])
    return best


def group_kmeans(centers: np.ndarray, k: int, weights: np.ndarray) -> KMeans:
    """`group_candidates` for one k."""
    return group_candidates(centers, [k], weights)[k]


def pairwise_distances(points: np.ndarray) -> np.ndarray:
    return np.sqrt(squared_distances(points, points))


def silhouette(points: np.ndarray, labels: np.ndarray, distances=None) -> float:
    """Mean silhouette of the points (Pol.is: a member alone in its cluster scores 0);
    `distances`, the points' pairwise distances, when already computed."""
    distances = pairwise_distances(points) if distances is None else distances
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
    weights = np.bincount(base.labels, minlength=len(base.centers)).astype(float)
    candidates = group_candidates(
        base.centers, list(range(2, max_groups(len(base.centers)) + 1)), weights
    )
    distances = pairwise_distances(base.centers)
    silhouettes = {k: silhouette(base.centers, c.labels, distances) for k, c in candidates.items()}
    # Pol.is's max-key keeps the last of equal scores, i.e. the largest k.
    best = max(silhouettes, key=lambda k: (silhouettes[k], k))
    return Clustering(in_conv, base, candidates[best], silhouettes)
