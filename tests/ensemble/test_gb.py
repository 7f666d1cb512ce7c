"""Gradient boosting: stage-by-stage parity with scikit-learn, hist mode, errors."""

import pickle

import numpy as np
import pytest
import sklearn.ensemble as ske
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split

from fastml._cy import _ensemble_gb
from fastml.ensemble import GradientBoostingClassifier, GradientBoostingRegressor


@pytest.mark.parametrize(
    "load, params",
    [
        (load_breast_cancer, {}),
        (load_breast_cancer, {"loss": "exponential"}),
        (load_iris, {}),
        (load_breast_cancer, {"max_features": "sqrt", "learning_rate": 0.3}),
    ],
)
def test_classifier_identical_to_sklearn(load, params):
    X, y = load(return_X_y=True)
    ours = GradientBoostingClassifier(n_estimators=20, random_state=0, **params).fit(X, y)
    ref = ske.GradientBoostingClassifier(n_estimators=20, random_state=0, **params).fit(X, y)
    assert ours.n_estimators_ == ref.n_estimators_
    assert_allclose(ours.train_score_, ref.train_score_, rtol=1e-9)
    assert_allclose(ours.decision_function(X), ref.decision_function(X), rtol=1e-9, atol=1e-10)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-9, atol=1e-12)
    # gradients repeat values, so equally good splits tie; fastml's trees may
    # pick another one of them (same predictions, other importances)
    assert ours.feature_importances_.sum() == pytest.approx(1.0)
    for a, b in zip(ours.staged_predict_proba(X[:20]), ref.staged_predict_proba(X[:20])):
        assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("tol", [1e-4, 1e-2])
def test_early_stopping_stops_where_sklearn_stops(tol):
    X, y = load_breast_cancer(return_X_y=True)
    kw = {"n_estimators": 100, "random_state": 0, "n_iter_no_change": 3, "tol": tol}
    ours = GradientBoostingClassifier(**kw).fit(X, y)
    ref = ske.GradientBoostingClassifier(**kw).fit(X, y)
    # the validation loss is flat near the stop, so tie-broken splits can move
    # the stopping stage by a few iterations
    assert ours.n_estimators_ < 100 and abs(ours.n_estimators_ - ref.n_estimators_) <= 5
    assert ours.score(X, y) == pytest.approx(ref.score(X, y), abs=0.005)


@pytest.mark.parametrize(
    "params", [{}, {"loss": "absolute_error", "subsample": 0.5}, {"init": "zero"}]
)
def test_regressor_identical_to_sklearn(params):
    X, y = load_diabetes(return_X_y=True)
    ours = GradientBoostingRegressor(n_estimators=20, random_state=0, **params).fit(X, y)
    ref = ske.GradientBoostingRegressor(n_estimators=20, random_state=0, **params).fit(X, y)
    assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-9)
    assert_allclose(ours.train_score_, ref.train_score_, rtol=1e-9)
    if "subsample" in params:
        assert_allclose(ours.oob_scores_, ref.oob_scores_, rtol=1e-9)
        assert_allclose(ours.oob_improvement_, ref.oob_improvement_, rtol=1e-7, atol=1e-9)
    assert_array_equal(ours.apply(X), ref.apply(X))


@pytest.mark.parametrize("loss", ["huber", "quantile"])
def test_piecewise_constant_gradients_match_sklearn_quality(loss):
    # huber / quantile gradients take few distinct values, so many splits tie;
    # fastml's trees may break such ties differently: compare test quality.
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    ours = GradientBoostingRegressor(loss=loss, alpha=0.5, random_state=0).fit(Xtr, ytr)
    ref = ske.GradientBoostingRegressor(loss=loss, alpha=0.5, random_state=0).fit(Xtr, ytr)
    assert ours.score(Xte, yte) >= ref.score(Xte, yte) - 0.02
    assert ours.train_score_[-1] < ours.train_score_[0]


def test_hist_mode_quality_and_staged_predict():
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    hist = GradientBoostingClassifier(max_bins=64, random_state=0).fit(Xtr, ytr)
    exact = GradientBoostingClassifier(random_state=0).fit(Xtr, ytr)
    assert hist.estimators_[0, 0].splitter == "hist"
    assert hist.score(Xte, yte) >= exact.score(Xte, yte) - 0.02
    staged = list(hist.staged_predict(Xte))
    assert len(staged) == 100
    assert_array_equal(staged[-1], hist.predict(Xte))


def test_warm_start_equals_one_fit_and_pickle_round_trip():
    X, y = load_digits(return_X_y=True)
    X, y = X[:400], y[:400]
    full = GradientBoostingClassifier(n_estimators=6, random_state=0).fit(X, y)
    warm = GradientBoostingClassifier(n_estimators=3, random_state=0, warm_start=True).fit(X, y)
    warm.set_params(n_estimators=6).fit(X, y)
    assert_allclose(full.decision_function(X), warm.decision_function(X))
    clone = pickle.loads(pickle.dumps(full))
    assert_array_equal(clone.predict_proba(X), full.predict_proba(X))


def test_kernel_gradients_match_finite_differences():
    rng = np.random.RandomState(0)
    raw = rng.randn(50, 1)
    y01 = rng.randint(0, 2, 50).astype(float)
    yreg = rng.randn(50) * 2
    sw = np.ones(50)
    eps = 1e-6
    for name, y in [("squared_error", yreg), ("binomial", y01), ("exponential", y01),
                    ("huber", yreg), ("quantile", yreg), ("absolute_error", yreg)]:
        code = _ensemble_gb.LOSSES[name]
        out = np.empty_like(raw)
        _ensemble_gb.neg_gradient(code, y, raw, out, 0.7)
        for i in range(0, 50, 7):
            hi, lo = raw.copy(), raw.copy()
            hi[i] += eps
            lo[i] -= eps
            num = -(_ensemble_gb.loss_value(code, y, hi, sw, 0.7)
                    - _ensemble_gb.loss_value(code, y, lo, sw, 0.7)) * 50 / (2 * eps)
            assert out[i, 0] == pytest.approx(num, abs=1e-4), name


@pytest.mark.slow
@pytest.mark.parametrize("max_bins", [None, 255])
def test_quality_within_one_percent_over_ten_seeds(max_bins):
    for load in [load_iris, load_wine, load_breast_cancer, load_digits, load_diabetes]:
        X, y = load(return_X_y=True)
        est = GradientBoostingRegressor if load is load_diabetes else GradientBoostingClassifier
        ref_est = getattr(ske, est.__name__)
        ours, theirs = [], []
        for seed in range(10):
            Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=seed)
            kw = {"n_estimators": 50, "random_state": seed, "subsample": 0.8}
            ours.append(est(max_bins=max_bins, **kw).fit(Xtr, ytr).score(Xte, yte))
            theirs.append(ref_est(**kw).fit(Xtr, ytr).score(Xte, yte))
        assert np.mean(ours) >= np.mean(theirs) - 0.01, (load.__name__, ours, theirs)


def test_bad_input_raises_sklearn_errors():
    X, y = load_iris(return_X_y=True)
    gb = GradientBoostingClassifier(n_estimators=3)
    with pytest.raises(NotFittedError):
        gb.predict(X)
    Xn = X.copy()
    Xn[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        gb.fit(Xn, y)
    with pytest.raises(ValueError, match="Negative values"):
        gb.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="exponential"):
        GradientBoostingClassifier(loss="exponential").fit(X, y)
    with pytest.raises(ValueError, match="loss"):
        GradientBoostingRegressor(loss="poisson").fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        GradientBoostingClassifier(learning_rate=-1.0).fit(X, y)
    with pytest.warns(FutureWarning, match="criterion"):
        GradientBoostingClassifier(n_estimators=2, criterion="squared_error").fit(X, y)
    gb.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        gb.predict(X[:, :3])
