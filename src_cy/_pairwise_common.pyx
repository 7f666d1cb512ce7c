# Shared pairwise-distance numerics (declared in _pairwise_common.pxd).
# Adapted from scikit-learn (sklearn/metrics/pairwise.py
# _euclidean_distances_upcast and sklearn/cluster/_k_means_common.pyx, BSD-3-Clause).

from cython cimport floating
from cython.parallel cimport prange
from libc.float cimport DBL_EPSILON, DBL_MAX, FLT_EPSILON
from libc.math cimport fabs, sqrt

from fastml._cy._blas cimport BLAS_Order, BLAS_Trans, _gemm
from fastml._cy._cpu cimport fm_cpu_has_avx  # FM_CPU_X86_SIMD first

cdef extern from *:
    """
    #include <math.h>
    #if defined(__SSE2__)
    #include <emmintrin.h>
    #endif
    /* row[j] = (row[j] + xx) + yy[j] (sklearn's association); returns
       whether any entry fell under the cancellation threshold. Written with
       SSE2 intrinsics: compilers do not vectorise the flag reduction. */
    static int fastml_add_norms_sse(double *row, const double *yy,
                                    double xx, double refine, Py_ssize_t n) {
        Py_ssize_t j = 0;
        int risky = 0;
    #if defined(__SSE2__)
        const __m128d vxx = _mm_set1_pd(xx), vref = _mm_set1_pd(refine);
        __m128d any = _mm_setzero_pd();
        for (; j + 1 < n; j += 2) {
            __m128d vyy = _mm_loadu_pd(yy + j);
            __m128d c = _mm_add_pd(_mm_add_pd(_mm_loadu_pd(row + j), vxx), vyy);
            any = _mm_or_pd(any, _mm_cmple_pd(c, _mm_mul_pd(vref, _mm_add_pd(vxx, vyy))));
            _mm_storeu_pd(row + j, c);
        }
        risky = _mm_movemask_pd(any) != 0;
    #endif
        for (; j < n; j++) {
            double c = (row[j] + xx) + yy[j];
            risky |= c <= refine * (xx + yy[j]);
            row[j] = c;
        }
        return risky;
    }
    /* acc[j] op= f(xk - yt[j]) over one accumulator row: restrict lets the
       compiler vectorise across j (each acc[j] still sums features in order,
       so no reassociation and results independent of the vector width). */
    static void fastml_l1_row(double *restrict acc, const double *restrict yt,
                              double xk, Py_ssize_t n) {
        for (Py_ssize_t j = 0; j < n; j++) acc[j] += fabs(xk - yt[j]);
    }
    static void fastml_sq_row(double *restrict acc, const double *restrict yt,
                              double xk, Py_ssize_t n) {
        for (Py_ssize_t j = 0; j < n; j++) { double t = xk - yt[j]; acc[j] += t * t; }
    }
    static void fastml_linf_row(double *restrict acc, const double *restrict yt,
                                double xk, Py_ssize_t n) {
        for (Py_ssize_t j = 0; j < n; j++) {
            double t = fabs(xk - yt[j]);
            acc[j] = t > acc[j] ? t : acc[j];
        }
    }
    /* Clamp at 0 then sqrt, over a row. Without -fno-math-errno compilers
       keep sqrt scalar (errno), which made this pass cost as much as the
       GEMM; x >= 0 here, so the packed SSE2 sqrt is exact and equivalent. */
    static void fastml_clamp_sqrt_sse(double *x, Py_ssize_t n, int take_sqrt) {
        Py_ssize_t i = 0;
        if (!take_sqrt) {
            for (; i < n; i++) x[i] = x[i] > 0.0 ? x[i] : 0.0;
            return;
        }
    #if defined(__SSE2__)
        const __m128d zero = _mm_setzero_pd();
        for (; i + 1 < n; i += 2) {
            /* max(v, 0) returns 0 for NaN as the scalar form below */
            __m128d v = _mm_max_pd(_mm_loadu_pd(x + i), zero);
            _mm_storeu_pd(x + i, _mm_sqrt_pd(v));
        }
    #endif
        for (; i < n; i++) x[i] = sqrt(x[i] > 0.0 ? x[i] : 0.0);
    }
    /* AVX twins, chosen at run time: the square roots dominate the pass that
       follows each GEMM tile and 4-wide vsqrtpd halves their cost. Same
       operations in the same order, so the results are bit-identical. */
    #if FM_CPU_X86_SIMD
    __attribute__((target("avx")))
    static int fastml_add_norms_avx(double *row, const double *yy,
                                    double xx, double refine, Py_ssize_t n) {
        Py_ssize_t j = 0;
        const __m256d vxx = _mm256_set1_pd(xx), vref = _mm256_set1_pd(refine);
        __m256d any = _mm256_setzero_pd();
        int risky;
        for (; j + 3 < n; j += 4) {
            __m256d vyy = _mm256_loadu_pd(yy + j);
            __m256d c = _mm256_add_pd(_mm256_add_pd(_mm256_loadu_pd(row + j), vxx), vyy);
            any = _mm256_or_pd(any, _mm256_cmp_pd(
                c, _mm256_mul_pd(vref, _mm256_add_pd(vxx, vyy)), _CMP_LE_OQ));
            _mm256_storeu_pd(row + j, c);
        }
        risky = _mm256_movemask_pd(any) != 0;
        for (; j < n; j++) {
            double c = (row[j] + xx) + yy[j];
            risky |= c <= refine * (xx + yy[j]);
            row[j] = c;
        }
        return risky;
    }
    __attribute__((target("avx")))
    static void fastml_clamp_sqrt_avx(double *x, Py_ssize_t n, int take_sqrt) {
        Py_ssize_t i = 0;
        const __m256d zero = _mm256_setzero_pd();
        for (; i + 3 < n; i += 4) {
            __m256d v = _mm256_max_pd(_mm256_loadu_pd(x + i), zero);
            _mm256_storeu_pd(x + i, take_sqrt ? _mm256_sqrt_pd(v) : v);
        }
        for (; i < n; i++) {
            double v = x[i] > 0.0 ? x[i] : 0.0;
            x[i] = take_sqrt ? sqrt(v) : v;
        }
    }
    #else
    #define fastml_add_norms_avx fastml_add_norms_sse
    #define fastml_clamp_sqrt_avx fastml_clamp_sqrt_sse
    #endif
    static int fastml_add_norms(double *row, const double *yy,
                                double xx, double refine, Py_ssize_t n) {
        return fm_cpu_has_avx() ? fastml_add_norms_avx(row, yy, xx, refine, n)
                                : fastml_add_norms_sse(row, yy, xx, refine, n);
    }
    static void fastml_clamp_sqrt(double *x, Py_ssize_t n, int take_sqrt) {
        if (fm_cpu_has_avx()) fastml_clamp_sqrt_avx(x, n, take_sqrt);
        else fastml_clamp_sqrt_sse(x, n, take_sqrt);
    }
    """
    void _clamp_sqrt "fastml_clamp_sqrt"(double *x, Py_ssize_t n, int take_sqrt) noexcept nogil
    void _l1_row "fastml_l1_row"(double *acc, const double *yt, double xk, Py_ssize_t n) noexcept nogil
    void _sq_row "fastml_sq_row"(double *acc, const double *yt, double xk, Py_ssize_t n) noexcept nogil
    void _linf_row "fastml_linf_row"(double *acc, const double *yt, double xk, Py_ssize_t n) noexcept nogil
    int _add_norms "fastml_add_norms"(double *row, const double *yy, double xx,
                                      double refine, Py_ssize_t n) noexcept nogil


cdef Py_ssize_t _scratch_size(Py_ssize_t n_features) noexcept nogil:
    # one distance tile (used by _argmin_chunk) + two upcast/transposed blocks
    return TILE * TILE + 2 * TILE * FEAT_BLOCK


cdef double _refine_factor(Py_ssize_t n_features) noexcept nogil:
    # |computed - exact| <= (d + 2) eps (|x|^2 + |y|^2) bounds the GEMM form's
    # error; recomputing everything within 1e6 of that bound leaves at most
    # ~1e-6 relative error, typically far less (errors grow like sqrt(d) eps).
    return (n_features + 2) * DBL_EPSILON * 1e6


cdef void _sq_row_norms(const floating *X, Py_ssize_t start, Py_ssize_t end,
                        Py_ssize_t n_features, double *out) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef double s, v
    for i in range(start, end):
        s = 0.0
        for k in range(n_features):
            v = X[i * n_features + k]
            s += v * v
        out[i - start] = s


cdef void _inv_row_norms(const floating *X, Py_ssize_t start, Py_ssize_t end,
                         Py_ssize_t n_features, double *out) noexcept nogil:
    cdef Py_ssize_t i
    cdef double norm, tiny = 10 * (FLT_EPSILON if floating is float else DBL_EPSILON)
    _sq_row_norms(X, start, end, n_features, out)
    for i in range(end - start):
        # as normalize() (_handle_zeros_in_scale): rows with a norm below
        # 10 eps of their dtype are left unscaled, so their similarity is ~0
        norm = sqrt(out[i])
        out[i] = 1.0 / norm if norm >= tiny else 1.0


cdef double _sqeuclidean_exact(const floating *x, const floating *y,
                               Py_ssize_t n_features) noexcept nogil:
    cdef Py_ssize_t k
    cdef double s = 0.0, t
    for k in range(n_features):
        t = <double> x[k] - <double> y[k]
        s += t * t
    return s


cdef void _gemm_tile(const floating *X, Py_ssize_t nx, const floating *Y,
                     Py_ssize_t ny, Py_ssize_t n_features, double alpha,
                     double *C, Py_ssize_t ldc, double *scratch) noexcept nogil:
    cdef Py_ssize_t i, k, k0, kb, b
    cdef double *Xb = scratch
    cdef double *Yb = scratch + TILE * FEAT_BLOCK
    if floating is double:
        _gemm(BLAS_Order.RowMajor, BLAS_Trans.NoTrans, BLAS_Trans.Trans,
              nx, ny, n_features, alpha, X, n_features, Y, n_features,
              0.0, C, ldc)
    else:
        # float32 is upcast block by block so the products carry float64
        # precision (as sklearn's _euclidean_distances_upcast) in bounded scratch.
        for b in range((n_features + FEAT_BLOCK - 1) // FEAT_BLOCK):
            k0 = b * FEAT_BLOCK
            kb = min(<Py_ssize_t> FEAT_BLOCK, n_features - k0)
            for i in range(nx):
                for k in range(kb):
                    Xb[i * kb + k] = X[i * n_features + k0 + k]
            for i in range(ny):
                for k in range(kb):
                    Yb[i * kb + k] = Y[i * n_features + k0 + k]
            _gemm(BLAS_Order.RowMajor, BLAS_Trans.NoTrans, BLAS_Trans.Trans,
                  nx, ny, kb, alpha, Xb, kb, Yb, kb,
                  0.0 if k0 == 0 else 1.0, C, ldc)


cdef void _euclidean_finish(const floating *X, Py_ssize_t nx, const floating *Y,
                            Py_ssize_t ny, Py_ssize_t n_features,
                            const double *XX, const double *YY,
                            double *D, Py_ssize_t ldd, bint take_sqrt) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef double xx, refine = _refine_factor(n_features)
    cdef double *row
    for i in range(nx):
        row = D + i * ldd
        xx = XX[i]
        if _add_norms(row, YY, xx, refine, ny):
            # near-duplicates: the GEMM form lost its digits, recompute (rare)
            for j in range(ny):
                if row[j] <= refine * (xx + YY[j]):
                    row[j] = _sqeuclidean_exact(X + i * n_features,
                                                Y + j * n_features, n_features)
        _clamp_sqrt(row, ny, take_sqrt)


cdef void _cosine_finish(Py_ssize_t nx, Py_ssize_t ny, const double *XX,
                         const double *YY, double *D, Py_ssize_t ldd) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef double c
    for i in range(nx):
        for j in range(ny):
            c = 1.0 - D[i * ldd + j] * XX[i] * YY[j]
            D[i * ldd + j] = 0.0 if c < 0.0 else (2.0 if c > 2.0 else c)


cdef void _elementwise_tile(Metric metric, const floating *X, Py_ssize_t nx,
                            const floating *Y, Py_ssize_t ny, Py_ssize_t n_features,
                            double *D, Py_ssize_t ldd, double *scratch) noexcept nogil:
    # The Y block is stored transposed (features x rows) so the innermost loop
    # runs over Y rows: independent accumulators the compiler vectorises
    # without reassociating any sum (each distance still adds features in order).
    cdef Py_ssize_t i, j, k, k0, kb, b
    cdef double xk
    cdef double *row
    cdef double *yt
    cdef double *YT = scratch
    for b in range((n_features + FEAT_BLOCK - 1) // FEAT_BLOCK):
        k0 = b * FEAT_BLOCK
        kb = min(<Py_ssize_t> FEAT_BLOCK, n_features - k0)
        for j in range(ny):
            for k in range(kb):
                YT[k * ny + j] = Y[j * n_features + k0 + k]
        for i in range(nx):
            row = D + i * ldd
            if k0 == 0:
                for j in range(ny):
                    row[j] = 0.0
            for k in range(kb):
                xk = X[i * n_features + k0 + k]
                yt = YT + k * ny
                if metric == MANHATTAN:
                    _l1_row(row, yt, xk, ny)
                elif metric == CHEBYSHEV:
                    _linf_row(row, yt, xk, ny)
                else:  # SQEUCLIDEAN
                    _sq_row(row, yt, xk, ny)


cdef void _distance_tile(Metric metric, const floating *X, Py_ssize_t nx,
                         const floating *Y, Py_ssize_t ny, Py_ssize_t n_features,
                         const double *XX, const double *YY,
                         double *D, Py_ssize_t ldd, double *scratch,
                         bint take_sqrt=False) noexcept nogil:
    if metric == EUCLIDEAN:
        _gemm_tile(X, nx, Y, ny, n_features, -2.0, D, ldd, scratch)
        _euclidean_finish(X, nx, Y, ny, n_features, XX, YY, D, ldd, take_sqrt)
    elif metric == COSINE:
        _gemm_tile(X, nx, Y, ny, n_features, 1.0, D, ldd, scratch)
        _cosine_finish(nx, ny, XX, YY, D, ldd)
    else:
        _elementwise_tile(metric, X, nx, Y, ny, n_features, D, ldd, scratch)


cdef void _argmin_chunk(Metric metric, const floating *X, Py_ssize_t nx,
                        const floating *Y, Py_ssize_t n_y, Py_ssize_t n_features,
                        const double *XX, const double *YY,
                        Py_ssize_t *argmin, double *min_dist,
                        double *scratch) noexcept nogil:
    cdef Py_ssize_t i, j, j0, ny, b
    cdef double v
    cdef double *D = scratch
    cdef double *rest = scratch + TILE * TILE
    for i in range(nx):
        argmin[i] = 0
        min_dist[i] = DBL_MAX
    for b in range((n_y + TILE - 1) // TILE):
        j0 = b * TILE
        ny = min(<Py_ssize_t> TILE, n_y - j0)
        _distance_tile(metric, X, nx, Y + j0 * n_features, ny, n_features,
                       XX, YY + j0 if YY != NULL else NULL, D, TILE, rest)
        for i in range(nx):
            for j in range(ny):
                v = D[i * TILE + j]
                if v < min_dist[i]:  # strict: the lowest index wins ties
                    min_dist[i] = v
                    argmin[i] = j0 + j


# Python-level entry points ---------------------------------------------------

def sq_row_norms(const floating[:, ::1] X, double[::1] out, int n_threads):
    """out[i] = ||X[i]||^2 accumulated in float64, parallel over row chunks."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], c, n_chunks = (n + TILE - 1) // TILE
    for c in prange(n_chunks, nogil=True, schedule="static", num_threads=n_threads):
        _sq_row_norms(&X[0, 0], c * TILE, min((c + 1) * TILE, n), d, &out[c * TILE])


def inv_row_norms(const floating[:, ::1] X, double[::1] out, int n_threads):
    """out[i] = 1 / ||X[i]|| (1 for zero rows), parallel over row chunks."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], c, n_chunks = (n + TILE - 1) // TILE
    for c in prange(n_chunks, nogil=True, schedule="static", num_threads=n_threads):
        _inv_row_norms(&X[0, 0], c * TILE, min((c + 1) * TILE, n), d, &out[c * TILE])
