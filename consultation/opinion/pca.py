"""PCA of the mean-imputed, centred vote matrix, and Pol.is's sparsity-aware projection.

Pol.is (pca.clj) replaces each unseen cell by its column's mean, centres the columns, finds
two components by power iteration, then projects each participant using only the cells they
voted on, scaled by sqrt(statements / votes) so that people with few votes are not all piled up
at the centre. Imputing the mean then centring makes every unseen cell exactly 0, so the
centred matrix has the sparsity of the votes: it is built as a sparse matrix and never
densified. The components are the top right singular vectors of that matrix; power iteration
and Lanczos (ARPACK, started from Pol.is's all-ones vector) converge to the same ones.
"""

from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse
from scipy.linalg.blas import dsyrk
from scipy.sparse.linalg import svds

from consultation.opinion.matrix import VoteMatrix

N_COMPONENTS = 2
# Up to this much work (participants x statements x the smaller of the two) and this many
# cells (32 MB), the matrix is made dense and the eigenvectors of its small Gram matrix are
# exact and quicker to get than setting up ARPACK (a few milliseconds); beyond, ARPACK on the
# sparse matrix, unless one side is so short that its Gram matrix is tiny.
DENSE_MAX_WORK = 100_000_000
DENSE_MAX_CELLS = 4_000_000
GRAM_MAX_SIDE = 8


@dataclass(frozen=True)
class Projection:
    center: np.ndarray  # (n_statements,) column means; 0 for moderated-out columns
    components: np.ndarray  # (2, n_statements)
    positions: np.ndarray  # (n_participants, 2)


def column_means(matrix: VoteMatrix) -> np.ndarray:
    """Each statement's mean vote over those who voted on it; 0 for moderated-out ones."""
    n_statements = matrix.shape[1]
    seen = np.bincount(matrix.cols, minlength=n_statements)
    sums = np.bincount(matrix.cols, weights=matrix.values, minlength=n_statements)
    center = np.divide(sums, seen, out=np.zeros(n_statements), where=seen > 0)
    center[matrix.moderated_out] = 0.0
    return center


def _centred_votes(matrix: VoteMatrix, center: np.ndarray) -> np.ndarray:
    data = matrix.values - center[matrix.cols]
    data[matrix.moderated_out[matrix.cols]] = 0.0
    return data


def centred_matrix(matrix: VoteMatrix) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The centred matrix (sparse) and the column means, moderated-out columns zeroed.

    A zeroed column is constant, so it has mean 0 and adds nothing to the PCA: its cells are
    dropped from the sparse matrix (they would be explicit zeros).
    """
    center = column_means(matrix)
    centred = matrix.csr(_centred_votes(matrix, center))
    centred.eliminate_zeros()
    return centred, center


def dense_centred_matrix(matrix: VoteMatrix) -> tuple[np.ndarray, np.ndarray]:
    """`centred_matrix` as a dense array, for small matrices."""
    center = column_means(matrix)
    dense = np.zeros(matrix.shape)
    cells = matrix.rows.astype(np.intp) * matrix.shape[1] + matrix.cols
    dense.ravel()[cells] = _centred_votes(matrix, center)
    return dense, center


def principal_components(centred) -> np.ndarray:
    """Top two right singular vectors (rows) of a dense array or a sparse matrix, each signed
    so its largest loading is positive: a recomputation after a few more votes then draws the
    map the same way up."""
    n_rows, n_cols = centred.shape
    k = min(N_COMPONENTS, n_rows, n_cols)
    components = np.zeros((N_COMPONENTS, n_cols))
    if k == 0 or not np.any(centred.data if sparse.issparse(centred) else centred):
        return components
    if not sparse.issparse(centred) or min(n_rows, n_cols) <= GRAM_MAX_SIDE:
        top = _components_from_gram(centred, k)
    else:
        start = np.ones(min(n_rows, n_cols)) / np.sqrt(min(n_rows, n_cols))
        _, values, vt = svds(centred, k=k, v0=start, solver="arpack")
        top = vt[np.argsort(-values)]
    for index, component in enumerate(top):
        largest = np.argmax(np.abs(component))
        components[index] = component if component[largest] >= 0 else -component
    return components


def _top_eigenvectors(gram: np.ndarray, k: int) -> np.ndarray:
    """Eigenvectors of the k largest eigenvalues, largest first (only those are computed);
    `gram` holds its upper triangle."""
    n = len(gram)
    values, vectors = linalg.eigh(gram, lower=False, subset_by_index=[n - k, n - 1])
    return vectors[:, np.argsort(-values)]


def _gram(centred, of_columns: bool) -> np.ndarray:
    """centred^T centred (of_columns) or centred centred^T; of a dense array, only the upper
    triangle is filled (dsyrk on centred.T, the Fortran-ordered view: no copy)."""
    if sparse.issparse(centred):
        product = centred.T @ centred if of_columns else centred @ centred.T
        return product.toarray()
    return dsyrk(1.0, centred.T, trans=0 if of_columns else 1)


def _components_from_gram(centred, k: int) -> np.ndarray:
    """Top right singular vectors through the eigenvectors of the smaller Gram matrix."""
    n_rows, n_cols = centred.shape
    if n_cols <= n_rows:
        return _top_eigenvectors(_gram(centred, of_columns=True), k).T
    right = np.asarray(centred.T @ _top_eigenvectors(_gram(centred, of_columns=False), k)).T
    norms = np.linalg.norm(right, axis=1, keepdims=True)
    return np.divide(right, norms, out=np.zeros_like(right), where=norms > 0)


def project(matrix: VoteMatrix) -> Projection:
    """Every participant's 2D position (Pol.is's sparsity-aware projection)."""
    n_participants, n_statements = matrix.shape
    cells = n_participants * n_statements
    small = cells <= DENSE_MAX_CELLS and cells * min(matrix.shape) <= DENSE_MAX_WORK
    centred, center = dense_centred_matrix(matrix) if small else centred_matrix(matrix)
    components = principal_components(centred)
    positions = np.asarray(centred @ components.T)
    # Pol.is zeroes a moderated-out column for everyone, so it counts as a vote in the scaling.
    unmoderated_seen = np.bincount(
        matrix.rows[~matrix.moderated_out[matrix.cols]], minlength=n_participants
    )
    votes = unmoderated_seen + int(matrix.moderated_out.sum())
    scale = np.sqrt(n_statements / np.maximum(votes, 1))
    return Projection(center, components, positions * scale[:, None])
