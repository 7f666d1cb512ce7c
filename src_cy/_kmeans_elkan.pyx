# K-means Elkan: the whole iteration loop compiled, parallel over sample chunks.
# Adapted from scikit-learn (sklearn/cluster/_k_means_elkan.pyx and
# _kmeans.py::_kmeans_single_elkan, BSD-3-Clause, The scikit-learn developers).
#
# Differences that keep the labels and centers of scikit-learn's Elkan:
# - the bounds update after each M-step (ub += shift[label], lb -= shift,
#   clipped at 0) is applied lazily, in parallel, when the next pass visits
#   the sample: the same operations on the same values, but lb (n_samples x
#   n_clusters) crosses the memory bus once per iteration instead of twice;
# - distances between centers are computed directly (not by the |a|^2+|b|^2-2ab
#   expansion), so the half distances used for pruning are tighter-accurate;
# - per-thread slabs summed in thread order replace the OpenMP lock.

import numpy as np

from cython cimport floating
from cython.parallel cimport prange, parallel, threadid

from fastml._cy._kmeans_common import _n_threads_for

from fastml._cy._kmeans_common cimport (
    CHUNK_SIZE, _euclidean_dense_dense, _accumulate_chunk, _reduce_slabs,
    _relocate_empty_clusters_dense, _average_centers, _center_shift,
    _inertia_dense)

cdef enum:
    PAD = 8  # per-thread counters live a cache line apart


cdef void _center_half_distances(
        const floating[:, ::1] centers,          # IN
        floating[:, ::1] center_half_distances,  # OUT
        floating[::1] distance_next_center       # OUT
) noexcept nogil:
    """Half distances between centers, and each center's half distance to its closest."""
    cdef int n_clusters = centers.shape[0], n_features = centers.shape[1], i, j
    cdef floating d
    for i in range(n_clusters):
        center_half_distances[i, i] = 0
        for j in range(i + 1, n_clusters):
            d = _euclidean_dense_dense(&centers[i, 0], &centers[j, 0], n_features, False) / 2
            center_half_distances[i, j] = d
            center_half_distances[j, i] = d
    for i in range(n_clusters):
        # second smallest of the column (the smallest is the 0 diagonal), as
        # scikit-learn's np.partition(..., kth=1, axis=0)[1]; n_clusters >= 2
        d = center_half_distances[1 if i == 0 else 0, i]
        for j in range(n_clusters):
            if j != i and center_half_distances[j, i] < d:
                d = center_half_distances[j, i]
        distance_next_center[i] = d


def init_bounds_dense(
        const floating[:, ::1] X,                      # IN
        const floating[:, ::1] centers,                # IN
        const floating[:, ::1] center_half_distances,  # IN
        int[::1] labels,                               # OUT
        floating[::1] upper_bounds,                    # OUT
        floating[:, ::1] lower_bounds,                 # OUT
        int n_threads):
    """Initialize upper and lower bounds for each sample (as scikit-learn)."""
    cdef:
        int n_samples = X.shape[0]
        int n_clusters = centers.shape[0]
        int n_features = X.shape[1]

        floating min_dist, dist
        int best_cluster, i, j

    for i in prange(
        n_samples, num_threads=n_threads, schedule='static', nogil=True
    ):
        best_cluster = 0
        min_dist = _euclidean_dense_dense(&X[i, 0], &centers[0, 0],
                                          n_features, False)
        lower_bounds[i, 0] = min_dist
        for j in range(1, n_clusters):
            if min_dist > center_half_distances[best_cluster, j]:
                dist = _euclidean_dense_dense(&X[i, 0], &centers[j, 0],
                                              n_features, False)
                lower_bounds[i, j] = dist
                if dist < min_dist:
                    min_dist = dist
                    best_cluster = j
        labels[i] = best_cluster
        upper_bounds[i] = min_dist


cdef Py_ssize_t _elkan_chunk(
        const floating[:, ::1] X,                      # IN
        const floating[::1] sample_weight,             # IN
        const floating[:, ::1] centers_old,            # IN
        const floating[:, ::1] center_half_distances,  # IN
        const floating[::1] distance_next_center,      # IN
        const floating[::1] pending_shift,             # IN
        floating[::1] upper_bounds,                    # INOUT
        floating[:, ::1] lower_bounds,                 # INOUT
        int[::1] labels,                               # INOUT
        int start,
        int end,
        floating* slab,                                # INOUT sums | weights
        bint apply_shift,
        bint update_centers) noexcept nogil:
    """Elkan E step (and M step) for samples [start, end); returns #labels changed."""
    cdef:
        int n_clusters = centers_old.shape[0]
        int n_features = centers_old.shape[1]
        floating upper_bound, distance
        floating* lb
        int i, j, label, old_label
        bint bounds_tight
        Py_ssize_t n_changed = 0

    for i in range(start, end):
        label = labels[i]
        old_label = label
        lb = &lower_bounds[i, 0]
        upper_bound = upper_bounds[i]
        if apply_shift:
            # scikit-learn's end-of-iteration bounds update, deferred to here
            upper_bound = upper_bound + pending_shift[label]
            for j in range(n_clusters):
                lb[j] = lb[j] - pending_shift[j]
                if lb[j] < 0:
                    lb[j] = 0
        bounds_tight = False

        # Next center is not far away from the currently assigned center:
        # the sample might need to be assigned to another center.
        if not distance_next_center[label] >= upper_bound:
            for j in range(n_clusters):
                # candidate if its bounds do not rule it out
                if (
                    j != label
                    and (upper_bound > lb[j])
                    and (upper_bound > center_half_distances[label, j])
                ):
                    # tighten the upper bound once with the actual distance
                    if not bounds_tight:
                        upper_bound = _euclidean_dense_dense(
                            &X[i, 0], &centers_old[label, 0], n_features, False)
                        lb[label] = upper_bound
                        bounds_tight = True

                    # (scikit-learn's condition, kept for identical pruning)
                    if (
                        upper_bound > lb[j]
                        or (upper_bound > center_half_distances[label, j])
                    ):
                        distance = _euclidean_dense_dense(
                            &X[i, 0], &centers_old[j, 0], n_features, False)
                        lb[j] = distance
                        if distance < upper_bound:
                            label = j
                            upper_bound = distance

            labels[i] = label
        upper_bounds[i] = upper_bound
        if label != old_label:
            n_changed += 1

    if update_centers:
        _accumulate_chunk(&X[start, 0], &sample_weight[start], &labels[start],
                          end - start, n_features, slab, slab + n_clusters * n_features)
    return n_changed


cdef Py_ssize_t _elkan_pass(
        const floating[:, ::1] X,
        const floating[::1] sample_weight,
        const floating[:, ::1] centers_old,
        const floating[:, ::1] center_half_distances,
        const floating[::1] distance_next_center,
        const floating[::1] pending_shift,
        floating[::1] upper_bounds,
        floating[:, ::1] lower_bounds,
        int[::1] labels,
        floating[:, ::1] slabs,
        Py_ssize_t[::1] changed,
        bint apply_shift,
        bint update_centers,
        int n_threads) noexcept nogil:
    """One Elkan iteration over all chunks (static schedule, one slab per thread)."""
    cdef:
        int n_samples = X.shape[0]
        int n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
        int chunk_idx, start, end, i, t
        Py_ssize_t total = 0

    for t in range(n_threads):
        changed[t * PAD] = 0
        if update_centers:
            for i in range(slabs.shape[1]):
                slabs[t, i] = 0

    with parallel(num_threads=n_threads):
        for chunk_idx in prange(n_chunks, schedule='static'):
            start = chunk_idx * CHUNK_SIZE
            end = min(start + CHUNK_SIZE, n_samples)
            changed[threadid() * PAD] += _elkan_chunk(
                X, sample_weight, centers_old, center_half_distances,
                distance_next_center, pending_shift, upper_bounds, lower_bounds,
                labels, start, end, &slabs[threadid(), 0], apply_shift,
                update_centers)

    for t in range(n_threads):
        total += changed[t * PAD]
    return total


def elkan_fit(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const floating[:, ::1] centers_init, # IN
        int max_iter,
        double tol,
        int n_threads,
        bint verbose=False):
    """A single run of k-means elkan, all iterations compiled.

    Same semantics as scikit-learn's ``_kmeans_single_elkan``.

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
        int n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
        int it = 0
        bint strict_convergence = False
        Py_ssize_t n_changed
        floating[:, ::1] centers, centers_new, slabs, center_half_distances, lower_bounds
        floating[::1] weight_in_clusters, center_shift, distance_next_center, upper_bounds
        int[::1] labels
        Py_ssize_t[::1] changed

    dtype = np.float32 if floating is float else np.float64
    n_threads = _n_threads_for(n_samples, n_threads)
    centers = np.array(centers_init, dtype=dtype, order="C")
    centers_new = np.zeros_like(centers)
    weight_in_clusters = np.zeros(n_clusters, dtype=dtype)
    center_shift = np.zeros(n_clusters, dtype=dtype)
    labels = np.full(n_samples, -1, dtype=np.int32)
    center_half_distances = np.zeros((n_clusters, n_clusters), dtype=dtype)
    distance_next_center = np.zeros(n_clusters, dtype=dtype)
    upper_bounds = np.zeros(n_samples, dtype=dtype)
    lower_bounds = np.zeros((n_samples, n_clusters), dtype=dtype)
    slabs = np.zeros((n_threads, n_clusters * (n_features + 1)), dtype=dtype)
    changed = np.zeros(n_threads * PAD, dtype=np.intp)

    _center_half_distances(centers, center_half_distances, distance_next_center)
    init_bounds_dense(X, centers, center_half_distances, labels, upper_bounds,
                      lower_bounds, n_threads)

    for it in range(max_iter):
        with nogil:
            n_changed = _elkan_pass(
                X, sample_weight, centers, center_half_distances,
                distance_next_center, center_shift, upper_bounds, lower_bounds,
                labels, slabs, changed, it > 0, True, n_threads)
        _reduce_slabs(slabs, 0, n_clusters * n_features, &centers_new[0, 0])
        _reduce_slabs(slabs, n_clusters * n_features, n_clusters, &weight_in_clusters[0])
        _relocate_empty_clusters_dense(X, sample_weight, centers, centers_new,
                                       weight_in_clusters, labels)
        _average_centers(centers_new, weight_in_clusters)
        _center_shift(centers, centers_new, center_shift)
        _center_half_distances(centers_new, center_half_distances, distance_next_center)

        if verbose:
            inertia = _inertia_dense(X, sample_weight, centers, labels, n_threads)
            print(f"Iteration {it}, inertia {inertia}")

        centers, centers_new = centers_new, centers

        # scikit-learn compares with labels before the pass, which are -1
        # before the first one: the first iteration never converges strictly.
        if it > 0 and n_changed == 0:
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
        with nogil:
            _elkan_pass(X, sample_weight, centers, center_half_distances,
                        distance_next_center, center_shift, upper_bounds,
                        lower_bounds, labels, slabs, changed, True, False, n_threads)

    inertia = _inertia_dense(X, sample_weight, centers, labels, n_threads)
    return np.asarray(labels), inertia, np.asarray(centers), it + 1
