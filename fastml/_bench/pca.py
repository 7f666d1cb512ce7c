"""`fastml bench` rows for PCA and LocallyLinearEmbedding on built-in data."""

import numpy as np

from fastml._bench import BenchCase


def _digits():
    from sklearn.datasets import load_digits

    return load_digits().data


def _swiss():
    from sklearn.datasets import make_swiss_roll

    return make_swiss_roll(1500, random_state=0)[0]


def _pca(module, **kw):
    def run(X):
        return getattr(module(), "PCA")(**kw).fit(X).components_

    return run


def _fm_decomp():
    import fastml.decomposition

    return fastml.decomposition


def _sk_decomp():
    import sklearn.decomposition

    return sklearn.decomposition


def _lle(module):
    def run(X):
        return module().LocallyLinearEmbedding(n_neighbors=12, random_state=0).fit(X).embedding_

    return run


def _fm_manifold():
    import fastml.manifold

    return fastml.manifold


def _sk_manifold():
    import sklearn.manifold

    return sklearn.manifold


def _angle(a, b):
    from scipy.linalg import subspace_angles

    return f"max angle={np.rad2deg(subspace_angles(a, b)).max():.1e} deg"


CASES = [
    BenchCase("PCA(10)", "digits", _digits, _pca(_fm_decomp, n_components=10),
              _pca(_sk_decomp, n_components=10),
              lambda a, b: f"max|d|={np.abs(a - b).max():.1e}"),
    BenchCase("PCA(10, randomized)", "digits", _digits,
              _pca(_fm_decomp, n_components=10, svd_solver="randomized", random_state=0),
              _pca(_sk_decomp, n_components=10, svd_solver="randomized", random_state=0),
              lambda a, b: f"max|d|={np.abs(a - b).max():.1e}"),
    BenchCase("LocallyLinearEmbedding", "swiss roll 1500", _swiss, _lle(_fm_manifold),
              _lle(_sk_manifold), _angle, repeat=1),
]
