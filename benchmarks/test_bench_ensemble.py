"""fastml's forests and gradient boosting beside scikit-learn and scikit-learn-intelex.

Sizes from issue 5: RandomForestClassifier(50 trees, n_jobs=2) and
GradientBoostingClassifier(100 trees) on make_classification(20000, 20,
random_state=0). Forests: best of 3 fits; boosting: one round (a fit takes
seconds); never asserts on time.
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification

import fastml.ensemble as fe


@pytest.fixture(scope="module")
def data():
    return make_classification(20000, 20, random_state=0)


def _sklearnex(name):
    pytest.importorskip("sklearnex")
    from sklearnex import ensemble

    return getattr(ensemble, name)


def _sklearn(name):
    import sklearn.ensemble

    return getattr(sklearn.ensemble, name)


RF = {"n_estimators": 50, "n_jobs": 2, "random_state": 0}
RF_IMPLS = {
    "fastml-exact": lambda: fe.RandomForestClassifier(**RF),
    "fastml-hist255": lambda: fe.RandomForestClassifier(max_bins=255, **RF),
    "sklearn": lambda: _sklearn("RandomForestClassifier")(**RF),
    "sklearnex": lambda: _sklearnex("RandomForestClassifier")(**RF),
}


@pytest.mark.benchmark(group="RandomForestClassifier-50trees-20000x20-n_jobs2")
@pytest.mark.parametrize("impl", list(RF_IMPLS))
def test_random_forest_fit(benchmark, data, impl):
    X, y = data
    # best of 3 fresh fits (scikit-learn's time varies run to run); the
    # slowest round includes the first call
    est = benchmark.pedantic(lambda: RF_IMPLS[impl]().fit(X, y), rounds=3, iterations=1)
    assert est.score(X, y) > 0.9


GB = {"n_estimators": 100, "random_state": 0}
GB_IMPLS = {
    "fastml-exact": lambda: fe.GradientBoostingClassifier(**GB),
    "fastml-hist255": lambda: fe.GradientBoostingClassifier(max_bins=255, **GB),
    "sklearn": lambda: _sklearn("GradientBoostingClassifier")(**GB),
}


@pytest.mark.benchmark(group="GradientBoostingClassifier-100trees-20000x20")
@pytest.mark.parametrize("impl", list(GB_IMPLS))
def test_gradient_boosting_fit(benchmark, data, impl):
    X, y = data
    est = GB_IMPLS[impl]()
    benchmark.pedantic(est.fit, args=(X, y), rounds=1, iterations=1)
    assert np.isfinite(est.train_score_).all()
