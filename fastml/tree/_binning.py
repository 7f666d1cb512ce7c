"""Bin X once into uint8 codes for the histogram splitter (``splitter="hist"``).

A forest bins its training data once and hands the same :class:`BinnedData` to
every tree (``tree._fit(X, y, w, check_input=False, binned=binned)``).

Bin ``b`` of feature ``f`` holds the values ``x`` with
``thresholds[f, b-1] < x <= thresholds[f, b]``, so a split "bin <= b" is the
split ``x <= thresholds[f, b]`` on raw data and fitted trees predict from raw X.
A feature with at most ``max_bins`` distinct values gets one bin per value and
thresholds at the midpoints sklearn's exact splitter uses; otherwise the edges
are midpoints between quantiles, as in
``sklearn.ensemble._hist_gradient_boosting.binning``.
"""

from typing import NamedTuple

import numpy as np

from fastml._cy import _tree_binning
from fastml.utils._sklearn import _openmp_effective_n_threads

MAX_BINS = 255
_SUBSAMPLE = 200_000  # quantiles are taken from at most this many sorted values


class BinnedData(NamedTuple):
    """X binned once: codes (n_features, n_samples) uint8, feature-major.

    ``thresholds`` (n_features, max(n_bins)) float64 are the bins' upper edges
    (``+inf`` past a feature's last bin); ``n_bins`` (n_features,) intp;
    ``values`` (n_features, max(n_bins)) float32: the value of each bin of a
    feature with one bin per distinct value (NaN for quantile-binned ones), so
    splits there get the exact splitter's thresholds.
    """

    codes: np.ndarray
    thresholds: np.ndarray
    n_bins: np.ndarray
    values: np.ndarray


def _feature_edges(col, max_bins):
    """(edges, values): values are the distinct values when each gets a bin."""
    s = np.sort(col)
    distinct = s[np.r_[True, s[1:] != s[:-1]]] if s.shape[0] else s
    if distinct.shape[0] <= max_bins:
        d = distinct.astype(np.float64)
        return d[:-1] / 2.0 + d[1:] / 2.0, distinct
    if s.shape[0] > _SUBSAMPLE:  # quantiles of an evenly spaced subsample
        s = s[np.linspace(0, s.shape[0] - 1, _SUBSAMPLE).astype(np.intp)]
    # np.percentile(..., method="midpoint") on the sorted column
    pos = np.linspace(0, 100, num=max_bins + 1)[1:-1] / 100 * (s.shape[0] - 1)
    lo, hi = np.floor(pos).astype(np.intp), np.ceil(pos).astype(np.intp)
    edges = s[lo].astype(np.float64) / 2.0 + s[hi].astype(np.float64) / 2.0
    return np.unique(edges), None


def bin_features(X, max_bins=MAX_BINS):
    """Bin a validated float32 X (n_samples, n_features) into at most max_bins bins.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), finite float32
    max_bins : int in [2, 255]

    Returns
    -------
    BinnedData

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.tree._binning import bin_features
    >>> b = bin_features(np.array([[0.], [1.], [1.], [3.]], dtype=np.float32))
    >>> b.codes.tolist(), b.thresholds.tolist(), b.n_bins.tolist()
    ([[0, 1, 1, 2]], [[0.5, 2.0, inf]], [3])
    """
    if not 2 <= max_bins <= MAX_BINS:
        raise ValueError(f"max_bins must be in [2, {MAX_BINS}], got {max_bins}.")
    Xt = np.ascontiguousarray(np.asarray(X, dtype=np.float32).T)
    n_features = Xt.shape[0]
    found = [_feature_edges(Xt[f], max_bins) for f in range(n_features)]
    n_bins = np.array([e.shape[0] + 1 for e, _ in found], dtype=np.intp)
    width = int(n_bins.max()) if n_features else 1
    thresholds = np.full((n_features, width), np.inf)
    values = np.full((n_features, width), np.nan, dtype=np.float32)
    codes = np.empty(Xt.shape, dtype=np.uint8)
    for f, (e, v) in enumerate(found):
        thresholds[f, : e.shape[0]] = e
        if v is not None:
            values[f, : v.shape[0]] = v
    # ~7 ns a value: a parallel region (and its wake-up on busy cores) costs
    # more than it saves below a few million values
    n_threads = _openmp_effective_n_threads() if Xt.size >= 1 << 22 else 1
    _tree_binning.bin_codes(Xt, thresholds, n_bins, codes, n_threads)
    return BinnedData(codes, thresholds, n_bins, values)
