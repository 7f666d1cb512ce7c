# K-means Lloyd with exact pruning: each iteration's labels are those of
# scikit-learn's lloyd (its GEMM distance surrogate, first argmin), but a
# sample whose Hamerly bounds prove its label cannot change is not visited.
# Adapted from scikit-learn (sklearn/cluster/_k_means_lloyd.pyx and
# _kmeans.py::_kmeans_single_lloyd, BSD-3-Clause, The scikit-learn developers);
# bounds after G. Hamerly, "Making k-means even faster", SDM 2010.

import numpy as np

from cython cimport floating
from cython.parallel cimport prange, parallel, threadid
from libc.stdlib cimport malloc, free
from libc.math cimport sqrt, INFINITY

from fastml._cy._kmeans_common cimport (
    CHUNK_SIZE, PAD, _scores_blas, _move_sample, _begin_pass,
    _end_pass)
from fastml._cy._kmeans_common import (
    _packed_centers, _n_threads_for, _kmeans_run, _labels_pass, _use_simd_py)
from fastml._cy._kmeans_simd cimport fm_best2_avx2_d, fm_best2_avx2_s


cdef inline bint _settled(double low, double u, double err) noexcept nogil:
    """No other center can win: d_other^2 - d_own^2 exceeds twice the score error."""
    return low > u and (low - u) * (low + u) > 2.5 * err


cdef Py_ssize_t _lloyd_chunk(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const double[::1] x_sq,              # IN ||x||^2
        const floating[:, ::1] centers,      # IN
        const floating[:, ::1] packed,       # IN (SIMD layout)
        const floating[::1] norms,           # IN ||c||^2 (padded with +inf)
        int[::1] labels,                     # INOUT
        int[::1] stamps,                     # INOUT version of the bounds
        floating[::1] upper,                 # INOUT >= d(x, own center)
        floating[::1] lower,                 # INOUT <= d(x, any other center)
        const double[:, ::1] cum_shift,      # IN
        const double[:, ::1] cum_max,        # IN
        const double[::1] half_min,          # IN
        double err,                          # bound on the squared-distance error
        double slack,                        # bound on the bound-arithmetic error
        int version,
        int start,
        int end,
        int* idx,                            # scratch (CHUNK_SIZE,)
        floating* scores,                    # scratch (CHUNK_SIZE, kstride), BLAS path
        int* lab,                            # scratch (CHUNK_SIZE,) first argmin
        floating* b1,                        # scratch (CHUNK_SIZE,) its score
        floating* b2,                        # scratch (CHUNK_SIZE,) runner-up score
        double* slab,                        # INOUT this thread's moves
        bint simd,
        bint full,
        bint update) noexcept nogil:
    """Pruned E-step (and incremental M-step) of samples [start, end)."""
    cdef:
        int n_features = X.shape[1]
        int n_clusters = centers.shape[0]
        int kstride = packed.shape[1] if simd else n_clusters
        int i, j, r, m = 0, a, t, label
        double u, low, x2
        floating best, second, v
        floating* row
        Py_ssize_t n_changed = 0
        # stored bounds are rounded outwards (float32 storage loses digits)
        double up = 1 + 4 * (1.2e-7 if floating is float else 2.3e-16)
        double down = 1 - 4 * (1.2e-7 if floating is float else 2.3e-16)

    for i in range(start, end):
        a = labels[i]
        if full or a < 0:
            idx[m] = i
            m = m + 1
            continue
        t = stamps[i]
        u = upper[i] + (cum_shift[version, a] - cum_shift[t, a]) + slack
        low = lower[i] - (cum_max[version, a] - cum_max[t, a]) - slack
        # skip iff every other center's score exceeds the own one's even after
        # the worst rounding of the surrogate (err on each side)
        if _settled(max(low, 2 * half_min[a] - u - slack), u, err):
            continue
        # (Hamerly's second test, the distance to the own center alone, was
        # measured 12 % slower here: the row is read anyway, and all k scores
        # in SIMD also make the lower bound tight)
        idx[m] = i
        m = m + 1
    if m == 0:
        return 0

    if simd:
        if floating is double:
            fm_best2_avx2_d(&X[0, 0], idx, m, n_features, &packed[0, 0], &norms[0],
                            kstride, lab, b1, b2)
        else:
            fm_best2_avx2_s(&X[0, 0], idx, m, n_features, &packed[0, 0], &norms[0],
                            kstride, lab, b1, b2)
    else:
        # BLAS may round differently for another shape: score the whole chunk,
        # with scikit-learn's very call
        m = end - start
        for r in range(m):
            idx[r] = start + r
        _scores_blas(&X[start, 0], m, n_features, n_clusters, centers, &norms[0],
                     scores)
        for r in range(m):
            row = scores + r * kstride
            # first argmin (scikit-learn's scan) and the runner-up score
            best = row[0]
            label = 0
            second = INFINITY
            for j in range(1, n_clusters):
                # branch-free: a sample's scores are in no useful order
                v = row[j]
                second = min(second, max(best, v))
                label = j if v < best else label
                best = min(best, v)
            lab[r] = label
            b1[r] = best
            b2[r] = second

    for r in range(m):
        i = idx[r]
        label = lab[r]
        best = b1[r]
        second = b2[r]
        x2 = x_sq[i]
        upper[i] = <floating> (sqrt(max(best + x2 + err, 0.0)) * up)
        lower[i] = <floating> (sqrt(max(second + x2 - err, 0.0)) * down)
        stamps[i] = version
        a = labels[i]
        if label != a:
            n_changed += 1
            labels[i] = label
            if update:
                _move_sample(&X[i, 0], sample_weight[i], a, label, n_features,
                             n_clusters, slab)
    return n_changed


def _lloyd_pass(
        const floating[:, ::1] X,
        const floating[::1] sample_weight,
        const double[::1] x_sq,
        const floating[:, ::1] centers,
        const floating[:, ::1] packed,
        const floating[::1] norms,
        int[::1] labels,
        int[::1] stamps,
        floating[::1] upper,
        floating[::1] lower,
        const double[:, ::1] cum_shift,
        const double[:, ::1] cum_max,
        const double[::1] half_min,
        double err,
        double slack,
        int version,
        double[:, ::1] slabs,
        Py_ssize_t[::1] changed,
        bint simd,
        bint full,
        bint update,
        int n_threads):
    """One pruned pass over all chunks (static schedule, a slab per thread)."""
    cdef:
        int n_samples = X.shape[0]
        int n_clusters = centers.shape[0]
        int kstride = packed.shape[1] if simd else n_clusters
        int n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
        int chunk_idx, start, end
        Py_ssize_t total
        int* idx
        int* lab
        floating* scores
        floating* b1
        floating* b2

    with nogil:
        _begin_pass(slabs, changed, n_threads, update)
        with parallel(num_threads=n_threads):
            idx = <int*> malloc(CHUNK_SIZE * sizeof(int))
            scores = NULL
            if not simd:
                scores = <floating*> malloc(CHUNK_SIZE * kstride * sizeof(floating))
            lab = <int*> malloc(CHUNK_SIZE * sizeof(int))
            b1 = <floating*> malloc(2 * CHUNK_SIZE * sizeof(floating))
            b2 = b1 + CHUNK_SIZE
            for chunk_idx in prange(n_chunks, schedule='static'):
                start = chunk_idx * CHUNK_SIZE
                end = min(start + CHUNK_SIZE, n_samples)
                changed[threadid() * PAD] += _lloyd_chunk(
                    X, sample_weight, x_sq, centers, packed, norms, labels, stamps,
                    upper, lower, cum_shift, cum_max, half_min, err, slack, version,
                    start, end, idx, scores, lab, b1, b2, &slabs[threadid(), 0], simd, full,
                    update)
            free(idx)
            free(scores)
            free(lab)
            free(b1)
        total = _end_pass(changed, n_threads)
    return total


class _LloydStep:
    """The E-step handed to ``_kmeans_run``: bounds, their margins, the kernel."""

    def __init__(self, X, sample_weight, n_threads):
        n, d = X.shape
        self.X, self.sample_weight, self.n_threads = X, sample_weight, n_threads
        self.x_sq = np.einsum("ij,ij->i", X, X, dtype=np.float64)
        self.x_norm_max = float(np.sqrt(self.x_sq.max()))
        self.eps = float(np.finfo(X.dtype).eps)
        self.stamps = np.zeros(n, dtype=np.int32)
        self.upper = np.zeros(n, dtype=X.dtype)
        self.lower = np.zeros(n, dtype=X.dtype)

    def __call__(self, centers, labels, st, version, full, update):
        X = self.X
        k, d = centers.shape
        simd = _use_simd_py(d, k, X.dtype == np.float32)
        packed, norms = _packed_centers(centers, simd)
        scale = self.x_norm_max + float(np.sqrt(np.max(norms[:k])))
        # |computed - exact| of ||c||^2 - 2 x.c + ||x||^2, any summation order
        # (standard dot-product bound, doubled for safety)
        err = 2 * (2 * d + 8) * self.eps * scale * scale
        return _lloyd_pass(
            X, self.sample_weight, self.x_sq, centers, packed, norms, labels,
            self.stamps, self.upper, self.lower, st.cum_shift, st.cum_max,
            st.half_min, err, st.slack(version, scale), version, st.slabs,
            st.changed, simd, full, update, self.n_threads)


def lloyd_fit(
        X,                 # (n_samples, n_features) float32/64, C order
        sample_weight,     # (n_samples,)
        centers_init,      # (n_clusters, n_features)
        int max_iter,
        double tol,
        int n_threads,
        bint verbose=False):
    """A single run of k-means lloyd, all iterations compiled.

    Same semantics and iterates as scikit-learn's ``_kmeans_single_lloyd``
    (see ``_kmeans_run``); the E-step skips the samples whose bounds settle
    their label.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
    inertia : float
    centers : ndarray of shape (n_clusters, n_features)
    n_iter : int
    """
    n_threads = _n_threads_for(X.shape[0], n_threads)
    estep = _LloydStep(X, sample_weight, n_threads)
    return _kmeans_run(estep, X, sample_weight, centers_init, max_iter, tol,
                       n_threads, verbose)


def lloyd_labels(X, centers, int n_threads):
    """E-step only: the closest center of every sample (``predict``)."""
    return _labels_pass(X, centers, _n_threads_for(X.shape[0], n_threads))
