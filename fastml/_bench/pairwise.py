"""`fastml bench` rows for fastml.metrics.pairwise on built-in data."""

import numpy as np

from fastml._bench import BenchCase


def _digits():
    from sklearn.datasets import load_digits

    X = load_digits().data
    return X, X[:300]


def _digits_tiled():
    X, _ = _digits()
    return np.tile(X, (4, 1)), X  # 7188 x 64 vs 1797 x 64


def _max_abs(a, b):
    return f"max|d|={np.abs(np.asarray(a) - np.asarray(b)).max():.1e}"


def _argmin_parity(a, b):
    same = np.mean(a[0] == b[0])
    return f"same argmin={same:.3f}, max|d|={np.abs(a[1] - b[1]).max():.1e}"


def _case(estimator, data, make, fn_name, parity, **kw):
    def run(module_name):
        def call(d):
            mod = __import__(module_name, fromlist=[fn_name])
            return getattr(mod, fn_name)(*d, **kw)

        return call

    return BenchCase(estimator, data, make, run("fastml.metrics"), run("sklearn.metrics"),
                     parity)


CASES = [
    _case("euclidean_distances", "digits 7188x64 vs 1797", _digits_tiled,
          "euclidean_distances", _max_abs),
    _case("pairwise_distances manhattan", "digits 1797x64 vs 300", _digits,
          "pairwise_distances", _max_abs, metric="manhattan"),
    _case("pairwise_distances cosine", "digits 7188x64 vs 1797", _digits_tiled,
          "pairwise_distances", _max_abs, metric="cosine"),
    _case("pairwise_distances_argmin_min", "digits 7188x64 vs 1797", _digits_tiled,
          "pairwise_distances_argmin_min", _argmin_parity),
]
