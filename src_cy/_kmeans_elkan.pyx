# K-means "elkan": scikit-learn's elkan iterates (direct Euclidean distances;
# a sample keeps its label unless another center is strictly closer, then the
# first closest in index order), computed only where bounds cannot settle them.
# Adapted from scikit-learn (sklearn/cluster/_k_means_elkan.pyx and
# _kmeans.py::_kmeans_single_elkan, BSD-3-Clause, The scikit-learn developers).
#
# The triangle-inequality bounds are Hamerly's (G. Hamerly, "Making k-means
# even faster", SDM 2010: one upper and one lower bound per sample, half the
# distance to the closest other center) rather than Elkan's n x k lower bounds
# (C. Elkan, ICML 2003): measured on 200000 x 16, k = 16, reading and updating
# the n x k bounds cost twice the time of simply computing the 16 distances
# of a sample the 2-bound test cannot settle (one SIMD pass, see
# fm_dist_row_avx_*).  The labels are the same: a bound prunes a center only
# if its computed distance must exceed the best one, rounding included (see
# _kmeans_common's pruning notes), so pruning never decides a label.

import numpy as np

from cython cimport floating
from cython.parallel cimport prange, parallel, threadid
from libc.stdlib cimport malloc, free
from libc.math cimport INFINITY

from fastml._cy._kmeans_common cimport (
    CHUNK_SIZE, PAD, _euclidean_dense_dense, _move_sample, _begin_pass, _end_pass)
from fastml._cy._kmeans_common import (
    _n_threads_for, _kmeans_run, _use_simd_py, _kpad_py)
from fastml._cy._kmeans_simd cimport fm_dist_row_avx_d, fm_dist_row_avx_s


cdef void _distances(
        const floating* x,               # IN one sample
        const floating[:, ::1] centers,  # IN
        const floating[:, ::1] ct,       # IN centers transposed, padded (SIMD)
        bint simd,
        floating* out) noexcept nogil:   # OUT (kpad,)
    """Distances of x to every center, each bit-identical to the scalar formula."""
    cdef int j, d = centers.shape[1]
    if simd:
        if floating is double:
            fm_dist_row_avx_d(x, d, &ct[0, 0], ct.shape[1], out)
        else:
            fm_dist_row_avx_s(x, d, &ct[0, 0], ct.shape[1], out)
    else:
        for j in range(centers.shape[0]):
            out[j] = _euclidean_dense_dense(x, &centers[j, 0], d, False)


cdef Py_ssize_t _elkan_chunk(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const floating[:, ::1] centers,      # IN
        const floating[:, ::1] ct,           # IN centers transposed (SIMD)
        int[::1] labels,                     # INOUT
        int[::1] stamps,                     # INOUT version of upper, lower_min
        floating[::1] upper,                 # INOUT >= d(x, own center)
        floating[::1] lower_min,             # INOUT <= d(x, any other center)
        const double[:, ::1] cum_shift,      # IN
        const double[:, ::1] cum_max,        # IN
        const double[::1] half_min,          # IN
        double gamma,                        # relative error of a computed distance
        double slack,                        # bound on the bound-arithmetic error
        int version,
        int start,
        int end,
        floating* dist,                      # scratch (kpad,)
        double* slab,                        # INOUT this thread's moves
        bint simd,
        bint full,
        bint update) noexcept nogil:
    """Elkan E-step (and incremental M-step) of samples [start, end)."""
    cdef:
        int n_features = X.shape[1]
        int n_clusters = centers.shape[0]
        int i, j, a, t, label
        double u, low, lo
        floating best
        Py_ssize_t n_changed = 0
        double lo_pad = 1 - gamma, hi_pad = 1 + gamma
        # a true distance lies within [computed * lo2, computed * hi2]
        double lo2 = 1 - 2 * gamma, hi2 = 1 + 2 * gamma

    for i in range(start, end):
        a = labels[i]
        if not (full or a < 0):
            # own upper bound vs the lower bound of every other center
            t = stamps[i]
            u = upper[i] + (cum_shift[version, a] - cum_shift[t, a]) + slack
            low = max(lower_min[i] - (cum_max[version, a] - cum_max[t, a]),
                      2 * half_min[a] - u) - slack
            if low * lo_pad > u * hi_pad:
                continue  # every other center's computed distance is larger
            # Hamerly's second test: the distance to the own center only
            best = _euclidean_dense_dense(&X[i, 0], &centers[a, 0], n_features, False)
            u = best * hi2
            low = max(low, 2 * half_min[a] - u - slack)
            if low * lo_pad > best:
                upper[i] = <floating> (u * hi_pad)
                lower_min[i] = <floating> (low * lo_pad)
                stamps[i] = version
                continue

        # some other center may be closer: all distances (a few SIMD lanes,
        # and the sample's bounds become tight)
        _distances(&X[i, 0], centers, ct, simd, dist)
        if full or a < 0:
            # the first closest, as scikit-learn's init_bounds
            label = 0
        else:
            # scikit-learn's scan: from the current label, switch only to a
            # strictly closer center, the first one in index order
            label = a
        best = dist[label]
        for j in range(n_clusters):
            if dist[j] < best:
                best = dist[j]
                label = j
        lo = INFINITY
        for j in range(n_clusters):
            if j != label:
                lo = min(lo, dist[j] * lo2)
        upper[i] = <floating> (best * hi2 * hi_pad)
        lower_min[i] = <floating> (lo * lo_pad)
        stamps[i] = version
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
        const floating[:, ::1] ct,
        int[::1] labels,
        int[::1] stamps,
        floating[::1] upper,
        floating[::1] lower_min,
        const double[:, ::1] cum_shift,
        const double[:, ::1] cum_max,
        const double[::1] half_min,
        double gamma,
        double slack,
        int version,
        double[:, ::1] slabs,
        Py_ssize_t[::1] changed,
        bint simd,
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
        floating* dist

    with nogil:
        _begin_pass(slabs, changed, n_threads, update)
        with parallel(num_threads=n_threads):
            dist = <floating*> malloc(ct.shape[1] * sizeof(floating))
            for chunk_idx in prange(n_chunks, schedule='static'):
                start = chunk_idx * CHUNK_SIZE
                end = min(start + CHUNK_SIZE, n_samples)
                changed[threadid() * PAD] += _elkan_chunk(
                    X, sample_weight, centers, ct, labels, stamps, upper, lower_min,
                    cum_shift, cum_max, half_min, gamma, slack, version, start, end,
                    dist, &slabs[threadid(), 0],
                    simd, full, update)
            free(dist)
        total = _end_pass(changed, n_threads)
    return total


class _ElkanStep:
    """The E-step handed to ``_kmeans_run``: bounds, their margins, the kernel."""

    def __init__(self, X, sample_weight, n_threads):
        n, d = X.shape
        self.X, self.sample_weight, self.n_threads = X, sample_weight, n_threads
        self.x_norm_max = float(np.sqrt(np.einsum("ij,ij->i", X, X, dtype=np.float64).max()))
        # relative error of a computed Euclidean distance (d products and sums,
        # a square root), doubled for safety
        self.gamma = 2 * (d + 8) * float(np.finfo(X.dtype).eps)
        self.stamps = np.zeros(n, dtype=np.int32)
        self.upper = np.zeros(n, dtype=X.dtype)
        self.lower_min = np.zeros(n, dtype=X.dtype)

    def __call__(self, centers, labels, st, version, full, update):
        k, d = centers.shape
        scale = self.x_norm_max + float(np.sqrt((centers.astype(np.float64) ** 2).sum(1).max()))
        simd = _use_simd_py(d, k, centers.dtype == np.float32)
        if simd:
            ct = np.zeros((d, _kpad_py(k, centers.dtype == np.float32)), dtype=centers.dtype)
            ct[:, :k] = centers.T
        else:
            ct = np.zeros((1, k), dtype=centers.dtype)
        return _elkan_pass(
            self.X, self.sample_weight, centers, ct, labels, self.stamps,
            self.upper, self.lower_min, st.cum_shift, st.cum_max, st.half_min,
            self.gamma,
            st.slack(version, scale), version, st.slabs, st.changed, simd, full, update,
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
    estep = _ElkanStep(X, sample_weight, n_threads)
    return _kmeans_run(estep, X, sample_weight, centers_init, max_iter, tol,
                       n_threads, verbose)
