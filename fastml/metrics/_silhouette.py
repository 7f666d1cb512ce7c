"""Silhouette coefficient computed by blocks, never the n x n distance matrix.

Same values as :func:`sklearn.metrics.silhouette_samples` (the euclidean
distances are formed as scikit-learn forms them, and summed in the same
order); the compiled kernel ``src_cy/_silhouette.pyx`` fuses the distance block
with the per-cluster sums, so working memory is a few MB per thread.
"""

from numbers import Integral

import numpy as np
from scipy.sparse import issparse
from sklearn.metrics import pairwise_distances_chunked
from sklearn.metrics.pairwise import _VALID_METRICS
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_X_y
from sklearn.utils.extmath import row_norms

from fastml._cy import _silhouette
from fastml.utils._sklearn import (
    Interval,
    StrOptions,
    _openmp_effective_n_threads,
    check_number_of_labels,
    check_random_state,
    validate_params,
)
from fastml.utils._threads import single_threaded_blas


# distance chunks of the generic-metric path stay below this many MB
_WORKING_MEMORY_MB = 64


def _reduce(D_chunk, start, labels, freqs, intra, inter, n_threads):
    # sklearn's _silhouette_reduce, compiled: per-cluster sums, then min
    if issparse(D_chunk):
        D_chunk = D_chunk.toarray()  # a chunk of rows: bounded
    as_float32 = D_chunk.dtype == np.float32
    D_chunk = np.ascontiguousarray(D_chunk, dtype=np.float64)
    _silhouette.distance_rows_sums(D_chunk, start, labels, freqs, as_float32,
                                   intra, inter, n_threads)


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "labels": ["array-like"],
        "metric": [StrOptions(set(_VALID_METRICS) | {"precomputed"}), callable],
    },
    prefer_skip_nested_validation=True,
)
def silhouette_samples(X, labels, *, metric="euclidean", **kwds):
    """Compute the Silhouette Coefficient for each sample.

    Same parameters and values as :func:`sklearn.metrics.silhouette_samples`;
    memory is bounded by blocks of rows instead of a chunk of the distance
    matrix. Euclidean distances on dense input run in one compiled kernel
    (GEMM block + per-cluster sums); other metrics compute distance chunks with
    :func:`sklearn.metrics.pairwise_distances_chunked` and reduce them in the
    compiled kernel.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples_a, n_samples_a) if \
            metric == "precomputed" or (n_samples_a, n_features) otherwise
        An array of pairwise distances between samples, or a feature array.
    labels : array-like of shape (n_samples,)
        Label values for each sample.
    metric : str or callable, default='euclidean'
        The metric to use when calculating distance between instances in a
        feature array, as in :func:`sklearn.metrics.pairwise_distances`, or
        "precomputed".
    **kwds : optional keyword parameters
        Passed to the distance function (``n_jobs`` also sets the threads of
        the compiled reduction).

    Returns
    -------
    silhouette : array-like of shape (n_samples,)
        Silhouette Coefficients for each sample.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from fastml.metrics import silhouette_samples
    >>> X, y = make_blobs(n_samples=50, random_state=42)
    >>> float(round(silhouette_samples(X, y).mean(), 4))
    0.8526
    """
    X, labels = check_X_y(X, labels, accept_sparse=["csr"])

    # Check for non-zero diagonal entries in precomputed distance matrix
    if metric == "precomputed":
        error_msg = ValueError(
            "The precomputed distance matrix contains non-zero "
            "elements on the diagonal. Use np.fill_diagonal(X, 0)."
        )
        if X.dtype.kind == "f":
            atol = np.finfo(X.dtype).eps * 100
            if np.any(np.abs(X.diagonal()) > atol):
                raise error_msg
        elif np.any(X.diagonal() != 0):  # integral dtype
            raise error_msg

    le = LabelEncoder()
    labels = le.fit_transform(labels)
    n_samples = len(labels)
    label_freqs = np.bincount(labels)
    check_number_of_labels(len(le.classes_), n_samples)

    labels = np.ascontiguousarray(labels, dtype=np.intp)
    freqs = label_freqs.astype(np.float64)
    n_threads = _openmp_effective_n_threads(kwds.get("n_jobs"))
    intra = np.empty(n_samples)
    inter = np.empty(n_samples)
    if metric == "euclidean" and not issparse(X) and not kwds.keys() - {"n_jobs"} \
            and X.dtype in (np.float32, np.float64):
        as_float32 = X.dtype == np.float32
        X = np.ascontiguousarray(X, dtype=np.float64)
        # BLAS inside prange would oversubscribe the cores
        with single_threaded_blas():
            _silhouette.euclidean_sums(X, row_norms(X, squared=True), labels,
                                       freqs, as_float32, intra, inter, n_threads)
        dtype = np.float32 if as_float32 else np.float64
    else:
        kwds["metric"] = metric
        kwds.setdefault("working_memory", _WORKING_MEMORY_MB)
        dtype, start = np.float64, 0
        for D_chunk in pairwise_distances_chunked(X, **kwds):
            dtype = D_chunk.dtype
            _reduce(D_chunk, start, labels, freqs, intra, inter, n_threads)
            start += D_chunk.shape[0]
        dtype = np.float32 if dtype == np.float32 else np.float64
    intra_clust_dists = intra.astype(dtype, copy=False)
    inter_clust_dists = inter.astype(dtype, copy=False)

    denom = (label_freqs - 1).take(labels, mode="clip")
    with np.errstate(divide="ignore", invalid="ignore"):
        intra_clust_dists /= denom
    sil_samples = inter_clust_dists - intra_clust_dists
    with np.errstate(divide="ignore", invalid="ignore"):
        sil_samples /= np.maximum(intra_clust_dists, inter_clust_dists)
    # nan values are for clusters of size 1, and should be 0
    return np.nan_to_num(sil_samples)


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "labels": ["array-like"],
        "metric": [StrOptions(set(_VALID_METRICS) | {"precomputed"}), callable],
        "sample_size": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def silhouette_score(
    X, labels, *, metric="euclidean", sample_size=None, random_state=None, **kwds
):
    """Compute the mean Silhouette Coefficient of all samples.

    Same parameters and value as :func:`sklearn.metrics.silhouette_score`
    (``sample_size`` draws the same random subset for the same
    ``random_state``), computed by :func:`silhouette_samples`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples_a, n_samples_a) if \
            metric == "precomputed" or (n_samples_a, n_features) otherwise
        An array of pairwise distances between samples, or a feature array.
    labels : array-like of shape (n_samples,)
        Predicted labels for each sample.
    metric : str or callable, default='euclidean'
        The metric to use when calculating distance between instances.
    sample_size : int, default=None
        The size of the sample to use when computing the Silhouette Coefficient
        on a random subset of the data. If None, no sampling is used.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for selecting a subset of samples.
    **kwds : optional keyword parameters
        Passed to the distance function.

    Returns
    -------
    silhouette : float
        Mean Silhouette Coefficient for all samples.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from fastml.metrics import silhouette_score
    >>> X, y = make_blobs(random_state=42)
    >>> round(silhouette_score(X, y), 4)
    0.847
    """
    if sample_size is not None:
        X, labels = check_X_y(X, labels, accept_sparse=["csc", "csr"])
        random_state = check_random_state(random_state)
        indices = random_state.permutation(X.shape[0])[:sample_size]
        if metric == "precomputed":
            X, labels = X[indices].T[indices].T, labels[indices]
        else:
            X, labels = X[indices], labels[indices]
    return float(np.mean(silhouette_samples(X, labels, metric=metric, **kwds)))
