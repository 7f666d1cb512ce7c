"""Gaussian mixture fitted by EM, with scikit-learn's parameters and results.

The numerics follow scikit-learn's ``sklearn/mixture/_gaussian_mixture.py``
and ``_base.py`` (BSD-3-Clause) operation for operation -- responsibilities,
precision Cholesky factors, log-determinants -- so that, from the same
initial parameters, EM converges to the same parameters. Every step is a
matrix product or a Cholesky factorization handed to BLAS/LAPACK, so there is
no compiled kernel of our own here: the E-step evaluates all components'
whitened residuals per component with one GEMM each, as scikit-learn does.
Initialisation ``init_params="kmeans"`` labels samples with fastml's compiled
KMeans, which makes the same random draws as scikit-learn's.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import linalg
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array
from sklearn.utils.extmath import row_norms

from fastml.cluster import KMeans, kmeans_plusplus

from fastml.utils._sklearn import (
    _get_threadpool_controller,
    _openmp_effective_n_threads,
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    check_random_state,
    validate_data,
)
from fastml._cy import _gmm_full
from fastml.utils._threads import single_threaded_blas

_PRECISION_ERROR = (
    "Fitting the mixture model failed because some components have "
    "ill-defined empirical covariance (for instance caused by singleton "
    "or collapsed samples). Try to decrease the number of components, "
    "increase reg_covar, or scale the input data."
)


def _check_shape(param, param_shape, name):
    if param.shape != param_shape:
        raise ValueError(
            "The parameter '%s' should have the shape of %s, but got %s"
            % (name, param_shape, param.shape)
        )


def _check_weights(weights, n_components):
    weights = check_array(weights, dtype=[np.float64, np.float32], ensure_2d=False)
    _check_shape(weights, (n_components,), "weights")
    if np.any(weights < 0.0) or np.any(weights > 1.0):
        raise ValueError(
            "The parameter 'weights' should be in the range "
            "[0, 1], but got max value %.5f, min value %.5f"
            % (np.min(weights), np.max(weights))
        )
    atol = 1e-6 if weights.dtype == np.float32 else 1e-8
    if not np.allclose(float(abs(1.0 - np.sum(weights))), 0.0, atol=atol):
        raise ValueError(
            "The parameter 'weights' should be normalized, but got sum(weights) = %.5f"
            % np.sum(weights)
        )
    return weights


def _check_means(means, n_components, n_features):
    means = check_array(means, dtype=[np.float64, np.float32], ensure_2d=False)
    _check_shape(means, (n_components, n_features), "means")
    return means


def _check_precision_matrix(precision, covariance_type):
    if not (np.allclose(precision, precision.T) and np.all(linalg.eigvalsh(precision) > 0.0)):
        raise ValueError(
            "'%s precision' should be symmetric, positive-definite" % covariance_type
        )


def _check_precisions(precisions, covariance_type, n_components, n_features):
    precisions = check_array(precisions, dtype=[np.float64, np.float32],
                             ensure_2d=False, allow_nd=covariance_type == "full")
    shapes = {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }
    _check_shape(precisions, shapes[covariance_type], "%s precision" % covariance_type)
    if covariance_type == "full":
        for p in precisions:
            _check_precision_matrix(p, covariance_type)
    elif covariance_type == "tied":
        _check_precision_matrix(precisions, covariance_type)
    elif np.any(precisions <= 0.0):
        raise ValueError("'%s precision' should be positive" % covariance_type)
    return precisions


def _estimate_gaussian_parameters(X, resp, reg_covar, covariance_type):
    """Weights (unnormalized), means and covariances from responsibilities."""
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
    means = (resp.T @ X) / nk[:, np.newaxis]
    n_components, n_features = means.shape
    if covariance_type == "full":
        cov = np.empty((n_components, n_features, n_features), dtype=X.dtype)
        for k in range(n_components):
            diff = X - means[k]
            cov[k] = ((resp[:, k] * diff.T) @ diff) / nk[k]
            cov[k].flat[:: n_features + 1] += reg_covar
    elif covariance_type == "tied":
        cov = X.T @ X - nk * means.T @ means
        cov /= nk.sum()
        cov.flat[:: n_features + 1] += reg_covar
    else:
        cov = (resp.T @ (X * X)) / nk[:, np.newaxis] - means**2 + reg_covar
        if covariance_type == "spherical":
            cov = cov.mean(axis=1)
    return nk, means, cov


def _cholesky_inverse_t(cov, eye):
    try:
        chol = linalg.cholesky(cov, lower=True)
    except linalg.LinAlgError:
        raise ValueError(_PRECISION_ERROR)
    return linalg.solve_triangular(chol, eye, lower=True).T


def _compute_precision_cholesky(cov, covariance_type):
    if covariance_type in ("full", "tied"):
        # d x d factorizations: BLAS threads only cost a wake-up (27 ms per
        # 3 x 3 solve on a busy 2-core machine), never speed
        with single_threaded_blas():
            return _precision_cholesky_full_or_tied(cov, covariance_type)
    if np.any(cov <= 0.0):
        raise ValueError(_PRECISION_ERROR)
    return 1.0 / np.sqrt(cov)


def _precision_cholesky_batched(cov):
    """_compute_precision_cholesky for a stack of full covariances, as two batched
    LAPACK calls instead of 2k scipy calls (their checks cost ~30 us each)."""
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(_PRECISION_ERROR)
    eye = np.broadcast_to(np.eye(cov.shape[-1], dtype=cov.dtype), cov.shape)
    return np.ascontiguousarray(np.linalg.solve(chol, eye).transpose(0, 2, 1))


def _precision_cholesky_full_or_tied(cov, covariance_type):
    eye = np.eye(cov.shape[-1], dtype=cov.dtype)
    if covariance_type == "tied":
        return _cholesky_inverse_t(cov, eye)
    return np.stack([_cholesky_inverse_t(c, eye) for c in cov])


def _precision_cholesky_from_precisions(precisions, covariance_type):
    # upper-triangular U with precision = U U.T, as scikit-learn's flip trick
    def chol(p):
        return np.flipud(np.fliplr(linalg.cholesky(np.flipud(np.fliplr(p)), lower=True)))

    if covariance_type == "full":
        return np.stack([chol(p) for p in precisions])
    if covariance_type == "tied":
        return chol(precisions)
    return np.sqrt(precisions)


def _log_det_cholesky(chol, covariance_type, n_features):
    if covariance_type == "full":
        n_components = chol.shape[0]
        return np.sum(np.log(chol.reshape(n_components, -1)[:, :: n_features + 1]), axis=1)
    if covariance_type == "tied":
        return np.sum(np.log(np.diag(chol)))
    if covariance_type == "diag":
        return np.sum(np.log(chol), axis=1)
    return n_features * np.log(chol)


def _estimate_log_gaussian_prob(X, means, prec_chol, covariance_type):
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    log_det = _log_det_cholesky(prec_chol, covariance_type, n_features)
    if covariance_type in ("full", "tied"):
        log_prob = np.empty((n_samples, n_components), dtype=X.dtype)
        for k in range(n_components):
            pc = prec_chol[k] if covariance_type == "full" else prec_chol
            y = (X @ pc) - (means[k] @ pc)
            log_prob[:, k] = np.sum(np.square(y), axis=1)
    elif covariance_type == "diag":
        precisions = prec_chol**2
        log_prob = (np.sum(means**2 * precisions, axis=1)
                    - 2.0 * (X @ (means * precisions).T)
                    + (X**2 @ precisions.T))
    else:
        precisions = prec_chol**2
        log_prob = (np.sum(means**2, axis=1) * precisions
                    - 2 * (X @ means.T * precisions)
                    + np.outer(row_norms(X, squared=True), precisions))
    return -0.5 * (n_features * math.log(2 * math.pi) + log_prob) + log_det


# below this many entries in X, one BLAS thread: the products are too small
# for threads to pay and, on a busy machine, waking them dominates (8x slower
# at 20000 x 16 on 2 shared cores)
_SMALL_FOR_BLAS_THREADS = 2**21


# the compiled full-covariance iteration: its per-sample loops are d^2 per
# component, which beats BLAS' per-component products up to about this many
# features; above, the NumPy/BLAS iteration (same formulas) runs
_COMPILED_EM_MAX_FEATURES = 16
_EM_WORK_PER_THREAD = 4_000_000


def _compiled_em(X, covariance_type):
    return (covariance_type == "full" and X.dtype == np.float64
            and X.shape[1] <= _COMPILED_EM_MAX_FEATURES)


def _sum_parts(parts):
    """Sum of per-chunk partial sums, added in chunk order (thread-count independent)."""
    total = parts[0].copy()
    for part in parts[1:]:
        total += part
    return total


def _blas_threads_for(X):
    return _get_threadpool_controller().limit(
        limits=1 if X.size < _SMALL_FOR_BLAS_THREADS else None, user_api="blas")


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian Mixture, fitted by expectation-maximization.

    Same parameters, attributes and methods as
    :class:`sklearn.mixture.GaussianMixture`; from the same initial
    parameters (``weights_init``, ``means_init``, ``precisions_init``) it
    converges to the same parameters.

    Parameters
    ----------
    n_components : int, default=1
        The number of mixture components.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        The type of covariance parameters to use.
    tol : float, default=1e-3
        Convergence threshold on the change of the mean log-likelihood.
    reg_covar : float, default=1e-6
        Non-negative regularization added to the diagonal of covariances.
    max_iter : int, default=100
        The number of EM iterations to perform.
    n_init : int, default=1
        The number of initializations to perform. The best result is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, \
            default='kmeans'
        The method used to initialize the responsibilities.
    weights_init : array-like of shape (n_components, ), default=None
        The user-provided initial weights.
    means_init : array-like of shape (n_components, n_features), default=None
        The user-provided initial means.
    precisions_init : array-like, default=None
        The user-provided initial precisions (inverse covariance matrices).
    random_state : int, RandomState instance or None, default=None
        Controls the random seed given to the initialization method.
    warm_start : bool, default=False
        If True, the solution of the last fit is the initialization of the next.
    verbose : int, default=0
        Enable verbose output.
    verbose_interval : int, default=10
        Number of iterations between two prints.

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_ : ndarray
        The fitted mixture parameters.
    converged_ : bool
        True when convergence of the best fit of EM was reached.
    n_iter_ : int
        Number of EM steps of the best fit.
    lower_bound_ : float
        Log-likelihood (per sample) of the best fit.
    lower_bounds_ : list of float
        The lower bound at each EM step of the best fit.
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.mixture import GaussianMixture
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> gm.means_
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> gm.predict([[0, 0], [12, 3]])
    array([1, 0])
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "random", "random_from_data", "k-means++"})],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions({"full", "tied", "diag", "spherical"})],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
    }

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    # -- initialization ---------------------------------------------------
    def _checked_inits(self, n_features):
        inits = {}
        if self.weights_init is not None:
            inits["weights"] = _check_weights(self.weights_init, self.n_components)
        if self.means_init is not None:
            inits["means"] = _check_means(self.means_init, self.n_components, n_features)
        if self.precisions_init is not None:
            inits["precisions"] = _check_precisions(
                self.precisions_init, self.covariance_type, self.n_components, n_features)
        return inits

    def _initial_resp(self, X, random_state):
        n_samples = X.shape[0]
        k = self.n_components
        if self.init_params == "kmeans":
            resp = np.zeros((n_samples, k), dtype=X.dtype)
            label = KMeans(n_clusters=k, n_init=1, random_state=random_state).fit(X).labels_
            resp[np.arange(n_samples), label] = 1
        elif self.init_params == "random":
            resp = np.asarray(random_state.uniform(size=(n_samples, k)), dtype=X.dtype)
            resp /= resp.sum(axis=1)[:, np.newaxis]
        elif self.init_params == "random_from_data":
            resp = np.zeros((n_samples, k), dtype=X.dtype)
            indices = random_state.choice(n_samples, size=k, replace=False)
            resp[indices, np.arange(k)] = 1
        else:  # k-means++
            resp = np.zeros((n_samples, k), dtype=X.dtype)
            _, indices = kmeans_plusplus(X, k, random_state=random_state)
            resp[indices, np.arange(k)] = 1
        return resp

    def _initialize(self, X, random_state, inits):
        n_samples = X.shape[0]
        weights = means = cov = None
        if len(inits) < 3:
            resp = self._initial_resp(X, random_state)
            weights, means, cov = _estimate_gaussian_parameters(
                X, resp, self.reg_covar, self.covariance_type)
            if "weights" not in inits:
                weights /= n_samples
        self.weights_ = inits.get("weights", weights)
        self.means_ = inits.get("means", means)
        if "precisions" in inits:
            self.precisions_cholesky_ = _precision_cholesky_from_precisions(
                inits["precisions"], self.covariance_type)
        else:
            self.covariances_ = cov
            self.precisions_cholesky_ = _compute_precision_cholesky(cov, self.covariance_type)

    # -- EM ---------------------------------------------------------------
    def _estimate_weighted_log_prob(self, X):
        return _estimate_log_gaussian_prob(
            X, self.means_, self.precisions_cholesky_, self.covariance_type
        ) + np.log(self.weights_)

    def _estimate_log_prob_resp(self, X):
        weighted = self._estimate_weighted_log_prob(X)
        with np.errstate(under="ignore"):
            log_prob_norm = logsumexp(weighted, axis=1)
            log_resp = weighted - log_prob_norm[:, np.newaxis]
        return log_prob_norm, log_resp

    def _em_step(self, X):
        """One E-step and M-step; the E-step's mean log-likelihood (the lower bound)."""
        if _compiled_em(X, self.covariance_type):
            return self._em_step_full_compiled(X)
        log_prob_norm, log_resp = self._estimate_log_prob_resp(X)
        self._m_step(X, log_resp)
        return np.mean(log_prob_norm)

    def _em_step_full_compiled(self, X):
        """The same iteration in two compiled passes over X (src_cy/_gmm_full.pyx)."""
        n_samples, n_features = X.shape
        n_components = self.means_.shape[0]
        n_parts = _gmm_full.n_chunks_for(n_samples)
        # a thread per _EM_WORK_PER_THREAD multiply-adds at most: below, waking
        # a second thread (and waiting for it on a busy machine) costs more
        work = n_samples * n_components * n_features * (n_features + 1)
        n_threads = max(1, min(_openmp_effective_n_threads(), work // _EM_WORK_PER_THREAD))
        resp = np.empty((n_samples, n_components))
        nk_parts = np.empty((n_parts, n_components))
        rx_parts = np.empty((n_parts, n_components, n_features))
        prec_chol = np.ascontiguousarray(self.precisions_cholesky_)
        log_det = _log_det_cholesky(prec_chol, "full", n_features)
        with np.errstate(divide="ignore"):  # a zero weight is a -inf log-weight, as sklearn
            log_weights = np.log(self.weights_)
        # P_m side by side, (d, k*d), and mu_m @ P_m: see e_step's docstring
        prec_cat = np.ascontiguousarray(prec_chol.transpose(1, 0, 2).reshape(n_features, -1))
        means_prec = np.einsum("mi,mij->mj", self.means_, prec_chol).ravel()
        lse_sum = _gmm_full.e_step(X, prec_cat, means_prec, log_det, log_weights, resp,
                                   nk_parts, rx_parts, n_threads)
        # M-step (scikit-learn's _estimate_gaussian_parameters), parts added in chunk order
        nk = _sum_parts(nk_parts) + 10 * np.finfo(resp.dtype).eps
        means = _sum_parts(rx_parts) / nk[:, np.newaxis]
        cov_parts = np.empty((n_parts, n_components, n_features, n_features))
        _gmm_full.weighted_covariances(X, resp, means, cov_parts, n_threads)
        cov = _sum_parts(cov_parts)
        upper = np.triu_indices(n_features, 1)
        cov[:, upper[1], upper[0]] = cov[:, upper[0], upper[1]]
        cov /= nk[:, np.newaxis, np.newaxis]
        cov[:, np.arange(n_features), np.arange(n_features)] += self.reg_covar
        self.weights_, self.means_, self.covariances_ = nk / nk.sum(), means, cov
        self.precisions_cholesky_ = _precision_cholesky_batched(cov)
        return lse_sum / n_samples

    def _m_step(self, X, log_resp):
        # responsibilities of far-away samples underflow to 0, harmlessly
        with np.errstate(under="ignore"):
            self.weights_, self.means_, self.covariances_ = _estimate_gaussian_parameters(
                X, np.exp(log_resp), self.reg_covar, self.covariance_type)
        self.weights_ /= self.weights_.sum()
        self.precisions_cholesky_ = _compute_precision_cholesky(
            self.covariances_, self.covariance_type)

    def _get_parameters(self):
        return (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)

    def _set_parameters(self, params):
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = params
        pc = self.precisions_cholesky_
        if self.covariance_type == "full":
            self.precisions_ = np.stack([c @ c.T for c in pc])
        elif self.covariance_type == "tied":
            self.precisions_ = pc @ pc.T
        else:
            self.precisions_ = pc**2

    def fit(self, X, y=None):
        """Estimate model parameters with the EM algorithm.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored

        Returns
        -------
        self : object
            The fitted mixture.
        """
        self.fit_predict(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_predict(self, X, y=None):
        """Estimate model parameters using X and predict the labels for X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored

        Returns
        -------
        labels : array, shape (n_samples,)
            Component labels.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        if _compiled_em(X, self.covariance_type):
            X = np.ascontiguousarray(X)  # the compiled iteration reads rows
        with _blas_threads_for(X):
            return self._fit_predict(X)

    def _fit_predict(self, X):
        if X.shape[0] < self.n_components:
            raise ValueError(
                "Expected n_samples >= n_components "
                f"but got n_components = {self.n_components}, "
                f"n_samples = {X.shape[0]}"
            )
        inits = self._checked_inits(X.shape[1])
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        max_lower_bound = -np.inf
        best_lower_bounds = []
        self.converged_ = False
        random_state = check_random_state(self.random_state)

        for init in range(n_init):
            if self.verbose:
                print(f"Initialization {init}")
            if do_init:
                with np.errstate(under="ignore"):
                    self._initialize(X, random_state, inits)
            lower_bound = -np.inf if do_init else self.lower_bound_
            current_lower_bounds = []
            if self.max_iter == 0:
                best_params = self._get_parameters()
                best_n_iter = 0
                continue
            converged = False
            for n_iter in range(1, self.max_iter + 1):
                prev_lower_bound = lower_bound
                lower_bound = self._em_step(X)
                current_lower_bounds.append(lower_bound)
                change = lower_bound - prev_lower_bound
                if self.verbose >= 2 and n_iter % self.verbose_interval == 0:
                    print(f"  Iteration {n_iter}\t change: {change}")
                if abs(change) < self.tol:
                    converged = True
                    break
            if self.verbose:
                print(f"Initialization converged: {converged}\t lower bound: {lower_bound}")
            if lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                max_lower_bound = lower_bound
                best_params = self._get_parameters()
                best_n_iter = n_iter
                best_lower_bounds = current_lower_bounds
                self.converged_ = converged

        if not self.converged_ and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. "
                "Try different init parameters, or increase max_iter, "
                "tol, or check for degenerate data.",
                ConvergenceWarning,
            )
        self._set_parameters(best_params)
        self.n_iter_ = best_n_iter
        self.lower_bound_ = max_lower_bound
        self.lower_bounds_ = best_lower_bounds
        # a final E-step so that fit_predict(X) == fit(X).predict(X)
        _, log_resp = self._estimate_log_prob_resp(X)
        return log_resp.argmax(axis=1)

    # -- inference --------------------------------------------------------
    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False)

    def score_samples(self, X):
        """Compute the log-likelihood of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_prob : array, shape (n_samples,)
        """
        X = self._check_X(X)
        with np.errstate(under="ignore"):
            return logsumexp(self._estimate_weighted_log_prob(X), axis=1)

    def score(self, X, y=None):
        """Per-sample average log-likelihood of X."""
        return float(np.mean(self.score_samples(X)))

    def predict(self, X):
        """Predict the labels for the data samples in X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : array, shape (n_samples,)
        """
        X = self._check_X(X)
        return self._estimate_weighted_log_prob(X).argmax(axis=1)

    def predict_proba(self, X):
        """Posterior probability of each component given the data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        resp : array, shape (n_samples, n_components)
        """
        X = self._check_X(X)
        _, log_resp = self._estimate_log_prob_resp(X)
        with np.errstate(under="ignore"):
            return np.exp(log_resp)

    def sample(self, n_samples=1):
        """Generate random samples from the fitted Gaussian distribution.

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : array, shape (n_samples, n_features)
        y : array, shape (nsamples,)
        """
        check_is_fitted(self)
        if n_samples < 1:
            raise ValueError(
                "Invalid value for 'n_samples': %d . The sampling requires at "
                "least one sample." % (self.n_components)
            )
        _, n_features = self.means_.shape
        rng = check_random_state(self.random_state)
        n_samples_comp = rng.multinomial(n_samples, self.weights_)
        if self.covariance_type == "full":
            X = np.vstack([rng.multivariate_normal(mean, cov, int(s))
                           for (mean, cov, s) in zip(self.means_, self.covariances_,
                                                     n_samples_comp)])
        elif self.covariance_type == "tied":
            X = np.vstack([rng.multivariate_normal(mean, self.covariances_, int(s))
                           for (mean, s) in zip(self.means_, n_samples_comp)])
        else:
            X = np.vstack([mean + rng.standard_normal(size=(s, n_features)) * np.sqrt(cov)
                           for (mean, cov, s) in zip(self.means_, self.covariances_,
                                                     n_samples_comp)])
        y = np.concatenate([np.full(int(s), j, dtype=np.int64)
                            for j, s in enumerate(n_samples_comp)])
        return np.asarray(X, dtype=np.float64), y

    def _n_parameters(self):
        _, n_features = self.means_.shape
        if self.covariance_type == "full":
            cov_params = self.n_components * n_features * (n_features + 1) / 2.0
        elif self.covariance_type == "diag":
            cov_params = self.n_components * n_features
        elif self.covariance_type == "tied":
            cov_params = n_features * (n_features + 1) / 2.0
        else:
            cov_params = self.n_components
        mean_params = n_features * self.n_components
        return int(cov_params + mean_params + self.n_components - 1)

    def bic(self, X):
        """Bayesian information criterion for the current model on X."""
        return -2 * self.score(X) * X.shape[0] + self._n_parameters() * math.log(X.shape[0])

    def aic(self, X):
        """Akaike information criterion for the current model on X."""
        return -2 * self.score(X) * X.shape[0] + 2 * self._n_parameters()
