# Compiled traversal of a fitted tree: the leaf each sample reaches (apply)
# and the nodes on its way (decision_path). After sklearn/tree/_tree.pyx
# (Tree._apply_dense, _decision_path_dense; BSD-3), parallel over samples.
# NaN goes left where the node's missing_go_to_left says so, else right, as
# there; a finite value goes left when <= threshold.
from cython.parallel cimport prange
from libc.stdint cimport uint8_t

import numpy as np

from fastml._cy._tree_common cimport TREE_LEAF, float32_t, float64_t, intp_t


cdef inline intp_t _child(float32_t x, intp_t node, const intp_t* children_left,
                          const intp_t* children_right, const float64_t* threshold,
                          const uint8_t* missing_go_to_left) noexcept nogil:
    # a NaN fails `x <= threshold` (IEEE 754) and is routed by the node's flag
    cdef bint left = (x <= threshold[node]) | ((x != x) & missing_go_to_left[node])
    return children_left[node] if left else children_right[node]


cdef inline intp_t _leaf(const float32_t* x, const intp_t* children_left,
                         const intp_t* children_right, const intp_t* feature,
                         const float64_t* threshold,
                         const uint8_t* missing_go_to_left) noexcept nogil:
    """The leaf row x reaches. Walked first as if it had no NaN (the step
    chain stays as short as the NaN-free traversal's; NaN is only noted on
    the side), then again, routing NaN, if it met one."""
    cdef intp_t node = 0
    cdef float32_t v
    cdef bint met_nan = False
    while children_left[node] != TREE_LEAF:
        v = x[feature[node]]
        met_nan |= v != v
        node = children_left[node] if v <= threshold[node] else children_right[node]
    if met_nan:
        node = 0
        while children_left[node] != TREE_LEAF:
            node = _child(x[feature[node]], node, children_left, children_right,
                          threshold, missing_go_to_left)
    return node


def apply(const float32_t[:, ::1] X, const intp_t[::1] children_left,
          const intp_t[::1] children_right, const intp_t[::1] feature,
          const float64_t[::1] threshold, const uint8_t[::1] missing_go_to_left,
          int n_threads, bint may_have_nan=True):
    """Index of the leaf each row of X ends up in (X <= threshold goes left;
    NaN as missing_go_to_left says). may_have_nan=False: X is known NaN-free
    (validation summed it), so the walk need not look for NaN."""
    cdef intp_t n = X.shape[0], i, node
    out = np.empty(n, dtype=np.intp)
    cdef intp_t[::1] leaves = out
    with nogil:
        if may_have_nan:
            for i in prange(n, num_threads=n_threads, schedule="static"):
                leaves[i] = _leaf(&X[i, 0], &children_left[0], &children_right[0],
                                  &feature[0], &threshold[0], &missing_go_to_left[0])
        else:
            for i in prange(n, num_threads=n_threads, schedule="static"):
                node = 0
                while children_left[node] != TREE_LEAF:
                    if X[i, feature[node]] <= threshold[node]:
                        node = children_left[node]
                    else:
                        node = children_right[node]
                leaves[i] = node
    return out


def decision_path(const float32_t[:, ::1] X, const intp_t[::1] children_left,
                  const intp_t[::1] children_right, const intp_t[::1] feature,
                  const float64_t[::1] threshold, const uint8_t[::1] missing_go_to_left,
                  int n_threads):
    """CSR (indptr, indices) of the nodes each row of X visits, root first."""
    cdef intp_t n = X.shape[0], i, node, p
    indptr_arr = np.zeros(n + 1, dtype=np.intp)
    cdef intp_t[::1] indptr = indptr_arr
    with nogil:
        for i in prange(n, num_threads=n_threads, schedule="static"):
            node = 0
            p = 1
            while children_left[node] != TREE_LEAF:
                node = _child(X[i, feature[node]], node, &children_left[0],
                              &children_right[0], &threshold[0], &missing_go_to_left[0])
                p = p + 1
            indptr[i + 1] = p
    np.cumsum(indptr_arr, out=indptr_arr)
    indices_arr = np.empty(indptr_arr[n], dtype=np.intp)
    cdef intp_t[::1] indices = indices_arr
    with nogil:
        for i in prange(n, num_threads=n_threads, schedule="static"):
            node = 0
            p = indptr[i]
            indices[p] = 0
            while children_left[node] != TREE_LEAF:
                node = _child(X[i, feature[node]], node, &children_left[0],
                              &children_right[0], &threshold[0], &missing_go_to_left[0])
                p = p + 1
                indices[p] = node
    return indptr_arr, indices_arr
