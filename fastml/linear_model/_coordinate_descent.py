"""ElasticNet and Lasso by compiled coordinate descent (fastml._cy._cd_fast)."""

import numbers
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils import check_array

from .._cy import _cd_fast
from ..utils._sklearn import (
    Interval,
    StrOptions,
    _assert_all_finite,
    _check_sample_weight,
    _fit_context,
    _openmp_effective_n_threads,
    check_random_state,
    validate_data,
)
from fastml.utils._gram import check_finite_from_sums, gram_and_column_sums
from ._base import LinearModelMixin, center_data


def _fortran_design(X, X_offset, sw_sqrt, n_threads):
    """The centred, sqrt(sw)-scaled Fortran copy of X CD sweeps, and its column norms^2.

    C-ordered X (the usual case) goes through one parallel compiled pass;
    other layouts through NumPy.
    """
    norm2 = np.empty(X.shape[1], dtype=X.dtype)
    if X.flags.c_contiguous:
        out = np.empty(X.shape, dtype=X.dtype, order="F")
        empty = np.empty(0, dtype=X.dtype)
        _cd_fast.prepare_fortran(X, X_offset, empty if sw_sqrt is None else sw_sqrt,
                                 out, norm2, n_threads)
        return out, norm2
    out = np.asfortranarray(X - X_offset)
    if sw_sqrt is not None:
        out *= sw_sqrt[:, None]
    norm2[:] = np.einsum("ij,ij->j", out, out)
    return out, norm2


# The Gram form costs n p^2 / 2 multiply-adds once (BLAS speed), then O(p^2)
# a sweep; the X form needs a centred Fortran copy of X and O(n p) a sweep and
# a gap check, at memory speed. Measured (make_regression, alpha=0.1, 4-5
# sweeps): Gram faster at 100000 x 100 (~10x), 50000 x 300, 20000 x 600;
# slower at 4000 x 1000.
_AUTO_GRAM_MAX_FEATURES = 512


# Largest n m_j^2 / (centred sum of squares) of a column (or of y) for which
# the moments about the means are taken from the plain moments: their rounding
# error is then within ~1e4 eps of the centred moments (|mean| <= 100 std).
_PLAIN_MOMENTS_MAX_RATIO = 1e4


def _centered_gram(est, X, Y, sample_weight, fit_intercept, n_threads):
    """Centred weighted Gram X'X, X'Y, the means and ||Y||^2 per target.

    One pass over X, float64 whatever X's dtype; X's finite check is done on
    that pass's column sums. Unweighted float64 X takes the plain moments
    (no copy of X's blocks) and centres them with G - n m m' when that loses
    few digits (see _PLAIN_MOMENTS_MAX_RATIO); otherwise - or with a constant
    column, whose centred norm must be an exact zero - the moments are taken
    about the first row (shifted copies of the blocks), as in a second pass.
    Returns (G, XtY, X_offset, Y_offset, y_norm2).
    """
    p = X.shape[1]
    plain = sample_weight is None and X.dtype == np.float64
    w_sum = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
    for shift in ((False, True) if plain and fit_intercept else (fit_intercept,)):
        Z, sums = gram_and_column_sums(X, n_threads, Y=Y, sample_weight=sample_weight,
                                       shift=shift)
        check_finite_from_sums(sums[:p], X, est)
        if not fit_intercept:
            return Z[:p, :p].copy(), Z[:p, p:].copy(), np.zeros(p), np.zeros(Y.shape[1]), \
                np.diagonal(Z)[p:].copy()
        # moments about the weighted means from those about z0 (0 or the first row)
        m = sums / w_sum
        Zc = Z - w_sum * np.outer(m, m)
        if not shift:
            # a column of zeros is exact either way; a constant one is not
            # (its centred sum of squares is rounding noise, maybe negative)
            spread = np.diagonal(Zc)
            with np.errstate(divide="ignore", invalid="ignore"):
                ok = (spread > 0) & (w_sum * m * m <= _PLAIN_MOMENTS_MAX_RATIO * spread)
            if not np.all(ok | (np.diagonal(Z) == 0)):
                continue  # ill-conditioned: moments about the first row instead
            z0 = np.zeros_like(m)
        else:
            z0 = np.concatenate([X[0], Y[0]]).astype(np.float64)
        offset = z0 + m
        G, XtY = np.ascontiguousarray(Zc[:p, :p]), Zc[:p, p:].copy()
        return G, XtY, offset[:p], offset[p:], np.diagonal(Zc)[p:].copy()


class ElasticNet(MultiOutputMixin, RegressorMixin, LinearModelMixin, BaseEstimator):
    """Linear regression with combined L1 and L2 priors, as scikit-learn's ElasticNet.

    Minimises::

        1 / (2 * n_samples) * ||y - Xw||^2_2
        + alpha * l1_ratio * ||w||_1 + 0.5 * alpha * (1 - l1_ratio) * ||w||^2_2

    by cyclic (or random) coordinate descent, compiled, stopping when the
    duality gap is below ``tol * ||y||^2`` - scikit-learn's algorithm and
    stopping rule, so the coefficients agree within that tolerance.

    Parameters
    ----------
    alpha : float, default=1.0
    l1_ratio : float in [0, 1], default=0.5
    fit_intercept : bool, default=True
    precompute : bool or array-like of shape (n_features, n_features), default=False
        True computes the Gram matrix X'X and runs CD on it; an array is
        used as the Gram matrix of the centred X. With False fastml still
        takes the Gram form for float64 X with ``n_samples >= 2 * n_features``
        and at most 512 features, where it is faster (see Notes).
    max_iter : int, default=1000
    copy_X : bool, default=True
        X is never modified by fastml; kept for API compatibility.
    tol : float, default=1e-4
    warm_start : bool, default=False
    positive : bool, default=False
    random_state : int, RandomState instance or None, default=None
        Used when ``selection="random"``.
    selection : {"cyclic", "random"}, default="cyclic"

    Attributes
    ----------
    coef_, intercept_, n_iter_, dual_gap_, sparse_coef_, n_features_in_

    Notes
    -----
    The Gram form is an exact equivalent of the X form, not another solver:
    coordinate j's update reads X_j'R = q_j - (Qw)_j + w_j Q_jj and the
    duality gap reads ||R||^2 = y'y - 2 q'w + w'Qw, so in exact arithmetic
    the iterates, gaps and ``n_iter_`` are scikit-learn's. Q = X'X and q = X'y
    come from one pass over X (no copy; centred about the first row, then
    corrected to the weighted means), accumulated in float64.

    Sparse X is not supported (scikit-learn's CSC path is not ported).

    Examples
    --------
    >>> from fastml.linear_model import ElasticNet
    >>> from sklearn.datasets import make_regression
    >>> X, y = make_regression(n_features=2, random_state=0)
    >>> regr = ElasticNet(random_state=0).fit(X, y)
    >>> regr.coef_.round(3)
    array([18.838, 64.56 ])
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "precompute": ["boolean", "array-like"],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "copy_X": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "positive": ["boolean"],
        "random_state": ["random_state"],
        "selection": [StrOptions({"cyclic", "random"})],
    }

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, precompute=False,
                 max_iter=1000, copy_X=True, tol=1e-4, warm_start=False, positive=False,
                 random_state=None, selection="cyclic"):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, check_input=True):
        """Fit the model by coordinate descent.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None
        check_input : bool, default=True
            Kept for API compatibility; input is always validated.

        Returns
        -------
        self : object
        """
        if self.alpha == 0:
            warnings.warn(
                "With alpha=0, this algorithm does not converge well. You are "
                "advised to use the LinearRegression estimator",
                stacklevel=2,
            )
        # X's finiteness is checked below: on the Gram pass's column sums in
        # the Gram form (no pass of its own), else directly; y's is checked here
        X, y = validate_data(self, X, y, accept_sparse=False, dtype=[np.float64, np.float32],
                             multi_output=True, y_numeric=True, order=None,
                             ensure_all_finite=False)
        y = y.astype(X.dtype, copy=False)  # validated above: a finite numeric array
        n_samples, n_features = X.shape
        if isinstance(sample_weight, numbers.Number):
            sample_weight = None
        sw_sqrt = None
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
            # objective uses the weighted average: rescale sw to sum to n_samples
            sample_weight = sample_weight * (n_samples / np.sum(sample_weight))
            sw_sqrt = np.sqrt(sample_weight).astype(X.dtype)

        Y = y.reshape(n_samples, -1)
        n_targets = Y.shape[1]
        if not self.warm_start or not hasattr(self, "coef_"):
            coef = np.zeros((n_targets, n_features), dtype=X.dtype)
        else:
            coef = np.array(np.atleast_2d(self.coef_), dtype=X.dtype)
            if coef.shape != (n_targets, n_features):
                raise ValueError(
                    f"Warm start coef_ has shape {coef.shape}, expected "
                    f"{(n_targets, n_features)}."
                )

        n_threads = _openmp_effective_n_threads()
        l1_reg = self.alpha * self.l1_ratio * n_samples
        l2_reg = self.alpha * (1.0 - self.l1_ratio) * n_samples
        rng = check_random_state(self.random_state)
        random = self.selection == "random"
        max_iter = 1000 if self.max_iter is None else self.max_iter
        use_gram = self._use_gram(X)
        if use_gram:
            G, XtY, X_offset, y_offset, y_norm2 = _centered_gram(
                self, X, Y, sample_weight, self.fit_intercept, n_threads)
            G = self._user_gram(G, X_offset)
            G, XtY = G.astype(X.dtype, copy=False), XtY.astype(X.dtype, copy=False)
            X_offset = X_offset.astype(X.dtype, copy=False)
            y_offset = y_offset.astype(X.dtype, copy=False)
            if y.ndim == 1:
                y_offset = y_offset[0]
        else:
            _assert_all_finite(X, input_name="X", estimator_name=type(self).__name__)
            X_offset, y_offset = center_data(X, y, self.fit_intercept, sample_weight)
            Xf, norm2 = _fortran_design(X, X_offset, sw_sqrt, n_threads)
            Yc = (y - y_offset).reshape(n_samples, -1)
            if sw_sqrt is not None:
                Yc = Yc * sw_sqrt[:, None]

        dual_gaps = np.zeros(n_targets, dtype=X.dtype)
        n_iters = []
        for k in range(n_targets):
            w = np.ascontiguousarray(coef[k])
            if use_gram:
                w, gap, _, n_iter = _cd_fast.enet_coordinate_descent_gram(
                    w, l1_reg, l2_reg, G, np.ascontiguousarray(XtY[:, k]),
                    float(y_norm2[k]), max_iter, self.tol, rng, random, self.positive, True,
                )
            else:
                w, gap, _, n_iter = _cd_fast.enet_coordinate_descent(
                    w, l1_reg, l2_reg, Xf, np.ascontiguousarray(Yc[:, k]), norm2, max_iter,
                    self.tol, rng, random, self.positive, True,
                )
            coef[k] = w
            # cd_fast's objective is n_samples times the documented one
            dual_gaps[k] = gap / n_samples
            n_iters.append(n_iter)

        if n_targets == 1 and y.ndim == 1:
            self.coef_, self.dual_gap_, self.n_iter_ = coef[0], dual_gaps[0], n_iters[0]
        else:
            self.coef_, self.dual_gap_, self.n_iter_ = coef, dual_gaps, n_iters
        self._set_intercept(X_offset, y_offset)
        if not (np.isfinite(self.coef_).all() and np.isfinite(self.intercept_).all()):
            raise ValueError(
                "Coordinate descent iterations resulted in non-finite parameter"
                " values. The input data may contain large values and need to"
                " be preprocessed."
            )
        return self

    def _use_gram(self, X):
        """Gram-form CD: asked for (precompute), or chosen as the exact faster path.

        With the default ``precompute=False`` scikit-learn runs the X form; the
        Gram form makes the same coordinate updates and duality-gap checks
        (only rounding differs), so for float64 data with many more samples
        than (a few hundred) features fastml takes it.
        """
        precompute = self.precompute
        if not isinstance(precompute, (bool, np.bool_)):
            if isinstance(precompute, str):
                raise ValueError("precompute should be one of True, False or array-like.")
            return True
        n_samples, n_features = X.shape
        return bool(precompute) or (
            X.dtype == np.float64 and n_samples >= 2 * n_features
            and n_features <= _AUTO_GRAM_MAX_FEATURES
        )

    def _user_gram(self, G, X_offset):
        """The Gram matrix to use: a user-given one, unless X had to be centred."""
        precompute = self.precompute
        if isinstance(precompute, (bool, np.bool_)):
            return G
        gram = check_array(precompute, dtype=[np.float64, np.float32])
        if gram.shape != G.shape:
            raise ValueError(f"Gram matrix has shape {gram.shape}, expected {G.shape}.")
        if self.fit_intercept and not np.allclose(X_offset, 0):
            warnings.warn(
                "Gram matrix was provided but X was centered to fit intercept: "
                "recomputing Gram matrix.",
                UserWarning,
            )
            return G
        return np.ascontiguousarray(gram)

    @property
    def sparse_coef_(self):
        """Sparse representation of the fitted ``coef_``."""
        from scipy import sparse

        return sparse.csr_array(np.atleast_2d(self.coef_))


class Lasso(ElasticNet):
    """Linear model with an L1 prior (the Lasso), as :class:`sklearn.linear_model.Lasso`.

    Minimises ``1 / (2 * n_samples) * ||y - Xw||^2_2 + alpha * ||w||_1`` by
    the compiled coordinate descent of :class:`ElasticNet` with ``l1_ratio=1``.

    Parameters
    ----------
    alpha : float, default=1.0
    fit_intercept : bool, default=True
    precompute : bool or array-like, default=False
    copy_X : bool, default=True
    max_iter : int, default=1000
    tol : float, default=1e-4
    warm_start : bool, default=False
    positive : bool, default=False
    random_state : int, RandomState instance or None, default=None
    selection : {"cyclic", "random"}, default="cyclic"

    Attributes
    ----------
    coef_, intercept_, n_iter_, dual_gap_, sparse_coef_, n_features_in_

    Examples
    --------
    >>> from fastml.linear_model import Lasso
    >>> clf = Lasso(alpha=0.1).fit([[0, 0], [1, 1], [2, 2]], [0, 1, 2])
    >>> clf.coef_
    array([0.85, 0.  ])
    """

    _parameter_constraints: dict = {
        **ElasticNet._parameter_constraints,
    }
    _parameter_constraints.pop("l1_ratio")

    def __init__(self, alpha=1.0, *, fit_intercept=True, precompute=False, copy_X=True,
                 max_iter=1000, tol=1e-4, warm_start=False, positive=False,
                 random_state=None, selection="cyclic"):
        super().__init__(
            alpha=alpha, l1_ratio=1.0, fit_intercept=fit_intercept, precompute=precompute,
            max_iter=max_iter, copy_X=copy_X, tol=tol, warm_start=warm_start,
            positive=positive, random_state=random_state, selection=selection,
        )
