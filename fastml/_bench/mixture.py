"""`fastml bench` rows for GaussianMixture (same start as scikit-learn)."""

import numpy as np

from fastml._bench import BenchCase


def _blobs():
    from sklearn.datasets import make_blobs

    X = make_blobs(5000, 8, centers=4, random_state=0)[0]
    return X, X[np.random.RandomState(0).choice(len(X), 4, replace=False)]


def _run(module):
    def run(data):
        import importlib

        X, means = data
        GM = importlib.import_module(module).GaussianMixture
        return GM(4, means_init=means, tol=1e-6, max_iter=200, random_state=0).fit(X)

    return run


def _parity(ours, theirs):
    return f"max abs dmeans={np.abs(ours.means_ - theirs.means_).max():.1e}"


CASES = [
    BenchCase("GaussianMixture", "blobs 5000x8 full", _blobs,
              _run("fastml.mixture"), _run("sklearn.mixture"), _parity),
]
