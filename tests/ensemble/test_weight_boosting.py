"""AdaBoost (SAMME, R2): scikit-learn's boosting on any weak learner."""

import pickle

import numpy as np
import pytest
import sklearn.ensemble as ske
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier as SkTreeClassifier
from sklearn.tree import DecisionTreeRegressor as SkTreeRegressor

from fastml.ensemble import AdaBoostClassifier, AdaBoostRegressor
from fastml.tree import DecisionTreeClassifier


@pytest.mark.parametrize("load", [load_iris, load_breast_cancer])
@pytest.mark.parametrize("learning_rate", [1.0, 0.3])
def test_classifier_identical_to_sklearn_with_same_learner(load, learning_rate):
    X, y = load(return_X_y=True)
    kw = {"n_estimators": 15, "learning_rate": learning_rate, "random_state": 0}
    ours = AdaBoostClassifier(SkTreeClassifier(max_depth=1), **kw).fit(X, y)
    ref = ske.AdaBoostClassifier(SkTreeClassifier(max_depth=1), **kw).fit(X, y)
    assert_allclose(ours.estimator_weights_, ref.estimator_weights_)
    assert_allclose(ours.estimator_errors_, ref.estimator_errors_)
    assert_allclose(ours.decision_function(X), ref.decision_function(X))
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X))
    for a, b in zip(ours.staged_predict(X), ref.staged_predict(X)):
        assert_array_equal(a, b)
    assert_allclose(ours.feature_importances_, ref.feature_importances_)


@pytest.mark.parametrize("loss", ["linear", "square", "exponential"])
def test_regressor_identical_to_sklearn_with_same_learner(loss):
    X, y = load_diabetes(return_X_y=True)
    kw = {"n_estimators": 10, "loss": loss, "random_state": 0}
    ours = AdaBoostRegressor(SkTreeRegressor(max_depth=3), **kw).fit(X, y)
    ref = ske.AdaBoostRegressor(SkTreeRegressor(max_depth=3), **kw).fit(X, y)
    assert_allclose(ours.predict(X), ref.predict(X))
    assert_allclose(list(ours.staged_score(X, y)), list(ref.staged_score(X, y)))


def test_default_fastml_stumps_quality():
    X, y = load_wine(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    ours = AdaBoostClassifier(random_state=0).fit(Xtr, ytr)
    assert isinstance(ours.estimators_[0], DecisionTreeClassifier)
    ref = ske.AdaBoostClassifier(random_state=0).fit(Xtr, ytr)
    assert ours.score(Xte, yte) >= ref.score(Xte, yte) - 0.03
    Xd, yd = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(Xd, yd, random_state=0)
    r_ours = AdaBoostRegressor(random_state=0).fit(Xtr, ytr).score(Xte, yte)
    r_ref = ske.AdaBoostRegressor(random_state=0).fit(Xtr, ytr).score(Xte, yte)
    assert r_ours >= r_ref - 0.05
    est = AdaBoostRegressor(n_estimators=5, random_state=0).fit(Xd, yd)
    assert_array_equal(pickle.loads(pickle.dumps(est)).predict(Xd), est.predict(Xd))


def test_bad_input_raises_sklearn_errors():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="sample_weight"):
        AdaBoostClassifier(KNeighborsClassifier()).fit(X, y)
    with pytest.raises(ValueError, match="Negative values"):
        AdaBoostClassifier().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="learning_rate"):
        AdaBoostClassifier(learning_rate=0).fit(X, y)
    with pytest.raises(ValueError, match="loss"):
        AdaBoostRegressor(loss="huber").fit(X, y)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        AdaBoostClassifier().fit(Xn, y)
