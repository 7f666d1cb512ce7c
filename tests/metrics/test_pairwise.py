"""fastml.metrics.pairwise against scikit-learn 1.9.1 and exact references."""

import re
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)

from fastml._cy import _pairwise_common, _pairwise_dense
from fastml.metrics import pairwise as fm_pairwise
from fastml.metrics import (
    euclidean_distances,
    pairwise_distances,
    pairwise_distances_argmin,
    pairwise_distances_argmin_min,
)

METRICS = ["euclidean", "sqeuclidean", "manhattan", "chebyshev", "cosine"]
ALIASES = ["l2", "cityblock", "l1"]
DTYPES = [np.float64, np.float32]
LOADERS = [load_iris, load_digits, load_wine, load_breast_cancer, load_diabetes]


def assert_matches(ours, ref, dtype):
    """sklearn's dtype and values: 1e-7 (float64) / 1e-4 (float32) relative.

    The absolute slack covers entries near 0 (duplicate rows), where
    scikit-learn's |x|^2 + |y|^2 - 2x.y leaves rounding noise of order
    sqrt(eps) * |x| that fastml recomputes exactly.
    """
    assert ours.dtype == ref.dtype
    assert ours.shape == ref.shape
    rtol = 1e-7 if dtype == np.float64 else 1e-4
    scale = max(1.0, float(np.abs(ref).max()))
    assert_allclose(ours, ref, rtol=rtol, atol=rtol * scale)


def exact_sqeuclidean(X, Y):
    """float64 sum((x - y)^2): no cancellation."""
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)


@pytest.fixture(params=["fused", "blas"])
def euclidean_path(request, monkeypatch):
    """Run a test on both euclidean kernels: the fused AVX2 one and BLAS tiles."""
    if request.param == "fused" and not _pairwise_dense.HAS_FUSED:
        pytest.skip("this CPU has no AVX2+FMA")
    monkeypatch.setattr(fm_pairwise, "_USE_FUSED", request.param == "fused")
    return request.param


# --- pairwise_distances --------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
def test_pairwise_distances_matches_sklearn_on_real_data(loader, dtype, metric):
    X = loader().data.astype(dtype)[:400]
    A, B = X[::2], X[1::2]
    assert_matches(pairwise_distances(A, B, metric=metric),
                   skm.pairwise_distances(A, B, metric=metric), dtype)
    ours = pairwise_distances(X, metric=metric)
    assert_matches(ours, skm.pairwise_distances(X, metric=metric), dtype)
    assert_array_equal(np.diag(ours), 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", ALIASES)
def test_metric_aliases_match_sklearn(dtype, metric):
    X = load_iris().data.astype(dtype)
    A, B = X[:110], X[110:]
    assert_matches(pairwise_distances(A, B, metric=metric),
                   skm.pairwise_distances(A, B, metric=metric), dtype)
    for axis in (0, 1):
        idx, val = pairwise_distances_argmin_min(A, B, axis=axis, metric=metric)
        sk_idx, sk_val = skm.pairwise_distances_argmin_min(A, B, axis=axis, metric=metric)
        assert_array_equal(idx, sk_idx)  # iris has exact-arithmetic ties: same rounding
        assert_matches(val, sk_val, dtype)


AWKWARD = {
    "one row": lambda r: (r.standard_normal((1, 5)), r.standard_normal((7, 5))),
    "one feature": lambda r: (r.standard_normal((9, 1)), r.standard_normal((4, 1))),
    "wide 3x500": lambda r: (r.standard_normal((3, 500)), r.standard_normal((4, 500))),
    "duplicated rows": lambda r: (np.repeat(r.standard_normal((5, 3)), 4, axis=0),) * 2,
    "constant columns": lambda r: (np.hstack([r.standard_normal((30, 3)), np.ones((30, 2))]),
                                   np.hstack([r.standard_normal((20, 3)), np.ones((20, 2))])),
    "zero rows": lambda r: (np.vstack([np.zeros((2, 4)), r.standard_normal((5, 4))]),
                            np.vstack([r.standard_normal((3, 4)), np.zeros((1, 4))])),
    "tiny rows": lambda r: (np.vstack([np.full((1, 4), 1e-40), np.full((1, 4), 1e-8),
                                       r.standard_normal((5, 4))]),
                            np.vstack([r.standard_normal((3, 4)), np.full((1, 4), 1e-20)])),
    "many tiles": lambda r: (r.standard_normal((600, 7)), r.standard_normal((530, 7))),
    "features over a block": lambda r: (r.standard_normal((40, 600)), r.standard_normal((300, 600))),
    "integers": lambda r: (r.integers(-3, 4, (50, 3)), r.integers(-3, 4, (40, 3))),
}


@pytest.mark.parametrize("case", AWKWARD)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
def test_pairwise_distances_awkward_shapes(case, dtype, metric):
    X, Y = (a.astype(dtype) for a in AWKWARD[case](np.random.default_rng(0)))
    assert_matches(pairwise_distances(X, Y, metric=metric),
                   skm.pairwise_distances(X, Y, metric=metric), dtype)
    assert_matches(pairwise_distances(X, metric=metric),
                   skm.pairwise_distances(X, metric=metric), dtype)


def test_pairwise_distances_mixed_dtypes_lists_fortran_and_readonly():
    rng = np.random.default_rng(1)
    X32 = rng.standard_normal((30, 4)).astype(np.float32)
    Y64 = rng.standard_normal((20, 4))
    for metric in ("euclidean", "manhattan", "cosine"):
        assert_matches(pairwise_distances(X32, Y64, metric=metric),
                       skm.pairwise_distances(X32, Y64, metric=metric), np.float64)
        assert_matches(pairwise_distances(X32.tolist(), metric=metric),
                       skm.pairwise_distances(X32.tolist(), metric=metric), np.float64)
    F = np.asfortranarray(Y64)
    F.setflags(write=False)
    assert_matches(pairwise_distances(F, F), skm.pairwise_distances(F, F), np.float64)


@pytest.mark.parametrize("n_jobs", [None, 1, 2, -1])
def test_n_jobs_sets_threads_without_changing_results(n_jobs):
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((700, 9)), rng.standard_normal((300, 9))
    for metric in ("euclidean", "chebyshev"):
        assert_array_equal(pairwise_distances(X, Y, metric=metric, n_jobs=n_jobs),
                           pairwise_distances(X, Y, metric=metric, n_jobs=1))


@pytest.mark.parametrize(
    "metric, kwds",
    [("minkowski", {"p": 3}), ("canberra", {}), ("hamming", {}),
     (lambda a, b: np.abs(a - b).sum(), {}), ("chebyshev", {"w": np.arange(1.0, 4.0)})],
)
def test_non_accelerated_metrics_are_sklearns(metric, kwds):
    X = np.random.default_rng(3).standard_normal((12, 3))
    assert_array_equal(pairwise_distances(X, X[:5], metric=metric, **kwds),
                       skm.pairwise_distances(X, X[:5], metric=metric, **kwds))


def test_precomputed_and_sparse_are_sklearns():
    D = skm.pairwise_distances(np.random.default_rng(4).standard_normal((6, 2)))
    assert_array_equal(pairwise_distances(D, metric="precomputed"), D)
    S = sp.random(10, 6, density=0.4, format="csr", random_state=0)
    for metric in ("euclidean", "manhattan", "cosine"):
        assert_array_equal(pairwise_distances(S, metric=metric),
                           skm.pairwise_distances(S, metric=metric))
    assert_array_equal(euclidean_distances(S, S[:3]), skm.euclidean_distances(S, S[:3]))
    with pytest.raises(TypeError, match="sparse"):
        pairwise_distances(S, metric="chebyshev")


def test_nan_allowed_scipy_metric_is_sklearns():
    X = np.array([[0.0, np.nan], [1.0, 2.0]])
    assert_array_equal(pairwise_distances(X, metric="chebyshev", ensure_all_finite=False),
                       skm.pairwise_distances(X, metric="chebyshev", ensure_all_finite=False))


# --- euclidean_distances -------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("squared", [False, True])
def test_euclidean_distances_matches_sklearn(dtype, squared, euclidean_path):
    X = load_digits().data.astype(dtype)
    A, B = X[:700], X[700:1000]
    assert_matches(euclidean_distances(A, B, squared=squared),
                   skm.euclidean_distances(A, B, squared=squared), dtype)
    ours = euclidean_distances(A, squared=squared)
    assert_matches(ours, skm.euclidean_distances(A, squared=squared), dtype)
    assert_array_equal(np.diag(ours), 0)


@pytest.mark.parametrize("shape", ["flat", "column", "row"])
def test_euclidean_distances_uses_given_norms(shape, euclidean_path):
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((40, 3)), rng.standard_normal((30, 3))
    XX, YY = (X**2).sum(1), (Y**2).sum(1)
    reshape = {"flat": lambda a: a, "column": lambda a: a[:, None], "row": lambda a: a[None, :]}
    XX, YY = reshape[shape](XX), reshape[shape](YY)
    kw = dict(X_norm_squared=XX, Y_norm_squared=YY)
    assert_matches(euclidean_distances(X, Y, **kw), skm.euclidean_distances(X, Y, **kw), np.float64)
    # the norms are trusted (not recomputed): wrong norms change the result, as sklearn
    wrong = dict(X_norm_squared=np.full(40, 100.0), Y_norm_squared=YY.ravel())
    assert_matches(euclidean_distances(X, Y, **wrong),
                   skm.euclidean_distances(X, Y, **wrong), np.float64)
    assert_matches(pairwise_distances(X, Y, squared=True, **kw),
                   skm.pairwise_distances(X, Y, squared=True, **kw), np.float64)


def test_float32_norms_are_ignored_as_sklearn():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((20, 3)).astype(np.float32)
    bogus = np.full(20, 1e6, dtype=np.float32)
    assert_array_equal(euclidean_distances(X, X[:5], X_norm_squared=bogus),
                       euclidean_distances(X, X[:5]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_near_duplicates_have_no_catastrophic_cancellation(dtype, euclidean_path):
    # magnitude 1e3, offsets 1e-4: |x|^2 + |y|^2 - 2x.y loses every digit
    rng = np.random.default_rng(7)
    Y = (1e3 + rng.standard_normal((300, 16))).astype(dtype)
    X = (Y.astype(np.float64) + 1e-4 * rng.standard_normal(Y.shape)).astype(dtype)
    exact = exact_sqeuclidean(X, Y)
    ours = euclidean_distances(X, Y, squared=True)
    assert ours.dtype == dtype
    rtol = 1e-7 if dtype == np.float64 else 1e-4
    assert_allclose(ours, exact, rtol=rtol)
    assert_allclose(euclidean_distances(X, Y), np.sqrt(exact), rtol=rtol)
    # the data really is hard: the plain GEMM form in the input dtype fails it
    naive = (X**2).sum(1)[:, None] - 2 * X @ Y.T + (Y**2).sum(1)[None, :]
    assert np.abs(np.diag(naive) - np.diag(exact)).max() > 1e-3 * np.diag(exact).max()
    # and the argmin reduction is just as exact
    idx, val = pairwise_distances_argmin_min(X, Y, metric="sqeuclidean")
    assert_array_equal(idx, exact.argmin(1))
    assert_allclose(val, exact.min(1), rtol=rtol)


# Shapes around the fused kernel's blocking: 6x8 register blocks, row blocks
# of min(120, 16384 // d // 6 * 6) rows, column blocks of 16384 // d // 8 panels.
FUSED_SHAPES = [(1, 1, 1), (5, 7, 3), (6, 8, 64), (7, 9, 64), (121, 300, 2),
                (245, 263, 64), (13, 17, 700), (8, 10, 3000)]


@pytest.mark.parametrize("n_x, n_y, d", FUSED_SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_euclidean_block_edges_match_exact_and_blas(n_x, n_y, d, dtype, monkeypatch):
    monkeypatch.setattr(fm_pairwise, "_FUSED_MAX_FEATURES", 10**9)  # fused at any d
    rng = np.random.default_rng(n_x + n_y + d)
    X, Y = (rng.standard_normal((n, d)).astype(dtype) for n in (n_x, n_y))
    exact = exact_sqeuclidean(X, Y)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    for squared in (True, False):
        ours = euclidean_distances(X, Y, squared=squared)
        ref = exact if squared else np.sqrt(exact)
        assert ours.dtype == dtype
        assert_allclose(ours, ref, rtol=10 * tol, atol=tol * np.abs(ref).max())
        with monkeypatch.context() as m:
            m.setattr(fm_pairwise, "_USE_FUSED", False)
            blas = euclidean_distances(X, Y, squared=squared)
        assert_allclose(ours, blas, rtol=10 * tol, atol=tol * np.abs(ref).max())
    same = euclidean_distances(X)
    assert_array_equal(np.diag(same), 0)
    assert_allclose(same, np.sqrt(exact_sqeuclidean(X, X)), rtol=10 * tol,
                    atol=tol * np.sqrt(exact_sqeuclidean(X, X)).max())


@pytest.mark.parametrize("dtype", DTYPES)
def test_near_duplicates_inside_full_blocks(dtype, euclidean_path):
    # a few near-duplicate pairs in full register blocks, far from the first
    # one, amid ordinary pairs: the flagged blocks are finished exactly and the
    # deferred square roots of the blocks around them are not lost
    rng = np.random.default_rng(9)
    X = (1e3 + rng.standard_normal((250, 16))).astype(dtype)
    Y = (1e3 + rng.standard_normal((270, 16))).astype(dtype)
    for i, j in [(20, 30), (131, 77), (249, 263)]:
        Y[j] = (X[i].astype(np.float64) + 1e-4 * rng.standard_normal(16)).astype(dtype)
    exact = exact_sqeuclidean(X, Y)
    rtol = 1e-7 if dtype == np.float64 else 1e-4
    assert_allclose(euclidean_distances(X, Y, squared=True), exact, rtol=rtol)
    assert_allclose(euclidean_distances(X, Y), np.sqrt(exact), rtol=rtol)


def test_fused_kernel_is_thread_count_independent():
    if not _pairwise_dense.HAS_FUSED:
        pytest.skip("this CPU has no AVX2+FMA")
    rng = np.random.default_rng(10)
    X, Y = rng.standard_normal((500, 33)), rng.standard_normal((90, 33))
    none = np.empty(0)
    outs = []
    for n_threads in (1, 2, 3):
        out = np.empty((500, 90))
        _pairwise_dense.euclidean_fused(X, Y, none, none, out, False, False, n_threads)
        outs.append(out)
    assert_array_equal(outs[0], outs[1])
    assert_array_equal(outs[0], outs[2])


def test_sq_row_norms_helper():
    X = np.random.default_rng(8).standard_normal((600, 5))
    out = np.empty(600)
    _pairwise_common.sq_row_norms(X, out, 2)
    assert_allclose(out, np.einsum("ij,ij->i", X, X), rtol=1e-14)
    _pairwise_common.inv_row_norms(np.vstack([X, np.zeros((1, 5))]), out := np.empty(601), 2)
    assert_allclose(out[:600], 1 / np.linalg.norm(X, axis=1), rtol=1e-14)
    assert out[600] == 1.0


# --- argmin / argmin_min -------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
def test_argmin_min_matches_sklearn(loader, dtype, metric):
    X = loader().data.astype(dtype)
    X, Y = X[: len(X) - 40], X[len(X) - 40:]
    for axis in (0, 1):
        idx, val = pairwise_distances_argmin_min(X, Y, axis=axis, metric=metric)
        sk_idx, sk_val = skm.pairwise_distances_argmin_min(X, Y, axis=axis, metric=metric)
        assert_array_equal(idx, sk_idx)
        assert idx.dtype == sk_idx.dtype
        assert_matches(val, sk_val, dtype)
        assert_array_equal(pairwise_distances_argmin(X, Y, axis=axis, metric=metric), sk_idx)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("n_x", [3, 700])  # few X rows: the kernel splits Y between threads
def test_argmin_ties_pick_the_lowest_index(metric, n_x):
    rng = np.random.default_rng(9)
    X = rng.integers(-2, 3, (n_x, 3)).astype(np.float64)
    # 4 identical copies of 300 integer rows, far apart in index (other threads' ranges)
    Y = np.tile(rng.integers(-2, 3, (300, 3)).astype(np.float64), (4, 1))
    idx, val = pairwise_distances_argmin_min(X, Y, metric=metric)
    sk_idx, sk_val = skm.pairwise_distances_argmin_min(X, Y, metric=metric)
    assert_array_equal(idx, sk_idx)
    assert_allclose(val, sk_val, rtol=1e-7, atol=1e-12)
    assert (idx < 300).all()
    full = skm.pairwise_distances(X, Y, metric=metric)
    assert_array_equal(idx, full.argmin(1))  # numpy's argmin: first minimum


def test_argmin_min_squared_metric_kwargs_and_delegation():
    rng = np.random.default_rng(10)
    X, Y = rng.standard_normal((50, 4)), rng.standard_normal((30, 4))
    for metric, kw in [("euclidean", {"squared": True}), ("minkowski", {"p": 3}),
                       ("sqeuclidean", None), (lambda a, b: np.abs(a - b).max(), None)]:
        idx, val = pairwise_distances_argmin_min(X, Y, metric=metric, metric_kwargs=kw)
        sk_idx, sk_val = skm.pairwise_distances_argmin_min(X, Y, metric=metric, metric_kwargs=kw)
        assert_array_equal(idx, sk_idx)
        assert_matches(val, sk_val, np.float64)


def test_argmin_min_memory_is_bounded():
    rng = np.random.default_rng(11)
    n, m = 20000, 1500
    X, Y = rng.standard_normal((n, 8)), rng.standard_normal((m, 8))
    pairwise_distances_argmin_min(X[:10], Y)  # warm-up: lazy imports
    tracemalloc.start()
    idx, _ = pairwise_distances_argmin_min(X, Y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # kernel scratch uses PyMem_RawMalloc, so tracemalloc sees it too;
    # the n x m matrix would be 240 MB
    assert peak < 8 * n * m / 20
    assert_array_equal(idx, skm.pairwise_distances_argmin(X, Y))


# --- bad input -----------------------------------------------------------


def _same_error(ours, theirs):
    with pytest.raises(Exception) as sk_err:
        theirs()
    with pytest.raises(type(sk_err.value), match=re.escape(str(sk_err.value)[:60])):
        ours()


BAD = {
    "nan": (np.array([[0.0, np.nan], [1.0, 2.0]]), None),
    "inf": (np.array([[0.0, np.inf], [1.0, 2.0]]), None),
    "empty": (np.empty((0, 3)), None),
    "no features": (np.empty((3, 0)), None),
    "1-D": (np.arange(3.0), None),
    "mismatched n_features": (np.ones((3, 2)), np.ones((4, 3))),
    "strings": (np.array([["a", "b"]]), None),
}


@pytest.mark.parametrize("case", BAD)
@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "manhattan", "cosine", "chebyshev"])
def test_bad_input_raises_like_sklearn(case, metric):
    X, Y = BAD[case]
    _same_error(lambda: pairwise_distances(X, Y, metric=metric),
                lambda: skm.pairwise_distances(X, Y, metric=metric))
    Y2 = X if Y is None else Y
    _same_error(lambda: pairwise_distances_argmin_min(X, Y2, metric=metric),
                lambda: skm.pairwise_distances_argmin_min(X, Y2, metric=metric))
    _same_error(lambda: pairwise_distances_argmin(X, Y2, metric=metric),
                lambda: skm.pairwise_distances_argmin(X, Y2, metric=metric))
    if metric == "euclidean":
        _same_error(lambda: euclidean_distances(X, Y), lambda: skm.euclidean_distances(X, Y))


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.pairwise_distances(np.ones((2, 2)), metric="nope"),
        lambda m: m.pairwise_distances(np.ones((2, 2)), n_jobs="2"),
        lambda m: m.pairwise_distances(np.ones((2, 2)), metric="manhattan", bogus=1),
        lambda m: m.pairwise_distances(-np.ones((2, 2)), metric="precomputed"),
        lambda m: m.euclidean_distances(np.ones((2, 2)), squared="yes"),
        lambda m: m.euclidean_distances(np.ones((2, 2)), X_norm_squared=np.ones(3)),
        lambda m: m.euclidean_distances(np.ones((2, 2)), np.ones((3, 2)), Y_norm_squared=np.ones((2, 2))),
        lambda m: m.pairwise_distances_argmin_min(np.ones((2, 2)), np.ones((2, 2)), axis=2),
        lambda m: m.pairwise_distances_argmin_min(np.ones((2, 2)), np.ones((2, 2)), metric="nope"),
        lambda m: m.pairwise_distances_argmin(np.ones((2, 2)), np.ones((2, 2)), metric_kwargs=[1]),
    ],
)
def test_invalid_parameters_raise_like_sklearn(call):
    import fastml.metrics as fm

    _same_error(lambda: call(fm), lambda: call(skm))


# --- property-based ------------------------------------------------------


@st.composite
def _pair(draw):
    dtype = draw(st.sampled_from(DTYPES))
    d = draw(st.integers(1, 12))
    elems = st.floats(-1e3, 1e3, allow_nan=False, width=32)
    X = draw(arrays(dtype, (draw(st.integers(1, 30)), d), elements=elems))
    Y = draw(arrays(dtype, (draw(st.integers(1, 30)), d), elements=elems))
    return X, Y, draw(st.sampled_from(METRICS))


@settings(max_examples=40, deadline=None)
@given(_pair())
def test_hypothesis_matches_sklearn(case):
    X, Y, metric = case
    ref = skm.pairwise_distances(X, Y, metric=metric)
    ours = pairwise_distances(X, Y, metric=metric)
    assert ours.dtype == ref.dtype
    if metric in ("euclidean", "l2"):
        # sklearn's own error near 0 is sqrt(eps * |x|^2): compare to exact instead
        exact = np.sqrt(exact_sqeuclidean(X, Y))
        tol = 1e-6 if X.dtype == np.float32 else 1e-12
        assert_allclose(ours, exact, rtol=tol * 10, atol=tol * (1 + np.abs(exact).max()))
    elif metric == "cosine":
        assert_allclose(ours, ref, rtol=1e-4, atol=1e-5 if X.dtype == np.float32 else 1e-10)
    else:
        assert_matches(ours, ref, X.dtype)
    idx, val = pairwise_distances_argmin_min(X, Y, metric=metric)
    # near-ties may break differently from sklearn by rounding: check the minimum
    assert_allclose(ours[np.arange(len(X)), idx], ours.min(1), rtol=1e-5, atol=1e-5)
