"""Bagging: the same draws and predictions as scikit-learn's, on any estimator."""

import pickle

import numpy as np
import pytest
from joblib import parallel_backend
import sklearn.ensemble as ske
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LinearRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier as SkTree

from fastml.ensemble import BaggingClassifier, BaggingRegressor
from fastml.tree import DecisionTreeClassifier


@pytest.mark.parametrize(
    "params",
    [
        {"oob_score": True},
        {"bootstrap": False, "max_samples": 0.5},  # pasting
        {"max_features": 0.5, "bootstrap_features": True, "oob_score": True},  # patches
        {"max_samples": 30, "max_features": 3},
    ],
)
@pytest.mark.parametrize("base", [SkTree(random_state=0), GaussianNB(), KNeighborsClassifier(3)])
def test_classifier_identical_to_sklearn(base, params):
    X, y = load_breast_cancer(return_X_y=True)
    ours = BaggingClassifier(base, n_estimators=7, random_state=0, **params).fit(X, y)
    ref = ske.BaggingClassifier(base, n_estimators=7, random_state=0, **params).fit(X, y)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X))
    assert_array_equal(ours.predict(X), ref.predict(X))
    for a, b in zip(ours.estimators_features_, ref.estimators_features_):
        assert_array_equal(a, b)
    for a, b in zip(ours.estimators_samples_, ref.estimators_samples_):
        assert_array_equal(a, b)
    if params.get("oob_score"):
        assert ours.oob_score_ == ref.oob_score_
        assert_allclose(ours.oob_decision_function_, ref.oob_decision_function_)


def test_default_fastml_trees_match_sklearn_trees():
    X, y = load_breast_cancer(return_X_y=True)
    ours = BaggingClassifier(n_estimators=5, random_state=0).fit(X, y)
    assert isinstance(ours.estimators_[0], DecisionTreeClassifier)
    ref = ske.BaggingClassifier(n_estimators=5, random_state=0).fit(X, y)
    assert_array_equal(ours.predict_proba(X), ref.predict_proba(X))


def test_regressor_identical_to_sklearn_and_weighted_draws():
    X, y = load_diabetes(return_X_y=True)
    w = np.random.RandomState(0).randint(1, 4, len(y)).astype(float)
    for base in [LinearRegression(), None]:
        kw = {"n_estimators": 6, "random_state": 0, "max_samples": 0.8, "oob_score": True}
        ours = BaggingRegressor(base, **kw).fit(X, y, sample_weight=w)
        ref = ske.BaggingRegressor(base, **kw).fit(X, y, sample_weight=w)
        assert_allclose(ours.predict(X), ref.predict(X))
        assert ours.oob_score_ == pytest.approx(ref.oob_score_)


def test_warm_start_n_jobs_pickle():
    X, y = load_iris(return_X_y=True)
    full = BaggingClassifier(GaussianNB(), n_estimators=6, random_state=0).fit(X, y)
    warm = BaggingClassifier(GaussianNB(), n_estimators=3, random_state=0, warm_start=True,
                             n_jobs=2)
    with parallel_backend("threading"):  # processes would only add start-up time here
        warm.fit(X, y).set_params(n_estimators=6).fit(X, y)
        assert_allclose(full.predict_proba(X), warm.predict_proba(X))
    assert len(warm.estimators_samples_) == 6
    assert_array_equal(pickle.loads(pickle.dumps(full)).predict(X), full.predict(X))


def test_bad_input_raises_sklearn_errors():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="max_samples"):
        BaggingClassifier(GaussianNB(), bootstrap=False, max_samples=1000).fit(X, y)
    with pytest.raises(ValueError, match="max_features"):
        BaggingClassifier(GaussianNB(), max_features=10).fit(X, y)
    with pytest.raises(ValueError, match="Out of bag"):
        BaggingClassifier(GaussianNB(), bootstrap=False, oob_score=True).fit(X, y)
    with pytest.raises(ValueError, match="n_estimators"):
        BaggingClassifier(n_estimators=0).fit(X, y)
    with pytest.raises(ValueError, match="Negative values"):
        BaggingClassifier(GaussianNB()).fit(X, y, sample_weight=-np.ones(len(y)))
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):  # raised by the base estimator, as in sklearn
        BaggingClassifier(GaussianNB()).fit(Xn, y)
    est = BaggingClassifier(GaussianNB(), n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :2])
