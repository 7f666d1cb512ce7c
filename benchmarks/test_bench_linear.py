"""Linear models: fastml beside scikit-learn and scikit-learn-intelex (issue 6's cases).

* LogisticRegression, make_classification(100000, 50, random_state=0), default C;
* Lasso(alpha=0.1), make_regression(100000, 100, random_state=0);
* plus Ridge, LinearRegression and SGDClassifier on the same data, for context.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE pytest benchmarks/test_bench_linear.py \
        --benchmark-only --benchmark-group-by=group

``python benchmarks/test_bench_linear.py`` prints the table of docs/linear_model.md
(best of 5, ratios against fastml).
"""

import time
from functools import lru_cache

import numpy as np
import pytest


@lru_cache(maxsize=None)
def _classification():
    from sklearn.datasets import make_classification

    return make_classification(100_000, 50, random_state=0)


@lru_cache(maxsize=None)
def _regression():
    from sklearn.datasets import make_regression

    return make_regression(100_000, 100, random_state=0)


def _module(library):
    if library == "fastml":
        import fastml.linear_model as m
    elif library == "sklearn":
        import sklearn.linear_model as m
    else:
        m = pytest.importorskip("sklearnex.linear_model") if library == "sklearnex" else None
    return m


CASES = {
    "LogisticRegression 100000x50": (_classification, lambda m: m.LogisticRegression()),
    "Lasso alpha=0.1 100000x100": (_regression, lambda m: m.Lasso(alpha=0.1)),
    "Ridge 100000x100": (_regression, lambda m: m.Ridge(1.0)),
    "LinearRegression 100000x100": (_regression, lambda m: m.LinearRegression()),
    "SGDClassifier 100000x50": (_classification, lambda m: m.SGDClassifier(random_state=0)),
}


@pytest.mark.parametrize("library", ["fastml", "sklearn", "sklearnex"])
@pytest.mark.parametrize("case", list(CASES))
def test_linear_models(benchmark, case, library):
    data, make = CASES[case]
    X, y = data()
    module = _module(library)
    if not hasattr(module, make.__code__.co_names[-1]):
        pytest.skip(f"{library} has no {make.__code__.co_names[-1]}")
    benchmark.group = case
    est = benchmark.pedantic(lambda: make(module).fit(X, y), rounds=5, warmup_rounds=1)
    benchmark.extra_info["n_iter"] = str(getattr(est, "n_iter_", None))


def _best(fn, rounds=5):
    fn()
    best = np.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


if __name__ == "__main__":
    import os
    import sys

    # measure this checkout's fastml, not an installed copy
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    print("| case | fastml s | scikit-learn s | sklearnex s | sklearn / fastml | sklearnex / fastml |")
    print("|---|---|---|---|---|---|")
    for case, (data, make) in CASES.items():
        X, y = data()
        times = {}
        for library in ("fastml", "sklearn", "sklearnex"):
            try:
                module = _module(library)
                times[library] = _best(lambda: make(module).fit(X, y))
            except (AttributeError, pytest.skip.Exception):
                times[library] = float("nan")
        f, s, x = times["fastml"], times["sklearn"], times["sklearnex"]
        print(f"| {case} | {f:.4f} | {s:.4f} | {x:.4f} | {s / f:.2f}x | {x / f:.2f}x |")
