"""bin_features / the compiled bin search: codes are scikit-learn-style bins."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from fastml._cy import _tree_binning
from fastml.tree._binning import bin_features

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


def _reference_codes(X, binned):
    # code = number of the feature's finite edges strictly below the value
    return np.array([
        np.searchsorted(binned.thresholds[f, : binned.n_bins[f] - 1],
                        X[:, f].astype(np.float64), side="left")
        for f in range(X.shape[1])
    ]).reshape(X.shape[1], X.shape[0])


@settings(max_examples=60, deadline=None)
@given(
    X=hnp.arrays(np.float32, st.tuples(st.integers(1, 400), st.integers(1, 4)),
                 elements=st.floats(width=32, allow_nan=False, allow_infinity=False)),
    max_bins=st.integers(2, 255),
)
def test_codes_equal_searchsorted(X, max_bins):
    binned = bin_features(X, max_bins)
    assert_array_equal(binned.codes, _reference_codes(X, binned))
    assert binned.codes.max(initial=0) < binned.n_bins.max()


@pytest.mark.parametrize("n_threads", [1, 2])
def test_codes_with_many_bins_and_threads(n_threads):
    rng = np.random.RandomState(0)
    X = np.c_[rng.randn(5000), rng.randint(0, 3, 5000), rng.rand(5000) * 1e-30,
              np.repeat(rng.randn(50), 100)].astype(np.float32)
    binned = bin_features(X, 255)
    codes = np.empty_like(binned.codes)
    _tree_binning.bin_codes(np.ascontiguousarray(X.T), binned.thresholds, binned.n_bins,
                            codes, n_threads)
    assert_array_equal(codes, _reference_codes(X, binned))
    assert_array_equal(binned.n_bins, [255, 3, 255, 50])
