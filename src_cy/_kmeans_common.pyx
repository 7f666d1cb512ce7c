# Numerics shared by fastml's k-means kernels: the chunk assignment (E-step),
# the chunk accumulation (M-step), empty-cluster relocation, inertia, and the
# run loop with exact pruning that both lloyd and elkan use (_kmeans_run).
# Adapted from scikit-learn (sklearn/cluster/_k_means_common.pyx and
# _k_means_lloyd.pyx, BSD-3-Clause, The scikit-learn developers).

import numpy as np

from cython cimport floating
from cython.parallel cimport prange, parallel, threadid
from libc.stdlib cimport malloc, free
from libc.math cimport sqrt, INFINITY

from fastml._cy._blas cimport _gemm, BLAS_Order, BLAS_Trans
from fastml._cy._kmeans_simd cimport (
    fm_assign_avx2_d, fm_assign_avx2_s)
from fastml._cy._cpu cimport fm_cpu_has_avx2_fma

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
    path ``packed`` is unused.  The norms are the einsum of scikit-learn's
    ``row_norms`` (its very call for an ndarray) so that they agree with its
    lloyd bit for bit.  Called every iteration: no Python work beyond the
    einsum and two allocations.
    """
    cdef int k = centers.shape[0], d = centers.shape[1], j, f, kpad
    cdef floating[:, ::1] pv
    cdef floating[::1] nv, n0
    dtype = np.float32 if floating is float else np.float64
    c = np.asarray(centers)
    norms = np.einsum("ij,ij->i", c, c)
    if not simd:
        return np.zeros((1, 1), dtype=dtype), norms
    kpad = _kpad(k, floating is float)
    packed = np.zeros((d, kpad), dtype=dtype)
    padded = np.empty(kpad, dtype=dtype)
    pv, nv, n0 = packed, padded, norms
    for j in range(k):
        nv[j] = n0[j]
        for f in range(d):
            # -2 x is exact: the scaling folds GEMM's alpha into the centers
            pv[f, j] = -2 * centers[j, f]
    for j in range(k, kpad):
        nv[j] = INFINITY
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

    _scores_blas(X, n_samples, n_features, n_clusters, centers, norms, dist_buf)
    for i in range(n_samples):
        best = dist_buf[i * n_clusters]
        label = 0
        for j in range(1, n_clusters):
            d = dist_buf[i * n_clusters + j]
            if d < best:
                best = d
                label = j
        labels[i] = label


cdef void _scores_blas(
        const floating* X,               # IN (n_samples, n_features) rows
        int n_samples,
        int n_features,
        int n_clusters,
        const floating[:, ::1] centers,  # IN
        const floating* norms,           # IN ||c||^2
        floating* out) noexcept nogil:   # OUT (n_samples, n_clusters)
    """||c||^2 - 2 x.c for a chunk, by scikit-learn's very GEMM call (same shape)."""
    cdef int i, j
    for i in range(n_samples):
        for j in range(n_clusters):
            out[i * n_clusters + j] = norms[j]
    _gemm(BLAS_Order.RowMajor, BLAS_Trans.NoTrans, BLAS_Trans.Trans,
          n_samples, n_clusters, n_features,
          -2.0, X, n_features, &centers[0, 0], n_features,
          1.0, out, n_clusters)


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
        int argmax_weight = 0

    # np.argmax's first largest weight (called every iteration: no numpy call)
    for j in range(1, n_clusters):
        if weight_in_clusters[j] > weight_in_clusters[argmax_weight]:
            argmax_weight = j

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


# ---------------------------------------------------------------------------
# The exact-pruning iteration shared by lloyd and elkan.
#
# Both algorithms keep, per sample, bounds on its distance to its own center
# (upper) and to the other centers (lower).  The centers' moves are recorded
# as cumulative shifts, so a bound computed at any iteration is brought up to
# date in O(1) when the sample is visited (triangle inequality: d(x, c_T) <=
# d(x, c_t) + sum of the moves of c; _kmeans_pruned stores the bounds relative
# to these sums), and a sample whose bounds prove that no other center can
# win is not touched at all: neither its row of X nor its label.  The bounds
# are padded by the worst-case rounding of the distance arithmetic the
# algorithm uses to decide (see _kmeans_pruned), so a skipped sample keeps
# exactly the label the full computation would give it: the iterates are
# those of the plain algorithm, not an approximation.
#
# The M-step is incremental: only samples that change cluster move their
# weighted row between the (float64) per-cluster sums.  After the last
# iteration the sums are recomputed from scratch in scikit-learn's order, so
# the returned centers are its centers.  Mid-run, the running sums differ from
# scikit-learn's fresh ones by rounding only (~1e-16 relative): a label could
# differ only for a sample equidistant from two centers to that precision.
# ---------------------------------------------------------------------------

cdef void _move_sample(
        const floating* x,   # IN the sample's row
        floating w,          # its weight
        int old,             # its previous cluster (-1: none)
        int new,             # its new cluster
        int n_features,
        int n_clusters,
        double* slab) noexcept nogil:  # INOUT [sums (k*d) | weights (k) | counts (k)]
    """Move one sample's weighted row from cluster old to cluster new."""
    cdef int f
    cdef double wd = w
    cdef double* row
    if old >= 0:
        row = slab + old * n_features
        for f in range(n_features):
            row[f] -= wd * x[f]
        slab[n_clusters * n_features + old] -= wd
        if w > 0:
            slab[n_clusters * (n_features + 1) + old] -= 1
    row = slab + new * n_features
    for f in range(n_features):
        row[f] += wd * x[f]
    slab[n_clusters * n_features + new] += wd
    if w > 0:
        slab[n_clusters * (n_features + 1) + new] += 1


cdef void _begin_pass(double[:, ::1] slabs, Py_ssize_t[::1] changed,
                      int n_threads, bint update) noexcept nogil:
    cdef int t, i
    for t in range(n_threads):
        changed[t * PAD] = 0
        if update:
            for i in range(slabs.shape[1]):
                slabs[t, i] = 0


cdef Py_ssize_t _end_pass(const Py_ssize_t[::1] changed, int n_threads) noexcept nogil:
    cdef int t
    cdef Py_ssize_t total = 0
    for t in range(n_threads):
        total += changed[t * PAD]
    return total


cdef void _apply_moves(
        const double[:, ::1] slabs,  # IN per-thread moves
        double[:, ::1] sums,         # INOUT
        double[::1] weights,         # INOUT
        double[::1] counts) noexcept nogil:  # INOUT samples of positive weight
    """Add the per-thread moves (in thread order) to the cluster sums."""
    cdef int k = sums.shape[0], d = sums.shape[1], t, j, f
    for t in range(slabs.shape[0]):
        for j in range(k):
            for f in range(d):
                sums[j, f] += slabs[t, j * d + f]
            weights[j] += slabs[t, k * d + j]
            counts[j] += slabs[t, k * (d + 1) + j]
    for j in range(k):
        if counts[j] == 0:
            # empty: exactly zero, as scikit-learn's fresh sums (no drift left)
            weights[j] = 0
            for f in range(d):
                sums[j, f] = 0


def _half_distances(const floating[:, ::1] centers,  # IN
                    double[::1] half_min):           # OUT (k,)
    """Half the distance of each center to its closest other center (float64)."""
    cdef int k = centers.shape[0], d = centers.shape[1], i, j, f
    cdef double s, diff
    for i in range(k):
        half_min[i] = INFINITY
    for i in range(k):
        for j in range(i + 1, k):
            s = 0
            for f in range(d):
                diff = <double> centers[i, f] - <double> centers[j, f]
                s += diff * diff
            s = sqrt(s) / 2
            if s < half_min[i]:
                half_min[i] = s
            if s < half_min[j]:
                half_min[j] = s


def _n_blocks(Py_ssize_t n_samples, int n_threads):
    """Blocks of chunks a pruned pass hands out to its threads: 8 per thread
    (balance on a busy machine), each with its own slab of moves."""
    cdef Py_ssize_t n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    return int(max(1, min(n_chunks, 8 * n_threads)))


class _Iterates:
    """Per-run state of the pruned iterations (all float64, tiny but the slabs)."""

    def __init__(self, int n_clusters, int n_features, int max_iter, int n_slabs):
        k, d = n_clusters, n_features
        self.sums = np.zeros((k, d))
        self.weights = np.zeros(k)
        self.counts = np.zeros(k)
        # cum_shift[v, j]: how far center j moved from version 0 to version v
        # (path length); cum_max[v, j]: the same for the largest move among
        # the other centers, step by step
        self.cum_shift = np.zeros((max_iter + 2, k))
        self.cum_max = np.zeros((max_iter + 2, k))
        self.half_min = np.zeros(k)
        # moves between the cluster sums, one slab per block of chunks
        self.slabs = np.zeros((n_slabs, k * (d + 2)))
        self.changed = np.zeros(n_slabs * PAD, dtype=np.intp)

    def slack(self, int version, double scale):
        """Absolute padding (distance units) for the float64 bound arithmetic.

        Covers the rounding of the cumulative shifts (one rounding per step),
        of the half distances and of the bound updates, all relative to the
        magnitudes involved.
        """
        mag = scale + self.cum_shift[version].max() + self.cum_max[version].max()
        return (16 + 2 * version) * np.finfo(np.float64).eps * mag


def _record_shift(const floating[:, ::1] centers_old,  # IN
                  const floating[:, ::1] centers_new,  # IN
                  double[:, ::1] cum_shift,            # INOUT row version
                  double[:, ::1] cum_max,              # INOUT row version
                  int version):
    """Record the step's moves; return scikit-learn's squared center shift.

    The returned total uses scikit-learn's own formula and precision (it decides
    ``tol``); the recorded moves are float64 (they pad bounds).
    """
    cdef int k = centers_old.shape[0], d = centers_old.shape[1], j, f, top = 0
    cdef double s, diff, first = 0, second = 0
    dtype = np.float32 if floating is float else np.float64
    center_shift = np.zeros(k, dtype=dtype)
    cdef floating[::1] shift = center_shift
    _center_shift(centers_old, centers_new, shift)
    for j in range(k):
        s = 0
        for f in range(d):
            diff = <double> centers_new[j, f] - <double> centers_old[j, f]
            s += diff * diff
        s = sqrt(s)
        cum_shift[version, j] = cum_shift[version - 1, j] + s
        if s > first:
            second = first
            first = s
            top = j
        elif s > second:
            second = s
    # a sample of cluster j: its other centers moved at most this much
    for j in range(k):
        cum_max[version, j] = cum_max[version - 1, j] + (second if j == top else first)
    return (center_shift ** 2).sum()


def _centers_from_sums(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const int[::1] labels,               # IN
        st,                                  # IN _Iterates (sums, weights)
        const floating[:, ::1] centers_old,  # IN centers of the E-step
        floating[:, ::1] centers_new):       # OUT
    """M-step from the running sums: relocate empty clusters, average."""
    cdef int k = centers_new.shape[0], d = centers_new.shape[1], j, f
    cdef const double[:, ::1] sums = st.sums
    cdef const double[::1] weights = st.weights
    dtype = np.float32 if floating is float else np.float64
    weight_in_clusters = np.empty(k, dtype=dtype)
    cdef floating[::1] w = weight_in_clusters
    cdef bint any_empty = False
    for j in range(k):
        w[j] = <floating> weights[j]
        any_empty |= w[j] == 0
        for f in range(d):
            centers_new[j, f] = <floating> sums[j, f]
    if any_empty:
        _relocate_empty_clusters_dense(X, sample_weight, centers_old, centers_new, w, labels)
    _average_centers(centers_new, w)


def _exact_centers(
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const int[::1] labels,               # IN
        const floating[:, ::1] centers_old,  # IN centers of the last E-step
        floating[:, ::1] centers_new,        # OUT
        int n_threads):
    """scikit-learn's M-step, from scratch: sums per chunk, per-thread slabs.

    Static schedule, thread-ordered reduction: the sums are scikit-learn's
    bit for bit for 2 threads (see ``_reduce_slabs``).
    """
    cdef int n = X.shape[0], d = X.shape[1], k = centers_new.shape[0]
    cdef int n_chunks = (n + CHUNK_SIZE - 1) // CHUNK_SIZE, c, start, end
    dtype = np.float32 if floating is float else np.float64
    cdef floating[:, ::1] slabs = np.zeros((n_threads, k * (d + 1)), dtype=dtype)
    weight_in_clusters = np.zeros(k, dtype=dtype)
    cdef floating[::1] w = weight_in_clusters
    for c in prange(n_chunks, nogil=True, num_threads=n_threads, schedule='static'):
        start = c * CHUNK_SIZE
        end = min(start + CHUNK_SIZE, n)
        _accumulate_chunk(&X[start, 0], &sample_weight[start], &labels[start],
                          end - start, d, &slabs[threadid(), 0],
                          &slabs[threadid(), k * d])
    _reduce_slabs(slabs, 0, k * d, &centers_new[0, 0])
    _reduce_slabs(slabs, k * d, k, &w[0])
    _relocate_empty_clusters_dense(X, sample_weight, centers_old, centers_new, w, labels)
    _average_centers(centers_new, w)


def _kmeans_run(
        estep,                               # the algorithm's E-step (see below)
        const floating[:, ::1] X,            # IN
        const floating[::1] sample_weight,   # IN
        const floating[:, ::1] centers_init, # IN
        int max_iter,
        double tol,
        int n_threads,
        bint verbose):
    """One k-means run: scikit-learn's loop around a pruned E-step.

    ``estep(centers, labels, st, version, full, update)`` assigns every sample
    to its closest center of ``centers`` (version ``version`` of the centers),
    all of them recomputed if ``full``, moving changed samples between the
    sums of ``st`` if ``update``; it returns how many labels changed.

    Stops as scikit-learn's ``_kmeans_single_lloyd/elkan``: strict convergence
    (no label changed) or squared center shift <= tol; otherwise reruns the
    E-step so that labels match the returned centers.

    Returns labels (int32), inertia, centers, n_iter.
    """
    cdef int n = X.shape[0], k = centers_init.shape[0], it = 0, version
    cdef const floating[:, ::1] c_view
    cdef const int[::1] l_view
    cdef bint strict_convergence = False
    cdef Py_ssize_t n_changed = 0
    dtype = np.float32 if floating is float else np.float64
    st = _Iterates(k, X.shape[1], max_iter, _n_blocks(n, n_threads))
    centers = np.array(centers_init, dtype=dtype, order="C")
    centers_new = np.zeros_like(centers)
    labels = np.full(n, -1, dtype=np.int32)

    for it in range(max_iter):
        _half_distances(centers, st.half_min)
        n_changed = estep(centers, labels, st, it, it == 0, True)
        _apply_moves(st.slabs, st.sums, st.weights, st.counts)
        _centers_from_sums(X, sample_weight, labels, st, centers, centers_new)
        center_shift_tot = _record_shift(centers, centers_new, st.cum_shift,
                                         st.cum_max, it + 1)
        if verbose:
            c_view, l_view = centers, labels
            inertia = _inertia_dense(X, sample_weight, c_view, l_view, n_threads)
            print(f"Iteration {it}, inertia {inertia}.")
        centers, centers_new = centers_new, centers

        # scikit-learn compares with the labels before the pass (-1 before the
        # first one): the first iteration never converges strictly.
        if it > 0 and n_changed == 0:
            if verbose:
                print(f"Converged at iteration {it}: strict convergence.")
            strict_convergence = True
            break
        if center_shift_tot <= tol:
            if verbose:
                print(f"Converged at iteration {it}: center shift "
                      f"{center_shift_tot} within tolerance {tol}.")
            break

    # The last M-step again, from scratch in scikit-learn's order: its centers
    # (the running sums only drift by rounding, the labels are the same).
    exact = np.zeros_like(centers)
    _exact_centers(X, sample_weight, labels, centers_new, exact, n_threads)
    version = it + 2
    _record_shift(centers, exact, st.cum_shift, st.cum_max, version)
    centers = exact

    if not strict_convergence:
        # rerun E-step so that predicted labels match cluster centers
        _half_distances(centers, st.half_min)
        estep(centers, labels, st, version, False, False)

    c_view, l_view = centers, labels
    inertia = _inertia_dense(X, sample_weight, c_view, l_view, n_threads)
    return labels, inertia, centers, it + 1


def _labels_pass(
        const floating[:, ::1] X,            # IN
        const floating[:, ::1] centers,      # IN
        int n_threads):
    """The closest center of every sample, scikit-learn's lloyd arithmetic (``predict``)."""
    cdef:
        int n = X.shape[0], d = X.shape[1], k = centers.shape[0]
        int n_chunks = (n + CHUNK_SIZE - 1) // CHUNK_SIZE, c, start, end
        bint simd = _use_simd(d, k, floating is float)
        floating[:, ::1] packed
        floating[::1] norms
        floating* dist_buf
        int[::1] labels = np.zeros(n, dtype=np.int32)
    if n == 0:
        return np.asarray(labels)
    packed, norms = _packed_centers(centers, simd)
    with nogil, parallel(num_threads=n_threads):
        dist_buf = NULL
        if not simd:
            dist_buf = <floating*> malloc(CHUNK_SIZE * k * sizeof(floating))
        for c in prange(n_chunks, schedule='static'):
            start = c * CHUNK_SIZE
            end = min(start + CHUNK_SIZE, n)
            _assign_chunk(&X[start, 0], end - start, d, k, centers, &packed[0, 0],
                          &norms[0], packed.shape[1], dist_buf, &labels[start], simd)
        free(dist_buf)
    return np.asarray(labels)


def _kpad_py(int n_clusters, bint is_float):
    """n_clusters rounded up to the SIMD kernels' block (for the Python callers)."""
    return _kpad(n_clusters, is_float)
