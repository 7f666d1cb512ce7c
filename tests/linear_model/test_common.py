"""Every fastml linear model passes scikit-learn's estimator checks."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from fastml.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Perceptron,
    Ridge,
    SGDClassifier,
    SGDRegressor,
)
from fastml.utils._testing import sklearn_xfails

import pytest

ESTIMATORS = [
    LinearRegression(),
    Ridge(),
    Lasso(alpha=0.01),
    ElasticNet(alpha=0.01, selection="random", random_state=0),
    LogisticRegression(),
    SGDRegressor(random_state=0),
    SGDClassifier(random_state=0),
    Perceptron(),
]
# other solvers / paths of the same classes: the full check suite, in the slow run
VARIANTS = [
    LinearRegression(solver="normal"),
    Ridge(solver="svd"),
    LogisticRegression(solver="saga", l1_ratio=0.5, max_iter=200),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=sklearn_xfails)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(VARIANTS, expected_failed_checks=sklearn_xfails)
def test_sklearn_compatible_other_solvers(estimator, check):
    check(estimator)
