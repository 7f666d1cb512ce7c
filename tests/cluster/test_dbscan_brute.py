"""DBSCAN's blocked brute-force path (dense euclidean, > 15 features or
algorithm="brute", and "sqeuclidean"): same labels as scikit-learn, whose
NearestNeighbors answers these settings by its GEMM-based brute force."""

import numpy as np
import pytest
import sklearn.cluster
from numpy.testing import assert_array_equal
from sklearn import datasets
from threadpoolctl import threadpool_limits

from fastml.cluster import DBSCAN
from fastml.cluster import _dbscan


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def assert_same_as_sklearn(X, sample_weight=None, **params):
    ours = DBSCAN(**params).fit(X, sample_weight=sample_weight)
    ref = sklearn.cluster.DBSCAN(**params).fit(X, sample_weight=sample_weight)
    assert_array_equal(ours.core_sample_indices_, ref.core_sample_indices_)
    assert_array_equal(ours.labels_, ref.labels_)
    assert_array_equal(ours.components_, ref.components_)
    return ref


@pytest.fixture
def brute_calls(monkeypatch):
    """Count calls of the brute path, so tests fail if it is not taken."""
    calls = []
    real = _dbscan._brute_labels

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(_dbscan, "_brute_labels", spy)
    return calls


def _not_trivial(ref):
    labels = ref.labels_
    assert labels.max() >= 1 and (labels == -1).any()
    border = np.setdiff1d(np.flatnonzero(labels >= 0), ref.core_sample_indices_)
    assert len(border) > 0


@pytest.mark.parametrize("eps", [15.0, 20.0, 23.0])
def test_digits_matches_sklearn(eps, brute_calls):
    X = datasets.load_digits().data
    _not_trivial(assert_same_as_sklearn(X, eps=eps, min_samples=5))
    assert brute_calls


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d", [32, 64, 100])
def test_blobs_match_sklearn(d, dtype, global_random_seed, brute_calls):
    X, _ = datasets.make_blobs(1500, d, centers=5, cluster_std=1.0,
                               random_state=global_random_seed)
    X = X.astype(dtype)
    # 2 * sqrt(d) is about the typical within-blob distance: a mix of core,
    # border and noise samples
    eps = 1.3 * np.sqrt(d)
    _not_trivial(assert_same_as_sklearn(X, eps=eps, min_samples=8))
    assert brute_calls


def test_sample_weight_matches_sklearn(global_random_seed, brute_calls):
    rng = np.random.RandomState(global_random_seed)
    X, _ = datasets.make_blobs(800, 20, centers=4, random_state=global_random_seed)
    for weight in (rng.randint(0, 4, len(X)), rng.uniform(-1, 3, len(X)).round(1)):
        assert_same_as_sklearn(X, sample_weight=weight, eps=6.0, min_samples=6)
    assert brute_calls


def test_duplicates_all_noise_one_cluster(brute_calls):
    rng = np.random.RandomState(0)
    X = np.repeat(rng.randn(50, 20), 3, axis=0)[rng.permutation(150)]
    ref = assert_same_as_sklearn(X, eps=0.1, min_samples=3)  # duplicates only
    assert ref.labels_.max() == 49
    ref = assert_same_as_sklearn(X, eps=0.1, min_samples=4)  # all noise
    assert (ref.labels_ == -1).all()
    ref = assert_same_as_sklearn(X, eps=100.0, min_samples=4)  # one cluster
    assert (ref.labels_ == 0).all()
    assert brute_calls


def test_eps_exactly_a_pairwise_distance(brute_calls):
    # integer lattice in 20-D: squared distances are small integers that the
    # GEMM formula gives exactly, so eps = 2 puts samples at distance exactly
    # 2 inside the neighborhood (<=), as sklearn's brute force does
    rng = np.random.RandomState(0)
    X = rng.randint(0, 2, size=(400, 20)).astype(float)
    for eps in (1.0, 2.0, np.sqrt(3.0)):
        assert_same_as_sklearn(X, eps=eps, min_samples=4)
    assert brute_calls


@pytest.mark.parametrize("metric, algorithm, d", [
    ("euclidean", "brute", 3), ("minkowski", "brute", 5), ("l2", "auto", 20),
    ("sqeuclidean", "auto", 4), ("sqeuclidean", "brute", 30)])
def test_brute_settings_match_sklearn(metric, algorithm, d, brute_calls):
    X, _ = datasets.make_blobs(600, d, centers=4, random_state=0)
    eps = float(d) if metric == "sqeuclidean" else 1.2 * np.sqrt(d)
    p = 2 if metric == "minkowski" else None  # sklearn's brute rejects p=None
    assert_same_as_sklearn(X, eps=eps, min_samples=6, metric=metric,
                           algorithm=algorithm, p=p)
    assert brute_calls


@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree"])
def test_trees_keep_the_exact_grid(algorithm, brute_calls):
    # sklearn's trees compute exact differences: so does the grid
    X, _ = datasets.make_blobs(300, 20, centers=3, random_state=0)
    assert_same_as_sklearn(X, eps=5.0, min_samples=5, algorithm=algorithm)
    assert not brute_calls


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_threads_and_tile_edges(n_jobs, monkeypatch):
    # sizes around the 256-row tiles and 2048-column tiles; threads even on
    # inputs this small
    monkeypatch.setattr(_dbscan, "_BRUTE_WORK_PER_THREAD", 1.0)
    for n in (1, 2, 255, 257, 2049):
        X, _ = datasets.make_blobs(n, 17, centers=3, random_state=n)
        assert_same_as_sklearn(X, eps=4.5, min_samples=3, n_jobs=n_jobs)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_block_pruning_many_clusters(n_jobs, global_random_seed, monkeypatch):
    # many clusters of unequal spread: blocks straddle clusters, ball bounds
    # prune most tile pairs, and the answers must not change
    monkeypatch.setattr(_dbscan, "_BRUTE_WORK_PER_THREAD", 1.0)
    rng = np.random.RandomState(global_random_seed)
    X, _ = datasets.make_blobs(3000, 24, centers=40, center_box=(-6, 6),
                               cluster_std=rng.uniform(0.3, 1.2, 40),
                               random_state=global_random_seed)
    _not_trivial(assert_same_as_sklearn(X, eps=3.0, min_samples=6, n_jobs=n_jobs))


def test_block_order_is_a_partition_into_small_compact_blocks():
    X, _ = datasets.make_blobs(5000, 20, centers=7, random_state=0)
    order, starts = _dbscan._block_order(X)
    assert_array_equal(np.sort(order), np.arange(len(X)))
    sizes = np.diff(starts)
    assert starts[0] == 0 and starts[-1] == len(X)
    assert sizes.min() > 0 and sizes.max() <= 256
    _, _, radii = _dbscan._block_balls(np.ascontiguousarray(X[order]), starts)
    # blobs have radius ~ sqrt(20) * 3: blocks must mostly stay inside one
    assert np.median(radii) < 20
