"""KMeans: fastml beside scikit-learn and scikit-learn-intelex (issue 3's case).

200000 x 16 uniform random data, k=16, n_init=1, max_iter=50, tol=0, the
same explicit init for every library (so the seeding is not timed and the
n_iter_ are comparable).  The figure of merit is time per iteration.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE pytest benchmarks/test_bench_kmeans.py \
        --benchmark-only --benchmark-group-by=group

``python benchmarks/test_bench_kmeans.py`` prints the table reported in
docs/cluster.md instead (per-iteration times, ratios and the first call in a
fresh process).
"""

import subprocess
import sys
import time

import numpy as np
import pytest

N, D, K, MAX_ITER = 200_000, 16, 16, 50


def _data(dtype=np.float64):
    X = np.random.RandomState(0).uniform(size=(N, D)).astype(dtype)
    return X, X[:K].copy()


def _fastml(X, init, algorithm):
    from fastml.cluster import KMeans

    return KMeans(K, init=init, n_init=1, max_iter=MAX_ITER, tol=0, algorithm=algorithm).fit(X)


def _sklearn(X, init, algorithm):
    from sklearn.cluster import KMeans

    return KMeans(K, init=init, n_init=1, max_iter=MAX_ITER, tol=0, algorithm=algorithm).fit(X)


def _sklearnex(X, init, algorithm):
    from sklearnex.cluster import KMeans

    return KMeans(K, init=init, n_init=1, max_iter=MAX_ITER, tol=0, algorithm=algorithm).fit(X)


RUNNERS = {"fastml": _fastml, "sklearn": _sklearn, "sklearnex": _sklearnex}


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("library", list(RUNNERS))
def test_kmeans_200k_x16(benchmark, library, algorithm):
    if library == "sklearnex":
        pytest.importorskip("sklearnex")
    benchmark.group = f"KMeans {algorithm} 200000x16 k=16 50 iter"
    X, init = _data()
    km = benchmark.pedantic(RUNNERS[library], args=(X, init, algorithm), rounds=3,
                            warmup_rounds=1)
    benchmark.extra_info["n_iter"] = int(km.n_iter_)
    benchmark.extra_info["inertia"] = float(km.inertia_)


@pytest.mark.parametrize("library", ["fastml", "sklearn"])
def test_kmeans_kmeanspp_200k_x16(benchmark, library):
    """Default init (k-means++ seeding timed too)."""
    benchmark.group = "KMeans k-means++ 200000x16 k=16 50 iter"
    X, _ = _data()
    mod = "fastml.cluster" if library == "fastml" else "sklearn.cluster"
    KMeans = __import__(mod, fromlist=["KMeans"]).KMeans
    benchmark.pedantic(
        lambda: KMeans(K, n_init=1, max_iter=MAX_ITER, tol=0, random_state=0).fit(X),
        rounds=3, warmup_rounds=1,
    )


_FRESH = """
import time; t0 = time.perf_counter()
import numpy as np
from {mod} import KMeans
X = np.random.RandomState(0).uniform(size=({n}, {d}))
t1 = time.perf_counter()
KMeans({k}, init=X[:{k}].copy(), n_init=1, max_iter={it}, tol=0, algorithm="{alg}").fit(X)
t2 = time.perf_counter()
print(t2 - t0 - (t1 - t0) + (t1 - t0), t2 - t1)
"""


def _first_call(mod, alg):
    """Fresh process: (import + data + first fit, first fit alone) in seconds."""
    code = _FRESH.format(mod=mod, n=N, d=D, k=K, it=MAX_ITER, alg=alg)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1])


def _best(fn, *args, repeat=5):
    best, res = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        res = fn(*args)
        best = min(best, time.perf_counter() - t)
    return best, res


def main():
    try:
        import sklearnex  # noqa: F401

        libs = ["fastml", "sklearn", "sklearnex"]
    except ImportError:
        libs = ["fastml", "sklearn"]
    print(f"KMeans {N}x{D}, k={K}, n_init=1, max_iter={MAX_ITER}, tol=0, same init; "
          "best of 5, ms per iteration")
    print("| algorithm | dtype | " + " | ".join(f"{lib} ms/iter (n_iter)" for lib in libs)
          + " | sklearn / fastml | sklearnex / fastml |")
    print("|---" * (4 + len(libs)) + "|")
    for dtype in (np.float64, np.float32):
        X, init = _data(dtype)
        for alg in ("lloyd", "elkan"):
            per_iter = {}
            cells = []
            for lib in libs:
                t, km = _best(RUNNERS[lib], X, init, alg)
                per_iter[lib] = t / km.n_iter_
                cells.append(f"{1e3 * per_iter[lib]:.2f} ({km.n_iter_})")
            r_sk = per_iter["sklearn"] / per_iter["fastml"]
            r_ex = per_iter.get("sklearnex", float("nan")) / per_iter["fastml"]
            print(f"| {alg} | {np.dtype(dtype).name} | " + " | ".join(cells)
                  + f" | {r_sk:.2f}x | {r_ex:.2f}x |")
    print("\nfirst call in a fresh process (float64, explicit init): "
          "import+data+fit s / fit alone s")
    for mod in ("fastml.cluster", "sklearn.cluster"):
        for alg in ("lloyd", "elkan"):
            total, fit = _first_call(mod, alg)
            print(f"  {mod:16s} {alg:6s} {total:.3f} / {fit:.3f}")


if __name__ == "__main__":
    main()
