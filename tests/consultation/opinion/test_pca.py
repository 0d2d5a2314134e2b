"""Both ways to the principal components (dense Gram matrix, ARPACK on the sparse matrix)
give Pol.is's projection: the one of a plain dense PCA of the mean-imputed matrix."""

import numpy as np
import pytest

from bench._synthesis_data import planted_votes
from consultation.opinion import pca


def dense_pca_positions(matrix) -> np.ndarray:
    dense = matrix.dense()
    means = np.nanmean(dense, axis=0)
    centred = np.where(np.isnan(dense), 0.0, dense - means)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    scale = np.sqrt(matrix.shape[1] / (~np.isnan(dense)).sum(axis=1))
    return centred @ vt[:2].T * scale[:, None]


@pytest.mark.parametrize(
    ("participants", "statements", "fill", "dense"),
    [
        (200, 30, 0.4, True),  # Gram matrix of the statements
        (25, 300, 0.5, True),  # more statements than people: Gram matrix of the people
        (3000, 200, 0.1, False),  # past DENSE_MAX_WORK: ARPACK
    ],
)
def test_projection_matches_a_dense_pca(participants, statements, fill, dense):
    matrix = planted_votes(participants, statements, fill, seed=3).matrix
    work = participants * statements * min(participants, statements)
    assert (work <= pca.DENSE_MAX_WORK) == dense
    got = pca.project(matrix).positions
    expected = dense_pca_positions(matrix)
    for axis in (0, 1):  # components are defined up to their sign
        assert np.allclose(np.abs(got[:, axis]), np.abs(expected[:, axis]), atol=1e-8)


@pytest.mark.parametrize(("participants", "statements"), [(400, 60), (40, 300)])
def test_dense_and_sparse_components_agree_sign_included(participants, statements):
    matrix = planted_votes(participants, statements, 0.3, seed=5).matrix
    sparse_centred, _ = pca.centred_matrix(matrix)
    dense_centred, _ = pca.dense_centred_matrix(matrix)
    assert np.array_equal(sparse_centred.toarray(), dense_centred)
    from_gram = pca.principal_components(dense_centred)
    from_arpack = pca.principal_components(sparse_centred)
    assert np.allclose(from_gram, from_arpack, atol=1e-10)
    largest = np.abs(from_gram).argmax(axis=1)
    assert (from_gram[[0, 1], largest] > 0).all()


def test_no_vote_left_after_moderation_gives_zero_components():
    from consultation.opinion.matrix import build_vote_matrix

    matrix = build_vote_matrix([1, 2, 3], [5, 5, 5], [1, -1, 0], moderated_out_ids=[5])
    projection = pca.project(matrix)
    assert not projection.components.any() and not projection.positions.any()


@pytest.mark.parametrize(("participants", "statements"), [(300, 3), (2, 40)])
def test_a_sparse_matrix_with_a_short_side_goes_through_its_tiny_gram_matrix(
    participants, statements
):
    # ARPACK needs more than two rows and columns; a side this short has a tiny Gram matrix.
    matrix = planted_votes(participants, statements, 0.8, seed=9).matrix
    sparse_centred, _ = pca.centred_matrix(matrix)
    dense_centred, _ = pca.dense_centred_matrix(matrix)
    assert min(sparse_centred.shape) <= pca.GRAM_MAX_SIDE
    got = pca.principal_components(sparse_centred)
    assert np.allclose(got, pca.principal_components(dense_centred), atol=1e-10)
    _, singular, vt = np.linalg.svd(dense_centred, full_matrices=False)
    for axis in range(min(2, *dense_centred.shape)):
        if singular[axis] > 1e-9:  # two people, centred: a single direction
            assert np.allclose(np.abs(got[axis]), np.abs(vt[axis]), atol=1e-8)
