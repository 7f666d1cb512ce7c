# K-means Elkan with lazily updated bounds: each iteration's labels are those
# of scikit-learn's elkan (direct distances, the current label kept on ties,
# otherwise the first closest), computed only where the bounds cannot settle
# them.
# Adapted from scikit-learn (sklearn/cluster/_k_means_elkan.pyx and
# _kmeans.py::_kmeans_single_elkan, BSD-3-Clause, The scikit-learn developers);
# bounds after C. Elkan, "Using the triangle inequality to accelerate k-means",
# ICML 2003, plus Hamerly's single lower bound as a first filter.
#
# Differences from scikit-learn's implementation, none of which changes the
# labels (see _kmeans_common's pruning notes):
# - bounds carry the version of the centers they hold for and are brought up
#   to date (by the centers' recorded moves) only when a sample is visited;
#   scikit-learn updates all n x k lower bounds after every iteration;
# - a per-sample minimum of the lower bounds skips the sample without reading
#   its n_clusters lower bounds;
# - bounds are padded by the worst rounding of the distance computation, so
#   a center is pruned only if its computed distance must exceed the best one;
# - incremental M-step (moves of the samples that changed cluster), with the
#   last M-step redone from scratch in scikit-learn's order.

import numpy as np

from cython cimport floating
from cython.parallel cimport prange, parallel, threadid
from libc.stdlib cimport malloc, free
from libc.math cimport INFINITY

from fastml._cy._kmeans_common cimport (
    CHUNK_SIZE, PAD, _euclidean_dense_dense, _move_sample, _begin_pass, _end_pass)
from fastml._cy._kmeans_common import _n_threads_for, _kmeans_run


cdef Py_ssize_t _elkan_chunk(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const floating[:, ::1] centers,      # IN
        int[::1] labels,                     # INOUT
        int[::1] stamps,                     # INOUT version of upper, lower_min
        int[::1] row_stamps,                 # INOUT version of the lower row
        floating[::1] upper,                 # INOUT >= d(x, own center)
        floating[::1] lower_min,             # INOUT <= d(x, any other center)
        floating[:, ::1] lower,              # INOUT lower[i, j] <= d(x, center j)
        const double[:, ::1] cum_shift,      # IN
        const double[::1] cum_max,           # IN
        const double[:, ::1] half_dist,      # IN
        const double[::1] half_min,          # IN
        double gamma,                        # relative error of a computed distance
        double slack,                        # bound on the bound-arithmetic error
        int version,
        int start,
        int end,
        double* cur,                         # scratch (n_clusters,)
        double* slab,                        # INOUT this thread's moves
        bint full,
        bint update) noexcept nogil:
    """Elkan E-step (and incremental M-step) of samples [start, end)."""
    cdef:
        int n_features = X.shape[1]
        int n_clusters = centers.shape[0]
        int i, j, a, t, label
        double u, low, dist, best, lo
        bint need
        floating* row
        Py_ssize_t n_changed = 0
        double lo_pad = 1 - gamma, hi_pad = 1 + gamma
        # a true distance lies within [computed * lo2, computed * hi2]
        double lo2 = 1 - 2 * gamma, hi2 = 1 + 2 * gamma

    for i in range(start, end):
        a = labels[i]
        row = &lower[i, 0]
        if full or a < 0:
            # every distance; the first closest, as scikit-learn's init_bounds
            best = INFINITY
            label = 0
            for j in range(n_clusters):
                dist = _euclidean_dense_dense(&X[i, 0], &centers[j, 0], n_features, False)
                cur[j] = dist * lo2
                if dist < best:
                    best = dist
                    label = j
        else:
            t = stamps[i]
            u = upper[i] + (cum_shift[version, a] - cum_shift[t, a]) + slack
            low = max(lower_min[i] - (cum_max[version] - cum_max[t]),
                      2 * half_min[a] - u) - slack
            if low * lo_pad > u * hi_pad:
                continue  # every other center's computed distance is larger

            # bring the row up to date; is any center not ruled out?
            t = row_stamps[i]
            need = False
            lo = INFINITY
            for j in range(n_clusters):
                if j == a:
                    continue
                cur[j] = max(max(row[j] - (cum_shift[version, j] - cum_shift[t, j]),
                                 2 * half_dist[a, j] - u) - slack, 0.0)
                if not cur[j] * lo_pad > u * hi_pad:
                    need = True
                if cur[j] < lo:
                    lo = cur[j]
            if not need:
                # tighter summary bounds for the next visit; the row stays stale
                upper[i] = <floating> (u * hi_pad)
                lower_min[i] = <floating> (lo * lo_pad)
                stamps[i] = version
                continue

            # scikit-learn's scan: from the current label, switch to a center
            # only if strictly closer; pruned centers are provably farther
            best = _euclidean_dense_dense(&X[i, 0], &centers[a, 0], n_features, False)
            label = a
            u = best * hi2
            cur[a] = best * lo2
            for j in range(n_clusters):
                if j == a:
                    continue
                cur[j] = max(cur[j], 2 * half_dist[a, j] - u - slack)
                if cur[j] * lo_pad > best:
                    continue
                dist = _euclidean_dense_dense(&X[i, 0], &centers[j, 0], n_features, False)
                cur[j] = dist * lo2
                if dist < best:
                    best = dist
                    label = j

        lo = INFINITY
        for j in range(n_clusters):
            row[j] = <floating> (cur[j] * lo_pad)
            if j != label and cur[j] < lo:
                lo = cur[j]
        upper[i] = <floating> (best * hi2 * hi_pad)
        lower_min[i] = <floating> (lo * lo_pad)
        stamps[i] = version
        row_stamps[i] = version
        if label != a:
            n_changed += 1
            labels[i] = label
            if update:
                _move_sample(&X[i, 0], sample_weight[i], a, label, n_features,
                             n_clusters, slab)
    return n_changed


def _elkan_pass(
        const floating[:, ::1] X,
        const floating[::1] sample_weight,
        const floating[:, ::1] centers,
        int[::1] labels,
        int[::1] stamps,
        int[::1] row_stamps,
        floating[::1] upper,
        floating[::1] lower_min,
        floating[:, ::1] lower,
        const double[:, ::1] cum_shift,
        const double[::1] cum_max,
        const double[:, ::1] half_dist,
        const double[::1] half_min,
        double gamma,
        double slack,
        int version,
        double[:, ::1] slabs,
        Py_ssize_t[::1] changed,
        bint full,
        bint update,
        int n_threads):
    """One Elkan pass over all chunks (static schedule, a slab per thread)."""
    cdef:
        int n_samples = X.shape[0]
        int n_clusters = centers.shape[0]
        int n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
        int chunk_idx, start, end
        Py_ssize_t total
        double* cur

    with nogil:
        _begin_pass(slabs, changed, n_threads, update)
        with parallel(num_threads=n_threads):
            cur = <double*> malloc(n_clusters * sizeof(double))
            for chunk_idx in prange(n_chunks, schedule='static'):
                start = chunk_idx * CHUNK_SIZE
                end = min(start + CHUNK_SIZE, n_samples)
                changed[threadid() * PAD] += _elkan_chunk(
                    X, sample_weight, centers, labels, stamps, row_stamps, upper,
                    lower_min, lower, cum_shift, cum_max, half_dist, half_min, gamma,
                    slack, version, start, end, cur, &slabs[threadid(), 0], full,
                    update)
            free(cur)
        total = _end_pass(changed, n_threads)
    return total


class _ElkanStep:
    """The E-step handed to ``_kmeans_run``: Elkan's bounds and their margins."""

    def __init__(self, X, sample_weight, n_clusters, n_threads):
        n, d = X.shape
        self.X, self.sample_weight, self.n_threads = X, sample_weight, n_threads
        self.x_norm_max = float(np.sqrt(np.einsum("ij,ij->i", X, X, dtype=np.float64).max()))
        # relative error of a computed Euclidean distance (d products and sums,
        # a square root), doubled for safety
        self.gamma = 2 * (d + 8) * float(np.finfo(X.dtype).eps)
        self.stamps = np.zeros(n, dtype=np.int32)
        self.row_stamps = np.zeros(n, dtype=np.int32)
        self.upper = np.zeros(n, dtype=X.dtype)
        self.lower_min = np.zeros(n, dtype=X.dtype)
        self.lower = np.zeros((n, n_clusters), dtype=X.dtype)

    def __call__(self, centers, labels, st, version, full, update):
        scale = self.x_norm_max + float(np.sqrt((centers.astype(np.float64) ** 2).sum(1).max()))
        return _elkan_pass(
            self.X, self.sample_weight, centers, labels, self.stamps,
            self.row_stamps, self.upper, self.lower_min, self.lower, st.cum_shift,
            st.cum_max, st.half_dist, st.half_min, self.gamma,
            st.slack(version, scale), version, st.slabs, st.changed, full, update,
            self.n_threads)


def elkan_fit(
        X,                 # (n_samples, n_features) float32/64, C order
        sample_weight,     # (n_samples,)
        centers_init,      # (n_clusters, n_features)
        int max_iter,
        double tol,
        int n_threads,
        bint verbose=False):
    """A single run of k-means elkan, all iterations compiled.

    Same semantics and iterates as scikit-learn's ``_kmeans_single_elkan``
    (see ``_kmeans_run``).

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
    inertia : float
    centers : ndarray of shape (n_clusters, n_features)
    n_iter : int
    """
    n_threads = _n_threads_for(X.shape[0], n_threads)
    estep = _ElkanStep(X, sample_weight, centers_init.shape[0], n_threads)
    return _kmeans_run(estep, X, sample_weight, centers_init, max_iter, tol,
                       n_threads, verbose)
