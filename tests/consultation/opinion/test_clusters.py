"""The fast k-means paths give exactly what the plain ones give.

The base k-means skips the points whose centre cannot have changed, the group k-means runs all
its starts side by side and draws the k-means++ starts side by side: each is checked, to the
last bit, against the plain loop it replaces, on random points that include the hard cases
(repeated points, points on a grid, so exact ties between centres).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultation.opinion import clusters
from consultation.opinion.clusters import KMeans

SETTINGS = settings(max_examples=60, deadline=None, database=None)


def plain_kmeans(points, k, max_iters, weights=None, start=None) -> KMeans:
    """The k-means as written before the fast paths: every point searched at every step."""
    weights = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=float)
    centers = points[plain_first_distinct(points, k)] if start is None else start
    for iteration in range(max_iters + 1):
        labels = clusters.nearest(points, centers)
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
        if iteration == max_iters or clusters._same_clustering(centers, new_centers):
            return KMeans(new_centers, labels)
        centers = new_centers
    raise AssertionError("unreachable")


def plain_first_distinct(points, k):
    _, first = np.unique(points, axis=0, return_index=True)
    return np.sort(first)[:k]


@st.composite
def point_sets(draw, min_points=1, max_points=400):
    """Points in a few blobs; some on a coarse grid (ties), some repeated."""
    n = draw(st.integers(min_points, max_points))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    blobs = rng.normal(scale=3, size=(draw(st.integers(1, 6)), 2))
    points = blobs[rng.integers(len(blobs), size=n)] + rng.normal(size=(n, 2))
    if draw(st.booleans()):
        points = np.round(points * 2) / 2  # a grid: many points at equal distances
    repeated = draw(st.integers(0, n // 2))
    points[rng.integers(n, size=repeated)] = points[rng.integers(n, size=repeated)]
    return points


def same(a: KMeans, b: KMeans) -> bool:
    return np.array_equal(a.centers, b.centers) and np.array_equal(a.labels, b.labels)


@SETTINGS
@given(points=point_sets(max_points=3000), k=st.integers(1, 120))
def test_the_bounded_base_kmeans_equals_the_plain_one(points, k):
    assert same(clusters.kmeans(points, k, 100), plain_kmeans(points, k, 100))


@SETTINGS
@given(points=point_sets(max_points=60), data=st.data())
def test_side_by_side_group_kmeans_equals_one_start_after_the_other(points, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    weights = rng.integers(1, 30, size=len(points)).astype(float)
    starts = [
        points[rng.choice(len(points), size=min(data.draw(st.integers(1, 5)), len(points)))]
        for _ in range(data.draw(st.integers(1, 20)))
    ]
    iters = data.draw(st.integers(0, 20))
    together = clusters.kmeans_many(points, starts, iters, weights)
    for start, result in zip(starts, together, strict=True):
        assert same(result, plain_kmeans(points, len(start), iters, weights, start=start))


def plain_group_kmeans(centers, k, weights) -> KMeans:
    """Best of the first-distinct start and 15 k-means++ starts, one after the other."""
    results = [plain_kmeans(centers, k, clusters.GROUP_ITERS, weights)]
    if len(centers) > k:
        rng = np.random.default_rng([clusters.SEED, k])
        for _ in range(clusters.GROUP_STARTS):
            start = clusters.kmeans_plusplus(centers, k, weights, rng)
            results.append(plain_kmeans(centers, k, clusters.GROUP_ITERS, weights, start=start))
    scores = [clusters.within_variance(centers, r, weights) for r in results]
    return results[int(np.argmin(scores))]


@SETTINGS
@given(points=point_sets(max_points=100), seed=st.integers(0, 2**32 - 1))
def test_group_candidates_equal_the_loop_over_starts(points, seed):
    weights = np.random.default_rng(seed).integers(1, 50, size=len(points)).astype(float)
    candidates = clusters.group_candidates(points, [2, 3, 4, 5], weights)
    for k, result in candidates.items():
        assert same(result, plain_group_kmeans(points, k, weights))


@SETTINGS
@given(points=point_sets(max_points=100), k=st.integers(2, 5), seed=st.integers(0, 2**32 - 1))
def test_side_by_side_kmeans_plusplus_draws_the_same_starts(points, k, seed):
    weights = np.random.default_rng(seed).integers(1, 50, size=len(points)).astype(float)
    one_by_one = np.random.default_rng([seed, k])
    expected = [clusters.kmeans_plusplus(points, k, weights, one_by_one) for _ in range(15)]
    together = np.random.default_rng([seed, k])
    got = clusters.kmeans_plusplus_starts(points, k, weights, together, 15)
    assert len(got) == len(expected)
    assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
    # The generator is left where the one-by-one draws leave it.
    assert together.random() == one_by_one.random()


def test_kmeans_plusplus_with_too_few_distinct_points_stops_early_the_same_way():
    # Three distinct points for k = 5: each start stops after 3 draws, so the next start's
    # draws are shifted; the side-by-side draw must notice and fall back.
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]] * 4)
    weights = np.ones(len(points))
    expected_rng, got_rng = np.random.default_rng(5), np.random.default_rng(5)
    expected = [clusters.kmeans_plusplus(points, 5, weights, expected_rng) for _ in range(4)]
    got = clusters.kmeans_plusplus_starts(points, 5, weights, got_rng, 4)
    assert [len(s) for s in got] == [3, 3, 3, 3]
    assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
    assert got_rng.random() == expected_rng.random()


@SETTINGS
@given(points=point_sets(max_points=2000), k=st.integers(1, 150))
def test_first_distinct_searches_a_head_only_but_finds_the_same_rows(points, k):
    assert np.array_equal(clusters.first_distinct(points, k), plain_first_distinct(points, k))


def test_a_base_cluster_of_weightless_points_is_dropped_as_before():
    points = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]] + [[5.0, 5.0]] * 9)
    points = points + np.arange(len(points))[:, None] * 1e-3  # all distinct: 13 centres
    weights = np.ones(len(points))
    weights[2:4] = 0.0
    got = clusters.kmeans(points, 13, 100, weights)
    assert same(got, plain_kmeans(points, 13, 100, weights))
    assert (got.labels[2:4] == -1).all()  # no centre left where only weightless points were


@pytest.mark.parametrize("k", [2, 5])
def test_silhouette_with_precomputed_distances_is_the_same(k):
    rng = np.random.default_rng(k)
    points = rng.normal(size=(80, 2))
    labels = rng.integers(k, size=80)
    distances = clusters.pairwise_distances(points)
    assert clusters.silhouette(points, labels, distances) == clusters.silhouette(points, labels)


def test_group_starts_fall_back_for_the_k_that_runs_out_of_points_only():
    # Four distinct centres among twelve: k = 5 draws stop early (and fall back to one by
    # one), k = 2..4 are drawn side by side; all as the loop would.
    points = np.array([[0.0, 0.0], [1.0, 0.2], [0.1, 1.0], [2.0, 2.0]] * 3)
    weights = np.arange(1.0, 13.0)
    candidates = clusters.group_candidates(points, [2, 3, 4, 5], weights)
    for k, result in candidates.items():
        assert same(result, plain_group_kmeans(points, k, weights))
    assert len(candidates[5].centers) <= 4
