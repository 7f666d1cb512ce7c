"""Shared decomposition numerics: the one-pass Gram matrix and column sums."""

import numpy as np
import pytest
import sklearn.decomposition as sk_decomposition
from numpy.testing import assert_allclose

from fastml.decomposition import PCA
from fastml.decomposition._linalg import gram_and_column_sums


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (20_000, 7), (9_000, 33), (3_000, 1)])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_gram_and_column_sums(shape, dtype, rtol, n_threads):
    # (20000, 7) and (9000, 33) span several row blocks, so the threaded
    # reduction over blocks is exercised
    X = np.random.RandomState(0).randn(*shape).astype(dtype) + 3.0
    gram, sums = gram_and_column_sums(X, n_threads)
    X64 = X.astype(np.float64)
    assert gram.dtype == dtype and sums.dtype == np.float64
    assert_allclose(gram, X64.T @ X64, rtol=rtol)
    assert_allclose(sums, X64.sum(axis=0), rtol=1e-12)


def test_gram_and_column_sums_deterministic():
    X = np.random.RandomState(1).randn(30_000, 11)
    a = gram_and_column_sums(X, 2)
    b = gram_and_column_sums(X, 2)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-8), (np.float32, 1e-3)])
def test_covariance_eigh_on_many_row_blocks_matches_sklearn(dtype, atol):
    # tall enough for the Gram matrix to be summed over many threaded blocks
    rng = np.random.RandomState(0)
    X = (rng.randn(30_000, 40) @ rng.randn(40, 40) + 5.0).astype(dtype)
    ours = PCA(6, svd_solver="covariance_eigh").fit(X)
    ref = sk_decomposition.PCA(6, svd_solver="covariance_eigh").fit(X)
    assert ours.mean_.dtype == ref.mean_.dtype == dtype
    assert_allclose(ours.mean_, ref.mean_, rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert_allclose(ours.components_, ref.components_, atol=atol)
    assert_allclose(ours.explained_variance_, ref.explained_variance_,
                    rtol=1e-4 if dtype == np.float32 else 1e-10)
