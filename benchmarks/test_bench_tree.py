"""Decision trees beside scikit-learn.

scikit-learn-intelex has no single decision tree (only forests), so
scikit-learn is the only peer here.

Issue 5's size: make_classification(50000, 20, n_informative=10,
random_state=0), unlimited depth. Run with
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m pytest benchmarks/test_bench_tree.py``.
"""

import numpy as np
import pytest
import sklearn.tree as skt
from sklearn.datasets import make_classification, make_regression

import fastml.tree as fmt


@pytest.fixture(scope="module")
def clf_data():
    return make_classification(50000, 20, n_informative=10, random_state=0)


@pytest.fixture(scope="module")
def reg_data():
    return make_regression(50000, 20, n_informative=10, noise=1.0, random_state=0)


CLASSIFIERS = {
    "fastml-best": lambda: fmt.DecisionTreeClassifier(random_state=0),
    "fastml-hist": lambda: fmt.DecisionTreeClassifier(splitter="hist", random_state=0),
    "sklearn": lambda: skt.DecisionTreeClassifier(random_state=0),
}


@pytest.mark.benchmark(group="DecisionTreeClassifier-50000x20")
@pytest.mark.parametrize("impl", list(CLASSIFIERS))
def test_bench_tree_classifier(benchmark, clf_data, impl):
    X, y = clf_data
    make = CLASSIFIERS[impl]
    est = benchmark.pedantic(lambda: make().fit(X, y), rounds=3, iterations=1)
    ref = skt.DecisionTreeClassifier(random_state=0).fit(X[:2000], y[:2000])
    benchmark.extra_info["node_count"] = int(est.tree_.node_count)
    if impl == "fastml-best":  # the same tree as sklearn's (small slice checked)
        ours = fmt.DecisionTreeClassifier(random_state=0).fit(X[:2000], y[:2000])
        assert np.array_equal(ours.tree_.threshold, ref.tree_.threshold)


REGRESSORS = {
    "fastml-best": lambda: fmt.DecisionTreeRegressor(random_state=0),
    "fastml-hist": lambda: fmt.DecisionTreeRegressor(splitter="hist", random_state=0),
    "sklearn": lambda: skt.DecisionTreeRegressor(random_state=0),
}


@pytest.mark.benchmark(group="DecisionTreeRegressor-50000x20")
@pytest.mark.parametrize("impl", list(REGRESSORS))
def test_bench_tree_regressor(benchmark, reg_data, impl):
    X, y = reg_data
    est = benchmark.pedantic(lambda: REGRESSORS[impl]().fit(X, y), rounds=3, iterations=1)
    benchmark.extra_info["node_count"] = int(est.tree_.node_count)


@pytest.mark.benchmark(group="DecisionTreeClassifier-predict-50000x20")
@pytest.mark.parametrize("impl", ["fastml", "sklearn"])
def test_bench_tree_predict(benchmark, clf_data, impl):
    X, y = clf_data
    est = (fmt if impl == "fastml" else skt).DecisionTreeClassifier(random_state=0).fit(X, y)
    benchmark(est.predict_proba, X)


@pytest.fixture(scope="module")
def clf_data_nan(clf_data):
    X, y = clf_data
    X = X.copy()
    X[np.random.RandomState(0).rand(*X.shape) < 0.2] = np.nan  # 20% missing
    return X, y


NAN_IMPLS = {
    "fastml-best": lambda: fmt.DecisionTreeClassifier(random_state=0),
    "fastml-random": lambda: fmt.DecisionTreeClassifier(splitter="random", random_state=0),
    "sklearn-best": lambda: skt.DecisionTreeClassifier(random_state=0),
    "sklearn-random": lambda: skt.DecisionTreeClassifier(splitter="random", random_state=0),
}


@pytest.mark.benchmark(group="DecisionTreeClassifier-50000x20-20%NaN")
@pytest.mark.parametrize("impl", list(NAN_IMPLS))
def test_bench_tree_classifier_nan(benchmark, clf_data_nan, impl):
    X, y = clf_data_nan
    est = benchmark.pedantic(lambda: NAN_IMPLS[impl]().fit(X, y), rounds=3, iterations=1)
    benchmark.extra_info["node_count"] = int(est.tree_.node_count)
    if impl.startswith("fastml"):  # the same tree as sklearn's
        ref = NAN_IMPLS[impl.replace("fastml", "sklearn")]().fit(X, y)
        assert np.array_equal(est.tree_.threshold, ref.tree_.threshold)


@pytest.mark.benchmark(group="DecisionTreeClassifier-predict-50000x20-20%NaN")
@pytest.mark.parametrize("impl", ["fastml", "sklearn"])
def test_bench_tree_predict_nan(benchmark, clf_data_nan, impl):
    X, y = clf_data_nan
    est = (fmt if impl == "fastml" else skt).DecisionTreeClassifier(random_state=0).fit(X, y)
    benchmark(est.predict_proba, X)
