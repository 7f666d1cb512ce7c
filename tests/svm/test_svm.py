"""SVC / SVR against scikit-learn's libsvm: same support vectors, same decision values."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import sklearn.svm as sk_svm
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from fastml.svm import SVC, SVR, LinearSVC
from fastml.utils._testing import sklearn_xfails


def _data(name):
    if name == "iris":
        return load_iris(return_X_y=True)
    if name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def _sk(cls, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return cls(**kw)


@pytest.fixture(autouse=True)
def _single_threaded_blas():
    # these matrices are small: BLAS threads only add contention on shared cores
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.mark.parametrize("dataset", ["iris", "breast_cancer", "digits"])
@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf", "sigmoid"])
def test_svc_matches_sklearn(dataset, kernel):
    X, y = _data(dataset)
    ours = SVC(kernel=kernel, decision_function_shape="ovo").fit(X, y)
    ref = _sk(sk_svm.SVC, kernel=kernel, decision_function_shape="ovo").fit(X, y)
    assert_array_equal(ours.support_, ref.support_)
    assert_array_equal(ours.n_support_, ref.n_support_)
    assert_allclose(ours.support_vectors_, ref.support_vectors_)
    assert_allclose(ours.dual_coef_, ref.dual_coef_, atol=1e-3)
    assert_allclose(ours.intercept_, ref.intercept_, atol=1e-3)
    assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-3)
    assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.support_.dtype == ref.support_.dtype
    assert ours.n_iter_.shape == ref.n_iter_.shape


@pytest.mark.parametrize("shape", ["ovr", "ovo"])
def test_svc_decision_function_shape(shape):
    X, y = load_iris(return_X_y=True)
    ours = SVC(decision_function_shape=shape).fit(X, y)
    ref = _sk(sk_svm.SVC, decision_function_shape=shape).fit(X, y)
    dec = ours.decision_function(X)
    assert dec.shape == ref.decision_function(X).shape
    assert_allclose(dec, ref.decision_function(X), atol=1e-3)


def test_svc_binary_signs_and_linear_coef():
    X, y = _data("breast_cancer")
    ours = SVC(kernel="linear", C=0.5).fit(X, y)
    ref = _sk(sk_svm.SVC, kernel="linear", C=0.5).fit(X, y)
    assert ours.decision_function(X).shape == (X.shape[0],)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-3)
    assert_allclose(ours.intercept_, ref.intercept_, atol=1e-3)
    with pytest.raises(AttributeError):
        SVC().fit(X, y).coef_


def test_svc_multiclass_linear_coef():
    X, y = load_iris(return_X_y=True)
    ours = SVC(kernel="linear").fit(X, y)
    ref = _sk(sk_svm.SVC, kernel="linear").fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-3)


@pytest.mark.parametrize("gamma", ["scale", "auto", 0.05])
def test_svc_gamma_degree_coef0(gamma):
    X, y = load_iris(return_X_y=True)
    kw = dict(kernel="poly", gamma=gamma, degree=2, coef0=1.0, C=3.0)
    ours, ref = SVC(**kw).fit(X, y), _sk(sk_svm.SVC, **kw).fit(X, y)
    assert_array_equal(ours.support_, ref.support_)
    assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-3)


def test_svc_class_weight_and_sample_weight(global_random_seed):
    X, y = load_iris(return_X_y=True)
    rng = np.random.RandomState(global_random_seed)
    sw = rng.uniform(0.0, 2.0, size=y.size)
    sw[rng.rand(y.size) < 0.1] = 0.0  # zero weights drop samples, as libsvm
    for cw in ["balanced", {0: 2.0, 1: 0.5, 2: 1.0}]:
        ours = SVC(class_weight=cw).fit(X, y, sample_weight=sw)
        ref = _sk(sk_svm.SVC, class_weight=cw).fit(X, y, sample_weight=sw)
        assert_array_equal(ours.support_, ref.support_)
        assert_allclose(ours.class_weight_, ref.class_weight_)
        assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-3)


def test_svc_precomputed_and_callable_kernel():
    X, y = _data("breast_cancer")
    K = X @ X.T
    ours = SVC(kernel="precomputed").fit(K, y)
    ref = _sk(sk_svm.SVC, kernel="precomputed").fit(K, y)
    assert_array_equal(ours.support_, ref.support_)
    assert_allclose(ours.decision_function(K[:20]), ref.decision_function(K[:20]), atol=1e-3)
    call = SVC(kernel=lambda A, B: A @ B.T).fit(X, y)
    assert_array_equal(call.support_, ref.support_)
    assert_allclose(call.decision_function(X[:20]), ref.decision_function(K[:20]), atol=1e-3)
    with pytest.raises(ValueError, match="square"):
        SVC(kernel="precomputed").fit(X, y)


@pytest.mark.parametrize("shrinking", [True, False])
@pytest.mark.parametrize("cache_size", [0.01, 200])
def test_svc_shrinking_and_tiny_cache_give_same_model(shrinking, cache_size):
    # a 10 KB cache holds two columns: exercises LRU eviction and partial columns
    X, y = _data("breast_cancer")
    ours = SVC(shrinking=shrinking, cache_size=cache_size).fit(X, y)
    ref = _sk(sk_svm.SVC, shrinking=shrinking).fit(X, y)
    assert_array_equal(ours.support_, ref.support_)
    assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-3)


@pytest.mark.parametrize("Est", [SVC, pytest.param(SVR, marks=pytest.mark.slow)])
def test_threaded_kernel_columns_give_same_model(Est, monkeypatch):
    # force every column through the prange path: results must not change
    # (>= 512 rows, so columns are split; a fork per column is slow on a
    # loaded machine, hence SVR, which computes more columns, is marked slow)
    import fastml.svm._base as base

    X, y = _data("breast_cancer")
    serial = Est().fit(X, y)
    monkeypatch.setattr(base, "PARALLEL_MIN_WORK", 0.0)
    with threadpool_limits(limits=2, user_api="openmp"):
        threaded = Est().fit(X, y)
    assert_array_equal(threaded.support_, serial.support_)
    assert_allclose(threaded.dual_coef_, serial.dual_coef_, rtol=1e-12, atol=1e-12)


def test_svc_max_iter_warns_convergence():
    X, y = _data("breast_cancer")
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        m = SVC(max_iter=5).fit(X, y)
    assert m.fit_status_ == 1
    assert np.all(m.n_iter_ <= 5)


def test_svc_break_ties():
    X, y = load_iris(return_X_y=True)
    ours = SVC(break_ties=True).fit(X, y)
    ref = _sk(sk_svm.SVC, break_ties=True).fit(X, y)
    assert_array_equal(ours.predict(X), ref.predict(X))
    with pytest.raises(ValueError, match="break_ties"):
        SVC(break_ties=True, decision_function_shape="ovo").fit(X, y).predict(X)


@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf"])
def test_svr_matches_sklearn(kernel):
    X, y = load_diabetes(return_X_y=True)
    kw = dict(kernel=kernel, C=50.0, epsilon=5.0)
    ours, ref = SVR(**kw).fit(X, y), sk_svm.SVR(**kw).fit(X, y)
    assert_array_equal(ours.support_, ref.support_)
    assert_array_equal(ours.n_support_, ref.n_support_)
    assert_allclose(ours.dual_coef_, ref.dual_coef_, rtol=1e-3, atol=1e-3 * kw["C"])
    assert_allclose(ours.predict(X), ref.predict(X), atol=1e-3 * np.abs(y).max())
    assert isinstance(ours.n_iter_, int) or np.ndim(ours.n_iter_) == 0


def test_svr_sample_weight():
    X, y = load_diabetes(return_X_y=True)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, size=y.size)
    ours = SVR(C=20.0).fit(X, y, sample_weight=sw)
    ref = sk_svm.SVR(C=20.0).fit(X, y, sample_weight=sw)
    assert_array_equal(ours.support_, ref.support_)
    assert_allclose(ours.predict(X), ref.predict(X), atol=1e-2)


@pytest.mark.parametrize("Est", [SVC, SVR])
def test_bad_input(Est):
    X, y = load_iris(return_X_y=True)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError):
        Est().fit(X_nan, y)
    X_inf = X.copy()
    X_inf[1, 1] = np.inf
    with pytest.raises(ValueError):
        Est().fit(X_inf, y)
    with pytest.raises(ValueError):
        Est(C=-1.0).fit(X, y)
    with pytest.raises(ValueError):
        Est(C=0.0).fit(X, y)
    with pytest.raises(ValueError):
        Est().fit(X[:, 0], y)
    with pytest.raises(ValueError):
        Est().fit(X, y[:-1])
    with pytest.raises(NotFittedError):
        Est().predict(X)
    m = Est().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        m.predict(X[:, :3])


def test_svc_single_class_raises():
    X, _ = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="greater than one"):
        SVC().fit(X, np.zeros(X.shape[0]))


def test_svc_probability_true_is_rejected():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="probability"):
        SVC(probability=True).fit(X, y)


@pytest.mark.parametrize("Est, data", [(SVC, "iris"), (SVR, "diabetes")])
def test_pickle_round_trip(Est, data):
    X, y = load_iris(return_X_y=True) if data == "iris" else load_diabetes(return_X_y=True)
    m = Est().fit(X, y)
    m2 = pickle.loads(pickle.dumps(m))
    assert_array_equal(m.predict(X), m2.predict(X))


def test_float32_input_and_readonly():
    X, y = _data("breast_cancer")
    X32 = X.astype(np.float32)
    X32.flags.writeable = False
    ours = SVC().fit(X32, y)
    ref = _sk(sk_svm.SVC).fit(X32, y)
    assert_array_equal(ours.support_, ref.support_)


@pytest.mark.parametrize("dataset", ["iris", "breast_cancer", "digits"])
@pytest.mark.parametrize("loss", ["squared_hinge", "hinge"])
def test_linear_svc_matches_sklearn(dataset, loss):
    # the l2 problem has one optimum: both solvers reach it to within tol
    X, y = _data(dataset)
    X = StandardScaler().fit_transform(X)
    kw = dict(loss=loss, dual=True, tol=1e-6, max_iter=20000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = LinearSVC(**kw).fit(X, y)
        ref = sk_svm.LinearSVC(**kw).fit(X, y)
    scale = np.abs(ref.coef_).max()
    assert_allclose(ours.coef_, ref.coef_, atol=2e-2 * scale)
    assert_allclose(ours.intercept_, ref.intercept_, atol=2e-2 * scale)
    assert np.mean(ours.predict(X) == ref.predict(X)) > 0.99
    assert ours.coef_.shape == ref.coef_.shape


@pytest.mark.parametrize("dataset", ["iris", "breast_cancer"])
@pytest.mark.parametrize("C", [0.1, 1.0])
def test_linear_svc_l1_matches_sklearn(dataset, C):
    # L1 penalty: the same sparsity pattern and weights at a tight tolerance
    X, y = _data(dataset)
    X = StandardScaler().fit_transform(X)
    kw = dict(penalty="l1", dual=False, C=C, tol=1e-8, max_iter=5000, random_state=0)
    ours = LinearSVC(**kw).fit(X, y)
    ref = sk_svm.LinearSVC(**kw).fit(X, y)
    assert_array_equal(ours.coef_ == 0, ref.coef_ == 0)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-4)
    assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4)
    assert_array_equal(ours.predict(X), ref.predict(X))


def test_linear_svc_defaults_and_weights():
    X, y = _data("breast_cancer")
    sw = np.random.RandomState(0).uniform(0.5, 2.0, size=y.size)
    kw = dict(class_weight="balanced", tol=1e-7, max_iter=100_000)
    ours = LinearSVC(**kw).fit(X, y, sample_weight=sw)
    ref = sk_svm.LinearSVC(**kw).fit(X, y, sample_weight=sw)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-3)
    assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-2)
    default_pred = LinearSVC().fit(X, y).predict(X)
    assert np.mean(default_pred == sk_svm.LinearSVC().fit(X, y).predict(X)) > 0.99
    no_int = LinearSVC(fit_intercept=False).fit(X, y)
    assert no_int.intercept_ == 0.0


def test_linear_svc_bad_input_and_convergence():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="at least 2 classes"):
        LinearSVC().fit(X, np.zeros(X.shape[0]))
    with pytest.raises(ValueError):
        LinearSVC(C=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="Unsupported set of arguments"):
        LinearSVC(loss="hinge", dual=False).fit(X, y)
    with pytest.raises(NotImplementedError):
        LinearSVC(multi_class="crammer_singer").fit(X, y)
    with pytest.raises(ValueError, match="Unsupported set of arguments"):
        LinearSVC(penalty="l1", dual=True).fit(X, y)
    with pytest.raises(NotFittedError):
        LinearSVC().predict(X)
    with pytest.warns(ConvergenceWarning, match="Liblinear failed to converge"):
        LinearSVC(max_iter=2).fit(X, y)
    m = LinearSVC(random_state=0).fit(X, y)
    assert_array_equal(pickle.loads(pickle.dumps(m)).predict(X), m.predict(X))


@parametrize_with_checks(
    [
        SVC(),
        SVR(),
        SVC(kernel="linear"),
        SVC(kernel="precomputed"),
        LinearSVC(),
        LinearSVC(penalty="l1", dual=False),
    ],
    expected_failed_checks=sklearn_xfails,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(4, 40),
    d=st.integers(1, 6),
    n_class=st.integers(2, 4),
    kernel=st.sampled_from(["linear", "rbf", "poly"]),
    C=st.floats(0.01, 100.0),
    seed=st.integers(0, 2**31 - 1),
    cache=st.sampled_from([0.001, 200.0]),
)
def test_svc_random_problems_match_sklearn(n, d, n_class, kernel, C, seed, cache):
    # awkward shapes (d=1, n close to n_class, duplicated rows, tiny caches):
    # the kernels run without bounds checks, so every shape must stay in range
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    X[n // 2 :] = X[: n - n // 2] if seed % 3 == 0 else X[n // 2 :]
    y = rng.randint(n_class, size=n)
    y[:n_class] = np.arange(n_class)
    kw = dict(kernel=kernel, C=C, cache_size=cache, decision_function_shape="ovo")
    ours = SVC(**kw).fit(X, y)
    ref = _sk(sk_svm.SVC, **kw).fit(X, y)
    assert_array_equal(ours.support_, ref.support_)
    scale = max(1.0, np.abs(ref.decision_function(X)).max())
    assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-6 * scale)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(3, 40), d=st.integers(1, 5), seed=st.integers(0, 2**31 - 1),
       eps=st.floats(0.0, 1.0))
def test_svr_random_problems_match_sklearn(n, d, seed, eps):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = X @ rng.randn(d) + 0.1 * rng.randn(n)
    ours = SVR(epsilon=eps, cache_size=0.001).fit(X, y)
    ref = sk_svm.SVR(epsilon=eps).fit(X, y)
    assert_array_equal(ours.support_, ref.support_)
    assert_allclose(ours.predict(X), ref.predict(X), atol=1e-6)
