# Greedy k-means++ seeding, compiled: candidate potentials, closest-distance
# updates and the weighted cumulative sum run without the GIL, in parallel.
# Adapted from scikit-learn (sklearn/cluster/_kmeans.py::_kmeans_plusplus,
# BSD-3-Clause, The scikit-learn developers).  Random draws are made with the
# caller's RandomState in scikit-learn's order (choice, then one uniform(size=
# n_local_trials) per center), so a seed gives scikit-learn's seeding.

import numpy as np

from cython cimport floating
from cython.parallel cimport prange, parallel, threadid

from fastml._cy._kmeans_common import _n_threads_for

from fastml._cy._kmeans_common cimport CHUNK_SIZE, _euclidean_dense_dense


cdef void _update_closest(
        const floating[:, ::1] X,
        const floating* center,
        floating[::1] closest_dist_sq,
        int n_threads) noexcept nogil:
    """closest_dist_sq = min(closest_dist_sq, ||X - center||^2)."""
    cdef int i, n_features = X.shape[1]
    cdef floating d
    for i in prange(X.shape[0], num_threads=n_threads, schedule='static'):
        d = _euclidean_dense_dense(&X[i, 0], center, n_features, True)
        if d < closest_dist_sq[i]:
            closest_dist_sq[i] = d


cdef void _candidate_potentials(
        const floating[:, ::1] X,
        const floating[::1] sample_weight,
        const floating[::1] closest_dist_sq,
        const Py_ssize_t[::1] candidate_ids,
        double[:, ::1] partial,              # scratch (n_threads, n_candidates)
        int n_threads) noexcept nogil:
    """partial[t, c] = thread t's share of sum_i w_i min(closest_i, ||x_i - x_c||^2)."""
    cdef:
        int n_samples = X.shape[0], n_features = X.shape[1]
        int n_cand = candidate_ids.shape[0]
        int n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
        int chunk_idx, i, c, start, end
        floating d
        double* acc

    for c in range(partial.shape[0]):
        for i in range(n_cand):
            partial[c, i] = 0
    with parallel(num_threads=n_threads):
        for chunk_idx in prange(n_chunks, schedule='static'):
            start = chunk_idx * CHUNK_SIZE
            end = min(start + CHUNK_SIZE, n_samples)
            acc = &partial[threadid(), 0]
            for i in range(start, end):
                for c in range(n_cand):
                    d = _euclidean_dense_dense(&X[i, 0], &X[candidate_ids[c], 0],
                                               n_features, True)
                    if closest_dist_sq[i] < d:
                        d = closest_dist_sq[i]
                    acc[c] += d * sample_weight[i]


cdef Py_ssize_t _search_left(const floating* a, Py_ssize_t n, double v) noexcept nogil:
    """np.searchsorted(a, v, side='left') for nondecreasing a."""
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


def kmeans_plusplus_dense(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        int n_clusters,
        random_state,
        int n_local_trials,
        int n_threads):
    """Greedy k-means++: ``n_local_trials`` candidates per center, keep the best.

    Returns ``(centers, indices)`` as scikit-learn's ``kmeans_plusplus``.
    """
    cdef:
        Py_ssize_t n_samples = X.shape[0]
        int n_features = X.shape[1]
        int n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
        Py_ssize_t i, c, best, first
        floating acc
        floating[::1] closest_dist_sq, cumsum
        Py_ssize_t[::1] candidate_ids = np.empty(n_local_trials, dtype=np.intp)
        double[::1] rand_vals
        double[:, ::1] partial

    dtype = np.float32 if floating is float else np.float64
    n_threads = _n_threads_for(n_samples, n_threads)
    partial = np.zeros((n_threads, n_local_trials))
    centers = np.empty((n_clusters, n_features), dtype=dtype)
    indices = np.full(n_clusters, -1, dtype=int)
    w = np.asarray(sample_weight)

    # Pick first center randomly and track index of point
    first = random_state.choice(n_samples, p=w / w.sum())
    centers[0] = X[first]
    indices[0] = first

    closest_dist_sq = np.full(n_samples, np.inf, dtype=dtype)
    cumsum = np.empty(n_samples, dtype=dtype)
    with nogil:
        _update_closest(X, &X[first, 0], closest_dist_sq, n_threads)
    current_pot = np.asarray(closest_dist_sq) @ w

    for c in range(1, n_clusters):
        # candidates sampled with probability proportional to w * D(x)^2
        rand_vals = random_state.uniform(size=n_local_trials) * current_pot
        with nogil:
            acc = 0  # sequential, as np.cumsum(sample_weight * closest_dist_sq)
            for i in range(n_samples):
                acc = acc + sample_weight[i] * closest_dist_sq[i]
                cumsum[i] = acc
            for i in range(n_local_trials):
                # numerical imprecision can put a draw past the end: clip
                candidate_ids[i] = min(_search_left(&cumsum[0], n_samples, rand_vals[i]),
                                       n_samples - 1)
            _candidate_potentials(X, sample_weight, closest_dist_sq, candidate_ids,
                                  partial, n_threads)
        candidates_pot = np.asarray(partial).sum(axis=0)
        best = int(np.argmin(candidates_pot))
        current_pot = dtype(candidates_pot[best])
        best = candidate_ids[best]
        with nogil:
            _update_closest(X, &X[best, 0], closest_dist_sq, n_threads)
        centers[c] = X[best]
        indices[c] = best

    return centers, indices
