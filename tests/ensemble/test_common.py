"""scikit-learn's estimator checks on every fastml.ensemble estimator."""

import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression, RidgeClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier as SkTreeClassifier
from sklearn.tree import DecisionTreeRegressor as SkTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastml.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    BaggingClassifier,
    BaggingRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from fastml.tree import DecisionTreeRegressor
from fastml.utils._testing import sklearn_xfails


# small ensembles keep the checks fast; the instances mirror those of
# scikit-learn's own test-suite (sklearn/utils/_test_common/instance_generator.py)
ESTIMATORS = [
    # tree ensembles, on fastml's trees
    RandomForestClassifier(n_estimators=5, random_state=0),
    RandomForestRegressor(n_estimators=5, random_state=0),
    ExtraTreesClassifier(n_estimators=5, random_state=0),
    ExtraTreesRegressor(n_estimators=5, random_state=0),
    GradientBoostingClassifier(n_estimators=5, random_state=0),
    GradientBoostingRegressor(n_estimators=5, random_state=0),
    # meta-estimators with their default (fastml) trees
    BaggingClassifier(n_estimators=5, random_state=0),
    BaggingRegressor(n_estimators=5, random_state=0),
    AdaBoostClassifier(n_estimators=5, random_state=0),
    AdaBoostRegressor(n_estimators=5, random_state=0),
    # meta-estimators over other estimators
    VotingClassifier([("est1", LogisticRegression(C=0.1)), ("est2", GaussianNB())]),
    VotingRegressor([("est1", LinearRegression()), ("est2", DecisionTreeRegressor(random_state=0))]),
    StackingClassifier([("est1", LogisticRegression(C=0.1)), ("est2", RidgeClassifier())], cv=3),
    StackingRegressor(
        [("est1", LinearRegression()), ("est2", DecisionTreeRegressor(random_state=0))], cv=3
    ),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=sklearn_xfails)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# the histogram path and meta-estimators over scikit-learn's own trees
MORE_ESTIMATORS = [
    RandomForestClassifier(n_estimators=5, max_bins=32, random_state=0),
    RandomForestRegressor(n_estimators=5, max_bins=32, random_state=0),
    GradientBoostingClassifier(n_estimators=5, max_bins=32, random_state=0),
    GradientBoostingRegressor(n_estimators=5, max_bins=32, random_state=0),
    BaggingClassifier(SkTreeClassifier(), n_estimators=5, random_state=0),
    AdaBoostRegressor(SkTreeRegressor(max_depth=3), n_estimators=5, random_state=0),
]


@pytest.mark.slow
@parametrize_with_checks(MORE_ESTIMATORS, expected_failed_checks=sklearn_xfails)
def test_sklearn_compatible_more(estimator, check):
    check(estimator)
