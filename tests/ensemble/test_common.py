"""scikit-learn's estimator checks on every fastml.ensemble estimator."""

import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier as SkTreeClassifier
from sklearn.tree import DecisionTreeRegressor as SkTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastml.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    BaggingClassifier,
    BaggingRegressor,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from fastml.utils._testing import sklearn_xfails

# the instances scikit-learn's own test-suite checks (instance_generator.py)
META_ESTIMATORS = [
    VotingClassifier([("est1", LogisticRegression(C=0.1)), ("est2", GaussianNB())]),
    VotingRegressor([("est1", LinearRegression()), ("est2", SkTreeRegressor(random_state=0))]),
    StackingClassifier(
        [("est1", LogisticRegression(C=0.1)), ("est2", LinearSVC(C=0.1))], cv=3
    ),
    StackingRegressor([("est1", LinearRegression()), ("est2", SkTreeRegressor(random_state=0))], cv=3),
    BaggingClassifier(SkTreeClassifier(), n_estimators=5, random_state=0),
    BaggingRegressor(SkTreeRegressor(), n_estimators=5, random_state=0),
    AdaBoostClassifier(SkTreeClassifier(max_depth=1), n_estimators=5, random_state=0),
    AdaBoostRegressor(SkTreeRegressor(max_depth=3), n_estimators=5, random_state=0),
]


@parametrize_with_checks(META_ESTIMATORS, expected_failed_checks=sklearn_xfails)
def test_meta_estimators_sklearn_compatible(estimator, check):
    check(estimator)
