"""Pairwise distances: fastml beside scikit-learn (and bare numpy / torch / sklearnex).

Sizes from issue 3: X 20000x64 against Y 2000x64. Run with
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE pytest benchmarks/test_bench_pairwise.py``.
Nothing here asserts on time.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sklearn.metrics as skm

import fastml.metrics as fm

N_X, N_Y, D = 20000, 2000, 64


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["float64", "float32"])
def data(request):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_X, D)).astype(request.param)
    Y = rng.standard_normal((N_Y, D)).astype(request.param)
    return X, Y


def _euclidean_impls():
    impls = {
        "fastml": fm.euclidean_distances,
        "sklearn": skm.euclidean_distances,
        "numpy X@Y.T": lambda X, Y: X @ Y.T,  # the floor: the bare product
    }
    try:
        import torch

        impls["torch cdist"] = lambda X, Y: torch.cdist(
            torch.from_numpy(X), torch.from_numpy(Y)).numpy()
    except ImportError:
        pass
    return impls


@pytest.mark.parametrize("impl", list(_euclidean_impls()))
def test_euclidean_distances(benchmark, data, impl):
    X, Y = data
    benchmark.group = f"euclidean_distances 20000x64 vs 2000x64 {X.dtype}"
    benchmark.pedantic(_euclidean_impls()[impl], args=(X, Y), rounds=5, warmup_rounds=1)


@pytest.mark.parametrize("metric", ["manhattan", "chebyshev", "cosine"])
@pytest.mark.parametrize("impl", ["fastml", "sklearn"])
def test_pairwise_distances_other_metrics(benchmark, impl, metric):
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((5000, 64)), rng.standard_normal((2000, 64))
    fn = fm.pairwise_distances if impl == "fastml" else skm.pairwise_distances
    benchmark.group = f"pairwise_distances {metric} 5000x64 vs 2000x64 float64"
    benchmark.pedantic(fn, args=(X, Y), kwargs={"metric": metric}, rounds=3, warmup_rounds=1)


@pytest.mark.parametrize("impl", ["fastml", "sklearn"])
def test_argmin_min(benchmark, data, impl):
    X, Y = data
    fn = fm.pairwise_distances_argmin_min if impl == "fastml" else skm.pairwise_distances_argmin_min
    benchmark.group = f"pairwise_distances_argmin_min 20000x64 vs 2000x64 {X.dtype}"
    benchmark.pedantic(fn, args=(X, Y), rounds=5, warmup_rounds=1)


_PEAK = textwrap.dedent(
    """
    import sys
    import numpy as np
    mod = __import__(sys.argv[1] + ".metrics", fromlist=["x"])

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) / 1024

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((200000, 16)), rng.standard_normal((4000, 16))
    mod.pairwise_distances_argmin_min(X[:100], Y)  # lazy imports and caches first
    before = status("VmRSS")
    open("/proc/self/clear_refs", "w").write("5")  # reset the peak (VmHWM)
    mod.pairwise_distances_argmin_min(X, Y)
    print(status("VmHWM") - before)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("impl", ["fastml", "sklearn"])
def test_argmin_min_peak_memory(benchmark, impl):
    """Peak RSS growth (MiB) of argmin_min on 200000x16 vs 4000x16, in a fresh process.

    The 200000 x 4000 float64 matrix it must not build would be 6100 MiB.
    """
    benchmark.group = "argmin_min peak RSS growth, 200000x16 vs 4000x16 (extra_info MiB)"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fm.__file__)))

    def run():
        out = subprocess.run([sys.executable, "-c", _PEAK, impl], capture_output=True,
                             text=True, check=True, env=env)
        return float(out.stdout.strip())

    mib = benchmark.pedantic(run, rounds=1)
    benchmark.extra_info["peak_rss_growth_mib"] = mib
    print(f"\n{impl}: argmin_min peak RSS growth {mib:.1f} MiB")
