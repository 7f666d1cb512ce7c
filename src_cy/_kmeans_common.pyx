# Numerics shared by fastml's k-means kernels: the chunk assignment (E-step),
# the chunk accumulation (M-step), empty-cluster relocation, inertia.
# Adapted from scikit-learn (sklearn/cluster/_k_means_common.pyx and
# _k_means_lloyd.pyx, BSD-3-Clause, The scikit-learn developers).

import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport sqrt, INFINITY

from fastml._cy._blas cimport _gemm, BLAS_Order, BLAS_Trans
from fastml._cy._kmeans_simd cimport (
    fm_cpu_has_avx2_fma, fm_assign_avx2_d, fm_assign_avx2_s)

# Exposed to Python for the estimators and the tests.
CHUNK_SIZE_PY = CHUNK_SIZE

cdef bint _HAS_AVX2_FMA = fm_cpu_has_avx2_fma()
HAS_AVX2_FMA = bool(_HAS_AVX2_FMA)

# The register-blocked kernel re-reads the packed centers for every 4 rows:
# past this size they leave L2 and BLAS' packed GEMM is the better tool.
cdef enum:
    SIMD_MAX_PACKED_BYTES = 256 * 1024


cdef floating _euclidean_dense_dense(
        const floating* a,  # IN
        const floating* b,  # IN
        int n_features,
        bint squared
) noexcept nogil:
    """Euclidean distance between a dense and b dense (scikit-learn's order of sums)."""
    cdef:
        int i
        int n = n_features // 4
        int rem = n_features % 4
        floating result = 0

    # Unrolled by 4 exactly as scikit-learn, so distances agree bit for bit.
    for _ in range(n):
        result += (
            (a[0] - b[0]) * (a[0] - b[0]) +
            (a[1] - b[1]) * (a[1] - b[1]) +
            (a[2] - b[2]) * (a[2] - b[2]) +
            (a[3] - b[3]) * (a[3] - b[3])
        )
        a += 4
        b += 4

    for i in range(rem):
        result += (a[i] - b[i]) * (a[i] - b[i])

    return result if squared else sqrt(result)


def _euclidean_dense_dense_wrapper(
    const floating[::1] a,
    const floating[::1] b,
    bint squared
):
    """Wrapper of _euclidean_dense_dense for testing purpose"""
    return _euclidean_dense_dense(&a[0], &b[0], a.shape[0], squared)


cdef int _kpad(int n_clusters, bint is_float) noexcept nogil:
    """n_clusters rounded up to the SIMD kernel's block of centers (2 vectors)."""
    cdef int block = 16 if is_float else 8
    return ((n_clusters + block - 1) // block) * block


cdef bint _use_simd(int n_features, int n_clusters, bint is_float) noexcept nogil:
    cdef long packed = <long> n_features * _kpad(n_clusters, is_float) * (4 if is_float else 8)
    return _HAS_AVX2_FMA and packed <= SIMD_MAX_PACKED_BYTES


def _use_simd_py(int n_features, int n_clusters, bint is_float):
    """Whether the register-blocked kernel serves this shape (for tests)."""
    return bool(_use_simd(n_features, n_clusters, is_float))


def _n_threads_for(Py_ssize_t n_samples, int n_threads):
    """Threads for a pass over n_samples: each gets at least 4 chunks.

    Each thread owns a slab, so never more threads than chunks; and below ~1000
    samples per thread a fork/join costs more than it saves (and a thread
    descheduled on a busy machine stalls the whole pass at the barrier).
    """
    cdef Py_ssize_t n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    return int(max(1, min(n_threads, n_chunks // 4)))


def _packed_centers(const floating[:, ::1] centers, bint simd):
    """Centers in the layout the assignment kernel wants.

    Returns ``(packed, norms)``: for the SIMD kernel ``packed`` is
    ``-2 * centers.T`` zero-padded to ``(n_features, kpad)`` and ``norms`` the
    squared norms padded with +inf (a pad never wins the argmin); for the BLAS
    path ``packed`` is unused.  The norms come from scikit-learn's
    ``row_norms`` (an einsum) so that they agree with its lloyd bit for bit.
    """
    from sklearn.utils.extmath import row_norms

    cdef int k = centers.shape[0], d = centers.shape[1]
    dtype = np.float32 if floating is float else np.float64
    norms = row_norms(np.asarray(centers), squared=True)
    if not simd:
        return np.zeros((1, 1), dtype=dtype), np.ascontiguousarray(norms, dtype=dtype)
    cdef int kpad = _kpad(k, floating is float)
    packed = np.zeros((d, kpad), dtype=dtype)
    packed[:, :k] = -2 * np.asarray(centers).T
    padded = np.full(kpad, INFINITY, dtype=dtype)
    padded[:k] = norms
    return packed, padded


cdef void _assign_chunk(
        const floating* X,                # IN (n_samples, n_features) rows
        int n_samples,
        int n_features,
        int n_clusters,
        const floating[:, ::1] centers,   # IN
        const floating* packed,           # IN from _packed_centers
        const floating* norms,            # IN from _packed_centers
        int kpad,
        floating* dist_buf,               # scratch (n_samples, n_clusters), BLAS path
        int* labels,                      # OUT
        bint simd) noexcept nogil:
    """Label each row of a chunk with its closest center (first argmin)."""
    cdef:
        int i, j, label
        floating d, best

    if simd:
        if floating is double:
            fm_assign_avx2_d(X, n_samples, n_features, packed, norms, kpad, labels)
        else:
            fm_assign_avx2_s(X, n_samples, n_features, packed, norms, kpad, labels)
        return

    # scikit-learn's path: only ||c||^2 - 2 x.c is needed for the argmin.
    for i in range(n_samples):
        for j in range(n_clusters):
            dist_buf[i * n_clusters + j] = norms[j]
    _gemm(BLAS_Order.RowMajor, BLAS_Trans.NoTrans, BLAS_Trans.Trans,
          n_samples, n_clusters, n_features,
          -2.0, X, n_features, &centers[0, 0], n_features,
          1.0, dist_buf, n_clusters)
    for i in range(n_samples):
        best = dist_buf[i * n_clusters]
        label = 0
        for j in range(1, n_clusters):
            d = dist_buf[i * n_clusters + j]
            if d < best:
                best = d
                label = j
        labels[i] = label


cdef void _accumulate_chunk(
        const floating* X,              # IN (n_samples, n_features) rows
        const floating* sample_weight,  # IN
        const int* labels,              # IN
        int n_samples,
        int n_features,
        floating* sums,                 # INOUT (n_clusters, n_features)
        floating* weights) noexcept nogil:  # INOUT (n_clusters,)
    """M-step contribution of a chunk: weighted sums per cluster.

    Product then sum, as scikit-learn (this file is compiled without FMA
    contraction), so the sums agree with its own bit for bit.
    """
    cdef int i, k, label
    cdef floating w
    cdef floating* row
    for i in range(n_samples):
        label = labels[i]
        w = sample_weight[i]
        weights[label] += w
        row = sums + label * n_features
        for k in range(n_features):
            row[k] += X[i * n_features + k] * w


cdef void _reduce_slabs(
        const floating[:, ::1] slabs,  # IN (n_threads, slab size)
        int offset,
        int size,
        floating* out) noexcept nogil:  # OUT (size,)
    """out = sum of slabs[:, offset:offset + size] in thread order.

    Deterministic for a fixed number of threads; for 2 threads it equals
    scikit-learn's lock-based reduction (0 + a + b == 0 + b + a exactly).
    """
    cdef int t, i
    for i in range(size):
        out[i] = 0
    for t in range(slabs.shape[0]):
        for i in range(size):
            out[i] += slabs[t, offset + i]


cpdef floating _inertia_dense(
        const floating[:, ::1] X,           # IN
        const floating[::1] sample_weight,  # IN
        const floating[:, ::1] centers,     # IN
        const int[::1] labels,              # IN
        int n_threads,
        int single_label=-1,
):
    """Sum of weighted squared distances between samples and their centers.

    If single_label is >= 0, the inertia is computed only for that label.
    """
    cdef:
        int n_samples = X.shape[0]
        int n_features = X.shape[1]
        int i, j

        floating sq_dist = 0.0
        floating inertia = 0.0

    for i in prange(n_samples, nogil=True, num_threads=n_threads,
                    schedule='static'):
        j = labels[i]
        if single_label < 0 or single_label == j:
            sq_dist = _euclidean_dense_dense(&X[i, 0], &centers[j, 0],
                                             n_features, True)
            inertia += sq_dist * sample_weight[i]

    return inertia


cpdef void _relocate_empty_clusters_dense(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const floating[:, ::1] centers_old,  # IN
        floating[:, ::1] centers_new,        # INOUT
        floating[::1] weight_in_clusters,    # INOUT
        const int[::1] labels                # IN
):
    """Relocate centers which have no sample assigned to them.

    As scikit-learn: each empty cluster takes the sample farthest from its
    center (largest distances first); skipped when all samples sit on centers.
    """
    cdef:
        int[::1] empty_clusters = np.where(np.equal(weight_in_clusters, 0))[0].astype(np.int32)
        int n_empty = empty_clusters.shape[0]

    if n_empty == 0:
        return

    cdef:
        int n_features = X.shape[1]

        floating[::1] distances = ((np.asarray(X) - np.asarray(centers_old)[labels])**2).sum(axis=1)
        int[::1] far_from_centers = np.argpartition(distances, -n_empty)[:-n_empty-1:-1].astype(np.int32)

        int new_cluster_id, old_cluster_id, far_idx, idx, k
        floating weight

    if np.max(distances) == 0:
        # More clusters than distinct samples: relocating is pointless.
        return

    for idx in range(n_empty):

        new_cluster_id = empty_clusters[idx]

        far_idx = far_from_centers[idx]
        weight = sample_weight[far_idx]

        old_cluster_id = labels[far_idx]

        for k in range(n_features):
            centers_new[old_cluster_id, k] -= X[far_idx, k] * weight
            centers_new[new_cluster_id, k] = X[far_idx, k] * weight

        weight_in_clusters[new_cluster_id] = weight
        weight_in_clusters[old_cluster_id] -= weight


cdef void _average_centers(
        floating[:, ::1] centers,               # INOUT
        const floating[::1] weight_in_clusters  # IN
):
    """Average new centers wrt weights."""
    cdef:
        int n_clusters = centers.shape[0]
        int n_features = centers.shape[1]
        int j, k
        floating alpha
        int argmax_weight = np.argmax(weight_in_clusters)

    for j in range(n_clusters):
        if weight_in_clusters[j] > 0:
            alpha = 1.0 / weight_in_clusters[j]
            for k in range(n_features):
                centers[j, k] *= alpha
        else:
            # Empty clusters go to the biggest cluster rather than the origin.
            for k in range(n_features):
                centers[j, k] = centers[argmax_weight, k]


cdef void _center_shift(
        const floating[:, ::1] centers_old,  # IN
        const floating[:, ::1] centers_new,  # IN
        floating[::1] center_shift           # OUT
) noexcept nogil:
    """Compute shift between old and new centers."""
    cdef:
        int n_clusters = centers_old.shape[0]
        int n_features = centers_old.shape[1]
        int j

    for j in range(n_clusters):
        center_shift[j] = _euclidean_dense_dense(
            &centers_new[j, 0], &centers_old[j, 0], n_features, False)


def _is_same_clustering(
    const int[::1] labels1,
    const int[::1] labels2,
    n_clusters
):
    """Check if two arrays of labels are the same up to a permutation of the labels"""
    cdef int[::1] mapping = np.full(fill_value=-1, shape=(n_clusters,), dtype=np.int32)
    cdef int i

    for i in range(labels1.shape[0]):
        if mapping[labels1[i]] == -1:
            mapping[labels1[i]] = labels2[i]
        elif mapping[labels1[i]] != labels2[i]:
            return False
    return True


def _distances_to_centers(
        const floating[:, ::1] X,        # IN
        const floating[:, ::1] centers,  # IN
        floating[:, ::1] out,            # OUT (n_samples, n_clusters)
        int n_threads):
    """Euclidean distance of every sample to every center (``transform``).

    Computed directly as sqrt(sum (x - c)^2): no cancellation, so float32 needs
    no upcast; memory is the output only.
    """
    cdef int n_samples = X.shape[0], n_features = X.shape[1]
    cdef int n_clusters = centers.shape[0], i, j
    for i in prange(n_samples, nogil=True, num_threads=n_threads, schedule='static'):
        for j in range(n_clusters):
            out[i, j] = _euclidean_dense_dense(&X[i, 0], &centers[j, 0], n_features, False)
