"""`fastml bench` rows for KMeans (lloyd and elkan) on built-in data."""

import numpy as np

from fastml._bench import BenchCase


def _digits():
    from sklearn.datasets import load_digits

    X = load_digits().data
    return X, X[np.linspace(0, len(X) - 1, 10).astype(int)].copy()


def _uniform():
    X = np.random.RandomState(0).uniform(size=(100_000, 16))
    return X, X[:16].copy()


def _runner(module, algorithm, **params):
    def run(data):
        import importlib

        X, init = data
        KMeans = importlib.import_module(module).KMeans
        return KMeans(len(init), init=init, n_init=1, algorithm=algorithm, **params).fit(X)

    return run


def centers_parity(counter):
    """Parity of two fitted k-means models: ARI of the labels, the largest
    centre difference relative to the centres, and whether ``counter``
    (``n_iter_``, ``n_steps_``) agrees."""

    def parity(ours, theirs):
        from sklearn.metrics import adjusted_rand_score

        same = "" if getattr(ours, counter) == getattr(theirs, counter) else (
            f" {counter[:-1]} differs")
        ari = adjusted_rand_score(theirs.labels_, ours.labels_)
        rel = np.abs(ours.cluster_centers_ - theirs.cluster_centers_).max() / np.abs(
            theirs.cluster_centers_).max()
        return f"ARI={ari:.3f} max|dC|/|C|={rel:.0e}{same}"

    return parity


_parity = centers_parity("n_iter_")


CASES = [
    BenchCase(f"KMeans({alg})", data, make, _runner("fastml.cluster", alg, **kw),
              _runner("sklearn.cluster", alg, **kw), _parity)
    for alg in ("lloyd", "elkan")
    for data, make, kw in (
        ("digits 1797x64 k=10", _digits, {}),
        ("uniform 100000x16 k=16 20 it", _uniform, {"max_iter": 20, "tol": 0}),
    )
]
