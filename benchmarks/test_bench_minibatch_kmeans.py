"""MiniBatchKMeans: fastml beside scikit-learn (issue 4).

scikit-learn-intelex does not patch MiniBatchKMeans (``sklearnex.cluster``
has only DBSCAN and KMeans), so there is no third column.

Cases, all with the same ``random_state`` so both libraries draw the same
batches and run the same number of steps (``n_steps_`` is reported):

- 200000 x 16 uniform, k=16, defaults (batch_size=1024, early stopping);
- the same with ``max_no_improvement=None, max_iter=1``: exactly 195 steps;
- digits 1797 x 64, k=10, defaults;
- streaming: 195 ``partial_fit`` calls on 1024-row slices of the 200000 x 16.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE pytest \\
        benchmarks/test_bench_minibatch_kmeans.py --benchmark-only --benchmark-group-by=group

``python benchmarks/test_bench_minibatch_kmeans.py`` prints the table in
docs/cluster.md instead.
"""

import importlib
import time

import numpy as np
import pytest

N, D, K = 200_000, 16, 16


def _uniform(dtype=np.float64):
    return np.random.RandomState(0).uniform(size=(N, D)).astype(dtype)


def _digits():
    from sklearn.datasets import load_digits

    return load_digits().data


def _cls(library):
    mod = "fastml.cluster" if library == "fastml" else "sklearn.cluster"
    return importlib.import_module(mod).MiniBatchKMeans


def _fit(library, X, k, **params):
    return _cls(library)(k, random_state=0, **params).fit(X)


def _stream(library, X, k, batch=1024):
    km = _cls(library)(k, random_state=0)
    for start in range(0, len(X), batch):
        km.partial_fit(X[start:start + batch])
    return km


CASES = {
    "200000x16 k=16 defaults": (_uniform, lambda lib, X: _fit(lib, X, K)),
    "200000x16 k=16 195 steps": (
        _uniform, lambda lib, X: _fit(lib, X, K, max_no_improvement=None, max_iter=1)),
    "digits 1797x64 k=10 defaults": (_digits, lambda lib, X: _fit(lib, X, 10)),
    "200000x16 k=16 partial_fit x196": (_uniform, lambda lib, X: _stream(lib, X, K)),
}


@pytest.mark.parametrize("library", ["fastml", "sklearn"])
@pytest.mark.parametrize("case", list(CASES))
def test_minibatch_kmeans(benchmark, case, library):
    make, run = CASES[case]
    benchmark.group = f"MiniBatchKMeans {case}"
    X = make()
    km = benchmark.pedantic(run, args=(library, X), rounds=3, warmup_rounds=1)
    benchmark.extra_info["n_steps"] = int(km.n_steps_)
    benchmark.extra_info["inertia"] = float(km.inertia_)


def _best(fn, *args, repeat=3):
    best, res = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        res = fn(*args)
        best = min(best, time.perf_counter() - t)
    return best, res


def main():
    print("MiniBatchKMeans, random_state=0, best of 3, wall seconds (n_steps_)")
    print("| case | fastml s | sklearn s | sklearn / fastml | same centers |")
    print("|---|---|---|---|---|")
    for case, (make, run) in CASES.items():
        X = make()
        run("fastml", X)  # warm-up
        t_f, ours = _best(run, "fastml", X)
        t_s, ref = _best(run, "sklearn", X)
        same = np.allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-6, atol=1e-9)
        print(f"| {case} | {t_f:.3f} ({ours.n_steps_}) | {t_s:.3f} ({ref.n_steps_}) | "
              f"{t_s / t_f:.1f}x | {same} |")


if __name__ == "__main__":
    main()
