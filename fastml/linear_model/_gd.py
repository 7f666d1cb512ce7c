"""GDRegressor: the gradient-descent chapter's linear regressor (fastml extension)."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning

from .._nb import gd as _gd
from ..utils._sklearn import (
    Interval,
    StrOptions,
    _fit_context,
    check_random_state,
    validate_data,
)
from ._base import LinearModelMixin


class GDRegressor(LinearModelMixin, RegressorMixin, BaseEstimator):
    """Linear regression by batch, stochastic or mini-batch gradient descent.

    A fastml extension (scikit-learn has no such estimator): the textbook
    algorithm - start from w = 0, compute the gradient of the MSE cost,
    step against it, repeat until the cost stops improving - with the three
    classic variants:

    * ``"batch"``: the gradient of the whole training set each step (one
      BLAS pass over X); one epoch = one step;
    * ``"stochastic"``: one random sample per step (batch_size=1);
    * ``"minibatch"``: ``batch_size`` random samples per step.

    The objective is ``1/(2 n) ||y - X w - b||^2 + alpha/2 ||w||^2`` (ridge
    when alpha > 0), the same as :class:`Ridge` with ``alpha_ridge = n * alpha``,
    whose closed form GD converges to. The stochastic / mini-batch epochs are
    a compiled Numba kernel (``fastml._nb.gd``). Scale features first: GD on
    unscaled features zig-zags down an elongated bowl.

    Parameters
    ----------
    solver : {"batch", "stochastic", "minibatch"}, default="batch"
    batch_size : int, default=32
        Samples per step for ``"minibatch"``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Step ``eta0``; ``eta0 / t**power_t`` (t = step count); or ``eta0``
        divided by 5 each time the cost stops improving for
        ``n_iter_no_change`` epochs (stopping once it falls below 1e-6).
    eta0 : float, default=0.1
        The step size, in units of ``1 / L`` when ``step_scale="auto"``.
    step_scale : {"auto", "none"}, default="auto"
        ``"auto"`` divides ``eta0`` by ``L = mean_i ||x_i||^2 + 1 + alpha``,
        an upper bound of the cost's curvature, so that ``eta0 < 2`` is
        stable for batch GD whatever the scale of X; ``"none"`` uses ``eta0``
        as the raw textbook step.
    power_t : float, default=0.25
    alpha : float, default=0.0
        L2 penalty strength.
    fit_intercept : bool, default=True
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-6
        Stop when the monitored cost has not improved by ``tol`` for
        ``n_iter_no_change`` consecutive epochs (None: run ``max_iter``).
    n_iter_no_change : int, default=5
    early_stopping : bool, default=False
        Monitor the cost on a held-out ``validation_fraction`` of the data
        instead of the training cost, and keep the best weights seen.
    validation_fraction : float, default=0.1
    shuffle : bool, default=True
        Reshuffle samples every epoch (stochastic / minibatch).
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    coef_, intercept_, n_iter_, loss_curve_ (monitored cost per epoch),
    n_features_in_

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.linear_model import GDRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(500, 2)
    >>> y = X @ [2.0, -1.0] + 0.5
    >>> reg = GDRegressor(solver="minibatch", random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), round(float(reg.intercept_), 2)
    (array([ 2., -1.]), 0.5)
    """

    _parameter_constraints: dict = {
        "solver": [StrOptions({"batch", "stochastic", "minibatch"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "step_scale": [StrOptions({"auto", "none"})],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, solver="batch", *, batch_size=32, learning_rate="constant",
                 eta0=0.1, step_scale="auto", power_t=0.25, alpha=0.0, fit_intercept=True,
                 max_iter=1000,
                 tol=1e-6, n_iter_no_change=5, early_stopping=False,
                 validation_fraction=0.1, shuffle=True, random_state=None):
        self.solver = solver
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.step_scale = step_scale
        self.power_t = power_t
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Run gradient descent from w = 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : object
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C",
                             y_numeric=True)
        y = y.astype(X.dtype, copy=False)
        n_samples, n_features = X.shape
        rng = check_random_state(self.random_state)
        rows = rng.permutation(n_samples)
        if self.early_stopping:
            n_val = int(np.ceil(self.validation_fraction * n_samples))
            if n_val >= n_samples:
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} leaves no training "
                    f"samples out of {n_samples}."
                )
            val, train = np.sort(rows[:n_val]), np.sort(rows[n_val:])
        else:
            val = train = np.arange(n_samples)
        Xt, yt = X[train], y[train]
        w = np.zeros(n_features, dtype=np.float64)
        b = 0.0
        grad = np.empty(n_features)
        eta, t = float(self.eta0), 1.0
        if self.step_scale == "auto":
            # trace(X'X / n) + 1 bounds the largest curvature of the half-MSE
            eta /= float(np.einsum("ij,ij->", Xt, Xt)) / len(train) + 1.0 + self.alpha
        schedule = _gd.INVSCALING if self.learning_rate == "invscaling" else _gd.CONSTANT
        batch = {"batch": len(train), "stochastic": 1, "minibatch": self.batch_size}[self.solver]
        order = np.arange(len(train))
        best, best_w, best_b, stall = np.inf, w.copy(), b, 0
        self.loss_curve_ = []
        tol = -np.inf if self.tol is None else self.tol
        converged = False
        # a step size too large makes the cost explode geometrically
        blow_up = 1e6 * (_gd.half_mse(X, y, w, b, val) + 1.0)
        for epoch in range(self.max_iter):
            if self.solver == "batch":
                # full-batch gradient: two BLAS passes over X
                step = eta if schedule == _gd.CONSTANT else eta / t**self.power_t
                r = Xt @ w + b - yt
                w -= step * (Xt.T @ r / len(train) + self.alpha * w)
                if self.fit_intercept:
                    b -= step * r.mean()
                t += 1
            else:
                if self.shuffle:
                    rng.shuffle(order)
                b, t = _gd.minibatch_epoch(Xt, yt, w, b, order, batch, eta, self.power_t,
                                           t, schedule, self.alpha, self.fit_intercept, grad)
            cost = _gd.half_mse(X, y, w, b, val) + 0.5 * self.alpha * float(w @ w)
            if not np.isfinite(cost) or cost > blow_up:
                raise ValueError(
                    f"Gradient descent diverged at epoch {epoch + 1} (eta0={self.eta0} is "
                    "too large for this data); scale X or lower eta0."
                )
            self.loss_curve_.append(cost)
            if cost > best - tol:
                stall += 1
            else:
                stall = 0
            if cost < best:
                best, best_w, best_b = cost, w.copy(), b
            if stall >= self.n_iter_no_change:
                if self.learning_rate == "adaptive" and eta > 1e-6:
                    eta /= 5
                    stall = 0
                else:
                    converged = True
                    break
        self.n_iter_ = epoch + 1
        if not converged and self.tol is not None:
            warnings.warn(
                "Maximum number of iteration reached before convergence. Consider "
                "increasing max_iter to improve the fit.",
                ConvergenceWarning,
            )
        if self.early_stopping:
            w, b = best_w, best_b
        self.coef_ = w.astype(X.dtype)
        self.intercept_ = X.dtype.type(b) if self.fit_intercept else 0.0
        return self
