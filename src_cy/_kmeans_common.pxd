# Numerics shared by fastml's k-means kernels (lloyd, elkan, k-means++, minibatch).
# Adapted from scikit-learn (sklearn/cluster/_k_means_common.pxd, BSD-3-Clause).

from cython cimport floating


cdef enum:
    # Samples per chunk, as scikit-learn: one chunk's rows and distance block stay
    # in L1/L2, and the same chunk -> thread mapping keeps sums bit-identical.
    CHUNK_SIZE = 256
    # per-thread counters live this far apart (a cache line of intp)
    PAD = 8


cdef floating _euclidean_dense_dense(
    const floating*, const floating*, int, bint) noexcept nogil

cdef int _kpad(int n_clusters, bint is_float) noexcept nogil

cdef bint _use_simd(int n_features, int n_clusters, bint is_float) noexcept nogil

cdef void _assign_chunk(
    const floating*, int, int, int, const floating[:, ::1],
    const floating*, const floating*, int, floating*, int*, bint) noexcept nogil

cdef void _scores_blas(
    const floating*, int, int, int, const floating[:, ::1], const floating*,
    floating*) noexcept nogil

cdef void _accumulate_chunk(
    const floating*, const floating*, const int*, int, int,
    floating*, floating*) noexcept nogil

cdef void _reduce_slabs(
    const floating[:, ::1], int, int, floating*) noexcept nogil

cpdef void _relocate_empty_clusters_dense(
    const floating[:, ::1], const floating[::1], const floating[:, ::1],
    floating[:, ::1], floating[::1], const int[::1])

cdef void _average_centers(floating[:, ::1], const floating[::1])

cdef void _center_shift(
    const floating[:, ::1], const floating[:, ::1], floating[::1]) noexcept nogil

cpdef floating _inertia_dense(
    const floating[:, ::1], const floating[::1], const floating[:, ::1],
    const int[::1], int, int single_label=*)

cdef void _move_sample(
    const floating*, floating, int, int, int, int, double*) noexcept nogil

cdef void _begin_pass(double[:, ::1], Py_ssize_t[::1], int, bint) noexcept nogil

cdef Py_ssize_t _end_pass(const Py_ssize_t[::1], int) noexcept nogil
