"""Random forests and extra trees: identical to scikit-learn's given the seed, and fast paths."""

import pickle

import numpy as np
import pytest
import sklearn.ensemble as ske
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split

import fastml.ensemble as fe

CLASSIFIERS = ["RandomForestClassifier", "ExtraTreesClassifier"]
REGRESSORS = ["RandomForestRegressor", "ExtraTreesRegressor"]
CLF_DATA = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer,
            "digits": load_digits}


def _pair(name, **params):
    return getattr(fe, name)(**params), getattr(ske, name)(**params)


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("data", ["iris", "wine", "breast_cancer"])
@pytest.mark.parametrize(
    "params", [{}, {"bootstrap": True, "oob_score": True, "max_samples": 0.7, "criterion": "entropy"}]
)
def test_classifier_identical_to_sklearn(name, data, params):
    X, y = CLF_DATA[data](return_X_y=True)
    ours, ref = _pair(name, n_estimators=10, random_state=0, **params)
    ours.fit(X, y)
    ref.fit(X, y)
    assert_array_equal(ours.predict_proba(X), ref.predict_proba(X))
    assert_allclose(ours.feature_importances_, ref.feature_importances_, rtol=1e-7, atol=1e-12)
    assert_array_equal(ours.apply(X), ref.apply(X))
    if "oob_score" in params:
        assert ours.oob_score_ == ref.oob_score_
        assert_allclose(ours.oob_decision_function_, ref.oob_decision_function_)
    for a, b in zip(ours.estimators_samples_, ref.estimators_samples_):
        assert_array_equal(a, b)


@pytest.mark.parametrize("name", REGRESSORS)
@pytest.mark.parametrize("params", [{}, {"bootstrap": True, "oob_score": True, "max_features": 0.5}])
def test_regressor_identical_to_sklearn(name, params):
    X, y = load_diabetes(return_X_y=True)
    ours, ref = _pair(name, n_estimators=10, random_state=0, **params)
    assert_allclose(ours.fit(X, y).predict(X), ref.fit(X, y).predict(X), rtol=1e-12)
    if "oob_score" in params:
        assert_allclose(ours.oob_prediction_, ref.oob_prediction_, rtol=1e-12)
        assert ours.oob_score_ == pytest.approx(ref.oob_score_)


def test_class_weight_and_multioutput_identical_to_sklearn():
    X, y = load_wine(return_X_y=True)
    for cw in ["balanced", {0: 1.0, 1: 2.0, 2: 0.5}]:
        ours, ref = _pair("RandomForestClassifier", n_estimators=5, class_weight=cw, random_state=1)
        assert_array_equal(ours.fit(X, y).predict_proba(X), ref.fit(X, y).predict_proba(X))
    # balanced_subsample gives fractional per-tree weights, with which fastml's
    # trees may pick a different (equally good) split: compare quality only
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    ours, ref = _pair("RandomForestClassifier", n_estimators=30, class_weight="balanced_subsample",
                      random_state=1)
    assert ours.fit(Xtr, ytr).score(Xte, yte) >= ref.fit(Xtr, ytr).score(Xte, yte) - 0.03
    Y = np.column_stack([y, y % 2])
    ours, ref = _pair("ExtraTreesClassifier", n_estimators=5, random_state=1)
    for a, b in zip(ours.fit(X, Y).predict_proba(X), ref.fit(X, Y).predict_proba(X)):
        assert_array_equal(a, b)
    assert_array_equal(ours.predict(X), ref.predict(X))
    Xd, yd = load_diabetes(return_X_y=True)
    Yd = np.column_stack([yd, -yd])
    ours, ref = _pair("RandomForestRegressor", n_estimators=5, random_state=1)
    assert_allclose(ours.fit(Xd, Yd).predict(Xd), ref.fit(Xd, Yd).predict(Xd))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_n_jobs_and_warm_start_give_the_same_forest(n_jobs):
    X, y = load_breast_cancer(return_X_y=True)
    full = fe.RandomForestClassifier(n_estimators=8, random_state=3).fit(X, y)
    warm = fe.RandomForestClassifier(n_estimators=4, random_state=3, warm_start=True, n_jobs=n_jobs)
    warm.fit(X, y).set_params(n_estimators=8).fit(X, y)
    assert_array_equal(full.predict_proba(X), warm.predict_proba(X))
    with pytest.warns(UserWarning, match="does not fit new trees"):
        warm.fit(X, y)
    with pytest.raises(ValueError, match="must be larger or equal"):
        warm.set_params(n_estimators=2).fit(X, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hist_forest_quality_close_to_exact(dtype):
    X, y = make_classification(3000, 20, n_informative=8, random_state=0)
    X = X.astype(dtype)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    exact = fe.RandomForestClassifier(30, random_state=0).fit(Xtr, ytr).score(Xte, yte)
    hist = fe.RandomForestClassifier(30, max_bins=255, random_state=0, n_jobs=2).fit(Xtr, ytr)
    assert hist.estimators_[0].splitter == "hist"
    assert hist.score(Xte, yte) >= exact - 0.01
    # few bins still learn, and deterministically
    coarse = fe.RandomForestRegressor(10, max_bins=16, random_state=0).fit(Xtr, ytr)
    again = fe.RandomForestRegressor(10, max_bins=16, random_state=0).fit(Xtr, ytr)
    assert_array_equal(coarse.predict(Xte), again.predict(Xte))


def _few_values(X, n_values, seed):
    """X with every feature rounded to at most n_values distinct values."""
    rng = np.random.RandomState(seed)
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(axis=0), X.max(axis=0)
    steps = (hi - lo) / (n_values - 1) + (hi == lo)
    return np.round((X - lo) / steps) * steps + lo + rng.rand(X.shape[1])


# Each case takes a different path of the histogram splitter: two-class Gini
# (sums in registers), many-class Gini, entropy (general scan), bin counts for
# min_samples_leaf > 1, squared error, multi-output, fewer bins than values.
@pytest.mark.parametrize("name, data, params", [
    ("RandomForestClassifier", "binary", {}),
    ("RandomForestClassifier", "binary", {"min_samples_leaf": 3, "max_features": 0.8}),
    ("RandomForestClassifier", "digits", {"criterion": "entropy"}),
    # integer class weights: float ones sum in another order than sklearn's
    ("RandomForestClassifier", "wine", {"class_weight": {0: 1, 1: 2, 2: 3},
                                        "min_weight_fraction_leaf": 0.01}),
    ("RandomForestClassifier", "multioutput", {"max_samples": 0.5}),
    ("RandomForestRegressor", "diabetes", {"max_depth": 8, "max_features": "sqrt"}),
    ("RandomForestRegressor", "diabetes", {"min_samples_leaf": 2}),
])
def test_hist_forest_identical_to_sklearn_when_features_fit_in_bins(name, data, params):
    # One bin per distinct value, edges at the exact splitter's midpoints and
    # the bootstrap as integer weights: the histogram forest grows
    # scikit-learn's trees exactly (with max_bins below the number of
    # distinct values it must not: a guard that the comparison can fail).
    if data == "binary":
        X, y = make_classification(2000, 12, n_informative=6, random_state=0)
        X = _few_values(X, 40, 0)
    elif data == "multioutput":
        X, y = make_classification(1500, 8, random_state=1)
        X = _few_values(X, 30, 1)
        y = np.c_[y, X[:, 0] > np.median(X[:, 0])]
    elif data == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        X = _few_values(X, 100, 2)
    else:
        X, y = CLF_DATA[data](return_X_y=True)
        X = _few_values(X, 50, 3)
    X = X.astype(np.float32)
    ours, ref = _pair(name, n_estimators=8, random_state=0, **params)
    ours.set_params(max_bins=255, n_jobs=2).fit(X, y)
    ref.fit(X, y)
    assert ours.estimators_[0].splitter == "hist"
    for a, b in zip(ours.estimators_, ref.estimators_):
        assert_array_equal(a.tree_.feature, b.tree_.feature)
        assert_array_equal(a.tree_.threshold, b.tree_.threshold)
        assert_array_equal(a.tree_.n_node_samples, b.tree_.n_node_samples)
        assert_allclose(a.tree_.value, b.tree_.value, rtol=1e-12)
    coarse = getattr(fe, name)(n_estimators=8, random_state=0, max_bins=8, **params).fit(X, y)
    assert any(a.tree_.node_count != b.tree_.node_count
               or not np.array_equal(a.tree_.threshold, b.tree_.threshold)
               for a, b in zip(coarse.estimators_, ref.estimators_))


@pytest.mark.slow
@pytest.mark.parametrize("name", CLASSIFIERS + REGRESSORS)
@pytest.mark.parametrize("max_bins", [None, 255])
def test_quality_within_one_percent_over_ten_seeds(name, max_bins):
    if max_bins is not None and name.startswith("Extra"):
        pytest.skip("extra trees have no histogram mode")
    datasets = [load_iris, load_wine, load_breast_cancer, load_digits]
    if name.endswith("Regressor"):
        datasets = [load_diabetes]
    extra = {} if max_bins is None else {"max_bins": max_bins}
    for load in datasets:
        X, y = load(return_X_y=True)
        ours, theirs = [], []
        for seed in range(10):
            Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=seed)
            a = getattr(fe, name)(n_estimators=50, random_state=seed, **extra).fit(Xtr, ytr)
            b = getattr(ske, name)(n_estimators=50, random_state=seed).fit(Xtr, ytr)
            ours.append(a.score(Xte, yte))
            theirs.append(b.score(Xte, yte))
        assert np.mean(ours) >= np.mean(theirs) - 0.01, (load.__name__, ours, theirs)


def test_pickle_round_trip_and_determinism():
    X, y = load_iris(return_X_y=True)
    for est in [fe.RandomForestClassifier(5, random_state=0, max_bins=64),
                fe.ExtraTreesRegressor(5, random_state=0)]:
        est.fit(X, y)
        clone = pickle.loads(pickle.dumps(est))
        assert_array_equal(clone.predict(X), est.predict(X))
        assert_array_equal(type(est)(**est.get_params()).fit(X, y).predict(X), est.predict(X))


def test_bad_input_raises_sklearn_errors():
    X, y = load_iris(return_X_y=True)
    rf = fe.RandomForestClassifier(3)
    with pytest.raises(NotFittedError):
        rf.predict(X)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN.*max_bins=32"):
        fe.RandomForestClassifier(3, max_bins=32).fit(Xn, y)
    with pytest.raises(ValueError, match="infinity"):
        rf.fit(np.where(Xn != Xn, np.inf, Xn), y)
    # scikit-learn's forests silently accept negative weights; fastml rejects them
    with pytest.raises(ValueError, match="Negative values"):
        rf.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="criterion"):
        fe.RandomForestClassifier(criterion="mse").fit(X, y)
    with pytest.raises(ValueError, match="max_bins"):
        fe.RandomForestClassifier(max_bins=1000).fit(X, y)
    with pytest.raises(ValueError, match="max_sample"):
        fe.RandomForestClassifier(bootstrap=False, max_samples=0.5).fit(X, y)
    with pytest.raises(ValueError, match="Out of bag"):
        fe.ExtraTreesClassifier(oob_score=True).fit(X, y)
    rf.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        rf.predict(X[:, :2])
    with pytest.raises(ValueError):
        rf.predict(X[0])
    with pytest.raises(TypeError, match="max_bins"):
        fe.ExtraTreesClassifier(max_bins=32)
