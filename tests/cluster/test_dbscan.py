"""DBSCAN: labels (numbering included) and core samples identical to scikit-learn's."""

import pickle

import numpy as np
import pytest
from threadpoolctl import threadpool_limits
import sklearn.cluster
from numpy.testing import assert_array_equal
from scipy import sparse
from sklearn import datasets
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import NearestNeighbors, radius_neighbors_graph
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastml.cluster import DBSCAN, dbscan
from fastml.utils._testing import sklearn_xfails


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # the scikit-learn references run BLAS on tiny matrices: with threads on a
    # busy shared machine they spend most of their time waking them
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def assert_same_as_sklearn(X, sample_weight=None, **params):
    ours = DBSCAN(**params).fit(X, sample_weight=sample_weight)
    ref = sklearn.cluster.DBSCAN(**params).fit(X, sample_weight=sample_weight)
    assert_array_equal(ours.core_sample_indices_, ref.core_sample_indices_)
    assert_array_equal(ours.labels_, ref.labels_)
    assert ours.labels_.dtype == ref.labels_.dtype
    assert ours.core_sample_indices_.dtype == ref.core_sample_indices_.dtype
    if sparse.issparse(ref.components_):
        assert_array_equal(ours.components_.toarray(), ref.components_.toarray())
    else:
        assert_array_equal(ours.components_, ref.components_)
        assert ours.components_.dtype == ref.components_.dtype
    return ref


def _scaled(loader):
    return StandardScaler().fit_transform(loader().data)


# (data, eps, min_samples) chosen so that there are several clusters, noise
# and border samples (checked by test_cases_are_not_trivial)
REAL = {
    "iris": (lambda: _scaled(datasets.load_iris), 0.5, 5),
    "wine": (lambda: _scaled(datasets.load_wine), 2.2, 5),
    "breast_cancer": (lambda: _scaled(datasets.load_breast_cancer), 2.5, 5),
    "digits": (lambda: datasets.load_digits().data, 20.0, 5),
}


def _generated(kind, d, seed=0):
    if kind == "blobs":
        n = 2000 if d <= 10 else 1000
        X = datasets.make_blobs(n, d, centers=6, cluster_std=1.5, random_state=seed)[0]
        return X, 8
    if kind == "moons":
        X = datasets.make_moons(1500, noise=0.1, random_state=seed)[0]
    else:
        X = datasets.make_circles(1500, noise=0.06, factor=0.5, random_state=seed)[0]
    if d > 2:  # embed in d dimensions with a random rotation and small noise
        rng = np.random.RandomState(seed)
        Q = np.linalg.qr(rng.randn(d, d))[0][:2]
        X = (X @ Q + 0.01 * rng.randn(len(X), d))[: 1500 if d <= 10 else 800]
    return X, 6


def _eps_for(X, metric, min_samples, p=None, quantile=60):
    # a percentile of the distances to the min_samples-th neighbor: some
    # samples are core, some are not, whatever the metric and dimension
    nn = NearestNeighbors(n_neighbors=min_samples, metric=metric, p=p or 2).fit(X)
    return float(np.percentile(nn.kneighbors(X)[0][:, -1], quantile))


METRICS = ["euclidean", "manhattan", "chebyshev", "minkowski", "cosine"]


@pytest.mark.parametrize("name", list(REAL))
@pytest.mark.parametrize("metric", [
    *METRICS[:3], pytest.param("minkowski", marks=pytest.mark.slow), "cosine"])
def test_real_data_matches_sklearn(name, metric):
    load, eps, min_samples = REAL[name]
    X = load()
    p = 3 if metric == "minkowski" else None
    if metric == "minkowski" and name == "digits":
        X = X[:600]  # pow() in 64 dimensions is slow for sklearn and fastml alike
    if metric != "euclidean":
        eps = _eps_for(X, metric, min_samples, p)
    assert_same_as_sklearn(X, eps=eps, min_samples=min_samples, metric=metric, p=p)


# 64-D with manhattan/chebyshev/minkowski is slow for sklearn and fastml alike:
# those run with -m slow; the default run keeps 64-D euclidean and cosine
GENERATED = [
    pytest.param(kind, d, metric, marks=[pytest.mark.slow]
                 if d == 64 and metric not in ("euclidean", "cosine") else [])
    for kind in ["blobs", "moons", "circles"] for d in [2, 3, 10, 64] for metric in METRICS
]


@pytest.mark.parametrize("kind, d, metric", GENERATED)
def test_generated_data_matches_sklearn(kind, d, metric, global_random_seed):
    X, min_samples = _generated(kind, d, global_random_seed)
    if metric == "minkowski" and d == 64:
        X = X[:500]  # pow() in 64 dimensions is slow for sklearn and fastml alike
    p = 1.5 if metric == "minkowski" else None
    eps = _eps_for(X, metric, min_samples, p)
    ref = assert_same_as_sklearn(X, eps=eps, min_samples=min_samples, metric=metric, p=p)
    assert ref.labels_.max() >= 0 and (ref.labels_ == -1).any()


def test_cases_are_not_trivial():
    for load, eps, min_samples in REAL.values():
        labels = sklearn.cluster.DBSCAN(eps=eps, min_samples=min_samples).fit(load()).labels_
        assert labels.max() >= 1 and (labels == -1).any()


def _many_borders(seed):
    # dense clumps joined by sparse bridges: many border samples are within
    # eps of core samples of two different clusters
    rng = np.random.RandomState(seed)
    centers = rng.uniform(0, 10, size=(40, 2))
    X = np.vstack([c + 0.15 * rng.randn(25, 2) for c in centers])
    X = np.vstack([X, rng.uniform(0, 10, size=(1500, 2))])
    return X[rng.permutation(len(X))]


@pytest.mark.parametrize("min_samples", [4, 8, 15])
def test_border_samples_go_to_the_first_cluster(min_samples, global_random_seed):
    X = _many_borders(global_random_seed)
    ref = assert_same_as_sklearn(X, eps=0.35, min_samples=min_samples)
    # the data really has shared border samples
    core = np.zeros(len(X), bool)
    core[ref.core_sample_indices_] = True
    D = pairwise_distances(X[~core & (ref.labels_ >= 0)], X[core]) <= 0.35
    touching = [len(set(ref.labels_[core][row])) for row in D]
    assert max(touching) >= 2


def test_integer_lattice_with_exact_ties():
    # distances exactly equal to eps are neighbors, as in sklearn (<= eps)
    g = np.arange(30, dtype=float)
    X = np.array([(a, b) for a in g for b in g if (a * 7 + b * 3) % 5])
    assert_same_as_sklearn(X, eps=1.0, min_samples=4)
    assert_same_as_sklearn(X, eps=1.0, min_samples=5, metric="manhattan")
    assert_same_as_sklearn(X, eps=1.0, min_samples=7, metric="chebyshev")


def test_duplicates_and_constant_columns():
    rng = np.random.RandomState(0)
    X = np.repeat(rng.uniform(0, 4, size=(300, 3)), rng.randint(1, 6, 300), axis=0)
    X[:, 1] = 2.0
    X = X[rng.permutation(len(X))]
    for metric in METRICS:
        assert_same_as_sklearn(X, eps=0.3 if metric != "cosine" else 0.01,
                               min_samples=6, metric=metric,
                               p=3 if metric == "minkowski" else None)


def test_sample_weights_match_sklearn(global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    X = datasets.make_blobs(1500, 2, centers=5, random_state=global_random_seed)[0]
    w = rng.randint(0, 4, len(X)).astype(float)
    assert_same_as_sklearn(X, sample_weight=w, eps=0.3, min_samples=10)
    # a heavy sample is core on its own; negative weights inhibit neighbors
    w = np.ones(len(X))
    w[::50] = 20
    w[1::7] = -2
    assert_same_as_sklearn(X, sample_weight=w, eps=0.3, min_samples=5)
    assert_same_as_sklearn(X, sample_weight=w, eps=0.3, min_samples=5, metric="cosine")
    D = pairwise_distances(X)
    assert_same_as_sklearn(D, sample_weight=w, eps=0.3, min_samples=5, metric="precomputed")


def test_float32_matches_sklearn():
    X = datasets.make_blobs(2000, 3, centers=5, random_state=0)[0].astype(np.float32)
    ref = assert_same_as_sklearn(X, eps=0.4, min_samples=8)
    assert ref.components_.dtype == np.float32


@pytest.mark.parametrize("n_jobs", [1, 2, -1])
def test_threads_do_not_change_labels(n_jobs, monkeypatch):
    import fastml.cluster._dbscan as module

    monkeypatch.setattr(module, "_SAMPLES_PER_THREAD", 1)  # threads even when small
    X = _many_borders(0)
    ours = DBSCAN(eps=0.35, min_samples=6, n_jobs=n_jobs).fit(X)
    ref = DBSCAN(eps=0.35, min_samples=6, n_jobs=1).fit(X)
    assert_array_equal(ours.labels_, ref.labels_)


def test_precomputed_dense_and_sparse():
    X = datasets.make_blobs(600, 2, centers=4, random_state=1)[0]
    D = pairwise_distances(X)
    assert_same_as_sklearn(D, eps=0.4, min_samples=6, metric="precomputed")
    for include_self in [True, False]:
        G = radius_neighbors_graph(X, 0.5, mode="distance", include_self=include_self)
        assert_same_as_sklearn(G, eps=0.4, min_samples=6, metric="precomputed")
    G = radius_neighbors_graph(X, 0.4, mode="distance")
    before = G.copy()
    DBSCAN(eps=0.4, metric="precomputed").fit(G)
    assert_array_equal(G.toarray(), before.toarray())  # input not modified


def test_sparse_features_and_generic_metrics():
    X = datasets.make_blobs(400, 5, centers=3, random_state=2)[0]
    assert_same_as_sklearn(sparse.csr_matrix(X), eps=1.5, min_samples=5)
    assert_same_as_sklearn(X, eps=1.5, min_samples=5, metric="sqeuclidean")
    assert_same_as_sklearn(X[:120], eps=1.5, min_samples=5,
                           metric=lambda a, b: np.abs(a - b).max())
    assert_same_as_sklearn(X, eps=1.5, min_samples=5, metric="minkowski",
                           metric_params={"p": 1})


def test_dbscan_function_matches_sklearn():
    X = _many_borders(1)
    core, labels = dbscan(X, eps=0.35, min_samples=6)
    ref_core, ref_labels = sklearn.cluster.dbscan(X, eps=0.35, min_samples=6)
    assert_array_equal(core, ref_core)
    assert_array_equal(labels, ref_labels)


def test_no_core_samples():
    X = np.random.RandomState(0).rand(50, 3)
    ref = assert_same_as_sklearn(X, eps=1e-6, min_samples=3)
    assert ref.components_.shape == (0, 3)
    assert_same_as_sklearn(sparse.csr_matrix(X), eps=1e-6, min_samples=3)


def test_huge_extent_relative_to_eps():
    # more cells than fit a grid: the cell side grows, results do not change
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(500, 2) * 1e-3, rng.randn(500, 2) * 1e-3 + 1e9])
    assert_same_as_sklearn(X, eps=5e-4, min_samples=5)


@pytest.mark.parametrize(
    "params, err",
    [
        ({"eps": 0.0}, InvalidParameterError),
        ({"eps": -1.0}, InvalidParameterError),
        ({"min_samples": 0}, InvalidParameterError),
        ({"metric": "not-a-metric"}, InvalidParameterError),
        ({"algorithm": "kd_tree", "metric": "cosine"}, ValueError),
    ],
)
def test_invalid_parameters_raise_like_sklearn(params, err):
    X = np.random.RandomState(0).rand(20, 2)
    with pytest.raises(err):
        sklearn.cluster.DBSCAN(**params).fit(X)
    with pytest.raises(err):
        DBSCAN(**params).fit(X)


@pytest.mark.parametrize(
    "X, params",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), {}),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), {}),
        (np.empty((0, 2)), {}),
        (np.arange(5.0), {}),
        (np.ones((3, 4)), {"metric": "precomputed"}),
        (-np.ones((3, 3)), {"metric": "precomputed"}),
    ],
)
def test_bad_input_raises_like_sklearn(X, params):
    with pytest.raises(ValueError) as ref:
        sklearn.cluster.DBSCAN(**params).fit(X)
    with pytest.raises(ValueError) as ours:
        DBSCAN(**params).fit(X)
    assert type(ours.value) is type(ref.value)


def test_pickle_roundtrip():
    est = DBSCAN(eps=0.35, min_samples=6).fit(_many_borders(2))
    again = pickle.loads(pickle.dumps(est))
    assert_array_equal(again.labels_, est.labels_)
    assert_array_equal(again.fit_predict(_many_borders(2)), est.labels_)


@pytest.mark.parametrize("seed", range(20))
def test_random_small_inputs(seed):
    # awkward shapes: tiny n, d 1..5, coarse values so ties and duplicates abound
    rng = np.random.RandomState(seed)
    n, d = rng.randint(1, 60), rng.randint(1, 6)
    X = np.round(rng.randn(n, d) * 2) / 2
    eps = float(rng.choice([0.5, 1.0, 1.5]))
    for metric in ["euclidean", "manhattan", "chebyshev"]:
        assert_same_as_sklearn(X, eps=eps, min_samples=int(rng.randint(1, 6)),
                               metric=metric)


@parametrize_with_checks([DBSCAN()], expected_failed_checks=sklearn_xfails)
def test_sklearn_compatible(estimator, check):
    check(estimator)
