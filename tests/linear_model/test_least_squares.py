"""LinearRegression and Ridge equal scikit-learn's closed forms (1e-8 relative)."""

import pickle

import numpy as np
import pytest
import sklearn.linear_model as sk
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_linnerud, make_regression

from fastml.linear_model import LinearRegression, Ridge


def _datasets(seed=0):
    yield "diabetes", *load_diabetes(return_X_y=True)
    yield "linnerud", *load_linnerud(return_X_y=True)
    rng = np.random.RandomState(seed)
    X, y = make_regression(60, 8, n_targets=2, noise=1.0, random_state=seed)
    yield "tall-multi", X, y
    X = rng.normal(size=(15, 40))  # wide: kernel Cholesky path
    yield "wide", X, rng.normal(size=15)
    X = rng.normal(size=(50, 5))
    X = np.hstack([X, X[:, :1], np.ones((50, 1))])  # duplicated and constant columns
    yield "rank-deficient", X, rng.normal(size=50)


def _assert_same(ours, theirs, rtol):
    assert_allclose(ours.coef_, theirs.coef_, rtol=rtol, atol=rtol * np.abs(theirs.coef_).max())
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=rtol,
                    atol=rtol * (1 + np.abs(theirs.intercept_).max()))
    assert np.shape(ours.coef_) == np.shape(theirs.coef_)
    assert np.shape(ours.intercept_) == np.shape(theirs.intercept_)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_linear_regression_matches_sklearn(fit_intercept, weighted):
    for name, X, y in _datasets():
        sw = np.random.RandomState(1).uniform(0.5, 2, X.shape[0]) if weighted else None
        ours = LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
        theirs = sk.LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
        if name in ("rank-deficient", "wide"):  # minimum-norm solution: compare fits
            assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8, atol=1e-8)
            assert ours.rank_ == theirs.rank_
        else:
            _assert_same(ours, theirs, 1e-8)
            assert_allclose(ours.singular_, theirs.singular_, rtol=1e-8)


def test_linear_regression_normal_equation_and_positive():
    X, y = load_diabetes(return_X_y=True)
    ref = sk.LinearRegression().fit(X, y)
    _assert_same(LinearRegression(solver="normal").fit(X, y), ref, 1e-8)
    _assert_same(LinearRegression(positive=True).fit(X, y),
                 sk.LinearRegression(positive=True).fit(X, y), 1e-8)
    # singular X'X: the normal equation falls back to lstsq
    _, X, y = list(_datasets())[-1]
    assert_allclose(LinearRegression(solver="normal").fit(X, y).predict(X),
                    sk.LinearRegression().fit(X, y).predict(X), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("solver", ["auto", "cholesky", "svd"])
@pytest.mark.parametrize("alpha", [1e-3, 1.0, 100.0])
def test_ridge_matches_sklearn(solver, alpha):
    for name, X, y in _datasets():
        sw = np.random.RandomState(2).uniform(0.5, 2, X.shape[0])
        for kw in ({}, {"fit_intercept": False}):
            ours = Ridge(alpha, solver=solver, **kw).fit(X, y, sample_weight=sw)
            theirs = sk.Ridge(alpha, solver=solver, **kw).fit(X, y, sample_weight=sw)
            _assert_same(ours, theirs, 1e-8)


def test_ridge_per_target_alpha_positive_and_float32():
    _, X, Y = list(_datasets())[1]
    alpha = np.array([0.1, 10.0, 1000.0])
    _assert_same(Ridge(alpha).fit(X, Y), sk.Ridge(alpha).fit(X, Y), 1e-8)
    X, y = load_diabetes(return_X_y=True)
    _assert_same(Ridge(0.01, positive=True).fit(X, y),
                 sk.Ridge(0.01, positive=True).fit(X, y), 1e-4)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    ours, theirs = Ridge(1.0).fit(X32, y32), sk.Ridge(1.0).fit(X32, y32)
    assert ours.coef_.dtype == theirs.coef_.dtype == np.float32
    _assert_same(ours, theirs, 1e-4)


@pytest.mark.parametrize("Est", [LinearRegression, Ridge])
def test_bad_input_and_pickle(Est):
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(ValueError):
        Est().fit(np.where(X > 0.1, np.nan, X), y)
    with pytest.raises(ValueError):
        Est().fit(X, np.full_like(y, np.inf))
    with pytest.raises(ValueError):
        Est().fit(X[:, 0], y)
    with pytest.raises(ValueError):
        Est().fit(X, y[:-1])
    with pytest.raises(sk._base.NotFittedError if hasattr(sk._base, "NotFittedError")
                       else Exception):
        Est().predict(X)
    est = Est().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :3])
    assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))
    if Est is Ridge:
        with pytest.raises(ValueError):
            Ridge(alpha=-1.0).fit(X, y)
        with pytest.raises(ValueError):
            Ridge(alpha=[1.0, 2.0]).fit(X, y)
