"""Ridge regression: closed form by Cholesky (primal or kernel/dual) or SVD."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import linalg, optimize
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning

from ..utils._sklearn import (
    Interval,
    StrOptions,
    _fit_context,
)
from ._base import LinearModelMixin, validate_centered


def _solve_cholesky(Xc, yc, alpha):
    """(X'X + alpha I) w = X'y per target; one factorisation when alphas are equal."""
    n_features = Xc.shape[1]
    A = Xc.T @ Xc
    Xy = Xc.T @ yc
    if np.all(alpha == alpha[0]):
        A.flat[:: n_features + 1] += alpha[0]
        return linalg.solve(A, Xy, assume_a="pos", overwrite_a=True).T
    coefs = np.empty((yc.shape[1], n_features), dtype=Xc.dtype)
    for k in range(yc.shape[1]):
        A.flat[:: n_features + 1] += alpha[k]
        coefs[k] = linalg.solve(A, Xy[:, k], assume_a="pos")
        A.flat[:: n_features + 1] -= alpha[k]
    return coefs


def _solve_cholesky_kernel(Xc, yc, alpha):
    """Dual form for wide X: (XX' + alpha I) d = y, w = X'd (O(n^2 p) not O(p^2 n))."""
    n_samples = Xc.shape[0]
    K = Xc @ Xc.T
    dual = np.empty_like(yc)
    for a in np.unique(alpha):
        cols = np.flatnonzero(alpha == a)
        K.flat[:: n_samples + 1] += a
        try:
            dual[:, cols] = linalg.solve(K, yc[:, cols], assume_a="pos")
        except np.linalg.LinAlgError:
            warnings.warn(
                "Singular matrix in solving dual problem. Using "
                "least-squares solution instead."
            )
            dual[:, cols] = linalg.lstsq(K, yc[:, cols])[0]
        K.flat[:: n_samples + 1] -= a
    return (Xc.T @ dual).T


def _solve_svd(Xc, yc, alpha):
    U, s, Vt = linalg.svd(Xc, full_matrices=False)
    idx = s > 1e-15  # same cut-off as scipy.linalg.pinv
    d = np.zeros((s.shape[0], alpha.shape[0]), dtype=Xc.dtype)
    s_nnz = s[idx][:, None]
    d[idx] = s_nnz / (s_nnz**2 + alpha)
    return (Vt.T @ (d * (U.T @ yc))).T


def _solve_lbfgs_positive(Xc, yc, alpha, max_iter, tol):
    """Non-negative ridge by L-BFGS-B with the closed-form gradient."""
    n_features = Xc.shape[1]
    coefs = np.empty((yc.shape[1], n_features), dtype=Xc.dtype)
    n_iter = np.empty(yc.shape[1], dtype=np.int32)
    G = Xc.T @ Xc
    for k in range(yc.shape[1]):
        Xy = Xc.T @ yc[:, k]
        a = float(alpha[k])

        def f(w):
            Gw = G @ w
            return 0.5 * w @ Gw - Xy @ w + 0.5 * a * w @ w, Gw - Xy + a * w

        # scikit-learn's options (tol -> ftol and gtol), so the same iterates
        options = {} if max_iter is None else {"maxiter": max_iter}
        res = optimize.minimize(f, np.zeros(n_features), method="L-BFGS-B", jac=True,
                                tol=tol, bounds=[(0, np.inf)] * n_features,
                                options=options)
        if not res.success:
            warnings.warn(
                "The lbfgs solver did not converge. Try increasing max_iter "
                f"or tol. Currently: max_iter={max_iter} and tol={tol}",
                ConvergenceWarning,
            )
        coefs[k], n_iter[k] = res.x, res.nit
    return coefs, n_iter


class Ridge(MultiOutputMixin, RegressorMixin, LinearModelMixin, BaseEstimator):
    """Linear least squares with L2 regularisation, as :class:`sklearn.linear_model.Ridge`.

    Minimises ``||y - Xw||^2 + alpha * ||w||^2``.

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
    fit_intercept : bool, default=True
    copy_X : bool, default=True
        X is never modified by fastml; kept for API compatibility.
    max_iter : int, default=None
        Only for ``solver="lbfgs"``.
    tol : float, default=1e-4
        Only for ``solver="lbfgs"`` (the closed forms are exact).
    solver : {"auto", "svd", "cholesky", "lbfgs"}, default="auto"
        ``"cholesky"`` factorises X'X + alpha I (or the n x n kernel matrix
        when n_features > n_samples); ``"svd"`` uses the thin SVD of X and is
        the fallback when the system is singular; ``"lbfgs"`` is used for
        ``positive=True``. ``"auto"`` picks ``"cholesky"`` (``"lbfgs"`` if
        positive). scikit-learn's iterative solvers ``sparse_cg``, ``lsqr``,
        ``sag`` and ``saga`` are not provided (dense closed forms instead).
    positive : bool, default=False
    random_state : int, RandomState instance or None, default=None
        Unused (kept for API compatibility).

    Attributes
    ----------
    coef_, intercept_, n_iter_, solver_, n_features_in_, feature_names_in_

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.linear_model import Ridge
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.randn(10, 5), rng.randn(10)
    >>> Ridge(alpha=1.0).fit(X, y).coef_.shape
    (5,)
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left"), np.ndarray, list],
        "fit_intercept": ["boolean"],
        "copy_X": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"auto", "svd", "cholesky", "lbfgs"})],
        "positive": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=None,
                 tol=1e-4, solver="auto", positive=False, random_state=None):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit Ridge regression.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        solver = self.solver
        if self.positive and solver not in ("auto", "lbfgs"):
            raise ValueError(
                "When positive=True, only 'lbfgs' solver can be used. "
                f"Please change solver {solver} to 'lbfgs' or set positive=False."
            )
        if solver == "lbfgs" and not self.positive:
            raise ValueError(
                "'lbfgs' solver can be used only when positive=True. "
                "Please use another solver."
            )
        if solver == "auto":
            solver = "lbfgs" if self.positive else "cholesky"
        X, y, X_offset, y_offset, Xc, yc = validate_centered(self, X, y, sample_weight)
        ravel = yc.ndim == 1
        yc = yc.reshape(-1, 1) if ravel else yc
        n_targets = yc.shape[1]
        alpha = np.asarray(self.alpha, dtype=X.dtype).ravel()
        if np.any(alpha < 0):
            raise ValueError(f"alpha values must be non-negative, got {self.alpha}")
        if alpha.shape[0] not in (1, n_targets):
            raise ValueError(
                "Number of targets and number of penalties do not correspond: %d != %d"
                % (alpha.shape[0], n_targets)
            )
        if alpha.shape[0] == 1 and n_targets > 1:
            alpha = np.full(n_targets, alpha[0], dtype=X.dtype)
        self.n_iter_ = None
        if solver == "lbfgs":
            coef, self.n_iter_ = _solve_lbfgs_positive(Xc, yc, alpha, self.max_iter, self.tol)
        elif solver == "cholesky":
            try:
                if Xc.shape[1] > Xc.shape[0]:
                    coef = _solve_cholesky_kernel(Xc, yc, alpha)
                else:
                    coef = _solve_cholesky(Xc, yc, alpha)
            except linalg.LinAlgError:
                solver = "svd"  # singular system: scikit-learn switches to SVD too
        if solver == "svd":
            coef = _solve_svd(Xc, yc, alpha)
        self.solver_ = solver
        self.coef_ = coef.astype(X.dtype, copy=False)
        if ravel:
            self.coef_ = self.coef_.ravel()
        self._set_intercept(X_offset, y_offset)
        return self
