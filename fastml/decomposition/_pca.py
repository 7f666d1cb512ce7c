"""Principal component analysis, mirroring ``sklearn.decomposition.PCA`` (dense input)."""

from math import log, sqrt
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.sparse.linalg import LinearOperator, svds
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_array

from fastml.decomposition._linalg import (
    infer_dimension,
    randomized_svd,
    svd_flip_v,
    threaded_matmul,
)
from fastml.utils._gram import check_finite_from_sums, gram_and_column_sums
from fastml.utils._sklearn import (
    _assert_all_finite,
    _get_threadpool_controller,
    Interval,
    RealNotInt,
    StrOptions,
    _fit_context,
    _openmp_effective_n_threads,
    check_is_fitted,
    check_random_state,
    validate_data,
)


class PCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Principal component analysis (PCA), as scikit-learn's.

    Linear dimensionality reduction by the singular value decomposition of the
    centred data. Solvers: ``'full'`` (LAPACK SVD), ``'covariance_eigh'``
    (eigendecomposition of the covariance matrix, one ``X.T @ X`` pass: the
    fast path for tall data), ``'randomized'`` (Halko et al. randomized SVD)
    and ``'arpack'``; ``'auto'`` picks as scikit-learn 1.9 does. Components
    follow scikit-learn's sign convention (largest loading of each positive).

    Parameters
    ----------
    n_components : int, float, 'mle' or None, default=None
        Number of components; a float in (0, 1) keeps enough components to
        explain that fraction of variance; 'mle' uses Minka's MLE.
    copy : bool, default=True
        If False, X may be overwritten by the centring.
    whiten : bool, default=False
        Scale the projected data to unit variance.
    svd_solver : {'auto', 'full', 'covariance_eigh', 'arpack', 'randomized'}, default='auto'
    tol : float, default=0.0
        Tolerance for 'arpack'.
    iterated_power : int or 'auto', default='auto'
        Power iterations for 'randomized'.
    n_oversamples : int, default=10
        Extra random vectors for 'randomized'.
    power_iteration_normalizer : {'auto', 'QR', 'LU', 'none'}, default='auto'
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    explained_variance_ : ndarray of shape (n_components,)
    explained_variance_ratio_ : ndarray of shape (n_components,)
    singular_values_ : ndarray of shape (n_components,)
    mean_ : ndarray of shape (n_features,)
    n_components_ : int
    n_samples_ : int
    noise_variance_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.decomposition import PCA
    >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]])
    >>> pca = PCA(n_components=2).fit(X)
    >>> print(pca.explained_variance_ratio_.round(4))
    [0.9924 0.0076]
    >>> print(pca.singular_values_.round(4))
    [6.3006 0.5498]
    """

    _parameter_constraints: dict = {
        "n_components": [
            Interval(Integral, 0, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
            StrOptions({"mle"}),
            None,
        ],
        "copy": ["boolean"],
        "whiten": ["boolean"],
        "svd_solver": [StrOptions({"auto", "full", "covariance_eigh", "arpack", "randomized"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "iterated_power": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        "n_oversamples": [Interval(Integral, 1, None, closed="left")],
        "power_iteration_normalizer": [StrOptions({"auto", "QR", "LU", "none"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        copy=True,
        whiten=False,
        svd_solver="auto",
        tol=0.0,
        iterated_power="auto",
        n_oversamples=10,
        power_iteration_normalizer="auto",
        random_state=None,
    ):
        self.n_components = n_components
        self.copy = copy
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.tol = tol
        self.iterated_power = iterated_power
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model with X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : object
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit the model with X and return X projected on the components.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        U, S, X, x_is_centered = self._fit(X)
        if U is None:  # covariance_eigh computes no U
            return self._transform(X, x_is_centered)
        U = U[:, : self.n_components_]
        if self.whiten:
            U *= sqrt(X.shape[0] - 1)
        else:
            U *= S[: self.n_components_]
        return U

    def _fit(self, X):
        if sp.issparse(X) and self.svd_solver not in ("auto", "arpack", "covariance_eigh"):
            raise TypeError(
                'PCA only support sparse inputs with the "arpack" and'
                f' "covariance_eigh" solvers, while "{self.svd_solver}" was passed. See'
                " TruncatedSVD for a possible alternative."
            )
        # dense covariance_eigh checks finiteness on the column sums of its
        # Gram pass (see check_finite_from_sums): no pass over X of its own
        defer_finite = not sp.issparse(X) and self.svd_solver in ("auto", "covariance_eigh")
        X = validate_data(
            self,
            X,
            dtype=[np.float64, np.float32],
            force_writeable=True,
            accept_sparse=("csr", "csc"),
            ensure_2d=True,
            ensure_all_finite=not defer_finite,
            copy=False,
        )
        solver = self.svd_solver
        if solver == "auto" and sp.issparse(X):
            solver = "arpack"
        n_samples, n_features = X.shape
        if self.n_components is None:
            n_components = min(X.shape) - (solver == "arpack")
        else:
            n_components = self.n_components
        if solver == "auto":
            if n_features <= 1_000 and n_samples >= 10 * n_features:
                solver = "covariance_eigh"
            elif max(X.shape) <= 500 or n_components == "mle":
                solver = "full"
            elif 1 <= n_components < 0.8 * min(X.shape):
                solver = "randomized"
            else:
                solver = "full"
        self._fit_svd_solver = solver
        if defer_finite and solver != "covariance_eigh":
            _assert_all_finite(X, input_name="X", estimator_name=type(self).__name__)
        if solver in ("full", "covariance_eigh"):
            return self._fit_full(X, n_components)
        return self._fit_truncated(X, n_components)

    def _fit_full(self, X, n_components):
        n_samples, n_features = X.shape
        solver = self._fit_svd_solver
        if n_components == "mle":
            if n_samples < n_features:
                raise ValueError("n_components='mle' is only supported if n_samples >= n_features")
        elif not 0 <= n_components <= min(n_samples, n_features):
            raise ValueError(
                f"n_components={n_components} must be between 0 and "
                f"min(n_samples, n_features)={min(n_samples, n_features)} with "
                f"svd_solver={solver!r}"
            )
        if solver == "full":
            self.mean_ = np.asarray(X.mean(axis=0)).ravel()
            Xc = X.copy() if self.copy else X
            Xc -= self.mean_
            x_is_centered = not self.copy
            U, S, Vt = linalg.svd(Xc, full_matrices=False)
            explained_variance = S**2 / (n_samples - 1)
        else:
            x_is_centered = False
            # X.T @ X is one pass over X; centring is a rank-one correction on
            # the small (n_features, n_features) matrix, so X is never copied.
            if sp.issparse(X):
                self.mean_ = np.asarray(X.mean(axis=0)).ravel()
                C = (X.T @ X).toarray()
            else:
                # the column sums come out of the same pass over X
                C, sums = gram_and_column_sums(X, _openmp_effective_n_threads())
                check_finite_from_sums(sums, X, self)
                self.mean_ = (sums / n_samples).astype(X.dtype, copy=False)
            C -= n_samples * np.outer(self.mean_, self.mean_)
            C /= n_samples - 1
            # a small eigenproblem is faster on one thread, and a threaded
            # LAPACK call stalls badly when the cores are shared
            with _get_threadpool_controller().limit(
                limits=1 if n_features <= _SMALL_EIGH else None, user_api="blas"
            ):
                eigenvals, eigenvecs = linalg.eigh(C, check_finite=False)
            explained_variance = eigenvals[::-1].copy()
            explained_variance[explained_variance < 0.0] = 0.0
            S = np.sqrt(explained_variance * (n_samples - 1))
            Vt = np.ascontiguousarray(eigenvecs[:, ::-1].T)
            U = None
        U, Vt = svd_flip_v(U, Vt)
        total_var = explained_variance.sum()
        ratio = explained_variance / total_var
        if n_components == "mle":
            n_components = infer_dimension(explained_variance, n_samples)
        elif 0 < n_components < 1.0:
            n_components = int(np.searchsorted(np.cumsum(ratio), n_components, side="right") + 1)
        if n_components < min(n_features, n_samples):
            self.noise_variance_ = explained_variance[n_components:].mean()
        else:
            self.noise_variance_ = 0.0
        self.n_samples_ = n_samples
        self.n_components_ = n_components
        self.components_ = Vt[:n_components].copy()
        self.explained_variance_ = explained_variance[:n_components].copy()
        self.explained_variance_ratio_ = ratio[:n_components].copy()
        self.singular_values_ = S[:n_components].copy()
        return U, S, X, x_is_centered

    def _fit_truncated(self, X, n_components):
        n_samples, n_features = X.shape
        solver = self._fit_svd_solver
        if isinstance(n_components, str):
            raise ValueError(
                f"n_components={n_components!r} cannot be a string with svd_solver='{solver}'"
            )
        if not 1 <= n_components <= min(n_samples, n_features):
            raise ValueError(
                f"n_components={n_components!r} must be between 1 and "
                f"min(n_samples, n_features)={min(n_samples, n_features)!r} with "
                f"svd_solver='{solver}'"
            )
        if solver == "arpack" and n_components == min(n_samples, n_features):
            raise ValueError(
                f"n_components={n_components!r} must be strictly less than "
                f"min(n_samples, n_features)={min(n_samples, n_features)!r} with "
                f"svd_solver='{solver}'"
            )
        random_state = check_random_state(self.random_state)
        total_var = None
        if sp.issparse(X):
            self.mean_ = np.asarray(X.mean(axis=0)).ravel()
            sq_mean = np.asarray(X.multiply(X).mean(axis=0)).ravel()
            total_var = (sq_mean - self.mean_**2).sum() * n_samples / (n_samples - 1)
            Xc = _implicit_column_offset(X, self.mean_)
            x_is_centered = False
        else:
            self.mean_ = X.mean(axis=0)
            Xc = X.copy() if self.copy else X
            Xc -= self.mean_
            x_is_centered = not self.copy
        if solver == "arpack":
            # scikit-learn's _init_arpack_v0 draws v0 this way
            v0 = random_state.uniform(-1, 1, size=min(X.shape))
            U, S, Vt = svds(Xc, k=n_components, tol=self.tol, v0=v0)
            S = S[::-1]
            U, Vt = U[:, ::-1].copy(), Vt[::-1].copy()
        else:
            U, S, Vt = randomized_svd(
                Xc,
                n_components,
                self.n_oversamples,
                self.iterated_power,
                self.power_iteration_normalizer,
                random_state,
                _openmp_effective_n_threads(),
            )
        U, Vt = svd_flip_v(U, Vt)
        self.n_samples_ = n_samples
        self.components_ = Vt
        self.n_components_ = n_components
        self.explained_variance_ = S**2 / (n_samples - 1)
        if total_var is None:  # without squaring a copy of X in place
            total_var = np.einsum("ij,ij->", Xc, Xc) / (n_samples - 1)
        self.explained_variance_ratio_ = self.explained_variance_ / total_var
        self.singular_values_ = S.copy()
        if n_components < min(n_features, n_samples):
            self.noise_variance_ = (total_var - self.explained_variance_.sum()) / (
                min(n_features, n_samples) - n_components
            )
        else:
            self.noise_variance_ = 0.0
        return U, S, X, x_is_centered

    def _transform(self, X, x_is_centered=False):
        if sp.issparse(X):
            Xt = np.asarray(X @ self.components_.T)
        else:
            Xt = threaded_matmul(X, self.components_.T, _openmp_effective_n_threads())
        if not x_is_centered:
            Xt -= self.mean_ @ self.components_.T
        if self.whiten:
            scale = np.sqrt(self.explained_variance_)
            scale[scale < np.finfo(scale.dtype).eps] = np.finfo(scale.dtype).eps
            Xt /= scale
        return Xt

    def transform(self, X):
        """Project X on the principal components.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], accept_sparse=("csr", "csc"), reset=False
        )
        return self._transform(X)

    def inverse_transform(self, X):
        """Map projected data back to the original space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = check_array(X, input_name="X", dtype=[np.float64, np.float32])
        comps = self.components_
        if self.whiten:
            comps = np.sqrt(self.explained_variance_[:, np.newaxis]) * comps
        return X @ comps + self.mean_

    def get_covariance(self):
        """Data covariance under the probabilistic PCA model.

        Returns
        -------
        cov : ndarray of shape (n_features, n_features)
        """
        comps, exp_var = self.components_, self.explained_variance_
        if self.whiten:
            comps = comps * np.sqrt(exp_var[:, np.newaxis])
        diff = np.where(exp_var > self.noise_variance_, exp_var - self.noise_variance_, 0.0)
        cov = (comps.T * diff) @ comps
        cov.flat[:: cov.shape[0] + 1] += self.noise_variance_
        return cov

    def get_precision(self):
        """Data precision matrix (inverse covariance) by the matrix inversion lemma.

        Returns
        -------
        precision : ndarray of shape (n_features, n_features)
        """
        n_features = self.components_.shape[1]
        if self.n_components_ == 0:
            return np.eye(n_features) / self.noise_variance_
        if self.noise_variance_ == 0.0:
            return linalg.inv(self.get_covariance())
        comps, exp_var = self.components_, self.explained_variance_
        if self.whiten:
            comps = comps * np.sqrt(exp_var[:, np.newaxis])
        diff = np.where(exp_var > self.noise_variance_, exp_var - self.noise_variance_, 0.0)
        prec = comps @ comps.T / self.noise_variance_
        prec.flat[:: prec.shape[0] + 1] += 1.0 / diff
        prec = comps.T @ linalg.inv(prec) @ comps
        prec /= -(self.noise_variance_**2)
        prec.flat[:: prec.shape[0] + 1] += 1.0 / self.noise_variance_
        return prec

    def score_samples(self, X):
        """Log-likelihood of each sample under the probabilistic PCA model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ll : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        Xr = X - self.mean_
        precision = self.get_precision()
        ll = -0.5 * np.sum(Xr * (Xr @ precision), axis=1)
        sign, logdet = np.linalg.slogdet(precision)
        logdet = logdet if sign > 0 else -np.inf
        ll -= 0.5 * (X.shape[1] * log(2.0 * np.pi) - logdet)
        return ll

    def score(self, X, y=None):
        """Average log-likelihood of the samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        ll : float
        """
        return float(np.mean(self.score_samples(X)))

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = self.svd_solver in ("auto", "arpack", "covariance_eigh")
        return tags


# n_features up to which covariance_eigh's eigendecomposition runs on one thread
_SMALL_EIGH = 1000


def _implicit_column_offset(X, offset):
    """The linear operator X - 1 offset^T, never forming the dense centred X."""
    XT = X.T
    return LinearOperator(
        matvec=lambda v: X @ v - offset @ v,
        matmat=lambda V: X @ V - offset @ V,
        rmatvec=lambda v: XT @ v - offset * v.sum(),
        rmatmat=lambda V: XT @ V - offset.T[:, None] * V.sum(axis=0)[None, :],
        dtype=X.dtype,
        shape=X.shape,
    )
