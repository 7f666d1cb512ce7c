"""The one-pass Gram matrix and column sums shared by PCA and the coordinate-descent models."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from fastml.utils._gram import check_finite_from_sums, gram_and_column_sums


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (20_000, 7), (9_000, 33), (3_000, 1)])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_plain_gram_is_xtx(shape, dtype, rtol, n_threads):
    # (20000, 7) and (9000, 33) span several row blocks, so the threaded
    # reduction over blocks is exercised
    X = np.random.RandomState(0).randn(*shape).astype(dtype) + 3.0
    gram, sums = gram_and_column_sums(X, n_threads)
    X64 = X.astype(np.float64)
    assert gram.dtype == dtype and sums.dtype == np.float64
    assert_allclose(gram, X64.T @ X64, rtol=rtol)
    assert_allclose(sums, X64.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("n, p, k", [(1, 1, 1), (255, 3, 2), (1000, 20, 3), (5000, 40, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_shifted_weighted_gram_with_targets(n, p, k, dtype, n_threads, global_random_seed):
    # Z = [X | Y] - z0, weighted: float64 whatever X's dtype; (5000, 40, 1)
    # spans several copied blocks
    rng = np.random.RandomState(global_random_seed)
    X = (rng.normal(size=(n, p)) + 5.0).astype(dtype)
    X[:, 0] = 2.5  # constant column: exactly zero moments about the first row
    Y = rng.normal(size=(n, k)).astype(dtype)
    sw = rng.uniform(0.1, 2, n)
    for s, shift in [(None, True), (sw, True), (sw, False), (None, False)]:
        G, sums = gram_and_column_sums(X, n_threads, Y=Y, sample_weight=s, shift=shift)
        assert G.dtype == sums.dtype == np.float64 and G.shape == (p + k, p + k)
        Z = np.hstack([X, Y]).astype(np.float64)
        D = Z - (Z[0] if shift else 0)
        w = np.ones(n) if s is None else s
        assert_allclose(G, (D * w[:, None]).T @ D, rtol=1e-12, atol=1e-9)
        assert_allclose(sums, w @ D, rtol=1e-12, atol=1e-9)
        if shift:
            assert G[0, 0] == 0 and sums[0] == 0


def test_gram_deterministic():
    X = np.random.RandomState(1).randn(30_000, 11)
    Y = X[:, :1] * 2
    for kw in ({}, dict(Y=Y, shift=True)):
        a = gram_and_column_sums(X, 2, **kw)
        b = gram_and_column_sums(X, 2, **kw)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


class _Est:
    pass


@pytest.mark.parametrize("bad, msg", [(np.nan, "contains NaN"), (np.inf, "infinity"),
                                      (-np.inf, "infinity")])
def test_check_finite_from_sums(bad, msg):
    X = np.random.RandomState(0).randn(3000, 5)
    X[1234, 3] = bad
    for kw in ({}, dict(Y=X[:, :1] * 0 + 1, shift=True)):
        _, sums = gram_and_column_sums(X, 2, **kw)
        assert not np.isfinite(sums).all()
        with pytest.raises(ValueError, match=msg):
            check_finite_from_sums(sums, X, _Est())
    # a false alarm (finite values whose sum overflows) passes the full check
    big = np.full((4, 2), 1e308)
    _, sums = gram_and_column_sums(big, 1)
    assert not np.isfinite(sums).all()
    check_finite_from_sums(sums, big, _Est())
