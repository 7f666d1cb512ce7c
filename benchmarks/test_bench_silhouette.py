"""silhouette_score beside scikit-learn at 20000 x 32 (time and peak memory).

Memory: each implementation runs in a fresh subprocess; the number reported is
the peak RSS and its growth during the call (``resource.getrusage``).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/test_bench_silhouette.py
"""

import json
import subprocess
import sys

import pytest
import sklearn.metrics
from sklearn.datasets import make_blobs

import fastml.metrics

CASES = {"blobs20000x32": (20_000, 32, 8)}


def _data(name):
    n, d, k = CASES[name]
    return make_blobs(n, d, centers=k, random_state=0)


@pytest.mark.parametrize("impl", ["fastml", "sklearn"])
@pytest.mark.parametrize("name", list(CASES))
def test_bench_silhouette(benchmark, name, impl):
    X, y = _data(name)
    fn = {"fastml": fastml.metrics.silhouette_score,
          "sklearn": sklearn.metrics.silhouette_score}[impl]
    benchmark.group = f"silhouette {name}"
    value = benchmark.pedantic(fn, args=(X, y), rounds=1, iterations=1)
    benchmark.extra_info["value"] = value


_CHILD = r"""
import json, resource, sys, time
from sklearn.datasets import make_blobs
impl, n, d, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if impl == "fastml":
    from fastml.metrics import silhouette_score
else:
    from sklearn.metrics import silhouette_score
X, y = make_blobs(n, d, centers=k, random_state=0)
silhouette_score(X[:500], y[:500])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
value = silhouette_score(X, y)
t = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"s": t, "peak_mb": peak / 1024, "growth_mb": (peak - before) / 1024,
                  "value": value}))
"""


def peak_rss(impl, name):
    n, d, k = CASES[name]
    out = subprocess.run([sys.executable, "-c", _CHILD, impl, str(n), str(d), str(k)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_peak_rss_silhouette(name):
    print(f"\n{name}: " + json.dumps({i: peak_rss(i, name) for i in ["fastml", "sklearn"]}))


if __name__ == "__main__":
    print("| data | impl | s | peak RSS MB | RSS growth MB | value |")
    print("|---|---|---|---|---|---|")
    for name in CASES:
        for impl in ["fastml", "sklearn"]:
            r = peak_rss(impl, name)
            print(f"| {name} | {impl} | {r['s']:.3f} | {r['peak_mb']:.0f} | "
                  f"{r['growth_mb']:.0f} | {r['value']:.12f} |", flush=True)
