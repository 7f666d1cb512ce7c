"""DBSCAN beside scikit-learn (and scikit-learn-intelex when importable).

Time: pytest-benchmark groups per data set. Memory: each implementation fits in
a fresh subprocess and reports its peak RSS (VmHWM, i.e. ``ru_maxrss`` of the
interpreter alone, see ``_CHILD``), both
absolute and above the RSS it had just before ``fit``; the second number is
what DBSCAN itself needed. Nothing here asserts on time or memory.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        python -m pytest benchmarks/test_bench_dbscan.py -m "" -s
"""

import json
import subprocess
import sys

import pytest
import sklearn.cluster
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import fastml.cluster

# (n, d, eps, min_samples): the 2-D cases, plus 10-D and 64-D
CASES = {
    "blobs50k-2d": (50_000, 2, 0.3, 10),
    "blobs200k-2d": (200_000, 2, 0.3, 10),
    "blobs50k-10d": (50_000, 10, 2.0, 10),
    "blobs20k-64d": (20_000, 64, 9.0, 10),
}


def _data(name):
    n, d, eps, min_samples = CASES[name]
    return make_blobs(n, d, centers=10, random_state=0)[0], eps, min_samples


def _impls():
    impls = {"fastml": fastml.cluster.DBSCAN, "sklearn": sklearn.cluster.DBSCAN}
    try:
        from sklearnex.cluster import DBSCAN as SklearnexDBSCAN

        impls["sklearnex"] = SklearnexDBSCAN
    except ImportError:
        pass
    return impls


@pytest.mark.parametrize("impl", list(_impls()))
@pytest.mark.parametrize("name", list(CASES))
def test_bench_dbscan(benchmark, name, impl):
    X, eps, min_samples = _data(name)
    if impl == "sklearn" and name == "blobs200k-2d":
        pytest.skip("sklearn at 200k needs GBs: measured in test_peak_rss_dbscan")
    benchmark.group = f"dbscan {name}"
    est = _impls()[impl](eps=eps, min_samples=min_samples)
    benchmark.pedantic(est.fit, args=(X,), rounds=1, iterations=1, warmup_rounds=0)
    ref = fastml.cluster.DBSCAN(eps=eps, min_samples=min_samples).fit(X)
    benchmark.extra_info["ARI_vs_fastml"] = adjusted_rand_score(ref.labels_, est.labels_)


_CHILD = r"""
import json, resource, sys, time
from sklearn.datasets import make_blobs
impl, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
eps, ms = float(sys.argv[4]), int(sys.argv[5])


def peak_mb():
    # VmHWM is this interpreter's own peak. ru_maxrss is not, in a child of a
    # big process: Linux carries the forked copy's RSS over the exec (a
    # pytest parent's ~150 MB then shows as the child's floor).
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if impl == "fastml":
    from fastml.cluster import DBSCAN
elif impl == "sklearnex":
    from sklearnex.cluster import DBSCAN
else:
    from sklearn.cluster import DBSCAN
X = make_blobs(n, d, centers=10, random_state=0)[0]
DBSCAN(eps=eps, min_samples=ms).fit(X[:2000])  # warm lazy imports
before = peak_mb()
t0 = time.perf_counter()
labels = DBSCAN(eps=eps, min_samples=ms).fit(X).labels_
t = time.perf_counter() - t0
peak = peak_mb()
print(json.dumps({"s": t, "peak_mb": peak, "fit_mb": peak - before,
                  "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "n_clusters": int(labels.max() + 1)}))
"""


def peak_rss(impl, name):
    """Fit time, peak RSS and RSS growth during fit, in a fresh interpreter."""
    n, d, eps, min_samples = CASES[name]
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, impl, str(n), str(d), str(eps), str(min_samples)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_peak_rss_dbscan(name):
    rows = {impl: peak_rss(impl, name) for impl in _impls()}
    print(f"\n{name}: " + json.dumps(rows))


if __name__ == "__main__":  # the table of docs/dbscan.md
    print("| data | impl | fit s | peak RSS MB | RSS growth in fit MB | clusters |")
    print("|---|---|---|---|---|---|")
    for name in sys.argv[1:] or CASES:
        for impl in _impls():
            r = peak_rss(impl, name)
            print(f"| {name} | {impl} | {r['s']:.3f} | {r['peak_mb']:.0f} | "
                  f"{r['fit_mb']:.0f} | {r['n_clusters']} |", flush=True)
