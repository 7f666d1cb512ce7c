# Full pairwise distance matrices between dense X and Y, parallel over tiles.
# The tile numerics live in _pairwise_common (BLAS tiles, any metric) and
# _pairwise_simd (the fused euclidean micro-kernel); this file schedules them.
# Adapted from scikit-learn (sklearn/metrics/pairwise.py, BSD-3-Clause).

from cython cimport floating
from cython.parallel cimport parallel, prange, threadid
from cpython.mem cimport PyMem_RawFree, PyMem_RawMalloc
from libc.math cimport sqrt, sqrtf

from fastml._cy._pairwise_common cimport (
    COL_TILE, TILE, Metric, EUCLIDEAN, COSINE, _distance_tile, _refine_factor,
    _scratch_size, _sq_row_norms, _sqeuclidean_exact)
from fastml._cy._pairwise_simd cimport (
    FM_EUC_MR as MR, FM_EUC_NR as NR, fm_cpu_has_avx2_fma, fm_euc_6x8, fm_euc_sqrt_6x8)

# Whether euclidean_fused can run here (x86-64 with AVX2 and FMA).
HAS_FUSED = bool(fm_cpu_has_avx2_fma())

ctypedef fused out_t:
    float
    double


def pairwise_dense(Metric metric,
                   const floating[:, ::1] X,        # IN
                   const floating[:, ::1] Y,        # IN
                   const double[::1] XX,            # IN squared norms (EUCLIDEAN), inverse norms (COSINE)
                   const double[::1] YY,            # IN idem for Y
                   out_t[:, ::1] out,               # OUT (n_x, n_y)
                   bint squared,                    # EUCLIDEAN: keep squared distances
                   bint same,                       # X is Y: diagonal set to exactly 0
                   int n_threads):
    """out[i, j] = distance of `metric` between X[i] and Y[j].

    Tiles are computed in float64 by one thread each (the caller limits BLAS
    to one thread). float64 EUCLIDEAN/COSINE tiles are computed in place in
    `out`: a GEMM writes the tile, then the norms, clamp and square roots are
    applied while it is still in cache, so the output is streamed to memory
    once (a GEMM followed by a separate pass would stream it three times).
    Those tiles are TILE rows by up to COL_TILE columns: wide enough that
    the BLAS packing of Y per call is amortised, small enough to stay in
    cache. Other cases use TILE x TILE tiles in per-thread scratch.
    Preconditions (checked by the caller): both C-contiguous, same n_features
    >= 1, n_x, n_y >= 1, XX/YY sized n_x/n_y when the metric uses them.
    """
    cdef:
        Py_ssize_t n_x = X.shape[0], n_y = Y.shape[0], d = X.shape[1]
        Py_ssize_t t, i, j, i0, j0, nx, ny, ldd, nbx, nby, rows, cols
        bint uses_norms = metric == EUCLIDEAN or metric == COSINE
        bint zero_diag = same and uses_norms  # exact metrics give 0 by themselves
        bint in_place = floating is double and uses_norms  # no scratch needed
        double *scratch
        double *tile
        double *D

    rows = cols = TILE
    if in_place:
        nby = (n_y + COL_TILE - 1) // COL_TILE
        cols = (n_y + nby - 1) // nby
        # about 16 row tiles on small inputs, so that threads share them; the
        # shape must not depend on n_threads (GEMM rounding depends on it)
        rows = min(<Py_ssize_t> TILE, max(<Py_ssize_t> 32, (n_x + 127) // 128 * 8))
    nbx = (n_x + rows - 1) // rows
    nby = (n_y + cols - 1) // cols
    with nogil, parallel(num_threads=n_threads):
        scratch = tile = NULL
        if not in_place:
            scratch = <double *> PyMem_RawMalloc(
                (TILE * TILE + _scratch_size(d)) * sizeof(double))
            tile = scratch + _scratch_size(d)
        for t in prange(nbx * nby, schedule="dynamic"):
            i0 = (t // nby) * rows
            j0 = (t % nby) * cols
            nx = min(rows, n_x - i0)
            ny = min(cols, n_y - j0)
            if out_t is double:
                D, ldd = &out[i0, j0], n_y
            else:
                D, ldd = tile, TILE
            _distance_tile(metric, &X[i0, 0], nx, &Y[j0, 0], ny, d,
                           &XX[i0] if uses_norms else NULL,
                           &YY[j0] if uses_norms else NULL,
                           D, ldd, scratch, not squared)
            if out_t is float:
                for i in range(nx):
                    for j in range(ny):
                        out[i0 + i, j0 + j] = <float> D[i * ldd + j]
            if zero_diag:
                for i in range(max(i0, j0), min(i0 + nx, j0 + ny)):
                    out[i, i] = 0.0
        PyMem_RawFree(scratch)


cdef void _pack_panels(const floating *X, Py_ssize_t n, Py_ssize_t d,
                       Py_ssize_t w, double *P) noexcept nogil:
    # Rows X[:n] as float64 panels of w rows, k-major (P[(p*d + k)*w + r] =
    # X[p*w + r, k]), the last panel zero padded: the micro-kernel's layout.
    cdef Py_ssize_t p, k, r, i
    for p in range((n + w - 1) // w):
        for k in range(d):
            for r in range(w):
                i = p * w + r
                P[(p * d + k) * w + r] = X[i * d + k] if i < n else 0.0


cdef void _fused_row_block(const floating *X, Py_ssize_t nx, const floating *Y,
                           Py_ssize_t n_y, Py_ssize_t d, const double *Ap,
                           const double *XXp, const double *Bp, const double *YYp,
                           Py_ssize_t npc, double refine, bint take_sqrt,
                           out_t *out, double *tmp) noexcept nogil:
    # Distances of the nx rows X (packed: Ap, XXp) to all of Y (Bp, YYp) into
    # out (row stride n_y). Columns go by blocks of npc panels (kept in L2);
    # within one, each MR-row panel sweeps them, so it stays in L1 and writes
    # its MR output rows sequentially (prefetcher friendly). tmp: 3 MR x NR
    # buffers, the kernel's own and two alternating for deferred square roots.
    cdef Py_ssize_t n_py = (n_y + NR - 1) // NR, jb, ip, jp, j0, ny, r0, mr, r, c
    cdef double v
    cdef double *pend = NULL
    cdef double *pend_dst = NULL
    cdef double *defer = NULL
    cdef double *outd = NULL
    cdef float *outf = NULL
    for jb in range((n_py + npc - 1) // npc):
        for ip in range((nx + MR - 1) // MR):
            r0 = ip * MR
            mr = min(<Py_ssize_t> MR, nx - r0)
            for jp in range(jb * npc, min((jb + 1) * npc, n_py)):
                j0 = jp * NR
                ny = min(<Py_ssize_t> NR, n_y - j0)
                if out_t is double:
                    outd = out + r0 * n_y + j0
                    if take_sqrt:  # not the buffer pend, read meanwhile
                        defer = tmp + MR * NR * (2 if pend == tmp + MR * NR else 1)
                else:
                    outf = out + r0 * n_y + j0
                if not fm_euc_6x8(d, Ap + r0 * d, Bp + j0 * d, XXp + r0, YYp + j0,
                                  refine, take_sqrt, outd, outf, n_y,
                                  mr < MR or ny < NR, tmp, defer, pend, pend_dst):
                    pend, pend_dst = defer, outd
                    continue
                # partial block or near-duplicates: finish in scalar, recomputing
                # the cancellation-prone entries exactly
                pend = NULL
                for r in range(mr):
                    for c in range(ny):
                        v = tmp[r * NR + c]
                        if v <= refine * (XXp[r0 + r] + YYp[j0 + c]):
                            v = _sqeuclidean_exact(X + (r0 + r) * d, Y + (j0 + c) * d, d)
                        v = v if v > 0.0 else 0.0
                        if out_t is double:
                            out[(r0 + r) * n_y + j0 + c] = sqrt(v) if take_sqrt else v
                        else:  # as sklearn: the float32 value is square-rooted
                            out[(r0 + r) * n_y + j0 + c] = sqrtf(<float> v) if take_sqrt else <float> v
    if pend != NULL:
        fm_euc_sqrt_6x8(pend, pend_dst, n_y)


def euclidean_fused(const floating[:, ::1] X,        # IN
                    const floating[:, ::1] Y,        # IN
                    const double[::1] XX,            # IN squared norms of X, or empty
                    const double[::1] YY,            # IN squared norms of Y, or empty
                    out_t[:, ::1] out,               # OUT (n_x, n_y)
                    bint squared,                    # keep squared distances
                    bint same,                       # X is Y: diagonal set to exactly 0
                    int n_threads):
    """out = euclidean distances by the fused AVX2 micro-kernel (needs HAS_FUSED).

    Y is packed once (float64, panels of NR rows); each thread takes blocks
    of mc rows of X (packed in panels of MR rows, small enough to stay in L2)
    and sweeps all of Y's panels, the MR x NR block of distances living in
    registers until it is stored. Every entry is one FMA chain over the
    features in order whatever the blocking and n_threads, so the result
    does not depend on the thread count. Partial blocks and blocks holding
    near-duplicates (cancellation) are finished here from the kernel's tmp.
    Empty XX/YY: the squared norms are computed here (as sq_row_norms), so
    that one parallel region does all the work (each costs a thread wake-up).
    Preconditions (checked by the caller): both C-contiguous, same
    n_features >= 1, n_x, n_y >= 1, XX/YY sized n_x/n_y or 0, HAS_FUSED.
    """
    cdef:
        Py_ssize_t n_x = X.shape[0], n_y = Y.shape[0], d = X.shape[1]
        Py_ssize_t n_py = (n_y + NR - 1) // NR, i, b, i0, nx, r, c
        # rows per X block: its packed copy (mc * d doubles) stays within ~128 KiB
        Py_ssize_t mc = max(<Py_ssize_t> MR, min(<Py_ssize_t> 120, 16384 // d // MR * MR))
        Py_ssize_t nbx = (n_x + mc - 1) // mc, t, n_stripes = (nbx + n_threads - 1) // n_threads
        # panels of Y per column block: its packed copy stays within ~128 KiB
        Py_ssize_t npc = max(<Py_ssize_t> 1, 16384 // d // NR)
        double refine = _refine_factor(d)
        bint take_sqrt = not squared
        # per thread: packed X block, its norms, 3 MR x NR buffers, 64 bytes of
        # slack so that the threads' buffers share no cache line
        Py_ssize_t per_thread = (mc * (d + 1) + 3 * MR * NR + 8 + 7) // 8 * 8
        double *Bp = <double *> PyMem_RawMalloc(
            (n_py * NR * (d + 1) + n_threads * per_thread) * sizeof(double))
        double *YYp
        double *Ap
        double *XXp
        double *tmp
    if Bp == NULL:
        raise MemoryError()
    YYp = Bp + n_py * NR * d
    with nogil:
        _pack_panels(&Y[0, 0], n_y, d, NR, Bp)
        if YY.shape[0] == 0:
            _sq_row_norms(&Y[0, 0], 0, n_y, d, YYp)
        else:
            for c in range(n_y):
                YYp[c] = YY[c]
        for c in range(n_y, n_py * NR):
            YYp[c] = 0.0
        with parallel(num_threads=n_threads):
            Ap = Bp + n_py * NR * (d + 1) + threadid() * per_thread
            XXp = Ap + mc * d
            tmp = XXp + mc  # then two buffers of deferred square roots
            for t in prange(n_stripes * n_threads, schedule="dynamic"):
                # block t is the (t // n_threads)-th of stripe t % n_threads:
                # threads progress through distant stripes, so two never fault
                # in (and both zero) the same fresh huge page of the output
                b = (t % n_threads) * n_stripes + t // n_threads
                if b >= nbx:
                    continue
                i0 = b * mc
                nx = min(mc, n_x - i0)
                _pack_panels(&X[i0, 0], nx, d, MR, Ap)
                if XX.shape[0] == 0:
                    _sq_row_norms(&X[0, 0], i0, i0 + nx, d, XXp)
                else:
                    for r in range(nx):
                        XXp[r] = XX[i0 + r]
                for r in range(nx, mc):
                    XXp[r] = 0.0
                _fused_row_block(&X[i0, 0], nx, &Y[0, 0], n_y, d, Ap, XXp,
                                 Bp, YYp, npc, refine, take_sqrt, &out[i0, 0], tmp)
                if same:
                    for i in range(i0, min(i0 + nx, n_y)):
                        out[i, i] = 0.0
    PyMem_RawFree(Bp)
