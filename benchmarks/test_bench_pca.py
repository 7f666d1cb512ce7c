"""PCA 100000 x 100, 10 components: fastml beside scikit-learn and scikit-learn-intelex."""

import numpy as np
import pytest
import sklearn.decomposition as sk_decomposition

from fastml.decomposition import PCA


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    return rng.randn(100_000, 100) @ rng.randn(100, 100)


def _peers():
    peers = [("fastml", PCA), ("sklearn", sk_decomposition.PCA)]
    try:
        from sklearnex.decomposition import PCA as ExPCA

        peers.append(("sklearnex", ExPCA))
    except ImportError:
        pass
    return peers


@pytest.mark.benchmark(group="PCA 100000x100 n_components=10")
@pytest.mark.parametrize("name, cls", _peers(), ids=lambda p: p if isinstance(p, str) else "")
def test_pca_fit_transform(benchmark, data, name, cls):
    out = benchmark.pedantic(lambda: cls(10).fit_transform(data), rounds=3, iterations=1)
    assert out.shape == (100_000, 10)


@pytest.mark.benchmark(group="PCA randomized 100000x100 n_components=10")
@pytest.mark.parametrize("name, cls", _peers()[:2], ids=lambda p: p if isinstance(p, str) else "")
def test_pca_randomized(benchmark, data, name, cls):
    out = benchmark.pedantic(
        lambda: cls(10, svd_solver="randomized", random_state=0).fit_transform(data),
        rounds=1,
        iterations=1,
    )
    assert out.shape == (100_000, 10)


@pytest.fixture(scope="module")
def regression():
    from sklearn.datasets import make_regression

    return make_regression(100_000, 100, random_state=0)[0]


@pytest.mark.benchmark(group="PCA(10).fit make_regression 100000x100 (issue 6)")
@pytest.mark.parametrize("name, cls", _peers(), ids=lambda p: p if isinstance(p, str) else "")
def test_pca_fit_issue6(benchmark, regression, name, cls):
    # 'auto' picks covariance_eigh here, in scikit-learn 1.9 as in fastml
    est = benchmark.pedantic(lambda: cls(10).fit(regression), rounds=5, iterations=1)
    assert est.components_.shape == (10, 100)
