"""`fastml bench` rows for MiniBatchKMeans on built-in data."""

import numpy as np

from fastml._bench import BenchCase
from fastml._bench.kmeans import centers_parity


def _digits():
    from sklearn.datasets import load_digits

    return load_digits().data


def _uniform():
    return np.random.RandomState(0).uniform(size=(50_000, 16))


def _runner(module, k, **params):
    def run(X):
        import importlib

        MiniBatchKMeans = importlib.import_module(module).MiniBatchKMeans
        return MiniBatchKMeans(k, random_state=0, **params).fit(X)

    return run


# same random_state: same batches, so the same steps and centers
_parity = centers_parity("n_steps_")


CASES = [
    BenchCase("MiniBatchKMeans", data, make, _runner("fastml.cluster", k, **kw),
              _runner("sklearn.cluster", k, **kw), _parity)
    for data, make, k, kw in (
        ("digits 1797x64 k=10", _digits, 10, {}),
        ("uniform 50000x16 k=16 48 steps", _uniform, 16,
         {"max_no_improvement": None, "max_iter": 1}),
    )
]
