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

MAX_BINS = 255
_SUBSAMPLE = 200_000  # quantiles are estimated on at most this many rows


class BinnedData(NamedTuple):
    """X binned once: codes (n_features, n_samples) uint8, feature-major.

    ``thresholds`` (n_features, max(n_bins)) float64 are the bins' upper edges
    (``+inf`` past a feature's last bin); ``n_bins`` (n_features,) intp.
    """

    codes: np.ndarray
    thresholds: np.ndarray
    n_bins: np.ndarray


def _feature_edges(col, max_bins, rng):
    distinct = np.unique(col)
    if distinct.shape[0] <= max_bins:
        d = distinct.astype(np.float64)
        return d[:-1] / 2.0 + d[1:] / 2.0
    if col.shape[0] > _SUBSAMPLE:
        col = col[rng.choice(col.shape[0], _SUBSAMPLE, replace=False)]
    percentiles = np.linspace(0, 100, num=max_bins + 1)[1:-1]
    edges = np.percentile(col.astype(np.float64), percentiles, method="midpoint")
    return np.unique(edges)


def bin_features(X, max_bins=MAX_BINS, random_state=0):
    """Bin a validated float32 X (n_samples, n_features) into at most max_bins bins.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), finite float32
    max_bins : int in [2, 255]
    random_state : int, seed of the row subsample used for quantiles

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
    X = np.asarray(X, dtype=np.float32)
    n_features = X.shape[1]
    rng = np.random.RandomState(random_state)
    edges = [_feature_edges(X[:, f], max_bins, rng) for f in range(n_features)]
    n_bins = np.array([e.shape[0] + 1 for e in edges], dtype=np.intp)
    width = int(n_bins.max()) if n_features else 1
    thresholds = np.full((n_features, width), np.inf)
    codes = np.empty((n_features, X.shape[0]), dtype=np.uint8)
    for f, e in enumerate(edges):
        thresholds[f, : e.shape[0]] = e
        # side="left": x <= edge[b] exactly when its code is <= b.
        codes[f] = np.searchsorted(e, X[:, f].astype(np.float64), side="left")
    return BinnedData(codes, thresholds, n_bins)
