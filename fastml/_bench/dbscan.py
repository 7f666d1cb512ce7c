"""`fastml bench` rows for DBSCAN (small built-in and generated data)."""

import numpy as np

from fastml._bench import BenchCase


def _blobs():
    from sklearn.datasets import make_blobs

    return make_blobs(20000, 2, centers=10, random_state=0)[0], 0.3, 10


def _blobs64():
    from sklearn.datasets import make_blobs

    return make_blobs(5000, 64, centers=10, random_state=0)[0], 9.0, 10


def _digits():
    from sklearn.datasets import load_digits

    return load_digits().data, 20.0, 5


def _run(module):
    def run(data):
        import importlib

        X, eps, min_samples = data
        DBSCAN = importlib.import_module(module).DBSCAN
        return DBSCAN(eps=eps, min_samples=min_samples).fit(X)

    return run


def _parity(ours, theirs):
    same = np.array_equal(ours.labels_, theirs.labels_) and np.array_equal(
        ours.core_sample_indices_, theirs.core_sample_indices_)
    return "labels identical" if same else "LABELS DIFFER"


CASES = [
    BenchCase("DBSCAN", "blobs 20000x2", _blobs, _run("fastml.cluster"),
              _run("sklearn.cluster"), _parity),
    BenchCase("DBSCAN", "digits 1797x64", _digits, _run("fastml.cluster"),
              _run("sklearn.cluster"), _parity),
    BenchCase("DBSCAN", "blobs 5000x64", _blobs64, _run("fastml.cluster"),
              _run("sklearn.cluster"), _parity),
]
