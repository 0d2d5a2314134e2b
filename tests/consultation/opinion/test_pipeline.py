"""The whole pipeline on planted groups and on edge cases."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from bench._synthesis_data import planted_votes
from consultation.opinion import clusters, pca
from consultation.opinion.matrix import build_vote_matrix
from consultation.opinion.pipeline import compute_opinion_groups


@pytest.fixture(scope="module")
def planted():
    return planted_votes(1000, 100, 0.5, groups=3, seed=7)


def test_it_finds_the_planted_groups(planted):
    result = compute_opinion_groups(planted.matrix)
    clustered = result.participant_groups >= 0
    assert result.n_groups == 3
    assert (
        adjusted_rand_score(planted.groups[clustered], result.participant_groups[clustered]) > 0.9
    )


def test_the_same_votes_give_the_same_groups_whatever_their_order(planted):
    m = planted.matrix
    order = np.random.default_rng(3).permutation(m.n_votes)
    shuffled = build_vote_matrix(
        m.participant_ids[m.rows[order]], m.statement_ids[m.cols[order]], m.values[order]
    )
    first, second = compute_opinion_groups(m), compute_opinion_groups(shuffled)
    assert np.array_equal(first.participant_groups, second.participant_groups)
    assert np.allclose(first.positions, second.positions)
    assert first.as_json() == second.as_json()


def test_projection_matches_a_dense_mean_imputed_pca():
    planted = planted_votes(200, 30, 0.4, seed=2)
    m = planted.matrix
    dense = m.dense()
    means = np.nanmean(dense, axis=0)
    centred = np.where(np.isnan(dense), 0.0, dense - means)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    scale = np.sqrt(m.shape[1] / (~np.isnan(dense)).sum(axis=1))
    expected = centred @ vt[:2].T * scale[:, None]
    got = pca.project(m).positions
    for axis in (0, 1):  # components are defined up to their sign
        assert np.allclose(np.abs(got[:, axis]), np.abs(expected[:, axis]), atol=1e-8)


def test_a_moderated_out_statement_weighs_nothing_but_counts_as_seen():
    people, statements, values = [1, 1, 2, 2, 3], [10, 20, 10, 20, 10], [1, -1, -1, 1, 1]
    zeroed = pca.project(build_vote_matrix(people, statements, values, moderated_out_ids=[20]))
    assert zeroed.components[0] == pytest.approx([1, 0])
    # Statement 10 centred on its mean 1/3; the zeroed statement counts as a vote for all
    # three (Pol.is zeroes the whole column), so each is scaled by sqrt(2 / 2) = 1 and
    # person 3, who never saw statement 20, is not pushed out by sqrt(2).
    assert zeroed.positions[:, 0] == pytest.approx([2 / 3, -4 / 3, 2 / 3])
    assert zeroed.positions[:, 1] == pytest.approx([0, 0, 0])


def test_no_votes_gives_no_groups():
    result = compute_opinion_groups(build_vote_matrix([], [], []))
    assert result.n_groups == 0 and result.as_json()["participants"]["ids"] == []


def test_one_statement():
    result = compute_opinion_groups(build_vote_matrix([1, 2, 3, 4], [5] * 4, [1, 1, -1, 0]))
    assert result.clustered == 4
    assert result.n_groups >= 1
    assert set(result.repness) == set(range(result.n_groups))


def test_everyone_agreeing_on_everything():
    people = np.repeat(np.arange(20), 8)
    statements = np.tile(np.arange(8), 20)
    result = compute_opinion_groups(build_vote_matrix(people, statements, np.ones(160)))
    assert np.allclose(result.positions, 0)
    assert result.n_groups == 1  # every point is the same: one base cluster, one group
    assert result.consensus["agree"][0]["score"] == pytest.approx(21 / 22)


def test_fewer_participants_than_clusters():
    planted = planted_votes(6, 10, 1.0, groups=2, seed=1)
    result = compute_opinion_groups(planted.matrix)
    assert result.clustered == 6
    assert 1 <= result.n_groups <= 2
    assert result.group_sizes.sum() == 6


def test_only_people_with_enough_votes_are_clustered():
    counts = np.array([7, 6, 10, 1] + [7] * 20)
    chosen = clusters.in_conversation(counts, n_statements=12)
    assert chosen.tolist() == [True, False, True, False] + [True] * 20
    # With fewer than 15 qualifying, Pol.is tops up with the most active voters.
    few = clusters.in_conversation(np.array([9, 3, 1, 2]), n_statements=12)
    assert few.all()


def test_group_count_follows_the_silhouette():
    result = compute_opinion_groups(planted_votes(600, 60, 0.6, groups=2, seed=4).matrix)
    assert result.n_groups == 2
    assert max(result.silhouettes, key=result.silhouettes.get) == 2
