"""MiniBatchKMeans: parity with scikit-learn 1.9.1, bad input, kernel preconditions."""

import pickle

import numpy as np
import pytest
import sklearn.cluster
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.cluster._k_means_minibatch import _minibatch_update_dense as sk_update
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_blobs,
)
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from fastml._cy._kmeans_minibatch import _minibatch_update_dense, _sample_from_cdf
from fastml.cluster import KMeans, MiniBatchKMeans
from fastml.utils._testing import sklearn_xfails

SkMBK = sklearn.cluster.MiniBatchKMeans


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    """One OpenMP thread: on a loaded machine every fork/join of sklearn's (and
    our) parallel regions can stall for milliseconds; results do not depend on
    it (test_results_do_not_depend_on_n_threads checks ours)."""
    with threadpool_limits(1, "openmp"):
        yield


def _real(name):
    loader = {"iris": load_iris, "digits": load_digits, "wine": load_wine,
              "breast_cancer": load_breast_cancer}[name]
    X = loader().data
    if name in ("wine", "breast_cancer"):  # features on wildly different scales
        X = StandardScaler().fit_transform(X)
    return np.ascontiguousarray(X)


REAL = ["iris", "digits", "wine", "breast_cancer"]
TOL = {np.float64: 1e-7, np.float32: 1e-4}


def _assert_same_fit(ours, ref, rtol):
    assert ours.n_steps_ == ref.n_steps_
    assert getattr(ours, "n_iter_", None) == getattr(ref, "n_iter_", None)
    assert ours.cluster_centers_.dtype == ref.cluster_centers_.dtype
    scale = np.abs(ref.cluster_centers_).max()
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=rtol,
                    atol=rtol * scale)
    assert_allclose(ours._counts, ref._counts, rtol=rtol)
    if hasattr(ref, "labels_"):
        assert_array_equal(ours.labels_, ref.labels_)
    assert_allclose(ours.inertia_, ref.inertia_, rtol=rtol)


# -- parity given the same start (the same random_state draws the same batches)


@pytest.mark.parametrize("name", REAL)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_matches_sklearn_given_same_init(name, dtype):
    X = _real(name).astype(dtype)
    k = 10 if name == "digits" else 3
    params = dict(n_clusters=k, init=X[:: len(X) // k][:k], n_init=1, batch_size=64,
                  random_state=0)
    ours = MiniBatchKMeans(**params).fit(X)
    ref = SkMBK(**params).fit(X)
    _assert_same_fit(ours, ref, TOL[dtype])


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_fit_matches_sklearn_same_random_state(init, global_random_seed):
    """Seeding (on init_size rows), n_init choice, batches and reassignments."""
    X = _real("digits")
    params = dict(n_clusters=10, init=init, batch_size=100, random_state=global_random_seed)
    _assert_same_fit(MiniBatchKMeans(**params).fit(X), SkMBK(**params).fit(X), 1e-7)


@pytest.mark.parametrize("params", [
    dict(tol=1e-3),                                # center-change stopping
    dict(max_no_improvement=None, max_iter=3),     # runs all steps
    dict(reassignment_ratio=0.3, batch_size=20),   # many reassignments
    dict(reassignment_ratio=0, batch_size=20),
    dict(init_size=40, n_init=4),
    dict(compute_labels=False),
    dict(batch_size=5000),                         # batch_size > n_samples
])
def test_fit_matches_sklearn_options(params):
    X, _ = make_blobs(600, n_features=5, centers=6, random_state=1)
    params = dict(n_clusters=6, random_state=3, **params)
    ours, ref = MiniBatchKMeans(**params).fit(X), SkMBK(**params).fit(X)
    _assert_same_fit(ours, ref, 1e-7)
    assert hasattr(ours, "labels_") == hasattr(ref, "labels_")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sample_weight_matches_sklearn(dtype):
    X, _ = make_blobs(500, n_features=4, centers=4, random_state=0)
    X = X.astype(dtype)
    sw = np.random.RandomState(0).uniform(0.1, 3, size=len(X))
    params = dict(n_clusters=4, batch_size=50, random_state=0)
    ours = MiniBatchKMeans(**params).fit(X, sample_weight=sw)
    ref = SkMBK(**params).fit(X, sample_weight=sw)
    _assert_same_fit(ours, ref, TOL[dtype])
    assert_allclose(ours.score(X, sample_weight=sw), ref.score(X, sample_weight=sw),
                    rtol=TOL[dtype])


def test_callable_init_matches_sklearn():
    X = _real("iris")

    def init(X, k, random_state):
        return X[random_state.choice(len(X), k, replace=False)]

    params = dict(n_clusters=3, init=init, batch_size=30, random_state=0)
    _assert_same_fit(MiniBatchKMeans(**params).fit(X), SkMBK(**params).fit(X), 1e-7)


# -- partial_fit: streaming ------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_partial_fit_stream_matches_sklearn(dtype, init):
    X = _real("digits").astype(dtype)
    rng = np.random.RandomState(0)
    sw = rng.uniform(0.5, 2, size=len(X)).astype(dtype)
    params = dict(n_clusters=10, init=init, random_state=0)
    ours, ref = MiniBatchKMeans(**params), SkMBK(**params)
    for start in range(0, len(X), 97):  # uneven batches, the last one short
        batch = slice(start, start + 97)
        ours.partial_fit(X[batch], sample_weight=sw[batch])
        ref.partial_fit(X[batch], sample_weight=sw[batch])
        assert ours._n_since_last_reassign == ref._n_since_last_reassign
        _assert_same_fit(ours, ref, TOL[dtype])


def test_partial_fit_after_fit_continues_like_sklearn():
    X = _real("wine")
    params = dict(n_clusters=3, batch_size=32, random_state=0)
    ours, ref = MiniBatchKMeans(**params).fit(X), SkMBK(**params).fit(X)
    for _ in range(3):
        ours.partial_fit(X[:50])
        ref.partial_fit(X[:50])
    _assert_same_fit(ours, ref, 1e-7)


def test_partial_fit_reassigns_empty_centers():
    """A center far from all data gets no sample: reassigned on the next step."""
    X, _ = make_blobs(300, n_features=2, centers=3, random_state=0)
    init = np.vstack([X[:2], [[1e3, 1e3]]])
    ours = MiniBatchKMeans(3, init=init, random_state=0).partial_fit(X)
    ref = SkMBK(3, init=init, random_state=0).partial_fit(X)
    assert np.abs(ours.cluster_centers_).max() < 100
    _assert_same_fit(ours, ref, 1e-7)


# -- quality over seeds (the criterion) ------------------------------------


@pytest.mark.parametrize("name", REAL + ["blobs"])
def test_inertia_within_2_percent_of_sklearn_over_10_seeds(name):
    if name == "blobs":
        X = make_blobs(3000, n_features=8, centers=8, random_state=0)[0]
    else:
        X = _real(name)
    k = 3 if name in ("iris", "wine") else 8 if name == "blobs" else 10
    ours = [MiniBatchKMeans(k, random_state=s).fit(X).inertia_ for s in range(10)]
    ref = [SkMBK(k, random_state=s).fit(X).inertia_ for s in range(10)]
    assert abs(np.mean(ours) - np.mean(ref)) <= 0.02 * np.mean(ref)


# -- methods and attributes -----------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inference_matches_sklearn(dtype):
    X = _real("iris").astype(dtype)
    params = dict(n_clusters=3, batch_size=40, random_state=0)
    ours, ref = MiniBatchKMeans(**params), SkMBK(**params)
    assert_array_equal(ours.fit_predict(X), ref.fit_predict(X))
    assert_array_equal(ours.predict(X[::-1]), ref.predict(X[::-1]))
    rtol = TOL[dtype]
    assert_allclose(ours.transform(X), ref.transform(X), rtol=rtol, atol=rtol)
    assert_allclose(ours.fit_transform(X), ref.fit_transform(X), rtol=rtol, atol=rtol)
    assert_allclose(ours.score(X), ref.score(X), rtol=rtol)
    assert ours.transform(X).dtype == dtype


def test_get_feature_names_out_matches_sklearn():
    X = _real("iris")
    km = MiniBatchKMeans(3, random_state=0).fit(X)
    assert km.n_features_in_ == 4
    assert not hasattr(km, "feature_names_in_")
    assert_array_equal(km.get_feature_names_out(),
                       SkMBK(3, random_state=0).fit(X).get_feature_names_out())
    assert_array_equal(km.get_feature_names_out(), [f"minibatchkmeans{i}" for i in range(3)])


def test_feature_names_in_from_dataframe():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(_real("iris"), columns=["a", "b", "c", "d"])
    km = MiniBatchKMeans(3, random_state=0).fit(X)
    assert_array_equal(km.feature_names_in_, ["a", "b", "c", "d"])
    assert km.n_features_in_ == 4
    assert_array_equal(km.get_feature_names_out(),
                       SkMBK(3, random_state=0).fit(X).get_feature_names_out())


def test_results_do_not_depend_on_n_threads():
    """The update sums each center's samples in index order whatever the threads."""
    X = make_blobs(20000, n_features=8, centers=16, random_state=0)[0]
    params = dict(n_clusters=16, batch_size=4096, random_state=0, max_iter=2)
    one = MiniBatchKMeans(**params).fit(X)
    with threadpool_limits(2, "openmp"):
        two = MiniBatchKMeans(**params).fit(X)
    assert_array_equal(one.labels_, two.labels_)
    assert_allclose(one.cluster_centers_, two.cluster_centers_, rtol=1e-12)
    assert_allclose(one.inertia_, two.inertia_, rtol=1e-12)


@pytest.mark.parametrize("params", [dict(init="random", tol=1e-2), dict(batch_size=10)])
def test_verbose_output_matches_sklearn(params, capsys):
    X = _real("iris")
    params = dict(n_clusters=3, random_state=0, verbose=1, **params)
    MiniBatchKMeans(**params).fit(X)
    ours = capsys.readouterr().out
    SkMBK(**params).fit(X)
    ref = capsys.readouterr().out
    assert "Minibatch step" in ours and "Converged" in ours
    assert ours.replace("fastml", "").splitlines() == ref.splitlines()


def test_is_not_a_kmeans_and_params_mirror_sklearn():
    assert not isinstance(MiniBatchKMeans(), KMeans)
    assert MiniBatchKMeans().get_params() == SkMBK().get_params()


def test_pickle_gives_identical_predictions():
    X = _real("digits")
    km = MiniBatchKMeans(10, random_state=0).fit(X)
    km2 = pickle.loads(pickle.dumps(km))
    assert_array_equal(km2.predict(X), km.predict(X))
    assert_array_equal(km2.transform(X), km.transform(X))
    # the streaming state survives too
    km.partial_fit(X[:100])
    km2.partial_fit(X[:100])
    assert_array_equal(km2.cluster_centers_, km.cluster_centers_)


def test_warnings_as_sklearn():
    X = _real("iris")
    with pytest.warns(RuntimeWarning, match="init_size=2 should be larger"):
        MiniBatchKMeans(3, init_size=2, random_state=0).fit(X)
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        MiniBatchKMeans(3, init=X[:3], n_init=3).fit(X)


# -- bad input -------------------------------------------------------------------


BAD_PARAMS = [
    dict(n_clusters=0), dict(batch_size=0), dict(reassignment_ratio=-0.1),
    dict(max_no_improvement=-1), dict(init_size=0), dict(n_init=0), dict(tol=-1.0),
    dict(max_iter=0), dict(init="kmeans"), dict(compute_labels="yes"),
    dict(init=np.zeros((2, 4))), dict(init=np.zeros((3, 2))),
]


@pytest.mark.parametrize("params", BAD_PARAMS)
def test_invalid_params_raise_like_sklearn(params):
    X = _real("iris")
    with pytest.raises(Exception) as ref:
        SkMBK(**{"n_clusters": 3, **params}).fit(X)
    with pytest.raises(ref.type):
        MiniBatchKMeans(**{"n_clusters": 3, **params}).fit(X)
    with pytest.raises(ref.type):
        MiniBatchKMeans(**{"n_clusters": 3, **params}).partial_fit(X)


@pytest.mark.parametrize("X", [
    np.array([[1.0, np.nan], [2.0, 3.0], [0.0, 1.0]]),
    np.array([[1.0, np.inf], [2.0, 3.0], [0.0, 1.0]]),
    np.empty((0, 3)),
    np.array([1.0, 2.0, 3.0]),
    np.array([["a", "b"], ["c", "d"]]),
    np.ones((2, 3)),  # fewer samples than clusters
])
def test_bad_input_raises_like_sklearn(X):
    with pytest.raises(Exception) as ref:
        SkMBK(3).fit(X)
    with pytest.raises(ref.type):
        MiniBatchKMeans(3).fit(X)
    with pytest.raises(ref.type):
        MiniBatchKMeans(3).partial_fit(X)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.parametrize("sw", [np.ones(5), np.zeros(150), np.r_[np.ones(75), -np.ones(75)],
                                np.r_[np.ones(149), -1], np.r_[np.ones(149), np.nan]])
def test_bad_sample_weight_raises_like_sklearn(sw):
    X = _real("iris")
    with pytest.raises(ValueError):
        SkMBK(3).fit(X, sample_weight=sw)
    with pytest.raises(ValueError, match="(?i)sample.?weight|samples"):
        MiniBatchKMeans(3).fit(X, sample_weight=sw)


def test_all_negative_sample_weight_draws_like_sklearn():
    """sample_weight / its sum is a valid distribution: sklearn fits, so do we."""
    X = _real("iris")
    sw = -np.random.RandomState(0).uniform(1, 2, size=len(X))
    params = dict(n_clusters=3, batch_size=30, random_state=0)
    ours = MiniBatchKMeans(**params).fit(X, sample_weight=sw)
    _assert_same_fit(ours, SkMBK(**params).fit(X, sample_weight=sw), 1e-7)


def test_predict_checks():
    X = _real("iris")
    with pytest.raises(NotFittedError):
        MiniBatchKMeans(3).predict(X)
    with pytest.raises(NotFittedError):
        MiniBatchKMeans(3).transform(X)
    km = MiniBatchKMeans(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        km.predict(X[:, :2])
    with pytest.raises(ValueError, match="features"):
        km.partial_fit(X[:, :2])
    with pytest.raises(ValueError):
        km.predict(np.full((2, 4), np.nan))


def test_sparse_input_is_refused_with_type_error():
    X = sparse.csr_matrix(_real("iris"))
    with pytest.raises(TypeError, match="dense"):
        MiniBatchKMeans(3).fit(X)
    with pytest.raises(TypeError, match="dense"):
        MiniBatchKMeans(3).partial_fit(X)


# -- the compiled update: bit-identical to scikit-learn's, preconditions --------


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 300), d=st.integers(1, 9), k=st.integers(1, 12),
       seed=st.integers(0, 2**31 - 1), in_place=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_update_kernel_bit_identical_to_sklearn(n, d, k, seed, in_place, dtype):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    sw = rng.uniform(0, 2, size=n).astype(dtype)
    sw[rng.uniform(size=n) < 0.2] = 0  # zero weights: centers with wsum == 0
    labels = rng.randint(0, k, size=n).astype(np.int32)
    centers = rng.normal(size=(k, d)).astype(dtype)
    counts = rng.randint(0, 5, size=k).astype(dtype)
    out = [None, None]
    for j, update in enumerate((_minibatch_update_dense, sk_update)):
        c_old = centers.copy()
        c_new = c_old if in_place else np.full_like(centers, np.nan)
        w = counts.copy()
        update(X, sw, c_old, c_new, w, labels, 2)
        out[j] = (c_new, w)
    assert_array_equal(out[0][0], out[1][0])
    assert_array_equal(out[0][1], out[1][1])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 500), seed=st.integers(0, 2**31 - 1),
       kind=st.sampled_from(["uniform", "skewed", "zeros", "spikes"]))
def test_sample_from_cdf_is_choice(n, seed, kind):
    """The galloping sampler returns RandomState.choice's indices exactly."""
    rng = np.random.RandomState(seed)
    w = {"uniform": np.ones(n), "skewed": rng.exponential(size=n) ** 4,
         "zeros": rng.randint(0, 2, size=n) * rng.uniform(size=n),
         "spikes": np.where(rng.uniform(size=n) < 0.05, 1e6, 1e-6)}[kind]
    if w.sum() == 0:
        w[rng.randint(n)] = 1.0
    p = w / w.sum()
    cdf = p.cumsum()
    cdf /= cdf[-1]
    u = np.r_[rng.random_sample(200), 0.0, np.nextafter(1.0, 0), cdf[:-1]]
    out = np.empty(len(u), dtype=np.intp)
    _sample_from_cdf(cdf, u, out)
    assert_array_equal(out, cdf.searchsorted(u, side="right"))
    # and the whole draw is RandomState.choice's
    _sample_from_cdf(cdf, np.random.RandomState(seed).random_sample(64), out[:64])
    assert_array_equal(out[:64], np.random.RandomState(seed).choice(n, 64, p=p))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 60), d=st.integers(1, 5), k=st.integers(1, 6),
       batch=st.integers(1, 70), seed=st.integers(0, 1000),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_fit_on_awkward_shapes_matches_sklearn(n, d, k, batch, seed, dtype):
    """Tiny, duplicated and constant data: never a crash, sklearn's result."""
    rng = np.random.RandomState(seed)
    X = rng.randint(0, 3, size=(n, d)).astype(dtype)  # many duplicate rows
    params = dict(n_clusters=k, batch_size=batch, random_state=seed, max_iter=5)
    if n < k:
        with pytest.raises(ValueError):
            MiniBatchKMeans(**params).fit(X)
        return
    ours, ref = MiniBatchKMeans(**params).fit(X), SkMBK(**params).fit(X)
    assert ((ours.labels_ >= 0) & (ours.labels_ < k)).all()
    _assert_same_fit(ours, ref, TOL[dtype])


@parametrize_with_checks([MiniBatchKMeans(3, random_state=0)],
                         expected_failed_checks=sklearn_xfails)
def test_sklearn_compatible(estimator, check):
    check(estimator)
