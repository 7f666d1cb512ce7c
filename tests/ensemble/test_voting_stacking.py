"""Voting and stacking: scikit-learn's results over any estimators."""

import pickle

import numpy as np
import pytest
import sklearn.ensemble as ske
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_iris, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.preprocessing import scale

from fastml.ensemble import (
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from fastml.tree import DecisionTreeClassifier, DecisionTreeRegressor

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
CLFS = [("lr", LogisticRegression(max_iter=500)), ("nb", GaussianNB()),
        ("dt", DecisionTreeClassifier(max_depth=2, random_state=0))]


@pytest.mark.parametrize("voting", ["hard", "soft"])
@pytest.mark.parametrize("weights", [None, [2, 1, 1], [0.2, 1.5, 1.0]])
def test_voting_classifier_identical_to_sklearn(voting, weights):
    X, y = load_wine(return_X_y=True)
    X = scale(X)
    ours = VotingClassifier(CLFS, voting=voting, weights=weights).fit(X, y)
    ref = ske.VotingClassifier(CLFS, voting=voting, weights=weights).fit(X, y)
    assert_array_equal(ours.predict(X), ref.predict(X))
    assert_allclose(ours.transform(X), ref.transform(X))
    if voting == "soft":
        assert_allclose(ours.predict_proba(X), ref.predict_proba(X))
    assert_array_equal(ours.get_feature_names_out(), ref.get_feature_names_out())


def test_voting_drop_weights_and_regressor():
    ours = VotingClassifier(CLFS, weights=[1, 2, 3]).set_params(nb="drop").fit(X_IRIS, Y_IRIS)
    assert list(ours.named_estimators_) == ["lr", "nb", "dt"] and len(ours.estimators_) == 2
    with pytest.raises(AttributeError, match="predict_proba"):
        ours.predict_proba(X_IRIS)
    X, y = load_diabetes(return_X_y=True)
    regs = [("lr", LinearRegression()), ("dt", DecisionTreeRegressor(max_depth=3, random_state=0))]
    a = VotingRegressor(regs, weights=[1, 3]).fit(X, y)
    b = ske.VotingRegressor(regs, weights=[1, 3]).fit(X, y)
    assert_allclose(a.predict(X), b.predict(X))
    assert_array_equal(pickle.loads(pickle.dumps(a)).predict(X), a.predict(X))


@pytest.mark.parametrize("passthrough", [False, True])
@pytest.mark.parametrize("stack_method", ["auto", "predict", "predict_proba"])
def test_stacking_classifier_identical_to_sklearn(passthrough, stack_method):
    X, y = load_wine(return_X_y=True)
    X = scale(X)
    kw = {"cv": 3, "passthrough": passthrough, "stack_method": stack_method}
    ours = StackingClassifier(CLFS, **kw).fit(X, y)
    ref = ske.StackingClassifier(CLFS, **kw).fit(X, y)
    assert_allclose(ours.transform(X), ref.transform(X))
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-9)
    assert ours.stack_method_ == ref.stack_method_


def test_stacking_regressor_cv_prefit_and_errors():
    X, y = load_diabetes(return_X_y=True)
    regs = [("ridge", Ridge()), ("knn", KNeighborsRegressor())]
    cv = KFold(4, shuffle=True, random_state=0)
    ours = StackingRegressor(regs, final_estimator=LinearRegression(), cv=cv, passthrough=True)
    ref = ske.StackingRegressor(regs, final_estimator=LinearRegression(), cv=cv, passthrough=True)
    assert_allclose(ours.fit(X, y).predict(X), ref.fit(X, y).predict(X))
    fitted = [(n, e.fit(X, y)) for n, e in regs]
    prefit = StackingRegressor(fitted, cv="prefit").fit(X, y)
    assert prefit.estimators_[0] is fitted[0][1]
    with pytest.raises(ValueError, match="regressor"):
        StackingRegressor(regs, final_estimator=LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="should be a non-empty list"):
        StackingRegressor([]).fit(X, y)
    with pytest.raises(ValueError, match="All estimators are dropped"):
        StackingRegressor([("a", "drop")]).fit(X, y)
    with pytest.raises(ValueError, match="does not implement the method"):
        StackingClassifier([("knn", KNeighborsClassifier())],
                           stack_method="decision_function").fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="Unknown label type"):
        VotingClassifier(CLFS).fit(X, y + 0.5)
    with pytest.raises(ValueError, match="Number of `estimators` and weights"):
        VotingClassifier(CLFS, weights=[1, 2]).fit(X_IRIS, Y_IRIS)
    Xn = X_IRIS.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        StackingClassifier(CLFS).fit(Xn, Y_IRIS)
