"""LogisticRegression: scikit-learn's optimum and predictions on real data."""

import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import sklearn.linear_model as sk
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler

from fastml._cy import _logistic_loss
from fastml.linear_model import LogisticRegression
from fastml.linear_model._logistic import _encode_labels

LOADERS = [load_iris, load_wine, load_breast_cancer, load_digits]


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "params",
    [{}, {"C": 0.05, "class_weight": "balanced"}, {"fit_intercept": False}, {"C": 10.0}],
    ids=str,
)
def test_lbfgs_same_iterates_as_sklearn(loader, params):
    X, y = _scaled(loader)
    sw = np.random.RandomState(0).uniform(0.5, 2, y.shape[0])
    for s in (None, sw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ours = LogisticRegression(**params).fit(X, y, sample_weight=s)
            theirs = sk.LogisticRegression(**params).fit(X, y, sample_weight=s)
        assert_array_equal(ours.predict(X), theirs.predict(X))
        assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-6)
        assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-6)
        assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-7)
        assert_allclose(ours.decision_function(X), theirs.decision_function(X), atol=1e-6)
        assert_array_equal(ours.n_iter_, theirs.n_iter_)
        assert_array_equal(ours.classes_, theirs.classes_)


@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
def test_saga_reaches_sklearn_optimum(loader, l1_ratio):
    X, y = _scaled(loader)
    params = dict(solver="saga", l1_ratio=l1_ratio, C=0.5, tol=1e-6, max_iter=3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = LogisticRegression(random_state=0, **params).fit(X, y)
        theirs = sk.LogisticRegression(random_state=0, **params).fit(X, y)
    # two stochastic solvers stopped at tol: compare at the solver's resolution
    assert_allclose(ours.coef_, theirs.coef_, atol=2e-2 * max(1, np.abs(theirs.coef_).max()))
    assert (ours.predict(X) == theirs.predict(X)).mean() >= 0.99
    if l1_ratio == 1.0:  # the l1 optimum is sparse in the same places
        assert_array_equal(np.abs(ours.coef_) < 1e-3, np.abs(theirs.coef_) < 1e-3)


def test_float32_strings_and_no_penalty():
    X, y = _scaled(load_iris)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    ours = LogisticRegression().fit(X.astype(np.float32), labels)
    theirs = sk.LogisticRegression().fit(X.astype(np.float32), labels)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-3, atol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = LogisticRegression(C=np.inf, max_iter=50).fit(X, y)
        theirs = sk.LogisticRegression(C=np.inf, max_iter=50).fit(X, y)
    assert_array_equal(ours.predict(X), theirs.predict(X))


def test_warnings_errors_and_pickle():
    X, y = _scaled(load_breast_cancer)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        LogisticRegression(max_iter=2).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="max_iter was reached"):
        LogisticRegression(solver="saga", l1_ratio=1.0, max_iter=1).fit(X, y)
    for call in [
        lambda m: m.LogisticRegression().fit(X, np.zeros_like(y)),
        lambda m: m.LogisticRegression(C=-1.0).fit(X, y),
        lambda m: m.LogisticRegression(l1_ratio=1.0).fit(X, y),
        lambda m: m.LogisticRegression(dual=True).fit(X, y),
        lambda m: m.LogisticRegression().fit(X, y.astype(float) + 0.5),
        lambda m: m.LogisticRegression().fit(np.where(X > 1, np.nan, X), y),
        lambda m: m.LogisticRegression().fit(X[:, 0], y),
    ]:
        with pytest.raises(Exception) as theirs:
            call(sk)
        with pytest.raises(type(theirs.value)):
            call(__import__("fastml.linear_model", fromlist=["LogisticRegression"]))
    with pytest.raises(NotFittedError):
        LogisticRegression().predict(X)
    est = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError):
        est.predict_proba(X[:, :3])
    assert_array_equal(pickle.loads(pickle.dumps(est)).predict_proba(X), est.predict_proba(X))


def test_warm_start():
    X, y = _scaled(load_digits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = LogisticRegression(max_iter=5, warm_start=True)
        ref = sk.LogisticRegression(max_iter=5, warm_start=True)
        for _ in range(3):
            est.fit(X, y)
            ref.fit(X, y)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-7)


@pytest.fixture(params=[True, False], ids=["simd", "portable"])
def simd(request):
    # the AVX2 four-row path (where the CPU has it) and the portable one
    previous = _logistic_loss.set_simd(request.param)
    yield
    _logistic_loss.set_simd(previous)


@pytest.mark.parametrize("n_classes", [1, 3])
def test_fused_kernel_matches_numpy(n_classes, simd, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    # 64 * 256 + 3 rows: more than 256 rows per block (the kernel caps blocks at
    # 64); p = 1, 7, 9: the four-wide kernels' remainders; scale 30: every branch
    # of the binomial loss (raw below -37 and above 18 too)
    for n, p, scale in [(1, 7, 1), (255, 7, 1), (257, 1, 1), (1000, 9, 30), (1003, 7, 1),
                        (64 * 256 + 3, 7, 1)]:
        X = rng.normal(size=(n, p)) * scale
        y = rng.randint(0, max(2, n_classes), n).astype(float)
        sw = rng.uniform(0.1, 2, n)
        W = rng.normal(size=(n_classes, p + 1))
        for dtype in (np.float64, np.float32):
            for s, fit_intercept in [(sw, True), (None, True), (None, False)]:
                w = np.ones(n) if s is None else s
                Wf = W if fit_intercept else np.ascontiguousarray(W[:, :p])
                grad = np.empty_like(Wf)
                loss = _logistic_loss.loss_gradient(
                    X.astype(dtype), y.astype(dtype),
                    np.empty(0, dtype) if s is None else s.astype(dtype),
                    Wf, grad, fit_intercept, 2)
                Xd = X.astype(dtype).astype(np.float64)
                raw = Xd @ W[:, :p].T + (W[:, p] if fit_intercept else 0)
                if n_classes == 1:
                    r = raw[:, 0]
                    ref_loss = np.sum(w * (np.logaddexp(0, r) - y * r))
                    G = (w * (1 / (1 + np.exp(-r)) - y))[:, None]
                else:
                    lse = np.logaddexp.reduce(raw, axis=1)
                    ref_loss = np.sum(w * (lse - raw[np.arange(n), y.astype(int)]))
                    G = np.exp(raw - lse[:, None])
                    G[np.arange(n), y.astype(int)] -= 1
                    G *= w[:, None]
                ref_grad = G.T @ Xd
                if fit_intercept:
                    ref_grad = np.hstack([ref_grad, G.sum(0)[:, None]])
                rtol = 1e-10 if dtype == np.float64 else 1e-4
                assert_allclose(loss, ref_loss, rtol=rtol)
                assert_allclose(grad, ref_grad, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("n_classes", [1, 4])
def test_fused_kernel_does_not_depend_on_thread_count(n_classes):
    # per-block gradient slabs reduced in block order: bit-identical results
    rng = np.random.RandomState(0)
    # large enough for the kernel to use 2 threads (one per 2M multiply-adds)
    for n, p in [(3000, 1), (110000, 19)] if n_classes == 1 else [(3000, 2), (60000, 9)]:
        X = rng.normal(size=(n, p))
        y = rng.randint(0, max(2, n_classes), n).astype(float)
        W = rng.normal(size=(n_classes, p + 1))
        out = []
        with ThreadPoolExecutor(2) as pool:
            for n_threads in (1, 2, 3):
                grad = np.empty_like(W)
                loss = _logistic_loss.loss_gradient(X, y, np.empty(0), W, grad, True,
                                                    n_threads, pool)
                out.append((loss, grad))
        for loss, grad in out[1:]:
            assert loss == out[0][0]
            assert_array_equal(grad, out[0][1])


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([np.int8, np.int64, np.uint8, np.uint64]),
       st.lists(st.integers(0, 300), min_size=1, max_size=60), st.integers(-5, 5))
def test_encode_labels_is_np_unique(dtype, values, shift):
    # the counting fast path (small non-negative integers) and the np.unique
    # fallback (negative labels, wide ranges) agree with np.unique exactly
    y = np.array(values) + (shift if np.issubdtype(dtype, np.signedinteger) else 0)
    if np.issubdtype(dtype, np.unsignedinteger) and shift > 3:
        y = y + 10**9  # a range too wide to count
    y = y.astype(dtype)
    classes, index = _encode_labels(y)
    ref_classes, ref_index = np.unique(y, return_inverse=True)
    assert classes.dtype == ref_classes.dtype
    assert_array_equal(classes, ref_classes)
    assert_array_equal(index, ref_index)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("solver", ["lbfgs", "saga"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_non_finite_X_same_error_as_sklearn(bad, solver):
    # lbfgs checks X on its first loss evaluation: a non-finite entry makes its
    # column's gradient NaN or inf whatever the labels and weights
    X, y = load_iris(return_X_y=True)
    for labels, warm in [(y, False), (y % 2, False), (y % 2, True)]:
        Xb = X.copy()
        Xb[7, 2] = bad
        est = LogisticRegression(solver=solver, warm_start=warm)
        if warm:
            est.fit(X, labels)
        with pytest.raises(ValueError) as theirs:
            sk.LogisticRegression(solver=solver).fit(Xb, labels)
        with pytest.raises(ValueError) as ours:
            est.fit(Xb, labels)
        assert str(ours.value) == str(theirs.value)
