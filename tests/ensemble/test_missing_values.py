"""NaN in the ensembles' X as scikit-learn 1.9: forests and bagging of trees
accept it (and grow scikit-learn's trees), voting / stacking follow their
estimators' tags, gradient boosting and AdaBoost reject it; inf is rejected
everywhere. After sklearn/ensemble/tests/test_forest.py's test_missing_*."""

from itertools import product

import numpy as np
import pytest
import sklearn.ensemble as ske
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_wine, make_classification, make_regression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.utils import get_tags

import fastml.ensemble as fe
from fastml.tree import DecisionTreeClassifier, DecisionTreeRegressor

FORESTS = ["RandomForestClassifier", "ExtraTreesClassifier",
           "RandomForestRegressor", "ExtraTreesRegressor"]


def _with_nan(X, frac, seed):
    X = np.array(X, dtype=np.float64)
    X[np.random.RandomState(seed).rand(*X.shape) < frac] = np.nan
    return X


@pytest.mark.filterwarnings("ignore:Some inputs do not have OOB scores")
@pytest.mark.parametrize("name", FORESTS)
@pytest.mark.parametrize(
    "params", [{}, {"bootstrap": True, "oob_score": True, "max_features": 0.5}], ids=str)
def test_forest_with_nan_identical_to_sklearn(name, params, global_random_seed):
    load = load_wine if name.endswith("Classifier") else load_diabetes
    X, y = load(return_X_y=True)
    X = _with_nan(X, 0.2, global_random_seed)
    ours = getattr(fe, name)(n_estimators=10, random_state=global_random_seed, **params)
    ref = getattr(ske, name)(n_estimators=10, random_state=global_random_seed, **params)
    ours.fit(X, y)
    ref.fit(X, y)
    assert_array_equal(ours.apply(X), ref.apply(X))
    if name.endswith("Classifier"):
        assert_array_equal(ours.predict_proba(X), ref.predict_proba(X))
    else:
        assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-12)
    if params:
        assert ours.oob_score_ == pytest.approx(ref.oob_score_)
    X_test = _with_nan(load(return_X_y=True)[0], 0.4, global_random_seed + 1)
    assert_allclose(ours.predict(X_test), ref.predict(X_test), rtol=1e-12)


@pytest.mark.parametrize("name, criterion", [
    *product(["RandomForestRegressor", "ExtraTreesRegressor"], ["squared_error", "absolute_error"]),
    *product(["RandomForestClassifier", "ExtraTreesClassifier"], ["gini", "entropy"]),
])
def test_missing_values_is_resilient(name, criterion):
    # sklearn's: with 5% NaN, at least 80% of the NaN-free forest's score
    rng = np.random.RandomState(0)
    make = make_regression if name.endswith("Regressor") else make_classification
    X, y = make(n_samples=500, n_features=5, random_state=rng)
    X_missing = X.copy()
    X_missing[rng.choice([False, True], size=X.shape, p=[0.95, 0.05])] = np.nan
    Forest = getattr(fe, name)
    Xtr, Xte, ytr, yte = train_test_split(X_missing, y, random_state=0)
    with_nan = Forest(random_state=rng, criterion=criterion, n_estimators=50).fit(Xtr, ytr)
    Xtr, Xte_clean, ytr, yte = train_test_split(X, y, random_state=0)
    clean = Forest(random_state=rng, criterion=criterion, n_estimators=50).fit(Xtr, ytr)
    assert with_nan.score(Xte, yte) >= 0.80 * clean.score(Xte_clean, yte)


@pytest.mark.parametrize("name, criterion", [
    *product(["RandomForestRegressor", "ExtraTreesRegressor"], ["squared_error"]),
    *product(["RandomForestClassifier", "ExtraTreesClassifier"], ["gini", "entropy"]),
])
def test_missing_value_is_predictive(name, criterion, global_random_seed):
    # sklearn's: a feature whose missingness is the target is learnt
    rng = np.random.RandomState(global_random_seed)
    n_samples = 1000
    X_non_predictive = rng.randn(n_samples, 2)
    y = rng.rand(n_samples) < 0.5
    predictive = rng.randn(n_samples)
    predictive[y ^ (rng.rand(n_samples) < 0.05)] = np.nan
    X_predictive = X_non_predictive.copy()
    X_predictive[:, 1] = predictive
    Xp_tr, Xp_te, Xn_tr, Xn_te, ytr, yte = train_test_split(
        X_predictive, X_non_predictive, y, random_state=0)
    Forest = getattr(fe, name)
    kw = dict(random_state=0, criterion=criterion, n_estimators=30)
    predictive_score = Forest(**kw).fit(Xp_tr, ytr).score(Xp_te, yte)
    assert predictive_score >= Forest(**kw).fit(Xn_tr, ytr).score(Xn_te, yte) + 0.3


def test_allow_nan_tags_and_rejections_as_sklearn():
    X, y = load_wine(return_X_y=True)
    Xn = _with_nan(X, 0.1, 0)
    Xinf = np.where(np.isnan(Xn), np.inf, Xn)
    for name in FORESTS:
        assert get_tags(getattr(fe, name)()).input_tags.allow_nan
        with pytest.raises(ValueError, match="infinity"):
            getattr(fe, name)(n_estimators=2).fit(Xinf, y)
    # the histograms (max_bins) have no missing-value bin: a named error
    rf = fe.RandomForestClassifier(n_estimators=2, max_bins=64)
    assert not get_tags(rf).input_tags.allow_nan
    with pytest.raises(ValueError, match="NaN.*max_bins=64"):
        rf.fit(Xn, y)
    with pytest.raises(ValueError, match="NaN"):
        rf.fit(X, y).predict(Xn)
    # NaN only at predict time: routed as sklearn's (larger child)
    ours = fe.RandomForestClassifier(5, random_state=0).fit(X, y)
    ref = ske.RandomForestClassifier(5, random_state=0).fit(X, y)
    assert_array_equal(ours.predict_proba(Xn), ref.predict_proba(Xn))
    # boosting rejects NaN, as sklearn's GradientBoosting* and AdaBoost*
    for est in [fe.GradientBoostingClassifier(n_estimators=2),
                fe.AdaBoostClassifier(n_estimators=2)]:
        assert not get_tags(est).input_tags.allow_nan
        with pytest.raises(ValueError, match="NaN"):
            est.fit(Xn, y)


def test_bagging_voting_stacking_follow_their_estimators():
    X, y = load_wine(return_X_y=True)
    Xn = _with_nan(X, 0.1, 0)
    bag = fe.BaggingClassifier(DecisionTreeClassifier(), n_estimators=5, random_state=0)
    assert get_tags(bag).input_tags.allow_nan
    assert bag.fit(Xn, y).score(Xn, y) > 0.9
    assert not get_tags(fe.BaggingClassifier(LogisticRegression())).input_tags.allow_nan
    hist_bag = fe.BaggingRegressor(DecisionTreeRegressor(splitter="hist"), n_estimators=2)
    assert not get_tags(hist_bag).input_tags.allow_nan
    with pytest.raises(ValueError, match="NaN.*splitter='hist'"):
        hist_bag.fit(Xn, y)
    trees = [("a", DecisionTreeClassifier(random_state=0)),
             ("b", fe.ExtraTreesClassifier(5, random_state=0))]
    for est in [fe.VotingClassifier(trees),
                fe.StackingClassifier(trees, final_estimator=DecisionTreeClassifier())]:
        assert get_tags(est).input_tags.allow_nan
        assert est.fit(Xn, y).score(Xn, y) > 0.9
    mixed = fe.VotingClassifier(trees + [("c", LogisticRegression())])
    assert not get_tags(mixed).input_tags.allow_nan
