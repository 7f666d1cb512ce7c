# Mini-batch k-means: the center update of one mini-batch, compiled.
# Adapted from scikit-learn (sklearn/cluster/_k_means_minibatch.pyx,
# BSD-3-Clause, The scikit-learn developers).  The E-step on the batch reuses
# fastml's lloyd kernels (fastml._cy._kmeans_lloyd.lloyd_labels and
# fastml._cy._kmeans_common._inertia_dense); only the update lives here.

import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.stdlib cimport malloc, free


def _minibatch_update_dense(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const floating[:, ::1] centers_old,  # IN
        floating[:, ::1] centers_new,        # OUT (may be centers_old itself)
        floating[::1] weight_sums,           # INOUT
        const int[::1] labels,               # IN
        int n_threads):
    """Update of the centers for dense MiniBatchKMeans.

    Each center becomes the weighted mean of its previous position (weighted
    by the accumulated ``weight_sums``) and of the batch samples assigned to
    it; a center that got no sample keeps its position.

    scikit-learn scans all labels once per center (O(n_clusters * n_samples));
    here one counting sort groups the samples by label first, keeping them in
    increasing index order within a center, so every center sums the same
    terms in the same order as scikit-learn (bit-identical centers) in
    O(n_samples * n_features) total, parallel over centers.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dtype=floating
        The batch.
    sample_weight : ndarray of shape (n_samples,), dtype=floating
        The weights for each observation in X.
    centers_old : ndarray of shape (n_clusters, n_features), dtype=floating
        Centers before this step.
    centers_new : ndarray of shape (n_clusters, n_features), dtype=floating
        Centers after this step; may alias ``centers_old`` (``partial_fit``):
        each center reads only its own row before writing it.
    weight_sums : ndarray of shape (n_clusters,), dtype=floating
        Accumulated weight of each center, updated in place.
    labels : ndarray of shape (n_samples,), dtype=int32
        Closest center of each sample, each in ``[0, n_clusters)``.
    n_threads : int
        The number of OpenMP threads to use.
    """
    cdef:
        int n_samples = X.shape[0]
        int n_features = X.shape[1]
        int n_clusters = centers_old.shape[0]
        int i, c, f, k, start, end
        floating wsum, alpha
        int *order
        int *offsets

    if n_samples == 0:
        centers_new[...] = centers_old
        return
    order = <int*> malloc(n_samples * sizeof(int))
    offsets = <int*> malloc((n_clusters + 1) * sizeof(int))
    if order == NULL or offsets == NULL:
        free(order)
        free(offsets)
        raise MemoryError()

    with nogil:
        # counting sort of the sample indices by label (stable)
        for c in range(n_clusters + 1):
            offsets[c] = 0
        for i in range(n_samples):
            offsets[labels[i] + 1] += 1
        for c in range(n_clusters):
            offsets[c + 1] += offsets[c]
        for i in range(n_samples):
            order[offsets[labels[i]]] = i
            offsets[labels[i]] += 1
        # offsets[c] is now the end of center c's run (and the start of c + 1's)

        for c in prange(n_clusters, num_threads=n_threads, schedule="static"):
            end = offsets[c]
            start = 0 if c == 0 else offsets[c - 1]
            wsum = 0
            for k in range(start, end):
                wsum = wsum + sample_weight[order[k]]
            if wsum > 0:
                # undo the previous count-based scaling of this center
                for f in range(n_features):
                    centers_new[c, f] = centers_old[c, f] * weight_sums[c]
                for k in range(start, end):
                    i = order[k]
                    for f in range(n_features):
                        centers_new[c, f] += X[i, f] * sample_weight[i]
                weight_sums[c] += wsum
                # rescale to the mean of all points (old and new)
                alpha = 1 / weight_sums[c]
                for f in range(n_features):
                    centers_new[c, f] *= alpha
            else:
                # no sample of this batch went to this center
                for f in range(n_features):
                    centers_new[c, f] = centers_old[c, f]

    free(order)
    free(offsets)


def _sample_from_cdf(
        const double[::1] cdf,               # IN nondecreasing, cdf[-1] == 1
        const double[::1] u,                 # IN uniform draws in [0, 1)
        Py_ssize_t[::1] out):                # OUT
    """``out = cdf.searchsorted(u, side='right')``, found by galloping.

    ``RandomState.choice(n, size, p=p)`` draws ``u`` uniform and returns
    exactly this (with ``cdf = cumsum(p) / its last value``).  For near-uniform
    weights the answer is close to ``u * n``: starting there and galloping
    costs O(1) per draw instead of a cache-missing binary search over n; for
    any weights it is exact (the first index whose cdf exceeds u).
    """
    cdef:
        Py_ssize_t n = cdf.shape[0], i, j, lo, hi, mid, step
        double v
    with nogil:
        for i in range(u.shape[0]):
            v = u[i]
            j = <Py_ssize_t> (v * n)
            if j > n - 1:
                j = n - 1
            # bracket the answer in (lo, hi]: cdf[lo] <= v < cdf[hi]
            if cdf[j] > v:
                hi = j
                step = 1
                lo = j - step
                while lo >= 0 and cdf[lo] > v:
                    hi = lo
                    step = step * 2
                    lo = j - step
                if lo < -1:
                    lo = -1
            else:
                lo = j
                step = 1
                hi = j + step
                while hi < n - 1 and cdf[hi] <= v:
                    lo = hi
                    step = step * 2
                    hi = j + step
                if hi > n - 1:
                    hi = n - 1
                if cdf[hi] <= v:  # past the end (not for v < 1 == cdf[n - 1])
                    out[i] = n
                    continue
            while hi - lo > 1:
                mid = lo + (hi - lo) // 2
                if cdf[mid] > v:
                    hi = mid
                else:
                    lo = mid
            out[i] = hi
