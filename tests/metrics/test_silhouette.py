"""silhouette_samples / silhouette_score: scikit-learn's values within 1e-10."""

import tracemalloc

import numpy as np
import pytest
from threadpoolctl import threadpool_limits
import sklearn.metrics
from numpy.testing import assert_allclose
from scipy import sparse
from sklearn import datasets
from sklearn.metrics import pairwise_distances
from sklearn.preprocessing import StandardScaler

from fastml.metrics import silhouette_samples, silhouette_score


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # the scikit-learn references run BLAS on tiny matrices: with threads on a
    # busy shared machine they spend most of their time waking them
    with threadpool_limits(limits=1, user_api="blas"):
        yield


REAL = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
}


@pytest.mark.parametrize("name", list(REAL))
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine", "chebyshev"])
def test_real_data_matches_sklearn(name, metric):
    X, y = REAL[name](return_X_y=True)
    X = StandardScaler().fit_transform(X) if name != "digits" else X
    ours = silhouette_samples(X, y, metric=metric)
    ref = sklearn.metrics.silhouette_samples(X, y, metric=metric)
    assert ours.dtype == ref.dtype
    assert_allclose(ours, ref, rtol=0, atol=1e-10)
    assert silhouette_score(X, y, metric=metric) == pytest.approx(
        sklearn.metrics.silhouette_score(X, y, metric=metric), abs=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_generated_awkward_labels(dtype, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    X = datasets.make_blobs(700, 5, centers=4, random_state=global_random_seed)[0]
    X = X.astype(dtype)
    # singleton clusters, string labels, many clusters
    y = rng.randint(0, 30, len(X)).astype(str)
    y[:3] = ["solo-a", "solo-b", "solo-c"]
    ours = silhouette_samples(X, y)
    ref = sklearn.metrics.silhouette_samples(X, y)
    assert ours.dtype == ref.dtype
    atol = 1e-10 if dtype == np.float64 else 1e-6
    assert_allclose(ours, ref, rtol=0, atol=atol)
    assert (ours[:3] == 0).all()


def test_duplicates_and_exact_zero_distances():
    X = np.repeat(np.random.RandomState(0).randint(0, 4, size=(60, 3)), 5, axis=0)
    y = np.arange(len(X)) % 4
    assert_allclose(silhouette_samples(X.astype(float), y),
                    sklearn.metrics.silhouette_samples(X.astype(float), y),
                    rtol=0, atol=1e-10)


def test_precomputed_dense_and_sparse():
    X, y = datasets.load_iris(return_X_y=True)
    D = pairwise_distances(X)
    ref = sklearn.metrics.silhouette_samples(D, y, metric="precomputed")
    assert_allclose(silhouette_samples(D, y, metric="precomputed"), ref, rtol=0, atol=1e-10)
    S = sparse.csr_matrix(D)
    assert_allclose(silhouette_samples(S, y, metric="precomputed"),
                    sklearn.metrics.silhouette_samples(S, y, metric="precomputed"),
                    rtol=0, atol=1e-10)
    assert_allclose(silhouette_samples(sparse.csr_matrix(X), y),
                    sklearn.metrics.silhouette_samples(sparse.csr_matrix(X), y),
                    rtol=0, atol=1e-10)


def test_callable_metric():
    X, y = datasets.load_iris(return_X_y=True)
    X, y = X[::3], y[::3]

    def metric(a, b):
        return np.abs(a - b).sum() ** 0.5

    assert_allclose(silhouette_samples(X, y, metric=metric),
                    sklearn.metrics.silhouette_samples(X, y, metric=metric),
                    rtol=0, atol=1e-10)


@pytest.mark.parametrize("sample_size", [10, 100, 149])
@pytest.mark.parametrize("metric", ["euclidean", "precomputed"])
def test_sample_size_draws_the_same_subset(sample_size, metric):
    X, y = datasets.load_iris(return_X_y=True)
    if metric == "precomputed":
        X = pairwise_distances(X)
    ours = silhouette_score(X, y, metric=metric, sample_size=sample_size, random_state=3)
    ref = sklearn.metrics.silhouette_score(X, y, metric=metric,
                                           sample_size=sample_size, random_state=3)
    assert ours == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_threads_do_not_change_values(n_jobs):
    X, y = datasets.make_blobs(1500, 8, centers=5, random_state=0)
    assert_allclose(silhouette_samples(X, y, n_jobs=n_jobs),
                    sklearn.metrics.silhouette_samples(X, y), rtol=0, atol=1e-10)


def test_memory_is_not_quadratic():
    n = 6000
    X, y = datasets.make_blobs(n, 4, centers=5, random_state=0)
    silhouette_samples(X[:100], y[:100])  # warm imports
    tracemalloc.start()
    silhouette_samples(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < n * n * 8 / 50  # an n x n matrix would be 288 MB


@pytest.mark.parametrize(
    "X, y, kwargs",
    [
        (np.ones((10, 2)), np.zeros(10), {}),  # one label
        (np.ones((10, 2)), np.arange(10), {}),  # as many labels as samples
        (np.array([[np.nan, 1.0], [1.0, 2.0], [0.0, 1.0]]), [0, 1, 1], {}),
        (np.ones((3, 3)), [0, 1, 1], {"metric": "precomputed"}),  # non-zero diagonal
        (np.ones((3, 2)), [0, 1], {}),  # inconsistent lengths
        (np.empty((0, 2)), [], {}),
    ],
)
def test_bad_input_raises_like_sklearn(X, y, kwargs):
    with pytest.raises(ValueError) as ref:
        sklearn.metrics.silhouette_samples(X, y, **kwargs)
    with pytest.raises(ValueError) as ours:
        silhouette_samples(X, y, **kwargs)
    assert type(ours.value) is type(ref.value)
    assert str(ours.value) == str(ref.value)
