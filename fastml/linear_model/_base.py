"""Shared pieces of the linear models, and LinearRegression (lstsq / normal equation)."""

from numbers import Integral, Real

import numpy as np
from scipy import linalg, optimize
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin

from ..utils._sklearn import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    check_is_fitted,
    validate_data,
)


class LinearModelMixin:
    """predict() and intercept bookkeeping for models y = X @ coef_.T + intercept_.

    fastml's linear models take dense X only (scikit-learn's sparse paths are
    not ported): the tags say so.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def _decision_function(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=False, reset=False)
        return X @ self.coef_.T + self.intercept_

    def predict(self, X):
        """Predict using the linear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        C : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        return self._decision_function(X)

    def _set_intercept(self, X_offset, y_offset):
        if self.fit_intercept:
            self.coef_ = self.coef_.astype(X_offset.dtype, copy=False)
            self.intercept_ = y_offset - X_offset @ self.coef_.T
        else:
            self.intercept_ = 0.0


def center_data(X, y, fit_intercept, sample_weight=None):
    """Weighted column means of X and y (zeros when no intercept) - no copy of X."""
    if fit_intercept:
        X_offset = np.average(X, axis=0, weights=sample_weight).astype(X.dtype, copy=False)
        y_offset = np.average(y, axis=0, weights=sample_weight).astype(X.dtype, copy=False)
    else:
        X_offset = np.zeros(X.shape[1], dtype=X.dtype)
        y_offset = np.zeros(y.shape[1:], dtype=X.dtype) if y.ndim > 1 else X.dtype.type(0)
    return X_offset, y_offset


def validate_centered(est, X, y, sample_weight, **sample_weight_checks):
    """Validated X, y (in X's dtype) and the centred, sqrt(sw)-scaled problem.

    Returns (X, y, X_offset, y_offset, Xc, yc) for the closed-form models.
    """
    X, y = validate_data(est, X, y, accept_sparse=False, y_numeric=True,
                         multi_output=True, dtype=[np.float64, np.float32])
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             **sample_weight_checks)
    y = y.astype(X.dtype, copy=False)
    X_offset, y_offset = center_data(X, y, est.fit_intercept, sample_weight)
    Xc, yc = centered_scaled(X, y, X_offset, y_offset, sample_weight)
    return X, y, X_offset, y_offset, Xc, yc


def centered_scaled(X, y, X_offset, y_offset, sample_weight=None):
    """(X - X_offset) * sqrt(sw), (y - y_offset) * sqrt(sw): the weighted LS problem."""
    Xc = X - X_offset
    yc = y - y_offset
    if sample_weight is not None:
        sw_sqrt = np.sqrt(sample_weight).astype(X.dtype, copy=False)
        Xc *= sw_sqrt[:, None]
        yc = yc * (sw_sqrt[:, None] if yc.ndim > 1 else sw_sqrt)
    return Xc, yc


class LinearRegression(MultiOutputMixin, RegressorMixin, LinearModelMixin, BaseEstimator):
    """Ordinary least squares, as :class:`sklearn.linear_model.LinearRegression`.

    Solves ``min ||y - X w - b||^2`` (optionally sample-weighted) on centred
    data.

    Parameters
    ----------
    fit_intercept : bool, default=True
    copy_X : bool, default=True
        X is never modified by fastml; kept for API compatibility.
    tol : float, default=1e-6
        Relative cut-off for small singular values (``cond`` of ``lstsq``).
    n_jobs : int, default=None
        Unused (kept for API compatibility); BLAS threads are used.
    positive : bool, default=False
        Constrain coefficients to be >= 0 (non-negative least squares).
    solver : {"auto", "lstsq", "normal"}, default="auto"
        fastml extension. ``"lstsq"`` is scikit-learn's SVD-based least
        squares (rank-revealing, sets ``rank_`` and ``singular_``).
        ``"normal"`` solves the normal equation ``X'X w = X'y`` with a Cholesky
        factorisation: one pass over X (O(n p^2)), faster for tall data but
        it squares the condition number; it falls back to ``"lstsq"`` when
        X'X is singular. ``"auto"`` is ``"lstsq"``.

    Attributes
    ----------
    coef_, intercept_, rank_, singular_, n_features_in_, feature_names_in_

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.linear_model import LinearRegression
    >>> X = np.array([[1, 1], [1, 2], [2, 2], [2, 3]])
    >>> y = np.dot(X, np.array([1, 2])) + 3
    >>> reg = LinearRegression().fit(X, y)
    >>> reg.coef_.round(6), round(float(reg.intercept_), 6)
    (array([1., 2.]), 3.0)
    """

    _parameter_constraints: dict = {
        "fit_intercept": ["boolean"],
        "copy_X": ["boolean"],
        "n_jobs": [None, Integral],
        "positive": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"auto", "lstsq", "normal"})],
    }

    def __init__(self, *, fit_intercept=True, copy_X=True, tol=1e-6, n_jobs=None,
                 positive=False, solver="auto"):
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.tol = tol
        self.n_jobs = n_jobs
        self.positive = positive
        self.solver = solver

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the least-squares model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        X, y, X_offset, y_offset, Xc, yc = validate_centered(
            self, X, y, sample_weight, ensure_non_negative=True)
        if self.positive:
            if yc.ndim < 2:
                self.coef_ = optimize.nnls(Xc, yc)[0]
            else:
                self.coef_ = np.vstack([optimize.nnls(Xc, yc[:, j])[0]
                                        for j in range(yc.shape[1])])
        else:
            coef = None
            if self.solver == "normal":
                coef = _normal_equation(Xc, yc)
            if coef is None:
                coef, _, self.rank_, self.singular_ = linalg.lstsq(Xc, yc, cond=self.tol)
            else:
                self.singular_ = np.sqrt(np.clip(linalg.eigvalsh(Xc.T @ Xc), 0, None))[::-1]
                self.rank_ = int(np.sum(self.singular_ > self.tol * self.singular_[0]))
            self.coef_ = coef.T
        if y.ndim == 1:
            self.coef_ = np.ravel(self.coef_)
        self._set_intercept(X_offset, y_offset)
        return self


def _normal_equation(Xc, yc):
    """Solve X'X w = X'y by Cholesky; None if X'X is not numerically positive definite."""
    gram = Xc.T @ Xc
    try:
        c, low = linalg.cho_factor(gram, check_finite=False)
    except linalg.LinAlgError:
        return None
    if np.min(np.abs(np.diag(c))) <= np.sqrt(np.finfo(Xc.dtype).eps) * np.max(
            np.abs(np.diag(c))):
        return None  # nearly singular: squaring the condition number loses everything
    return linalg.cho_solve((c, low), Xc.T @ yc, check_finite=False)


class LinearClassifierMixin(LinearModelMixin):
    """decision_function / predict for linear classifiers with coef_ (k, p), classes_."""

    def decision_function(self, X):
        """Signed distance to the separating hyperplane(s).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)
        """
        scores = self._decision_function(X)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict class labels for samples in X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            indices = (scores > 0).astype(int)
        else:
            indices = scores.argmax(axis=1)
        return self.classes_.take(indices, axis=0)
