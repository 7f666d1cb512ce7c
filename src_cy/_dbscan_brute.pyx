# DBSCAN's three passes by blocked brute force (dense euclidean, high dimension).
#
# Squared distances come from float64 GEMM tiles exactly as scikit-learn's
# brute radius_neighbors computes them (sklearn/metrics/
# _pairwise_distances_reduction/_radius_neighbors.pyx.tp, BSD-3): the middle
# term -2 X Y^T by dgemm, squared norms by ddot, then, for query row i and
# candidate j, ``(|x_i|^2 + m_ij) + |y_j|^2 <= r`` (no recomputation of
# cancellation-prone entries: that would change borderline decisions). The
# query of sklearn's neighborhood N(i) is always the row whose norm is added
# first, so each pass below uses that association for the direction sklearn
# reads (see _dbscan_inner.pyx for why the passes give sklearn's labels).
#
# Nothing n x n is stored: one TILE x COL_TILE float64 tile per thread. Callers
# pass float64 C-contiguous samples (float32 input is upcast once, as sklearn
# upcasts every chunk) and limit BLAS to one thread.
#
# Pruning: samples come in an order where consecutive blocks of <= TILE rows
# are compact, and each block is summarised by a ball (center, radius). A pair of
# blocks whose balls are further apart than the radius (with a tolerance far
# above the GEMM's rounding) holds no neighbors and is never computed; the
# other column blocks are computed in runs of up to COL_TILE columns.

from cython.parallel cimport parallel, prange, threadid
from cpython.mem cimport PyMem_RawFree, PyMem_RawMalloc
from libc.math cimport sqrt
from libc.stdint cimport uint8_t

from fastml._cy._blas cimport _dot
from fastml._cy._dbscan_inner cimport fastml_uf_find, fastml_uf_union
from fastml._cy._pairwise_common cimport COL_TILE, TILE, _gemm_tile


cdef extern from *:
    """
    /* One row of a pass-1 tile: returns the weight of the row's neighbours
       among the n columns, and adds w_i to the columns j >= first_col that
       have the row as neighbour. Selects instead of branches (neighbour
       tests are unpredictable) and restrict let the compiler vectorise the
       column loop. */
    static double fastml_count_row(const double *restrict m, const double *restrict sq,
                                   const double *restrict w, double *restrict col_acc,
                                   double xx, double wi, double r,
                                   Py_ssize_t n, Py_ssize_t first_col) {
        double row = 0.0;
        for (Py_ssize_t j = 0; j < n; j++)
            row += ((xx + m[j]) + sq[j] <= r) ? w[j] : 0.0;
        for (Py_ssize_t j = first_col; j < n; j++)
            col_acc[j] += ((sq[j] + m[j]) + xx <= r) ? wi : 0.0;
        return row;
    }
    """
    double fastml_count_row(const double *m, const double *sq, const double *w,
                            double *col_acc, double xx, double wi, double r,
                            Py_ssize_t n, Py_ssize_t first_col) noexcept nogil


def sq_row_norms(const double[:, ::1] X, double[::1] out, int n_threads):
    """out[i] = X[i] . X[i] by BLAS ddot, as sklearn's _sqeuclidean_row_norms64."""
    cdef Py_ssize_t i, n = X.shape[0]
    cdef int d = X.shape[1]
    for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
        out[i] = _dot(d, &X[i, 0], 1, &X[i, 0], 1)


cdef inline void _middle_terms(const double[:, ::1] A, Py_ssize_t a0, Py_ssize_t na,
                               const double[:, ::1] B, Py_ssize_t b0, Py_ssize_t nb,
                               double *D) noexcept nogil:
    """D[:na, :nb] (leading dim nb) = -2 A[a0:a0+na] B[b0:b0+nb]^T."""
    _gemm_tile(&A[a0, 0], na, &B[b0, 0], nb, A.shape[1], -2.0, D, nb, NULL)


cdef struct Balls:
    const Py_ssize_t *start  # (n_blocks + 1,): block b is rows start[b]:start[b + 1]
    const double *center     # (n_blocks, n_features) row-major
    const double *radius     # (n_blocks,)
    Py_ssize_t n_blocks


cdef inline Balls _balls(const Py_ssize_t[::1] start, const double[:, ::1] center,
                         const double[::1] radius) noexcept:
    # the caller guarantees 0 < start[b + 1] - start[b] <= TILE
    cdef Balls b
    b.start = &start[0]
    b.center = &center[0, 0]
    b.radius = &radius[0]
    b.n_blocks = radius.shape[0]
    return b


cdef inline bint _far(Balls rows, Py_ssize_t I, Balls cols, Py_ssize_t J,
                      Py_ssize_t d, double reach) noexcept nogil:
    """Whether no sample of row block I is within reach (squared) of column block J."""
    cdef Py_ssize_t k
    cdef double s = 0.0, t
    for k in range(d):
        t = rows.center[I * d + k] - cols.center[J * d + k]
        s = s + t * t
    t = sqrt(s) - rows.radius[I] - cols.radius[J]
    return t > 0 and t * t > reach


cdef inline Py_ssize_t _next_run(Balls rows, Py_ssize_t I, Balls cols, Py_ssize_t J,
                                 Py_ssize_t d, double reach,
                                 Py_ssize_t *J_end) noexcept nogil:
    """First column block >= J that may hold neighbors of row block I, and in
    J_end the end of the run of such blocks (at most COL_TILE columns)."""
    while J < cols.n_blocks and _far(rows, I, cols, J, d, reach):
        J = J + 1
    J_end[0] = J
    while (J_end[0] < cols.n_blocks
           and cols.start[J_end[0] + 1] - cols.start[J] <= COL_TILE
           and not _far(rows, I, cols, J_end[0], d, reach)):
        J_end[0] = J_end[0] + 1
    return J


def brute_core(const double[:, ::1] X,              # IN (n, d)
               const double[::1] sq_norms,          # IN (n,)
               const double[::1] sample_weight,     # IN (n,)
               double radius,                       # on squared distances
               const Py_ssize_t[::1] starts,        # IN (n_blocks + 1,) blocks of <= TILE rows
               const double[:, ::1] centers,        # IN (n_blocks, d) their balls
               const double[::1] radii,             # IN (n_blocks,)
               double reach,                        # squared distance beyond which balls are far
               double[:, ::1] counts,               # OUT (n_threads, n) zeroed partial sums
               int n_threads):
    """counts[t, i] summed over t = total weight of {j : d2(i, j) <= radius}.

    Only the upper triangle of block pairs is computed: one GEMM tile gives
    both directions, each with its own association of the norms. Column sums
    land in the thread's own row of ``counts``.
    """
    cdef:
        Py_ssize_t n = X.shape[0], nbx = radii.shape[0]
        Py_ssize_t t, i, i0, j0, nx, ny, J, J_end, diag_end, d = X.shape[1]
        Balls balls = _balls(starts, centers, radii)
        double *D
        double *acc
    with nogil, parallel(num_threads=n_threads):
        D = <double *> PyMem_RawMalloc(TILE * COL_TILE * sizeof(double))
        acc = &counts[threadid(), 0]
        for t in prange(nbx, schedule="dynamic"):
            i0 = starts[t]
            J_end = 0  # assigned here, so private to the thread (it is passed by address)
            nx = starts[t + 1] - i0
            diag_end = i0 + nx  # columns before: the diagonal block, seen both ways
            J = _next_run(balls, t, balls, t, d, reach, &J_end)
            while J < J_end:
                j0 = starts[J]
                ny = starts[J_end] - j0
                _middle_terms(X, i0, nx, X, j0, ny, D)
                for i in range(nx):
                    # columns of the diagonal block are counted by their own rows
                    acc[i0 + i] += fastml_count_row(
                        &D[i * ny], &sq_norms[j0], &sample_weight[j0], &acc[j0],
                        sq_norms[i0 + i], sample_weight[i0 + i], radius, ny,
                        max(<Py_ssize_t> 0, diag_end - j0))
                J = _next_run(balls, t, balls, J_end, d, reach, &J_end)
        PyMem_RawFree(D)


def brute_union(const double[:, ::1] C,             # IN (n_core, d) core samples
                const double[::1] sq_norms,          # IN (n_core,)
                const Py_ssize_t[::1] index,         # IN (n_core,) their sample indices
                double radius,
                const Py_ssize_t[::1] starts,        # IN blocks of C and their balls
                const double[:, ::1] centers,
                const double[::1] radii,
                double reach,
                Py_ssize_t[::1] parent,              # IN/OUT union-find over samples
                int n_threads):
    """Union core samples i, j when d2(i, j) <= radius in either direction.

    Only the upper triangle (j >= the first row of i's block) is computed;
    a tile whose rows and columns all share one root is skipped.
    """
    cdef:
        Py_ssize_t n = C.shape[0], nbx = radii.shape[0]
        Py_ssize_t t, i, j, i0, j0, nx, ny, root, J, J_end, d = C.shape[1]
        bint one_root
        Balls balls = _balls(starts, centers, radii)
        double *D
        double m
    with nogil, parallel(num_threads=n_threads):
        D = <double *> PyMem_RawMalloc(TILE * COL_TILE * sizeof(double))
        for t in prange(nbx, schedule="dynamic"):
            i0 = starts[t]
            J_end = 0  # assigned here, so private to the thread (it is passed by address)
            nx = starts[t + 1] - i0
            J = _next_run(balls, t, balls, t, d, reach, &J_end)
            while J < J_end:
                j0 = starts[J]
                ny = starts[J_end] - j0
                # nothing to join if the tile already lies in one component
                root = fastml_uf_find(&parent[0], index[i0])
                one_root = True
                for i in range(i0, i0 + nx):
                    if fastml_uf_find(&parent[0], index[i]) != root:
                        one_root = False
                        break
                if one_root:
                    for j in range(j0, j0 + ny):
                        if fastml_uf_find(&parent[0], index[j]) != root:
                            one_root = False
                            break
                if not one_root:
                    _middle_terms(C, i0, nx, C, j0, ny, D)
                    for i in range(nx):
                        for j in range(ny):
                            m = D[i * ny + j]
                            if ((sq_norms[i0 + i] + m) + sq_norms[j0 + j] <= radius
                                    or (sq_norms[j0 + j] + m) + sq_norms[i0 + i] <= radius):
                                fastml_uf_union(&parent[0], index[i0 + i], index[j0 + j])
                J = _next_run(balls, t, balls, J_end, d, reach, &J_end)
        PyMem_RawFree(D)


def brute_border(const double[:, ::1] B,            # IN (n_border, d) non-core samples
                 const double[::1] b_sq_norms,       # IN (n_border,)
                 const double[:, ::1] C,             # IN (n_core, d) core samples by label
                 const double[::1] c_sq_norms,       # IN (n_core,)
                 const Py_ssize_t[::1] c_labels,     # IN (n_core,) non-decreasing
                 double radius,
                 const Py_ssize_t[::1] b_starts,     # IN blocks of B and their balls
                 const double[:, ::1] b_centers,
                 const double[::1] b_radii,
                 const Py_ssize_t[::1] c_starts,     # IN blocks of C and their balls
                 const double[:, ::1] c_centers,
                 const double[::1] c_radii,
                 double reach,
                 Py_ssize_t[::1] b_labels,           # OUT (n_border,)
                 int n_threads):
    """b_labels[i] = smallest label of a core j with d2(j, i) <= radius, else -1.

    The core samples come sorted by label, so the first column tile in which a
    row finds a core neighbor holds its smallest label: a block of rows stops
    once every row has one.
    """
    cdef:
        Py_ssize_t n = B.shape[0], nbx = b_radii.shape[0]
        Py_ssize_t t, i, j, i0, j0, nx, ny, n_done, best, J, J_end, d = B.shape[1]
        Balls rows = _balls(b_starts, b_centers, b_radii)
        Balls cols = _balls(c_starts, c_centers, c_radii)
        double *D
    with nogil, parallel(num_threads=n_threads):
        D = <double *> PyMem_RawMalloc(TILE * COL_TILE * sizeof(double))
        for t in prange(nbx, schedule="dynamic"):
            i0 = b_starts[t]
            J_end = 0  # assigned here, so private to the thread (it is passed by address)
            nx = b_starts[t + 1] - i0
            for i in range(nx):
                b_labels[i0 + i] = -1
            J = _next_run(rows, t, cols, 0, d, reach, &J_end)
            while J < J_end:
                j0 = c_starts[J]
                ny = c_starts[J_end] - j0
                _middle_terms(B, i0, nx, C, j0, ny, D)
                n_done = 0
                for i in range(nx):
                    best = b_labels[i0 + i]
                    if best < 0:
                        for j in range(ny):
                            # sklearn reads this pair from the core's neighborhood
                            if (c_sq_norms[j0 + j] + D[i * ny + j]) + b_sq_norms[i0 + i] <= radius:
                                best = c_labels[j0 + j]
                                break
                        b_labels[i0 + i] = best
                    n_done = n_done + (best >= 0)
                if n_done == nx:
                    break
                J = _next_run(rows, t, cols, J_end, d, reach, &J_end)
        PyMem_RawFree(D)
