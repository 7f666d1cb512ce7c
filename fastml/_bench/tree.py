"""`fastml bench` rows for fastml.tree: fully grown trees on built-in data."""

import numpy as np

from fastml._bench import BenchCase


def _digits():
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def _breast_cancer():
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True)


def _diabetes():
    from sklearn.datasets import load_diabetes

    return load_diabetes(return_X_y=True)


def _breast_cancer_nan():
    X, y = _breast_cancer()
    X = X.copy()
    X[np.random.RandomState(0).rand(*X.shape) < 0.2] = np.nan  # 20% missing
    return X, y


def _same_tree(ours, theirs):
    a, b = ours.tree_, theirs.tree_
    same = (a.node_count == b.node_count and np.array_equal(a.feature, b.feature)
            and np.array_equal(a.threshold, b.threshold))
    return f"same tree={same} ({a.node_count} nodes)"


def _fit(module, cls, splitter="best", **kw):
    def run(data):
        import importlib

        est = getattr(importlib.import_module(module), cls)
        return est(splitter=splitter, random_state=0, **kw).fit(*data)

    return run


def _accuracy(data):
    X, y = data

    def parity(ours, theirs):
        return f"train acc {ours.score(X, y):.3f} vs {theirs.score(X, y):.3f}"

    return parity


CASES = [
    BenchCase("DecisionTreeClassifier", "digits", _digits,
              _fit("fastml.tree", "DecisionTreeClassifier"),
              _fit("sklearn.tree", "DecisionTreeClassifier"), _same_tree),
    BenchCase("DecisionTreeClassifier", "breast_cancer", _breast_cancer,
              _fit("fastml.tree", "DecisionTreeClassifier", criterion="entropy"),
              _fit("sklearn.tree", "DecisionTreeClassifier", criterion="entropy"),
              _same_tree),
    BenchCase("DecisionTreeRegressor", "diabetes", _diabetes,
              _fit("fastml.tree", "DecisionTreeRegressor"),
              _fit("sklearn.tree", "DecisionTreeRegressor"), _same_tree),
    BenchCase("DecisionTreeClassifier(hist)", "digits", _digits,
              _fit("fastml.tree", "DecisionTreeClassifier", splitter="hist"),
              _fit("sklearn.tree", "DecisionTreeClassifier"), _same_tree),
    BenchCase("DecisionTreeClassifier(20% NaN)", "breast_cancer", _breast_cancer_nan,
              _fit("fastml.tree", "DecisionTreeClassifier"),
              _fit("sklearn.tree", "DecisionTreeClassifier"), _same_tree),
]
