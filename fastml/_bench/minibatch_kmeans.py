"""`fastml bench` rows for MiniBatchKMeans on built-in data."""

import numpy as np

from fastml._bench import BenchCase


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


def _parity(ours, theirs):
    """Same random_state: same batches, so the same steps and centers."""
    from sklearn.metrics import adjusted_rand_score

    same_steps = "" if ours.n_steps_ == theirs.n_steps_ else " n_steps differs"
    ari = adjusted_rand_score(theirs.labels_, ours.labels_)
    rel = np.abs(ours.cluster_centers_ - theirs.cluster_centers_).max() / np.abs(
        theirs.cluster_centers_).max()
    return f"ARI={ari:.3f} max|dC|/|C|={rel:.0e}{same_steps}"


CASES = [
    BenchCase("MiniBatchKMeans", data, make, _runner("fastml.cluster", k, **kw),
              _runner("sklearn.cluster", k, **kw), _parity)
    for data, make, k, kw in (
        ("digits 1797x64 k=10", _digits, 10, {}),
        ("uniform 50000x16 k=16 48 steps", _uniform, 16,
         {"max_no_improvement": None, "max_iter": 1}),
    )
]
