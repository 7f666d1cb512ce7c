# K-means Lloyd: the whole iteration loop (E and M steps fused per chunk,
# convergence check included) compiled, parallel over sample chunks.
# Adapted from scikit-learn (sklearn/cluster/_k_means_lloyd.pyx and
# _kmeans.py::_kmeans_single_lloyd, BSD-3-Clause, The scikit-learn developers).

import numpy as np

from cython cimport floating
from cython.parallel cimport prange, parallel, threadid
from libc.stdlib cimport malloc, free

from fastml._cy._kmeans_common cimport (
    CHUNK_SIZE, _use_simd, _kpad, _assign_chunk, _accumulate_chunk,
    _reduce_slabs, _relocate_empty_clusters_dense, _average_centers,
    _center_shift, _inertia_dense)
from fastml._cy._kmeans_common import _packed_centers, _n_threads_for

# per-thread counters live this far apart (a cache line of intp)
cdef enum:
    PAD = 8


cdef Py_ssize_t _lloyd_chunk(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const floating[:, ::1] centers,      # IN
        const floating[:, ::1] packed,       # IN
        const floating[::1] norms,           # IN
        int[::1] labels,                     # INOUT
        int start,
        int end,
        floating* dist_buf,                  # scratch (CHUNK_SIZE, n_clusters)
        int* chunk_labels,                   # scratch (CHUNK_SIZE,)
        floating* slab,                      # INOUT this thread's sums | weights
        bint simd,
        bint update_centers) noexcept nogil:
    """Fused E (and M) step of one chunk; returns how many labels changed."""
    cdef:
        int n_features = X.shape[1]
        int n_clusters = centers.shape[0]
        int i, new
        Py_ssize_t n_changed = 0

    _assign_chunk(&X[start, 0], end - start, n_features, n_clusters, centers,
                  &packed[0, 0], &norms[0], packed.shape[1], dist_buf, chunk_labels, simd)
    for i in range(end - start):
        new = chunk_labels[i]
        if new != labels[start + i]:
            n_changed += 1
            labels[start + i] = new
    if update_centers:
        _accumulate_chunk(&X[start, 0], &sample_weight[start], &labels[start],
                          end - start, n_features, slab, slab + n_clusters * n_features)
    return n_changed


cdef Py_ssize_t _lloyd_pass(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const floating[:, ::1] centers,      # IN
        const floating[:, ::1] packed,       # IN
        const floating[::1] norms,           # IN
        int[::1] labels,                     # INOUT
        floating[:, ::1] slabs,              # OUT (n_threads, n_clusters * (n_features + 1))
        Py_ssize_t[::1] changed,             # scratch (n_threads * PAD)
        bint simd,
        bint update_centers,
        int n_threads) noexcept nogil:
    """One E-step (and M-step if update_centers) over all chunks.

    Static schedule: thread t owns a contiguous run of chunks and its slab
    (its center sums then its weights), which are then summed in thread
    order, so results are deterministic for a fixed number of threads (and
    equal to scikit-learn's lock-based reduction for 2 threads).  Returns the
    number of labels that changed.
    """
    cdef:
        int n_samples = X.shape[0]
        int n_clusters = centers.shape[0]
        int n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
        int chunk_idx, start, end, i, t
        Py_ssize_t total = 0
        floating *dist_buf
        int *chunk_labels

    for t in range(n_threads):
        changed[t * PAD] = 0
        if update_centers:
            for i in range(slabs.shape[1]):
                slabs[t, i] = 0

    with parallel(num_threads=n_threads):
        dist_buf = NULL
        if not simd:
            dist_buf = <floating*> malloc(CHUNK_SIZE * n_clusters * sizeof(floating))
        chunk_labels = <int*> malloc(CHUNK_SIZE * sizeof(int))

        for chunk_idx in prange(n_chunks, schedule='static'):
            start = chunk_idx * CHUNK_SIZE
            end = min(start + CHUNK_SIZE, n_samples)
            changed[threadid() * PAD] += _lloyd_chunk(
                X, sample_weight, centers, packed, norms, labels, start, end,
                dist_buf, chunk_labels, &slabs[threadid(), 0], simd, update_centers)

        free(dist_buf)
        free(chunk_labels)

    for t in range(n_threads):
        total += changed[t * PAD]
    return total


def lloyd_fit(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const floating[:, ::1] centers_init, # IN
        int max_iter,
        double tol,
        int n_threads,
        bint verbose=False):
    """A single run of k-means lloyd, all iterations compiled.

    Same semantics as scikit-learn's ``_kmeans_single_lloyd``: stops on
    strict convergence (no label changed) or when the squared center shift
    is within ``tol``; then reruns the E-step so labels match the centers.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
    inertia : float
    centers : ndarray of shape (n_clusters, n_features)
    n_iter : int
    """
    cdef:
        int n_samples = X.shape[0]
        int n_features = X.shape[1]
        int n_clusters = centers_init.shape[0]
        bint simd = _use_simd(n_features, n_clusters, floating is float)
        int it = 0
        bint strict_convergence = False
        Py_ssize_t n_changed
        floating[:, ::1] centers, centers_new, slabs, packed
        floating[::1] norms, weight_in_clusters, center_shift
        int[::1] labels
        Py_ssize_t[::1] changed

    dtype = np.float32 if floating is float else np.float64
    n_threads = _n_threads_for(n_samples, n_threads)
    centers = np.array(centers_init, dtype=dtype, order="C")
    centers_new = np.zeros_like(centers)
    weight_in_clusters = np.zeros(n_clusters, dtype=dtype)
    center_shift = np.zeros(n_clusters, dtype=dtype)
    labels = np.full(n_samples, -1, dtype=np.int32)
    slabs = np.zeros((n_threads, n_clusters * (n_features + 1)), dtype=dtype)
    changed = np.zeros(n_threads * PAD, dtype=np.intp)

    for it in range(max_iter):
        packed, norms = _packed_centers(centers, simd)
        with nogil:
            n_changed = _lloyd_pass(X, sample_weight, centers, packed, norms, labels,
                                    slabs, changed, simd, True, n_threads)
        _reduce_from_slabs(slabs, centers_new, weight_in_clusters)
        _relocate_empty_clusters_dense(X, sample_weight, centers, centers_new,
                                       weight_in_clusters, labels)
        _average_centers(centers_new, weight_in_clusters)
        _center_shift(centers, centers_new, center_shift)

        if verbose:
            inertia = _inertia_dense(X, sample_weight, centers, labels, n_threads)
            print(f"Iteration {it}, inertia {inertia}.")

        centers, centers_new = centers_new, centers

        if n_changed == 0:
            if verbose:
                print(f"Converged at iteration {it}: strict convergence.")
            strict_convergence = True
            break
        center_shift_tot = (np.asarray(center_shift) ** 2).sum()
        if center_shift_tot <= tol:
            if verbose:
                print(f"Converged at iteration {it}: center shift "
                      f"{center_shift_tot} within tolerance {tol}.")
            break

    if not strict_convergence:
        # rerun E-step so that predicted labels match cluster centers
        packed, norms = _packed_centers(centers, simd)
        with nogil:
            _lloyd_pass(X, sample_weight, centers, packed, norms, labels,
                        slabs, changed, simd, False, n_threads)

    inertia = _inertia_dense(X, sample_weight, centers, labels, n_threads)
    return np.asarray(labels), inertia, np.asarray(centers), it + 1


cdef void _reduce_from_slabs(
        const floating[:, ::1] slabs,
        floating[:, ::1] centers_new,
        floating[::1] weight_in_clusters) noexcept nogil:
    """Thread-ordered sum of the slabs into the new center sums and weights."""
    cdef int n_clusters = centers_new.shape[0], n_features = centers_new.shape[1]
    # one slab row is [sums (n_clusters * n_features) | weights (n_clusters)]
    _reduce_slabs(slabs, 0, n_clusters * n_features, &centers_new[0, 0])
    _reduce_slabs(slabs, n_clusters * n_features, n_clusters, &weight_in_clusters[0])


def lloyd_labels(
        const floating[:, ::1] X,            # IN
        const floating[:, ::1] centers,      # IN
        int n_threads):
    """E-step only: the closest center of every sample (``predict``)."""
    cdef:
        int n_samples = X.shape[0]
        int n_features = X.shape[1]
        int n_clusters = centers.shape[0]
        bint simd = _use_simd(n_features, n_clusters, floating is float)
        floating[:, ::1] slabs, packed
        floating[::1] norms, no_weights
        int[::1] labels = np.full(n_samples, -1, dtype=np.int32)
        Py_ssize_t[::1] changed

    if n_samples == 0:
        return np.asarray(labels)
    dtype = np.float32 if floating is float else np.float64
    n_threads = _n_threads_for(n_samples, n_threads)
    slabs = np.zeros((n_threads, 1), dtype=dtype)
    no_weights = np.zeros(1, dtype=dtype)
    changed = np.zeros(n_threads * PAD, dtype=np.intp)
    packed, norms = _packed_centers(centers, simd)
    with nogil:
        _lloyd_pass(X, no_weights, centers, packed, norms, labels, slabs, changed,
                    simd, False, n_threads)
    return np.asarray(labels)
