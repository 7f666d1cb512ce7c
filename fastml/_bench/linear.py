"""`fastml bench` rows for linear models and metrics on built-in data."""

import numpy as np

from . import BenchCase


def _scaled(loader):
    from sklearn.preprocessing import StandardScaler

    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _breast_cancer():
    from sklearn.datasets import load_breast_cancer

    return _scaled(load_breast_cancer)


def _digits():
    from sklearn.datasets import load_digits

    return _scaled(load_digits)


def _diabetes():
    from sklearn.datasets import load_diabetes

    return load_diabetes(return_X_y=True)


def _fit(module_name, make):
    def run(data):
        import importlib

        X, y = data
        return make(importlib.import_module(module_name)).fit(X, y)

    return run


def _coef_parity(ours, theirs):
    out = f"max|dcoef|={np.max(np.abs(ours.coef_ - theirs.coef_)):.1e}"
    if getattr(theirs, "n_iter_", None) is not None:
        same = np.array_equal(np.ravel(ours.n_iter_), np.ravel(theirs.n_iter_))
        out += ", n_iter " + ("same" if same else f"{ours.n_iter_} vs {theirs.n_iter_}")
    return out


def _case(name, data_name, make_data, make, repeat=3):
    return BenchCase(
        estimator=name, data=data_name, make_data=make_data,
        run_fastml=_fit("fastml.linear_model", make),
        run_sklearn=_fit("sklearn.linear_model", make),
        parity=_coef_parity, repeat=repeat,
    )


def _metric_case(name, fn):
    def make_data():
        rng = np.random.RandomState(0)
        y = rng.randint(0, 2, 200_000)
        return y, np.clip(y * 0.3 + rng.rand(200_000), 0, 1)

    def run(module_name):
        def go(data):
            import importlib

            return getattr(importlib.import_module(module_name), fn)(*data)
        return go

    return BenchCase(
        estimator=name, data="200k random scores", make_data=make_data,
        run_fastml=run("fastml.metrics"), run_sklearn=run("sklearn.metrics"),
        parity=lambda a, b: f"|d|={abs(float(a) - float(b)):.1e}",
    )


CASES = [
    _case("LogisticRegression", "breast_cancer (scaled)", _breast_cancer,
          lambda m: m.LogisticRegression()),
    _case("LogisticRegression", "digits (scaled)", _digits,
          lambda m: m.LogisticRegression(max_iter=1000)),
    _case("Lasso(alpha=0.1)", "diabetes", _diabetes, lambda m: m.Lasso(alpha=0.1)),
    _case("ElasticNet(alpha=0.01)", "diabetes", _diabetes, lambda m: m.ElasticNet(alpha=0.01)),
    _case("Ridge", "diabetes", _diabetes, lambda m: m.Ridge()),
    _case("LinearRegression", "diabetes", _diabetes, lambda m: m.LinearRegression()),
    _case("SGDClassifier", "digits (scaled)", _digits,
          lambda m: m.SGDClassifier(random_state=0)),
    _metric_case("roc_auc_score", "roc_auc_score"),
]
