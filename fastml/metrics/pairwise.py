"""Pairwise distances with compiled, tiled kernels (mirrors ``sklearn.metrics.pairwise``).

Accelerated (dense input): metrics ``euclidean``/``l2``, ``sqeuclidean``,
``manhattan``/``cityblock``/``l1``, ``chebyshev`` and ``cosine``. Anything else
(other scipy metrics, callables, ``precomputed``, metric keyword arguments
other than euclidean's, sparse input, ``ensure_all_finite != True`` for the
scipy metrics) is handed to scikit-learn's own implementation and is **not
accelerated**; the results are then scikit-learn's exactly.

Validation is scikit-learn's (``validate_params`` and ``check_pairwise_arrays``),
so bad input raises the same exceptions before any kernel runs.
"""

from numbers import Integral

import numpy as np
from scipy.sparse import issparse
from sklearn.metrics import pairwise as _sk
from sklearn.metrics.pairwise import check_pairwise_arrays
from sklearn.utils import check_array

from fastml._cy import _pairwise_argmin, _pairwise_common, _pairwise_dense
from fastml._cy._pairwise_common import Metric
from fastml.utils._sklearn import (
    _VALID_METRICS,
    ArgKmin,
    Options,
    StrOptions,
    _openmp_effective_n_threads,
    validate_params,
)
from fastml.utils._threads import single_threaded_blas

__all__ = [
    "euclidean_distances",
    "pairwise_distances",
    "pairwise_distances_argmin",
    "pairwise_distances_argmin_min",
]

_METRICS = {
    "euclidean": Metric.EUCLIDEAN,
    "l2": Metric.EUCLIDEAN,
    "sqeuclidean": Metric.SQEUCLIDEAN,
    "manhattan": Metric.MANHATTAN,
    "cityblock": Metric.MANHATTAN,
    "l1": Metric.MANHATTAN,
    "chebyshev": Metric.CHEBYSHEV,
    "cosine": Metric.COSINE,
}
# scikit-learn computes these with scipy's cdist, which always returns float64
_SCIPY_METRICS = {"sqeuclidean", "chebyshev"}
# Euclidean matrices by the fused AVX2 micro-kernel where the CPU has it (else
# a BLAS GEMM per tile, then a pass over it); tests switch it off to cover both.
_USE_FUSED = _pairwise_dense.HAS_FUSED
# Beyond this many features BLAS wins: the fused kernel has no feature
# blocking, so its 6- and 8-row panels stop fitting in L1/L2 (measured: tie at
# 512, BLAS 1.7x faster at 1024).
_FUSED_MAX_FEATURES = 512

def _norms(metric, X, n_threads):
    """The per-row quantity a GEMM-based tile needs (float64), else an empty array."""
    out = np.empty(X.shape[0] if metric in (Metric.EUCLIDEAN, Metric.COSINE) else 0)
    if metric == Metric.EUCLIDEAN:
        _pairwise_common.sq_row_norms(X, out, n_threads)
    elif metric == Metric.COSINE:
        _pairwise_common.inv_row_norms(X, out, n_threads)
    return out


def _dense_distances(metric, X, Y, *, XX=None, YY=None, squared=False, n_threads=None):
    """Full distance matrix of validated dense X, Y (``Y is X`` zeroes the diagonal)."""
    same = Y is X
    n_threads = _openmp_effective_n_threads(n_threads)
    X = np.ascontiguousarray(X)
    Y = X if same else np.ascontiguousarray(Y)
    if metric == Metric.EUCLIDEAN and _USE_FUSED and X.shape[1] <= _FUSED_MAX_FEATURES:
        # no BLAS; the norms are computed inside
        none = np.empty(0)
        out = np.empty((X.shape[0], Y.shape[0]), dtype=X.dtype)
        _pairwise_dense.euclidean_fused(
            X, Y, none if XX is None else XX, none if YY is None else YY,
            out, squared, same, n_threads)
        return out
    XX = _norms(metric, X, n_threads) if XX is None else XX
    YY = XX if same else (_norms(metric, Y, n_threads) if YY is None else YY)
    gemm_based = metric in (Metric.EUCLIDEAN, Metric.COSINE)
    out_dtype = X.dtype if gemm_based else np.float64
    out = np.empty((X.shape[0], Y.shape[0]), dtype=out_dtype)
    if gemm_based:  # every tile runs its own GEMM inside the OpenMP threads
        with single_threaded_blas():
            _pairwise_dense.pairwise_dense(metric, X, Y, XX, YY, out, squared, same, n_threads)
    else:
        _pairwise_dense.pairwise_dense(metric, X, Y, XX, YY, out, squared, same, n_threads)
    return out


def _check_norms(norms, X, name):
    """scikit-learn's checks of X_norm_squared / Y_norm_squared, as a float64 vector.

    Returns None when the norms should be recomputed (float32 norms are
    ignored, as scikit-learn does, since they are too imprecise).
    """
    if norms is None:
        return None
    norms = check_array(norms, ensure_2d=False)
    original_shape = norms.shape
    n = X.shape[0]
    if norms.shape not in ((n,), (n, 1), (1, n)):
        raise ValueError(
            f"Incompatible dimensions for {name} of shape {X.shape} and "
            f"{name}_norm_squared of shape {original_shape}."
        )
    if norms.dtype == np.float32:
        return None
    return np.ascontiguousarray(norms.reshape(-1), dtype=np.float64)


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "Y": ["array-like", "sparse matrix", None],
        "Y_norm_squared": ["array-like", None],
        "squared": ["boolean"],
        "X_norm_squared": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def euclidean_distances(
    X, Y=None, *, Y_norm_squared=None, squared=False, X_norm_squared=None
):
    """Euclidean distances between the rows of X and the rows of Y.

    Same signature and results as :func:`sklearn.metrics.euclidean_distances`.
    Dense input runs a compiled kernel, in parallel over blocks of rows of X:
    on x86-64 CPUs with AVX2+FMA and up to 512 features, a fused micro-kernel
    keeps each 6x8 block of ``-2 X Y^T`` in registers (float64; float32 input
    upcast), adds ``|x|^2 + |y|^2``, clamps at 0, takes the square root and
    stores it once; otherwise a float64 GEMM per tile followed by the same
    steps while the tile is in cache. Entries where the GEMM form would lose
    its digits to cancellation (near-duplicate rows) are recomputed as
    ``sum((x - y)^2)``, so fastml is at least as accurate as scikit-learn,
    also in float32. Sparse input is handed to scikit-learn (not accelerated).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
        Rows are samples.
    Y : {array-like, sparse matrix} of shape (n_samples_Y, n_features), default=None
        Rows are samples. If None, ``Y = X`` and the diagonal is exactly 0.
    Y_norm_squared : array-like of shape (n_samples_Y,) or (n_samples_Y, 1) \
            or (1, n_samples_Y), default=None
        Pre-computed ``(Y**2).sum(axis=1)``; ignored when float32.
    squared : bool, default=False
        Return squared Euclidean distances.
    X_norm_squared : array-like of shape (n_samples_X,) or (n_samples_X, 1) \
            or (1, n_samples_X), default=None
        Pre-computed ``(X**2).sum(axis=1)``; ignored when float32.

    Returns
    -------
    distances : ndarray of shape (n_samples_X, n_samples_Y)
        float32 if X and Y are float32, else float64.

    Examples
    --------
    >>> from fastml.metrics import euclidean_distances
    >>> X = [[0, 1], [1, 1]]
    >>> euclidean_distances(X, X)
    array([[0., 1.],
           [1., 0.]])
    >>> euclidean_distances(X, [[0, 0]])
    array([[1.        ],
           [1.41421356]])
    """
    return _euclidean(X, Y, X_norm_squared, Y_norm_squared, squared, n_threads=None)


def _euclidean(X, Y, X_norm_squared, Y_norm_squared, squared, n_threads):
    X, Y = check_pairwise_arrays(X, Y)
    XX = _check_norms(X_norm_squared, X, "X")
    YY = _check_norms(Y_norm_squared, Y, "Y")
    if issparse(X) or issparse(Y):
        return _sk.euclidean_distances(
            X, Y, Y_norm_squared=Y_norm_squared, squared=squared,
            X_norm_squared=X_norm_squared,
        )
    if Y is X:
        YY = XX  # scikit-learn uses X's norms for both when Y is X
    return _dense_distances(
        Metric.EUCLIDEAN, X, Y, XX=XX, YY=YY, squared=squared, n_threads=n_threads
    )


def _accelerated(metric, X, Y, kwds, ensure_all_finite=True):
    """Whether fastml's kernels serve this call (else scikit-learn does)."""
    if not isinstance(metric, str) or metric not in _METRICS:
        return False
    if issparse(X) or issparse(Y):
        return False
    if metric in ("euclidean", "l2"):
        return set(kwds) <= {"squared", "X_norm_squared", "Y_norm_squared"}
    if metric in _SCIPY_METRICS and ensure_all_finite is not True:
        return False  # scipy then propagates NaN/inf its own way
    return not kwds


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "Y": ["array-like", "sparse matrix", None],
        "metric": [StrOptions(set(_VALID_METRICS) | {"precomputed"}), callable],
        "n_jobs": [Integral, None],
        "ensure_all_finite": ["boolean", StrOptions({"allow-nan"})],
    },
    prefer_skip_nested_validation=True,
)
def pairwise_distances(
    X, Y=None, metric="euclidean", *, n_jobs=None, ensure_all_finite=True, **kwds
):
    """Distance matrix between the rows of X (and Y), as scikit-learn's.

    Same signature and results as :func:`sklearn.metrics.pairwise_distances`.

    Accelerated for dense input and ``metric`` in ``euclidean``/``l2``
    (see :func:`euclidean_distances`), ``sqeuclidean``, ``manhattan``/
    ``cityblock``/``l1``, ``chebyshev`` (exact per-pair sums, float64 output
    as scipy's ``cdist``) and ``cosine`` (GEMM on inverse row norms, clipped
    to [0, 2]). Every other case — other metrics, callables, ``precomputed``,
    extra ``**kwds`` (except euclidean's ``squared``/``X_norm_squared``/
    ``Y_norm_squared``), sparse matrices, or ``ensure_all_finite != True``
    with ``sqeuclidean``/``chebyshev`` — is delegated to scikit-learn and is
    **not accelerated**.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples_X, n_features) or \
            (n_samples_X, n_samples_X)
        Feature array, or distance matrix if ``metric="precomputed"``.
    Y : {array-like, sparse matrix} of shape (n_samples_Y, n_features), default=None
        Optional second feature array; ``None`` means ``Y = X``.
    metric : str or callable, default="euclidean"
        Any metric scikit-learn accepts.
    n_jobs : int, default=None
        Accelerated metrics: number of OpenMP threads (``None``: all allowed
        by ``OMP_NUM_THREADS``/threadpoolctl; negative counts from the CPU
        count as joblib does). Delegated metrics: scikit-learn's meaning.
    ensure_all_finite : bool or "allow-nan", default=True
        As scikit-learn: ignored by euclidean, manhattan and cosine, which
        always reject NaN/inf.
    **kwds : optional keyword parameters
        Passed to the distance function, as scikit-learn.

    Returns
    -------
    D : ndarray of shape (n_samples_X, n_samples_X) or (n_samples_X, n_samples_Y)
        ``D[i, j]`` is the distance between ``X[i]`` and ``Y[j]``.

    Examples
    --------
    >>> from fastml.metrics import pairwise_distances
    >>> X = [[0, 0, 0], [1, 1, 1]]
    >>> Y = [[1, 0, 0], [1, 1, 0]]
    >>> pairwise_distances(X, Y, metric="sqeuclidean")
    array([[1., 2.],
           [2., 1.]])
    >>> pairwise_distances(X, Y, metric="manhattan")
    array([[1., 2.],
           [2., 1.]])
    """
    if not _accelerated(metric, X, Y, kwds, ensure_all_finite):
        return _sk.pairwise_distances(
            X, Y, metric, n_jobs=n_jobs, ensure_all_finite=ensure_all_finite, **kwds
        )
    if _METRICS[metric] == Metric.EUCLIDEAN:
        return _euclidean(
            X, Y, kwds.get("X_norm_squared"), kwds.get("Y_norm_squared"),
            bool(kwds.get("squared", False)), n_threads=n_jobs,
        )
    X, Y = check_pairwise_arrays(X, Y)
    return _dense_distances(_METRICS[metric], X, Y, n_threads=n_jobs)


_ARGMIN_PARAMS = {
    "X": ["array-like", "sparse matrix"],
    "Y": ["array-like", "sparse matrix"],
    "axis": [Options(Integral, {0, 1})],
    "metric": [StrOptions(set(_VALID_METRICS).union(ArgKmin.valid_metrics())), callable],
    "metric_kwargs": [dict, None],
}


def _argmin_min(X, Y, axis, metric, metric_kwargs):
    """(argmin, min) by the compiled reduction, or None when scikit-learn must serve."""
    if metric == "nan_euclidean":
        return None
    X, Y = check_pairwise_arrays(X, Y)
    if axis == 0:
        X, Y = Y, X
    metric_kwargs = {} if metric_kwargs is None else metric_kwargs
    squared = metric == "sqeuclidean"
    if metric in ("euclidean", "l2") and metric_kwargs.get("squared", False):
        squared, metric_kwargs = True, {}  # scikit-learn's own adaptor
    if not _accelerated(metric, X, Y, metric_kwargs):
        return None
    # As scikit-learn's ArgKmin: "euclidean"/"sqeuclidean" by the GEMM form,
    # "l2" by exact differences (its generic DistanceMetric), so that rounding,
    # and hence which of two equidistant rows wins, is the same.
    code = {"sqeuclidean": Metric.EUCLIDEAN, "l2": Metric.SQEUCLIDEAN}.get(
        metric, _METRICS[metric])
    take_sqrt = metric == "l2" or (code == Metric.EUCLIDEAN and not squared)
    n_threads = _openmp_effective_n_threads()
    X, Y = np.ascontiguousarray(X), np.ascontiguousarray(Y)
    XX, YY = _norms(code, X, n_threads), _norms(code, Y, n_threads)
    argmin = np.empty(X.shape[0], dtype=np.intp)
    values = np.empty(X.shape[0], dtype=np.float64)
    with single_threaded_blas():
        _pairwise_argmin.argmin_min_dense(code, X, Y, XX, YY, argmin, values, n_threads)
    if take_sqrt:
        np.sqrt(values, out=values)
    if code == Metric.COSINE:
        # scikit-learn reduces cosine_distances chunks: their dtype is kept
        values = values.astype(X.dtype, copy=False)
    return argmin, values


@validate_params(_ARGMIN_PARAMS, prefer_skip_nested_validation=False)
def pairwise_distances_argmin_min(X, Y, *, axis=1, metric="euclidean", metric_kwargs=None):
    """For each row of X, the nearest row of Y and the distance to it.

    Same signature and results as
    :func:`sklearn.metrics.pairwise_distances_argmin_min`; ties go to the
    lowest index, as scikit-learn. For dense input and the metrics
    accelerated by :func:`pairwise_distances` (``sqeuclidean`` and
    ``euclidean`` with ``metric_kwargs={"squared": True}`` return squared
    distances, as scikit-learn), a compiled kernel scans Y in 256-row tiles
    for chunks of 256 rows of X in parallel, so the n_X x n_Y matrix never
    exists: extra memory is O(threads x 256 x 256) whatever the sizes. Other
    metrics, callables, sparse input and other ``metric_kwargs`` are
    delegated to scikit-learn (not accelerated).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
        Array containing points.
    Y : {array-like, sparse matrix} of shape (n_samples_Y, n_features)
        Array containing points.
    axis : int, default=1
        Axis along which the argmin and distances are computed.
    metric : str or callable, default="euclidean"
        Any metric scikit-learn accepts here.
    metric_kwargs : dict, default=None
        Keyword arguments for the metric.

    Returns
    -------
    argmin : ndarray of shape (n_samples_X,)
        ``Y[argmin[i]]`` is the row of Y closest to ``X[i]``.
    distances : ndarray of shape (n_samples_X,)
        ``distances[i]`` is the distance between ``X[i]`` and ``Y[argmin[i]]``
        (float64, except float32 for cosine on float32 input, as scikit-learn).

    Examples
    --------
    >>> from fastml.metrics import pairwise_distances_argmin_min
    >>> X = [[0, 0, 0], [1, 1, 1]]
    >>> Y = [[1, 0, 0], [1, 1, 0]]
    >>> argmin, distances = pairwise_distances_argmin_min(X, Y)
    >>> argmin
    array([0, 1])
    >>> distances
    array([1., 1.])
    """
    result = _argmin_min(X, Y, axis, metric, metric_kwargs)
    if result is None:
        return _sk.pairwise_distances_argmin_min(
            X, Y, axis=axis, metric=metric, metric_kwargs=metric_kwargs
        )
    return result


@validate_params(_ARGMIN_PARAMS, prefer_skip_nested_validation=False)
def pairwise_distances_argmin(X, Y, *, axis=1, metric="euclidean", metric_kwargs=None):
    """For each row of X, the index of the nearest row of Y.

    Same signature and results as :func:`sklearn.metrics.pairwise_distances_argmin`;
    the accelerated cases and the bounded memory are those of
    :func:`pairwise_distances_argmin_min`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
        Array containing points.
    Y : {array-like, sparse matrix} of shape (n_samples_Y, n_features)
        Array containing points.
    axis : int, default=1
        Axis along which the argmin is computed.
    metric : str or callable, default="euclidean"
        Any metric scikit-learn accepts here.
    metric_kwargs : dict, default=None
        Keyword arguments for the metric.

    Returns
    -------
    argmin : ndarray of shape (n_samples_X,)
        ``Y[argmin[i]]`` is the row of Y closest to ``X[i]``.

    Examples
    --------
    >>> from fastml.metrics import pairwise_distances_argmin
    >>> X = [[0, 0, 0], [1, 1, 1]]
    >>> Y = [[1, 0, 0], [1, 1, 0]]
    >>> pairwise_distances_argmin(X, Y)
    array([0, 1])
    """
    result = _argmin_min(X, Y, axis, metric, metric_kwargs)
    if result is None:
        return _sk.pairwise_distances_argmin(
            X, Y, axis=axis, metric=metric, metric_kwargs=metric_kwargs
        )
    return result[0]
