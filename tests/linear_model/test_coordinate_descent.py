"""Lasso / ElasticNet: same coefficients as scikit-learn's coordinate descent."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn.linear_model as sk
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_linnerud, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from fastml._cy import _cd_fast
from fastml.linear_model import ElasticNet, Lasso


def _check(ours, theirs, X, tol=1e-6):
    # both stop at a duality gap <= tol ||y||^2; at default tol the iterates are
    # the same sequence, so coefficients agree far below the stopping tolerance
    scale = max(1.0, np.abs(theirs.coef_).max())
    assert_allclose(ours.coef_, theirs.coef_, rtol=tol, atol=tol * scale)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=tol, atol=tol * scale)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=tol, atol=tol * scale)
    assert_array_equal(ours.n_iter_, theirs.n_iter_)


PARAMS = [
    dict(alpha=0.1),
    dict(alpha=0.01, fit_intercept=False),
    dict(alpha=0.01, positive=True),
    dict(alpha=0.01, selection="random", random_state=3),
    dict(alpha=0.01, precompute=True),
    dict(alpha=1e-4, tol=1e-8, max_iter=5000),
]


@pytest.mark.parametrize("params", PARAMS, ids=str)
@pytest.mark.parametrize("Est", ["Lasso", "ElasticNet"])
def test_matches_sklearn_on_diabetes(Est, params):
    X, y = load_diabetes(return_X_y=True)
    sw = np.random.RandomState(0).uniform(0.2, 3.0, y.shape[0])
    for s in (None, sw):
        ours = getattr(__import__("fastml.linear_model", fromlist=[Est]), Est)(**params)
        theirs = getattr(sk, Est)(**params)
        _check(ours.fit(X, y, sample_weight=s), theirs.fit(X, y, sample_weight=s), X)


def test_generated_shapes_multioutput_and_float32(global_random_seed):
    X, y = make_regression(300, 40, n_informative=5, noise=3.0, random_state=global_random_seed)
    Xf = np.asfortranarray(X)  # the non-C-ordered path
    for Xin in (X, Xf):
        _check(ElasticNet(alpha=0.5, l1_ratio=0.7).fit(Xin, y),
               sk.ElasticNet(alpha=0.5, l1_ratio=0.7).fit(Xin, y), X)
    Xw, yw = make_regression(20, 100, n_informative=5, random_state=global_random_seed)
    _check(Lasso(alpha=1.0).fit(Xw, yw), sk.Lasso(alpha=1.0).fit(Xw, yw), Xw)
    Xl, Yl = load_linnerud(return_X_y=True)
    _check(Lasso(alpha=0.5).fit(Xl, Yl), sk.Lasso(alpha=0.5).fit(Xl, Yl), Xl)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    ours, theirs = Lasso(alpha=0.5).fit(X32, y32), sk.Lasso(alpha=0.5).fit(X32, y32)
    assert ours.coef_.dtype == np.float32
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-3, atol=1e-3)


def test_warm_start_continues_from_previous_coef():
    X, y = load_diabetes(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Lasso(alpha=0.001, max_iter=3, warm_start=True)
        ref = sk.Lasso(alpha=0.001, max_iter=3, warm_start=True)
        for _ in range(4):
            est.fit(X, y)
            ref.fit(X, y)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-8)


def test_convergence_warning_and_gap():
    X, y = load_diabetes(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match="Duality gap"):
        est = Lasso(alpha=1e-5, max_iter=2).fit(X, y)
    assert est.dual_gap_ > 0
    with pytest.warns(UserWarning, match="alpha=0"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        ElasticNet(alpha=0, max_iter=5).fit(X, y)


def test_bad_input_like_sklearn():
    X, y = load_diabetes(return_X_y=True)
    for call in [
        lambda m: m.Lasso(alpha=-1.0).fit(X, y),
        lambda m: m.ElasticNet(l1_ratio=2).fit(X, y),
        lambda m: m.Lasso(selection="bogus").fit(X, y),
        lambda m: m.Lasso().fit(np.where(X > 0.1, np.inf, X), y),
        lambda m: m.Lasso().fit(X, y[:10]),
    ]:
        with pytest.raises(Exception) as theirs:
            call(sk)
        with pytest.raises(type(theirs.value)):
            call(__import__("fastml.linear_model", fromlist=["Lasso"]))
    with pytest.raises(NotFittedError):
        Lasso().predict(X)
    est = Lasso(alpha=0.1).fit(X, y)
    with pytest.raises(ValueError):
        est.predict(X[:, :4])
    assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))


def test_prepare_fortran_kernel_matches_numpy(global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    for n, p in [(1, 1), (255, 3), (257, 7), (1000, 1)]:
        X = rng.normal(size=(n, p))
        off, sw = rng.normal(size=p), rng.uniform(0.1, 2, n)
        for s in (np.empty(0), sw):
            out = np.empty((n, p), order="F")
            norm2 = np.empty(p)
            _cd_fast.prepare_fortran(X, off, s, out, norm2, 2)
            ref = (X - off) * (s[:, None] if s.size else 1)
            assert_allclose(out, ref, rtol=1e-15)
            assert_allclose(norm2, (ref**2).sum(0), rtol=1e-12)


@pytest.mark.parametrize("params", [
    dict(alpha=0.1), dict(alpha=0.5, fit_intercept=False), dict(alpha=0.05, positive=True),
    dict(alpha=0.1, selection="random", random_state=0), dict(alpha=1e-3, tol=1e-7),
], ids=str)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_auto_gram_form_is_sklearn_x_form(params, global_random_seed):
    # precompute=False on tall float64 data: fastml takes the Gram form, an
    # exact equivalent of scikit-learn's X form (same n_iter_, dual gap, coef)
    X, y = make_regression(2000, 30, n_informative=8, noise=5.0,
                           random_state=global_random_seed)
    X = X * np.linspace(0.5, 3, 30) + 100.0  # offset means: centring is exercised
    sw = np.random.RandomState(global_random_seed).uniform(0.2, 3.0, y.shape[0])
    for s in (None, sw):
        for Est, extra in [(Lasso, {}), (ElasticNet, dict(l1_ratio=0.6))]:
            ours = Est(**params, **extra)
            assert ours._use_gram(X)
            theirs = getattr(sk, Est.__name__)(**params, **extra)
            _check(ours.fit(X, y, sample_weight=s), theirs.fit(X, y, sample_weight=s), X)
            assert_allclose(ours.dual_gap_, theirs.dual_gap_, rtol=1e-4,
                            atol=1e-9 * np.dot(y, y) / len(y))
    # the X form (forced by a wide shape) keeps scikit-learn's dual_gap_ scale too
    Xw, yw = make_regression(40, 100, n_informative=5, random_state=global_random_seed)
    ours, theirs = Lasso(alpha=1.0).fit(Xw, yw), sk.Lasso(alpha=1.0).fit(Xw, yw)
    assert not ours._use_gram(Xw)
    assert_allclose(ours.dual_gap_, theirs.dual_gap_, rtol=1e-4, atol=1e-12)
    # multi-target shares one Gram matrix
    Y2 = np.c_[y, -2 * y + 1]
    _check(Lasso(alpha=0.1).fit(X, Y2), sk.Lasso(alpha=0.1).fit(X, Y2), X)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 377])
def test_non_finite_X_same_error_as_sklearn(bad, row):
    # the Gram form checks X on its pass's column sums (row 0 is also the
    # shift row), the X form (wide X) directly: both give scikit-learn's error
    X, y = make_regression(400, 12, random_state=0)
    Xw, yw = make_regression(30, 80, random_state=0)
    for Xb, yb, fit_intercept in [(X, y, True), (X, y, False), (Xw, yw, True)]:
        Xb = Xb.copy()
        Xb[row % Xb.shape[0], 5] = bad
        for Est in (Lasso, ElasticNet):
            with pytest.raises(ValueError) as theirs:
                getattr(sk, Est.__name__)(fit_intercept=fit_intercept).fit(Xb, yb)
            with pytest.raises(ValueError) as ours:
                Est(fit_intercept=fit_intercept).fit(Xb, yb)
            assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("offset", [0.0, 3.0, 1e6])
@pytest.mark.parametrize("weighted", [False, True])
def test_centered_gram_plain_and_shifted_moments(offset, weighted, global_random_seed):
    # plain moments centred afterwards when that is accurate (offset 0, 3), about
    # the first row otherwise (offset 1e6, or a constant column): both match
    # explicit centring, and a constant column's moments are exact zeros
    from fastml.linear_model._coordinate_descent import _centered_gram

    rng = np.random.RandomState(global_random_seed)
    n, p = 5000, 6
    X = rng.normal(size=(n, p)) * np.arange(1, p + 1) + offset
    Y = rng.normal(size=(n, 2)) + offset
    sw = rng.uniform(0.2, 2.0, n) if weighted else None
    for constant in (False, True, "zeros"):
        if constant:
            X[:, 2] = 0.0 if constant == "zeros" else offset + 0.5
        G, XtY, x_off, y_off, y_norm2 = _centered_gram(Lasso(), X, Y, sw, True, 2)
        w = np.ones(n) if sw is None else sw
        mx, my = w @ X / w.sum(), w @ Y / w.sum()
        Xc, Yc = (X - mx) * np.sqrt(w)[:, None], (Y - my) * np.sqrt(w)[:, None]
        keep = np.arange(p) != 2 if constant else np.arange(p) >= 0
        ref = (Xc.T @ Xc)[np.ix_(keep, keep)]
        scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref)))
        assert_allclose(G[np.ix_(keep, keep)] / scale, ref / scale, atol=1e-10)
        assert_allclose(XtY[keep], (Xc.T @ Yc)[keep], rtol=1e-8, atol=1e-8 * n)
        assert_allclose(y_norm2, (Yc**2).sum(0), rtol=1e-9)
        assert_allclose(x_off, mx, rtol=1e-12)
        assert_allclose(y_off, my, rtol=1e-12)
        if constant:
            assert G[2, 2] == 0 and np.all(G[2] == 0)
