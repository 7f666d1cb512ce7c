"""Shared decomposition numerics (the one-pass Gram matrix itself: tests/utils/test_gram.py)."""

import numpy as np
import pytest
import sklearn.decomposition as sk_decomposition
from numpy.testing import assert_allclose

from fastml.decomposition import PCA


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
