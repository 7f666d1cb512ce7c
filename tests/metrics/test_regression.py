"""Regression metrics equal scikit-learn's (1e-12); huber_loss against a direct formula."""

import numpy as np
import pytest
import sklearn.metrics as skm
from numpy.testing import assert_allclose
from sklearn.datasets import load_diabetes, load_linnerud
from sklearn.linear_model import Ridge as SkRidge

import fastml.metrics as fm

NAMES = ["mean_squared_error", "root_mean_squared_error", "mean_absolute_error", "r2_score"]


def _pairs():
    X, y = load_diabetes(return_X_y=True)
    yield y, SkRidge(1.0).fit(X, y).predict(X)
    X, Y = load_linnerud(return_X_y=True)
    yield Y, SkRidge(10.0).fit(X, Y).predict(X)
    rng = np.random.RandomState(0)
    y = rng.normal(size=(50, 3)).astype(np.float32)
    yield y, y + rng.normal(scale=0.3, size=y.shape).astype(np.float32)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_metrics_match_sklearn(name, weighted):
    for y, pred in _pairs():
        sw = np.random.RandomState(2).uniform(0.1, 3, y.shape[0]) if weighted else None
        outs = ["raw_values", "uniform_average"]
        if y.ndim == 2:
            outs.append(np.arange(1, y.shape[1] + 1, dtype=float))
            if name == "r2_score":
                outs.append("variance_weighted")
        for mo in outs:
            ours = getattr(fm, name)(y, pred, sample_weight=sw, multioutput=mo)
            theirs = getattr(skm, name)(y, pred, sample_weight=sw, multioutput=mo)
            rtol = 1e-6 if y.dtype == np.float32 else 1e-12
            assert_allclose(ours, theirs, rtol=rtol)
            assert type(ours) is type(theirs)


def test_r2_degenerate_cases_match_sklearn():
    for y, p in [([1.0, 1.0], [1.0, 1.0]), ([1.0, 1.0], [1.0, 2.0]), ([1.0, 2.0], [2.0, 1.0])]:
        for ff in (True, False):
            with np.errstate(all="ignore"):
                assert_allclose(fm.r2_score(y, p, force_finite=ff),
                                skm.r2_score(y, p, force_finite=ff))
    with pytest.warns(skm._regression.UndefinedMetricWarning):
        assert np.isnan(fm.r2_score([1.0], [2.0]))


@pytest.mark.parametrize("delta", [0.1, 1.0, 5.0])
def test_huber_loss_formula(delta):
    rng = np.random.RandomState(0)
    y, p = rng.normal(size=100) * 3, rng.normal(size=100)
    r = np.abs(y - p)
    expected = np.mean([0.5 * a * a if a <= delta else delta * (a - delta / 2) for a in r])
    assert_allclose(fm.huber_loss(y, p, delta=delta), expected, rtol=1e-13)
    # small delta -> delta * MAE, huge delta -> MSE / 2
    assert_allclose(fm.huber_loss(y, p, delta=1e6), fm.mean_squared_error(y, p) / 2)


@pytest.mark.slow  # importing torch alone takes seconds
@pytest.mark.parametrize("delta", [0.1, 1.0, 5.0])
def test_huber_loss_matches_torch(delta):
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(0)
    y, p = rng.normal(size=100) * 3, rng.normal(size=100)
    ref = torch.nn.HuberLoss(delta=delta)(torch.tensor(p), torch.tensor(y)).item()
    assert_allclose(fm.huber_loss(y, p, delta=delta), ref, rtol=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.mean_squared_error([1, 2], [1, 2, 3]),
        lambda m: m.mean_squared_error([1, np.nan], [1, 2]),
        lambda m: m.mean_absolute_error([[1, 2]], [[1]]),
        lambda m: m.r2_score([1, 2], [1, 2], multioutput="bogus"),
        lambda m: m.mean_squared_error([1, 2], [1, 2], multioutput=[0.5, 0.5]),
        lambda m: m.root_mean_squared_error([1, 2], [1, 2], sample_weight=[1, 2, 3]),
    ],
)
def test_bad_input_raises_sklearn_exception(call):
    with pytest.raises(Exception) as theirs:
        call(skm)
    with pytest.raises(type(theirs.value)):
        call(fm)


def test_huber_rejects_bad_delta():
    with pytest.raises(ValueError):
        fm.huber_loss([1.0], [2.0], delta=0)
