"""Locally linear embedding (standard method), mirroring scikit-learn's.

Algorithm of Roweis & Saul (2000) as in sklearn/manifold/_locally_linear.py
(BSD-3-Clause). The barycentre weights are solved for all samples in one
batched LAPACK call instead of a Python loop; neighbours come from scipy's
compiled k-d tree.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh
from scipy.sparse.linalg import eigsh
from scipy.spatial import cKDTree
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)

from fastml.utils._sklearn import (
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    check_random_state,
    validate_data,
)

# samples whose (k, k) Gram systems are formed at once: bounds working memory
_WEIGHT_CHUNK = 4096


def barycenter_weights(X, Y, indices, reg=1e-3):
    """Weights reconstructing each X[i] from Y[indices[i]], summing to one.

    G_i = (Y[ind] - X[i])(Y[ind] - X[i])^T + reg * trace(G_i) * I, w = G_i^{-1} 1 / sum.
    """
    n_samples, k = indices.shape
    B = np.empty((n_samples, k), dtype=np.float64)
    ones = np.ones((1, k, 1))
    for start in range(0, n_samples, _WEIGHT_CHUNK):
        sl = slice(start, min(start + _WEIGHT_CHUNK, n_samples))
        C = Y[indices[sl]] - X[sl, None, :]
        G = np.einsum("nkd,njd->nkj", C, C)
        trace = np.einsum("nkk->n", G)
        R = np.where(trace > 0, reg * trace, reg)
        G[:, np.arange(k), np.arange(k)] += R[:, None]
        w = np.linalg.solve(G, np.broadcast_to(ones, (G.shape[0], k, 1)))[..., 0]
        B[sl] = w / w.sum(axis=1, keepdims=True)
    return B


def _null_space(M, k, k_skip, eigen_solver, tol, max_iter, random_state):
    if eigen_solver == "auto":
        eigen_solver = "arpack" if M.shape[0] > 200 and k + k_skip < 10 else "dense"
    if eigen_solver == "arpack":
        # scikit-learn's _init_arpack_v0 draws v0 this way
        v0 = random_state.uniform(-1, 1, M.shape[0])
        try:
            vals, vecs = eigsh(M, k + k_skip, sigma=0.0, tol=tol, maxiter=max_iter, v0=v0)
        except RuntimeError as e:
            raise ValueError(
                "Error in determining null-space with ARPACK. Error message: "
                f"'{e}'. Note that eigen_solver='arpack' can fail when the "
                "weight matrix is singular or otherwise ill-behaved. In that "
                "case, eigen_solver='dense' is recommended."
            ) from e
        return vecs[:, k_skip:], float(np.sum(vals[k_skip:]))
    if sp.issparse(M):
        M = M.toarray()
    vals, vecs = eigh(M, subset_by_index=(k_skip, k + k_skip - 1), overwrite_a=True)
    index = np.argsort(np.abs(vals))
    return vecs[:, index], float(np.sum(vals))


class LocallyLinearEmbedding(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Locally linear embedding, as scikit-learn's (``method='standard'``).

    Each sample is written as the regularised barycentre of its
    ``n_neighbors`` nearest neighbours; the embedding is the bottom
    eigenvectors (skipping the constant one) of ``(I - W)^T (I - W)``.

    Parameters
    ----------
    n_neighbors : int, default=5
    n_components : int, default=2
    reg : float, default=1e-3
    eigen_solver : {'auto', 'arpack', 'dense'}, default='auto'
    tol : float, default=1e-6
    max_iter : int, default=100
    method : {'standard'}, default='standard'
        'hessian', 'modified' and 'ltsa' raise NotImplementedError in fastml.
    hessian_tol, modified_tol : float
        Accepted for compatibility (used by the unimplemented methods).
    neighbors_algorithm : {'auto', 'brute', 'kd_tree', 'ball_tree'}, default='auto'
        Accepted for compatibility; fastml always uses scipy's cKDTree (exact).
    random_state : int, RandomState instance or None, default=None
    n_jobs : int, default=None
        Threads for the neighbour search (-1: all).

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components)
    reconstruction_error_ : float
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import make_swiss_roll
    >>> from fastml.manifold import LocallyLinearEmbedding
    >>> X, _ = make_swiss_roll(300, random_state=0)
    >>> Y = LocallyLinearEmbedding(n_neighbors=10, n_components=2).fit_transform(X)
    >>> Y.shape
    (300, 2)
    """

    _parameter_constraints: dict = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "reg": [Interval(Real, 0, None, closed="left")],
        "eigen_solver": [StrOptions({"auto", "arpack", "dense"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions({"standard", "hessian", "modified", "ltsa"})],
        "hessian_tol": [Interval(Real, 0, None, closed="left")],
        "modified_tol": [Interval(Real, 0, None, closed="left")],
        "neighbors_algorithm": [StrOptions({"auto", "brute", "kd_tree", "ball_tree"})],
        "random_state": ["random_state"],
        "n_jobs": [None, Integral],
    }

    def __init__(
        self,
        *,
        n_neighbors=5,
        n_components=2,
        reg=1e-3,
        eigen_solver="auto",
        tol=1e-6,
        max_iter=100,
        method="standard",
        hessian_tol=1e-4,
        modified_tol=1e-12,
        neighbors_algorithm="auto",
        random_state=None,
        n_jobs=None,
    ):
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.reg = reg
        self.eigen_solver = eigen_solver
        self.tol = tol
        self.max_iter = max_iter
        self.method = method
        self.hessian_tol = hessian_tol
        self.modified_tol = modified_tol
        self.neighbors_algorithm = neighbors_algorithm
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _workers(self):
        return -1 if self.n_jobs is None or self.n_jobs < 0 else max(1, self.n_jobs)

    def _fit_transform(self, X):
        if self.method != "standard":
            raise NotImplementedError("fastml's LocallyLinearEmbedding implements method='standard' only.")
        X = validate_data(self, X, dtype=float)
        random_state = check_random_state(self.random_state)
        N, d_in = X.shape
        if self.n_components > d_in:
            raise ValueError("output dimension must be less than or equal to input dimension")
        if self.n_neighbors >= N:
            raise ValueError(
                "Expected n_neighbors < n_samples, but n_samples = %d, n_neighbors = %d"
                % (N, self.n_neighbors)
            )
        self._fit_X = X
        self._tree = cKDTree(X)
        # query k+1 and drop the first hit (the sample itself), as scikit-learn
        _, ind = self._tree.query(X, k=self.n_neighbors + 1, workers=self._workers())
        ind = ind[:, 1:]
        W = barycenter_weights(X, X, ind, reg=self.reg)
        rows = np.repeat(np.arange(N), self.n_neighbors)
        W = sp.csr_array((W.ravel(), (rows, ind.ravel())), shape=(N, N))
        if self.eigen_solver != "dense":
            M = sp.eye_array(N, format="csr") - W
            M = (M.T @ M).tocsr()
        else:
            M = (W.T @ W - W.T - W).toarray()
            M.flat[:: N + 1] += 1
        self.embedding_, self.reconstruction_error_ = _null_space(
            M, self.n_components, 1, self.eigen_solver, self.tol, self.max_iter, random_state
        )
        self._n_features_out = self.n_components

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the embedding of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : object
        """
        self._fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Compute the embedding of X and return it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        self._fit_transform(X)
        return self.embedding_

    def transform(self, X):
        """Embed new points as barycentres of their training neighbours' embeddings.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=float)
        _, ind = self._tree.query(X, k=self.n_neighbors, workers=self._workers())
        ind = ind.reshape(X.shape[0], self.n_neighbors)
        weights = barycenter_weights(X, self._fit_X, ind, reg=self.reg)
        return np.einsum("nk,nkc->nc", weights, self.embedding_[ind])
