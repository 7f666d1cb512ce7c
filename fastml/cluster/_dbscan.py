"""DBSCAN with neighborhoods counted and expanded on the fly (bounded memory).

scikit-learn's DBSCAN stores every eps-neighborhood before expanding clusters,
so its memory grows with n x mean neighbors. Here neighborhoods are found three
times by a compiled uniform-grid search, or in high dimension by blocked GEMM
brute force (``src_cy/_dbscan_brute.pyx``), and never stored (see
``src_cy/_dbscan_grid.pyx``): once to flag core samples, once to join core
samples into components, once to attach border samples. Labels are the same as
scikit-learn's, numbering included (see ``src_cy/_dbscan_inner.pyx`` for why).
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.metrics.pairwise import _VALID_METRICS
from sklearn.preprocessing import normalize

from fastml._cy import _dbscan_brute, _dbscan_grid, _dbscan_inner
from fastml.utils._threads import single_threaded_blas
from fastml.utils import _sklearn
from fastml.utils._sklearn import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    _openmp_effective_n_threads,
    validate_data,
    validate_params,
)

# metric name -> kernel code of src_cy/_dbscan_grid.pyx
_EUCLIDEAN, _MANHATTAN, _CHEBYSHEV, _MINKOWSKI, _COSINE = range(5)
_GRID_METRICS = {
    "euclidean": _EUCLIDEAN,
    "l2": _EUCLIDEAN,
    "manhattan": _MANHATTAN,
    "cityblock": _MANHATTAN,
    "l1": _MANHATTAN,
    "chebyshev": _CHEBYSHEV,
    "infinity": _CHEBYSHEV,
    "cosine": _COSINE,
}
# 2**20 cells per grid axis at most, so a cell's linear key fits in int64
_MAX_CELLS_PER_AXIS = 2.0**20
# grid cells a bit larger than the radius needs, so rounding in the cell
# index computation can never hide a neighbor one cell further away
_CELL_SLACK = 1e-6
# neighborhoods of precomputed or generic-metric input are materialized for at
# most this many bytes worth of matrix rows at a time
_CHUNK_BYTES = 64 * 2**20
_SAMPLES_PER_THREAD = 50_000


def _grid_metric(metric, p, metric_params):
    """(kernel code, p) when the compiled grid handles the metric, else None."""
    params = dict(metric_params or {})
    if metric == "minkowski":
        p = params.pop("p", p)
        if params or p is None or p < 1:  # weights, semi-metrics: generic path
            return None
        if p == 1:
            return _MANHATTAN, 1.0
        if p == 2:
            return _EUCLIDEAN, 2.0
        if p == np.inf:
            return _CHEBYSHEV, 1.0
        return _MINKOWSKI, float(p)
    if params or not isinstance(metric, str) or metric not in _GRID_METRICS:
        return None
    return _GRID_METRICS[metric], 1.0


def _cell_offsets(side, coord_radius, metric, p):
    """Cell offsets that can hold a neighbor, nearest first.

    Two samples whose cells are ``o`` apart on an axis differ by more than
    ``(|o| - 1) * side`` there; offsets whose gaps alone exceed the radius
    (with room for rounding) are dropped.
    """
    m = len(side)
    reach = np.maximum(np.ceil(coord_radius / side - _CELL_SLACK), 1).astype(np.int64)
    grids = np.meshgrid(*[np.arange(-r, r + 1) for r in reach], indexing="ij")
    offsets = np.stack([g.ravel() for g in grids], axis=1).astype(np.int64)
    gaps = np.maximum(np.abs(offsets) - 1, 0) * side / coord_radius
    if metric in (_EUCLIDEAN, _COSINE):
        gap = np.sqrt((gaps**2).sum(axis=1))
    elif metric == _MANHATTAN:
        gap = gaps.sum(axis=1)
    elif metric == _CHEBYSHEV:
        gap = gaps.max(axis=1)
    else:
        gap = (gaps**p).sum(axis=1) ** (1.0 / p)
    keep = gap <= 1 + _CELL_SLACK / 10
    order = np.argsort((np.abs(offsets) * side).max(axis=1)[keep] + gap[keep], kind="stable")
    return np.ascontiguousarray(offsets[keep][order])


def _grid_labels(X, eps, min_samples, metric, p, sample_weight, n_threads):
    """labels, is_core (original order) of dense X by the compiled grid search."""
    n, d = X.shape
    if metric == _COSINE:
        # as sklearn's cosine_distances: rows scaled to unit norm (zero rows kept)
        Xd = normalize(np.asarray(X, dtype=np.float64))
        radius = float(eps)
        # |u - v|^2 = 2 cos_dist(u, v) for unit rows; the slack covers rounding
        box_radius = 2.0 * radius + 1e-9
        coord_radius = math.sqrt(box_radius)
    else:
        Xd = np.asarray(X, dtype=np.float64)
        # reduced radius, as sklearn's DistanceMetric._dist_to_rdist
        radius = eps * eps if metric == _EUCLIDEAN else (
            eps**p if metric == _MINKOWSKI else float(eps))
        box_radius = radius
        coord_radius = float(eps)

    # Grid on at most 3 axes (the widest). In <= 3 dimensions the cells are
    # small enough that a cell's diameter is within eps ("compact" cells are
    # one component once they hold a core sample); above, cells have side eps
    # on the projected axes and full-dimensional bounding boxes prune.
    mins = Xd.min(axis=0)
    extent = Xd.max(axis=0) - mins
    m = min(d, 3)
    axes = np.sort(np.argsort(-extent, kind="stable")[:m])
    if d <= 3:
        scale = {_EUCLIDEAN: math.sqrt(m), _COSINE: math.sqrt(m), _MANHATTAN: m,
                 _CHEBYSHEV: 1.0, _MINKOWSKI: m ** (1.0 / p)}[metric]
    else:
        scale = 1.0
    side = np.maximum(coord_radius * (1 + _CELL_SLACK) / scale,
                      extent[axes] / _MAX_CELLS_PER_AXIS)
    offsets = _cell_offsets(side, coord_radius, metric, p)
    # Linear cell keys built one axis at a time: every temporary is one
    # column, so peak memory stays a few n-vectors (this is the 2-D case's
    # main allocation besides the sorted copy of X).
    shape = np.floor(extent[axes] / side).astype(np.int64) + 1
    key = np.zeros(n, dtype=np.int64)
    for k in range(m):
        col = Xd[:, axes[k]] - mins[axes[k]]
        col /= side[k]
        np.floor(col, out=col)
        key *= shape[k]
        key += col.astype(np.int64)
        del col
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    cell_start = np.append(starts, n).astype(np.intp)
    keys = np.ascontiguousarray(key[starts])
    del key
    coords = np.ascontiguousarray(
        np.stack(np.unravel_index(keys, shape), axis=1), dtype=np.int64)

    Xs = np.ascontiguousarray(Xd[order])
    del Xd
    lo = np.ascontiguousarray(np.minimum.reduceat(Xs, starts, axis=0))
    hi = np.ascontiguousarray(np.maximum.reduceat(Xs, starts, axis=0))
    if sample_weight is None:
        weight = np.ones(n)
        nonnegative = True
    else:
        weight = np.ascontiguousarray(sample_weight[order], dtype=np.float64)
        nonnegative = bool(np.all(weight >= 0))
    cell_weight = np.add.reduceat(weight, starts)
    shape = np.ascontiguousarray(shape, dtype=np.int64)
    grid = (Xs, cell_start, keys, coords, shape, offsets, lo, hi)

    # threads pay off only on large inputs (and hurt on a busy machine)
    n_threads = max(1, min(n_threads, n // _SAMPLES_PER_THREAD))
    compact = np.frombuffer(
        _dbscan_grid.cell_compact(lo, hi, metric, p, radius), dtype=np.uint8)
    is_core = np.zeros(n, dtype=np.uint8)
    _dbscan_grid.grid_core(*grid, compact, weight, cell_weight, nonnegative,
                           float(min_samples), metric, p, radius, box_radius,
                           is_core, n_threads)
    # n-vectors are freed as soon as unused: at 2-D their count is the peak
    del weight, cell_weight
    position = np.empty(n, dtype=np.intp)
    for s in range(0, n, 1 << 16):  # inverse permutation without an n-long arange
        position[order[s:s + (1 << 16)]] = np.arange(s, min(s + (1 << 16), n))
    del order
    parent = np.arange(n, dtype=np.intp)
    _dbscan_grid.grid_union(*grid, compact, is_core, metric, p, radius,
                            box_radius, parent, n_threads)
    _dbscan_inner.number_clusters(is_core, parent, position)
    labels = parent  # overwritten in place
    del parent
    _dbscan_grid.grid_border(*grid, is_core, metric, p, radius, box_radius,
                             labels, n_threads)
    del grid, Xs
    # back to the caller's order, reusing the sorted buffers' memory
    labels_out = labels[position]
    del labels
    return labels_out, is_core[position].view(bool)


def _brute_metric(metric, p, metric_params, algorithm, n_features):
    """Squared radius function for the blocked brute-force path, else None.

    Taken exactly when scikit-learn's NearestNeighbors answers by brute force
    with its GEMM-based euclidean reduction: "sqeuclidean" always, euclidean
    with algorithm "brute", or "auto" above 15 features (sklearn's switch).
    Then every borderline decision is made by the same float64 formula; below,
    sklearn's trees compute exact differences, as the grid does.
    """
    if metric_params:
        return None
    if metric == "sqeuclidean":
        return lambda eps: float(eps)
    euclidean = metric in ("euclidean", "l2") or (
        metric == "minkowski" and (p is None or p == 2))
    if euclidean and (algorithm == "brute" or (algorithm == "auto" and n_features > 15)):
        return lambda eps: float(eps) * float(eps)
    return None


# most rows per block of src_cy/_dbscan_brute.pyx (TILE of _pairwise_common.pxd)
_BRUTE_TILE = 256
# multiply-adds (n^2 d, before pruning) per extra thread: measured on the idle
# 2-core machine, a second thread pays from ~1e8 (digits 1797x64: 20.8 -> 15.9 ms)
_BRUTE_WORK_PER_THREAD = 5e7


def _block_order(X):
    """(order, starts): an order of the samples cut into blocks of at most
    _BRUTE_TILE rows, ``order[starts[b]:starts[b + 1]]``, that are spatially
    compact. Sliding-midpoint splits (as scikit-learn's KDTree) on the axis of
    largest variance (estimated on <= 1024 samples) follow the gaps between
    clusters; no side gets fewer than a quarter tile, so GEMMs stay efficient.
    Memory: a few n-vectors."""
    n = X.shape[0]
    order = np.arange(n, dtype=np.intp)
    stack, starts = [(0, n)], [n]
    while stack:
        s, e = stack.pop()
        m = e - s
        if m <= _BRUTE_TILE:
            starts.append(s)
            continue
        idx = order[s:e]
        axis = np.argmax(X[idx[:: max(1, m // 1024)]].var(axis=0))
        col = X[idx, axis]
        lo, hi = col.min(), col.max()
        k = int(np.count_nonzero(col < (lo + hi) / 2))
        k = min(max(k, _BRUTE_TILE // 4), m - _BRUTE_TILE // 4)
        order[s:e] = idx[np.argpartition(col, k)]
        stack += [(s, s + k), (s + k, e)]
    return order, np.unique(np.asarray(starts, dtype=np.intp))


def _sub_blocks(key):
    """Blocks of consecutive equal ``key`` values (each within one block)."""
    change = np.flatnonzero(key[1:] != key[:-1]) + 1
    return np.concatenate(([0], change, [len(key)])).astype(np.intp)


def _block_balls(A, starts):
    """starts, then the center and radius of each block of rows of A."""
    centers = np.add.reduceat(A, starts[:-1], axis=0) / np.diff(starts)[:, None]
    radii = np.empty(len(starts) - 1)
    for b in range(len(radii)):
        radii[b] = np.sqrt(((A[starts[b]:starts[b + 1]] - centers[b]) ** 2).sum(axis=1).max())
    return starts, np.ascontiguousarray(centers), radii


def _brute_labels(X, radius, min_samples, sample_weight, n_threads):
    """labels, is_core of dense X by blocked GEMM brute force (see
    ``src_cy/_dbscan_brute.pyx``): the grid's three passes, O(n) extra memory
    beside float64 copies of the samples."""
    n = X.shape[0]
    order, starts = _block_order(X)
    leaf = np.repeat(np.arange(len(starts) - 1), np.diff(starts))  # block of each row
    X = np.ascontiguousarray(X[order], dtype=np.float64)  # sklearn upcasts float32 too
    weight = np.ones(n) if sample_weight is None else np.ascontiguousarray(
        sample_weight[order], dtype=np.float64)
    # a thread per _BRUTE_WORK_PER_THREAD multiply-adds at most: below, waking
    # threads costs more than it saves
    n_threads = max(1, min(n_threads, len(starts) - 1,
                           int(float(n) * n * X.shape[1] // _BRUTE_WORK_PER_THREAD)))
    with single_threaded_blas():  # each OpenMP thread runs its own GEMMs
        sq = np.empty(n)
        _dbscan_brute.sq_row_norms(X, sq, n_threads)
        # block balls further apart than this hold no neighbors: the margin
        # dwarfs the rounding of the GEMM formula (~n_features * 1e-16 * norms)
        reach = radius + 1e-8 * float(sq.max())
        counts = np.zeros((n_threads, n))
        _dbscan_brute.brute_core(X, sq, weight, radius, *_block_balls(X, starts),
                                 reach, counts, n_threads)
        is_core = (counts.sum(axis=0) >= min_samples).view(np.uint8)
        del counts
        core = np.flatnonzero(is_core)
        parent = np.arange(n, dtype=np.intp)
        if len(core):
            C = X[core]
            _dbscan_brute.brute_union(C, sq[core], core, radius,
                                      *_block_balls(C, _sub_blocks(leaf[core])),
                                      reach, parent, n_threads)
            del C
        position = np.empty(n, dtype=np.intp)
        position[order] = np.arange(n, dtype=np.intp)
        _dbscan_inner.number_clusters(is_core, parent, position)
        labels = parent  # overwritten in place
        border = np.flatnonzero(is_core == 0)
        if len(core) and len(border):
            # core samples by label: a border's first hit is its smallest label
            # (stable, so within a label the blocks' order is kept)
            by_label = core[np.argsort(labels[core], kind="stable")]
            C, B = X[by_label], X[border]
            b_labels = np.empty(len(border), dtype=np.intp)
            c_blocks = _sub_blocks(labels[by_label] * len(starts) + leaf[by_label])
            _dbscan_brute.brute_border(B, sq[border], C, sq[by_label], labels[by_label],
                                       radius, *_block_balls(B, _sub_blocks(leaf[border])),
                                       *_block_balls(C, c_blocks), reach, b_labels,
                                       n_threads)
            labels[border] = b_labels
    return labels[position], is_core[position].view(bool)


def _csr_labels(neighborhoods, n, min_samples, sample_weight):
    """labels, is_core from neighborhoods produced chunk by chunk.

    ``neighborhoods(rows)`` yields ``(chunk_rows, indptr, indices)``: CSR
    neighborhoods of the samples ``chunk_rows``, a slice of ``rows``.
    """
    weight = np.empty(0) if sample_weight is None else sample_weight
    is_core = np.zeros(n, dtype=np.uint8)
    all_rows = np.arange(n, dtype=np.intp)
    for rows, indptr, indices in neighborhoods(all_rows):
        _dbscan_inner.csr_core(indptr, indices, weight, float(min_samples), rows,
                               is_core)
    parent = np.arange(n, dtype=np.intp)
    for rows, indptr, indices in neighborhoods(np.flatnonzero(is_core)):
        _dbscan_inner.csr_union(indptr, indices, rows, is_core, parent)
    _dbscan_inner.number_clusters(is_core, parent, all_rows)
    labels = parent  # overwritten in place
    for rows, indptr, indices in neighborhoods(np.flatnonzero(is_core == 0)):
        _dbscan_inner.csr_border(indptr, indices, rows, is_core, labels)
    return labels, is_core.astype(bool)


def _chunk_rows(n):
    return max(1, min(n, _CHUNK_BYTES // (8 * max(n, 1))))


def _precomputed_dense_neighborhoods(D, eps):
    """Neighborhoods {j : D[i, j] <= eps}, a block of rows at a time."""
    step = _chunk_rows(D.shape[0])

    def neighborhoods(rows):
        rows = np.asarray(rows, dtype=np.intp)
        for s in range(0, len(rows), step):
            chunk = rows[s:s + step]
            r, c = np.nonzero(D[chunk] <= eps)
            indptr = np.zeros(len(chunk) + 1, dtype=np.intp)
            np.cumsum(np.bincount(r, minlength=len(chunk)), out=indptr[1:])
            yield chunk, indptr, c.astype(np.intp)

    return neighborhoods


def _sparse_graph_neighborhoods(G, eps):
    """Neighborhoods from the stored entries <= eps of a CSR distance graph."""
    G = G.tocsr()
    indptr_all = G.indptr.astype(np.intp)
    mask = G.data <= eps
    kept = np.concatenate(([0], np.cumsum(mask)))[indptr_all].astype(np.intp)
    indices_all = G.indices[mask].astype(np.intp)

    def neighborhoods(rows):
        rows = np.asarray(rows, dtype=np.intp)
        counts = kept[rows + 1] - kept[rows]
        indptr = np.zeros(len(rows) + 1, dtype=np.intp)
        np.cumsum(counts, out=indptr[1:])
        # gather the rows' index lists (size <= nnz of the graph)
        take = np.repeat(kept[rows] - indptr[:-1], counts) + np.arange(indptr[-1])
        yield rows, indptr, indices_all[take]

    return neighborhoods


def _nearest_neighbors_neighborhoods(nn, X, eps):
    """Generic metrics: radius queries of a fitted NearestNeighbors, by chunks."""
    step = _chunk_rows(X.shape[0])

    def neighborhoods(rows):
        rows = np.asarray(rows, dtype=np.intp)
        for s in range(0, len(rows), step):
            chunk = rows[s:s + step]
            graph = nn.radius_neighbors_graph(X[chunk], radius=eps, mode="connectivity")
            yield chunk, graph.indptr.astype(np.intp), graph.indices.astype(np.intp)

    return neighborhoods


def _checked_nearest_neighbors(est):
    """An unfitted NearestNeighbors for ``est``'s settings, after sklearn's own
    algorithm/metric compatibility checks (its errors and warnings)."""
    from sklearn.neighbors import NearestNeighbors  # imported only when needed

    nn = NearestNeighbors(
        radius=est.eps,
        algorithm=est.algorithm,
        leaf_size=est.leaf_size,
        metric=est.metric,
        metric_params=est.metric_params,
        p=est.p,
        n_jobs=est.n_jobs,
    )
    nn._check_algorithm_metric()
    return nn


class DBSCAN(ClusterMixin, BaseEstimator):
    """Perform DBSCAN clustering from vector array or distance matrix.

    Same parameters, attributes and results as :class:`sklearn.cluster.DBSCAN`
    (labels numbered identically), with bounded memory: eps-neighborhoods are
    counted and expanded on the fly by a compiled uniform-grid search instead
    of being stored, so peak memory is O(n_samples x n_features) whatever the
    neighborhood sizes.

    The grid serves dense input with metric ``"euclidean"``, ``"manhattan"``,
    ``"chebyshev"``, ``"minkowski"`` (p >= 1) or ``"cosine"``. Where
    scikit-learn answers by brute force (euclidean with more than 15 features
    and ``algorithm="auto"``, or ``algorithm="brute"``; ``"sqeuclidean"``),
    the same three passes run on blocked float64 GEMM tiles with sklearn's
    distance formula, pruning far block pairs (never an n x n matrix). A
    ``"precomputed"`` distance matrix (dense) or graph (sparse) is read a block
    of rows at a time. Sparse feature matrices, other metrics, callables and
    ``metric_params`` are answered by scikit-learn's ``NearestNeighbors`` radius
    queries, a block of rows at a time (same memory bound, no speed-up).

    Parameters
    ----------
    eps : float, default=0.5
        The maximum distance between two samples for one to be considered as
        in the neighborhood of the other.
    min_samples : int, default=5
        The number of samples (or total weight) in a neighborhood for a point
        to be considered as a core point. This includes the point itself.
    metric : str, or callable, default='euclidean'
        The metric to use when calculating distance between instances, as in
        :func:`sklearn.metrics.pairwise_distances`, or ``"precomputed"``.
    metric_params : dict, default=None
        Additional keyword arguments for the metric function.
    algorithm : {'auto', 'ball_tree', 'kd_tree', 'brute'}, default='auto'
        Validated as in scikit-learn (e.g. 'kd_tree' rejects 'cosine').
        Euclidean neighborhoods are searched by blocked brute force where
        sklearn would use brute force (same arithmetic), else by the grid
        (exact differences, as sklearn's trees).
    leaf_size : int, default=30
        Leaf size passed to scikit-learn's trees on the generic-metric path.
    p : float, default=None
        The power of the Minkowski metric. None means p=2.
    n_jobs : int, default=None
        Number of OpenMP threads (None: all allowed by OMP_NUM_THREADS /
        threadpoolctl; -1: all cores).

    Attributes
    ----------
    core_sample_indices_ : ndarray of shape (n_core_samples,)
        Indices of core samples.
    components_ : ndarray of shape (n_core_samples, n_features)
        Copy of each core sample found by training.
    labels_ : ndarray of shape (n_samples,)
        Cluster labels for each point in the dataset given to fit().
        Noisy samples are given the label -1.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    Examples
    --------
    >>> from fastml.cluster import DBSCAN
    >>> import numpy as np
    >>> X = np.array([[1, 2], [2, 2], [2, 3],
    ...               [8, 7], [8, 8], [25, 80]])
    >>> clustering = DBSCAN(eps=3, min_samples=2).fit(X)
    >>> clustering.labels_
    array([ 0,  0,  0,  1,  1, -1])
    """

    _parameter_constraints: dict = {
        "eps": [Interval(Real, 0.0, None, closed="neither")],
        "min_samples": [Interval(Integral, 1, None, closed="left")],
        "metric": [
            StrOptions(set(_VALID_METRICS) | {"precomputed"}),
            callable,
        ],
        "metric_params": [dict, None],
        "algorithm": [StrOptions({"auto", "ball_tree", "kd_tree", "brute"})],
        "leaf_size": [Interval(Integral, 1, None, closed="left")],
        "p": [Interval(Real, 0.0, None, closed="left"), None],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        eps=0.5,
        *,
        min_samples=5,
        metric="euclidean",
        metric_params=None,
        algorithm="auto",
        leaf_size=30,
        p=None,
        n_jobs=None,
    ):
        self.eps = eps
        self.min_samples = min_samples
        self.metric = metric
        self.metric_params = metric_params
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.n_jobs = n_jobs

    @_fit_context(
        # DBSCAN.metric is not validated yet
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None, sample_weight=None):
        """Perform DBSCAN clustering from features, or distance matrix.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), or \
            (n_samples, n_samples)
            Training instances to cluster, or distances between instances if
            ``metric='precomputed'``. If a sparse matrix is provided, it will
            be converted into a sparse ``csr_matrix``.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample, such that a sample with a weight of at least
            ``min_samples`` is by itself a core sample; a sample with a
            negative weight may inhibit its eps-neighbor from being core.
            Note that weights are absolute, and default to 1.

        Returns
        -------
        self : object
            Returns a fitted instance of self.
        """
        X = validate_data(self, X, accept_sparse="csr")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        n = X.shape[0]
        grid_metric = _grid_metric(self.metric, self.p, self.metric_params)
        brute_radius = None if sparse.issparse(X) else _brute_metric(
            self.metric, self.p, self.metric_params, self.algorithm, X.shape[1])
        if (self.algorithm == "auto" and self.metric_params is None
                and (grid_metric is not None or brute_radius is not None
                     or self.metric == "precomputed")):
            # NearestNeighbors' checks cannot object to these settings; not
            # importing sklearn.neighbors keeps ~7 MB off the peak RSS.
            nn = None
        else:
            nn = _checked_nearest_neighbors(self)

        if self.metric == "precomputed":
            D = X
            if sparse.issparse(D):
                # a point is its own neighbor: make the diagonal explicit
                D = D.copy()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", sparse.SparseEfficiencyWarning)
                    D.setdiag(D.diagonal())
                from sklearn.neighbors import sort_graph_by_row_values

                D = sort_graph_by_row_values(D, warn_when_not_sorted=False)
            D = _sklearn._check_precomputed(D)  # loads sklearn.neighbors
            if D.shape[0] != D.shape[1]:
                raise ValueError(
                    "Precomputed matrix must be square."
                    " Input is a {}x{} matrix.".format(D.shape[0], D.shape[1])
                )
            if sparse.issparse(D):
                neighborhoods = _sparse_graph_neighborhoods(D, self.eps)
            else:
                neighborhoods = _precomputed_dense_neighborhoods(D, self.eps)
            labels, is_core = _csr_labels(neighborhoods, n, self.min_samples,
                                          sample_weight)
        elif brute_radius is not None:
            labels, is_core = _brute_labels(
                X, brute_radius(self.eps), self.min_samples, sample_weight,
                _openmp_effective_n_threads(self.n_jobs))
        elif grid_metric is not None and not sparse.issparse(X):
            metric, p = grid_metric
            labels, is_core = _grid_labels(
                X, self.eps, self.min_samples, metric, p, sample_weight,
                _openmp_effective_n_threads(self.n_jobs))
        else:
            if nn is None:
                nn = _checked_nearest_neighbors(self)
            nn.fit(X)
            labels, is_core = _csr_labels(
                _nearest_neighbors_neighborhoods(nn, X, self.eps), n,
                self.min_samples, sample_weight)

        self.core_sample_indices_ = np.flatnonzero(is_core)
        self.labels_ = labels
        if len(self.core_sample_indices_):
            # fancy indexing already copies
            self.components_ = X[self.core_sample_indices_]
        else:
            self.components_ = np.empty((0, X.shape[1]))
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Compute clusters from a data or distance matrix and predict labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), or \
            (n_samples, n_samples)
            Training instances to cluster, or distances between instances if
            ``metric='precomputed'``.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample (see :meth:`fit`).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cluster labels. Noisy samples are given the label -1.
        """
        self.fit(X, sample_weight=sample_weight)
        return self.labels_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        tags.input_tags.sparse = True
        return tags


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=False,
)
def dbscan(
    X,
    eps=0.5,
    *,
    min_samples=5,
    metric="minkowski",
    metric_params=None,
    algorithm="auto",
    leaf_size=30,
    p=2,
    sample_weight=None,
    n_jobs=None,
):
    """Perform DBSCAN clustering from vector array or distance matrix.

    Function form of :class:`DBSCAN` (same parameters and defaults as
    :func:`sklearn.cluster.dbscan`).

    Returns
    -------
    core_samples : ndarray of shape (n_core_samples,)
        Indices of core samples.
    labels : ndarray of shape (n_samples,)
        Cluster labels for each point. Noisy samples are given the label -1.

    Examples
    --------
    >>> from fastml.cluster import dbscan
    >>> X = [[1, 2], [2, 2], [2, 3], [8, 7], [8, 8], [25, 80]]
    >>> core_samples, labels = dbscan(X, eps=3, min_samples=2)
    >>> core_samples
    array([0, 1, 2, 3, 4])
    >>> labels
    array([ 0,  0,  0,  1,  1, -1])
    """
    est = DBSCAN(
        eps=eps,
        min_samples=min_samples,
        metric=metric,
        metric_params=metric_params,
        algorithm=algorithm,
        leaf_size=leaf_size,
        p=p,
        n_jobs=n_jobs,
    )
    est.fit(X, sample_weight=sample_weight)
    return est.core_sample_indices_, est.labels_
