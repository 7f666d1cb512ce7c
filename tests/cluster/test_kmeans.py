"""fastml.cluster.KMeans against sklearn.cluster.KMeans."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.cluster
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_blobs,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastml._cy import _kmeans_common
from fastml.cluster import KMeans, kmeans_plusplus
from fastml.utils._testing import sklearn_xfails


def _datasets():
    blobs = make_blobs(3000, n_features=7, centers=6, cluster_std=2.5, random_state=0)[0]
    return {
        "iris": (load_iris().data, 3),
        "digits": (load_digits().data, 10),
        "wine": (load_wine().data, 4),
        "breast_cancer": (load_breast_cancer().data, 5),
        "blobs": (blobs, 6),
    }


DATASETS = _datasets()


def _fit_pair(X, k, algorithm, sample_weight=None, **params):
    init = X[np.linspace(0, len(X) - 1, k).astype(int)]
    kw = dict(n_clusters=k, init=init, n_init=1, algorithm=algorithm, **params)
    ours = KMeans(**kw).fit(X, sample_weight=sample_weight)
    ref = sklearn.cluster.KMeans(**kw).fit(X, sample_weight=sample_weight)
    return ours, ref


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-7), (np.float32, 1e-4)])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_sklearn_given_same_init(name, algorithm, dtype, rtol, weighted):
    X, k = DATASETS[name]
    X = X.astype(dtype)
    w = None
    if weighted:
        w = np.random.RandomState(0).uniform(0.1, 3.0, len(X)).astype(dtype)
    ours, ref = _fit_pair(X, k, algorithm, sample_weight=w)
    assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.cluster_centers_.dtype == ref.cluster_centers_.dtype
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=rtol,
                    atol=rtol * np.abs(ref.cluster_centers_).max())
    assert_allclose(ours.inertia_, ref.inertia_, rtol=rtol)
    assert ours.labels_.dtype == ref.labels_.dtype


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_matches_sklearn_with_tol_zero_and_max_iter(algorithm, global_random_seed):
    # tol=0, max_iter reached: the final E-step rerun must agree too
    X = np.random.RandomState(global_random_seed).uniform(size=(5000, 16))
    ours, ref = _fit_pair(X, 16, algorithm, max_iter=7, tol=0)
    assert ours.n_iter_ == ref.n_iter_ == 7
    assert_array_equal(ours.labels_, ref.labels_)
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-7)


@pytest.mark.parametrize("simd_shape", [(2, 3), (16, 16), (5, 33), (64, 10)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_awkward_shapes_match_sklearn(simd_shape, dtype, global_random_seed):
    # n_features x n_clusters around the SIMD kernel's blocks and its tails
    d, k = simd_shape
    rng = np.random.RandomState(global_random_seed)
    X = rng.normal(size=(1031, d)).astype(dtype)  # 1031: a partial chunk and row block
    ours, ref = _fit_pair(X, k, "lloyd")
    assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_
    assert_array_equal(ours.predict(X[::3]), ref.predict(X[::3]))


def test_blas_fallback_path_matches_sklearn():
    # wide data with many clusters leaves the register-blocked kernel's range
    assert not _kmeans_common._use_simd_py(300, 300, False)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(700, 300))
    ours, ref = _fit_pair(X, 300, "lloyd", max_iter=5)
    assert_array_equal(ours.labels_, ref.labels_)
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_empty_cluster_relocated_as_sklearn(algorithm):
    # an initial center far from all data gets no sample at the first step
    X, k = DATASETS["iris"]
    init = X[[0, 50, 100]].copy()
    init[2] = 1e3
    kw = dict(n_clusters=k, init=init, n_init=1, algorithm=algorithm)
    ours = KMeans(**kw).fit(X)
    ref = sklearn.cluster.KMeans(**kw).fit(X)
    assert_array_equal(ours.labels_, ref.labels_)
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-7)
    assert len(np.unique(ours.labels_)) == 3


def test_duplicate_points_warn_as_sklearn():
    X = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5)
    with pytest.warns(ConvergenceWarning, match="Number of distinct clusters"):
        KMeans(3, init=X[[0, 1, 5]], n_init=1).fit(X)


@pytest.mark.parametrize(
    "name",
    ["iris", "wine"]
    + [pytest.param(n, marks=pytest.mark.slow) for n in ("digits", "breast_cancer", "blobs")],
)
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_kmeans_plusplus_inertia_within_1pct(name, algorithm):
    X, k = DATASETS[name]
    ours = [KMeans(k, random_state=s, algorithm=algorithm).fit(X).inertia_ for s in range(10)]
    ref = [sklearn.cluster.KMeans(k, random_state=s, algorithm=algorithm).fit(X).inertia_
           for s in range(10)]
    assert abs(np.mean(ours) - np.mean(ref)) <= 0.01 * np.mean(ref)


def test_kmeans_plusplus_function_matches_sklearn_draws():
    X, _ = DATASETS["digits"]
    for seed in range(5):
        c1, i1 = kmeans_plusplus(X, 10, random_state=seed)
        c2, i2 = sklearn.cluster.kmeans_plusplus(X, 10, random_state=seed)
        assert_array_equal(i1, i2)
        assert_array_equal(c1, c2)
    # the greedy trials: 2 + log(k) by default, n_local_trials=1 is vanilla
    c, i = kmeans_plusplus(X, 10, random_state=0, n_local_trials=1)
    assert len(np.unique(i)) == 10 and c.shape == (10, 64)


def test_random_init_and_callable_init():
    X, k = DATASETS["wine"]
    ours = KMeans(k, init="random", random_state=0).fit(X)
    ref = sklearn.cluster.KMeans(k, init="random", random_state=0).fit(X)
    # n_init="auto" -> 10 runs for 'random'; the same draws give the same best run
    assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-7)

    def init(X, n_clusters, random_state):
        # a copy: scikit-learn's lloyd reuses the init array as a work buffer,
        # so a view would let it overwrite rows of its centered X copy
        return X[:n_clusters].copy()

    ours = KMeans(k, init=init).fit(X)
    ref = sklearn.cluster.KMeans(k, init=init).fit(X)
    assert_array_equal(ours.labels_, ref.labels_)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_methods_match_sklearn(algorithm):
    X, k = DATASETS["breast_cancer"]
    ours, ref = _fit_pair(X, k, algorithm)
    Xt = X[::7] + 0.5
    assert_array_equal(ours.predict(Xt), ref.predict(Xt))
    assert_allclose(ours.transform(Xt), ref.transform(Xt), rtol=1e-7)
    assert_allclose(ours.score(Xt), ref.score(Xt), rtol=1e-7)
    w = np.linspace(0.5, 2, len(Xt))
    assert_allclose(ours.score(Xt, sample_weight=w), ref.score(Xt, sample_weight=w), rtol=1e-7)
    init = X[np.linspace(0, len(X) - 1, k).astype(int)]
    kw = dict(n_clusters=k, init=init, n_init=1, algorithm=algorithm)
    assert_array_equal(KMeans(**kw).fit_predict(X), ref.labels_)
    assert_allclose(KMeans(**kw).fit_transform(X), ref.transform(X), rtol=1e-7)
    assert_array_equal(ours.get_feature_names_out(), ref.get_feature_names_out())


def test_float32_predict_and_transform_keep_dtype():
    X = DATASETS["iris"][0].astype(np.float32)
    km = KMeans(3, random_state=0).fit(X)
    assert km.cluster_centers_.dtype == np.float32
    assert km.transform(X).dtype == np.float32
    assert km.predict(X.astype(np.float64)).dtype == np.int32


@pytest.mark.parametrize("copy_x", [True, False])
def test_copy_x(copy_x):
    X = DATASETS["wine"][0].copy()
    X0 = X.copy()
    km = KMeans(4, random_state=0, copy_x=copy_x).fit(X)
    ref = sklearn.cluster.KMeans(4, random_state=0, copy_x=copy_x).fit(X0.copy())
    assert_allclose(X, X0, rtol=1e-12)  # restored (to rounding) when copy_x=False
    assert_allclose(km.cluster_centers_, ref.cluster_centers_, rtol=1e-7)


def test_n_init_auto_and_explicit_array_warning():
    X, k = DATASETS["iris"]
    assert KMeans(k, init="random").fit(X)._n_init == 10
    assert KMeans(k).fit(X)._n_init == 1
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        KMeans(k, init=X[:k], n_init=5).fit(X)
    with pytest.warns(RuntimeWarning, match="single cluster"):
        KMeans(1, algorithm="elkan").fit(X)


def test_pickle_gives_identical_predictions():
    X, k = DATASETS["digits"]
    km = KMeans(k, random_state=0).fit(X)
    km2 = pickle.loads(pickle.dumps(km))
    assert_array_equal(km.predict(X), km2.predict(X))
    assert_array_equal(km.transform(X), km2.transform(X))


def test_threads_do_not_change_results():
    from threadpoolctl import threadpool_limits

    X, k = DATASETS["blobs"]
    a = KMeans(k, random_state=0).fit(X)
    with threadpool_limits(1, "openmp"):
        b = KMeans(k, random_state=0).fit(X)
    assert_array_equal(a.labels_, b.labels_)
    assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12)


# -- bad input: scikit-learn's exception types, raised before any kernel -------


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_inf_raise_value_error(bad):
    X = DATASETS["iris"][0].copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        KMeans(3).fit(X)
    km = KMeans(3, random_state=0).fit(DATASETS["iris"][0])
    with pytest.raises(ValueError, match="NaN|infinity"):
        km.predict(X)


def test_empty_and_1d_raise_value_error():
    with pytest.raises(ValueError, match="0 sample"):
        KMeans(2).fit(np.empty((0, 3)))
    with pytest.raises(ValueError, match="Expected 2D array"):
        KMeans(2).fit(np.arange(10.0))


def test_n_clusters_larger_than_n_samples():
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=4"):
        KMeans(4).fit(np.eye(3))


def test_wrong_n_features_at_predict():
    km = KMeans(3, random_state=0).fit(DATASETS["iris"][0])
    for method in (km.predict, km.transform, km.score):
        with pytest.raises(ValueError, match="features"):
            method(np.ones((2, 5)))


def test_unfitted_raises_not_fitted():
    for method in ("predict", "transform", "score"):
        with pytest.raises(NotFittedError):
            getattr(KMeans(3), method)(np.ones((4, 2)))


@pytest.mark.parametrize(
    "params",
    [
        {"n_clusters": 0},
        {"n_init": 0},
        {"n_init": "many"},
        {"max_iter": 0},
        {"tol": -1.0},
        {"algorithm": "full"},
        {"init": "kmeans"},
    ],
)
def test_invalid_params(params):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        KMeans(**params).fit(DATASETS["iris"][0])


def test_wrong_init_shape():
    X = DATASETS["iris"][0]
    with pytest.raises(ValueError, match="does not match the number of clusters"):
        KMeans(3, init=X[:2]).fit(X)
    with pytest.raises(ValueError, match="does not match the number of features"):
        KMeans(3, init=X[:3, :2]).fit(X)


def test_sparse_raises_clear_type_error():
    X = sp.csr_matrix(DATASETS["iris"][0])
    with pytest.raises(TypeError, match="dense input only"):
        KMeans(3).fit(X)
    km = KMeans(3, random_state=0).fit(DATASETS["iris"][0])
    with pytest.raises(TypeError, match="dense input only"):
        km.predict(X)


def test_hypothesis_shapes_never_crash():
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    @settings(max_examples=25, deadline=None)
    @given(
        X=arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 6)),
                 elements=st.floats(-1e3, 1e3)),
        k=st.integers(1, 5),
        algorithm=st.sampled_from(["lloyd", "elkan"]),
    )
    def run(X, k, algorithm):
        if k > X.shape[0]:
            with pytest.raises(ValueError):
                KMeans(k).fit(X)
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, ref = _fit_pair(X, k, algorithm)
        assert ours.labels_.min() >= 0 and ours.labels_.max() < k
        assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-6, atol=1e-6)

    del hypothesis
    run()


@parametrize_with_checks([KMeans(3, n_init=2, max_iter=10)],
                         expected_failed_checks=sklearn_xfails)
def test_sklearn_compatible(estimator, check):
    check(estimator)
