"""GDRegressor (fastml extension): a NumPy reference for the steps, Ridge for the optimum."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge as SkRidge
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastml._nb import gd
from fastml.linear_model import GDRegressor


def _reference_epoch(X, y, w, b, order, batch, eta, power_t, t, invscaling, alpha):
    """Obviously-correct mini-batch GD epoch."""
    w = w.copy()
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        r = X[idx] @ w + b - y[idx]
        step = eta / t**power_t if invscaling else eta
        w, b = w - step * (X[idx].T @ r / len(idx) + alpha * w), b - step * r.mean()
        t += 1
    return w, b, t


@pytest.mark.parametrize("batch", [1, 7, 64])
@pytest.mark.parametrize("invscaling", [False, True])
def test_kernel_matches_numpy_reference(batch, invscaling, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    X, y = rng.normal(size=(50, 4)), rng.normal(size=50)
    order = rng.permutation(50)
    w0, grad = rng.normal(size=4), np.empty(4)
    w = w0.copy()
    b, t = gd.minibatch_epoch(X, y, w, 0.3, order, batch, 0.05, 0.25, 1.0,
                              gd.INVSCALING if invscaling else gd.CONSTANT, 0.01, True, grad)
    rw, rb, rt = _reference_epoch(X, y, w0, 0.3, order, batch, 0.05, 0.25, 1.0, invscaling, 0.01)
    assert_allclose(w, rw, rtol=1e-12)
    assert_allclose([b, t], [rb, rt], rtol=1e-12)


@pytest.mark.parametrize("solver", ["batch", "stochastic", "minibatch"])
def test_converges_to_ridge_closed_form(solver):
    X, y = make_regression(400, 5, noise=5.0, random_state=0)
    alpha = 0.01
    ref = SkRidge(alpha=alpha * len(y)).fit(X, y)
    est = GDRegressor(solver=solver, alpha=alpha, eta0=1.0 if solver == "batch" else 0.1,
                      learning_rate="adaptive", tol=1e-10, max_iter=3000,
                      random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    tol = 1e-4 if solver == "batch" else 2e-2
    assert_allclose(est.coef_, ref.coef_, rtol=tol, atol=tol)
    assert_allclose(est.intercept_, ref.intercept_, atol=tol * 10)


def test_early_stopping_loss_curve_and_errors():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    est = GDRegressor(solver="minibatch", early_stopping=True, random_state=0).fit(X, y)
    assert len(est.loss_curve_) == est.n_iter_ < 1000
    assert est.score(X, y) > 0.45
    with pytest.warns(ConvergenceWarning):
        GDRegressor(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="diverged"):
        GDRegressor(eta0=10.0, step_scale="none").fit(X * 100, y)
    with pytest.raises(ValueError):
        GDRegressor(solver="newton").fit(X, y)
    with pytest.raises(ValueError):
        GDRegressor().fit(np.where(X > 1, np.nan, X), y)
    a = GDRegressor(solver="stochastic", random_state=3).fit(X, y)
    b = GDRegressor(solver="stochastic", random_state=3).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert_array_equal(pickle.loads(pickle.dumps(a)).predict(X), a.predict(X))


@parametrize_with_checks([GDRegressor(solver="minibatch", random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
