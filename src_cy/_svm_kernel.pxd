# Kernel values for the SVM solvers: one column block K(x_i, X[start:end]).
# Formulas follow libsvm's Kernel class (svm.cpp, as vendored by scikit-learn,
# BSD-3-Clause); the dot products come from BLAS GEMV against precomputed
# squared norms instead of libsvm's per-pair loops. The RBF column, where a
# scalar libm exp per entry cost more than the GEMV itself, has a fused
# AVX2+FMA path: 4 rows' dot products, the distance and a vectorised exp in
# registers, one pass over the rows.

from cython.parallel cimport prange
from libc.math cimport exp, tanh

from fastml._cy._blas cimport _gemv, BLAS_Order, BLAS_Trans
from fastml._cy._cpu cimport fm_cpu_has_avx2_fma

cdef extern from *:
    """

    #if FM_CPU_X86_SIMD
    /* exp(x), lane-wise, for the RBF argument x = -gamma * dist (x <= ~0).
       x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact r), the
       degree-13 Taylor polynomial of exp(r) by Estrin's scheme (truncation < 1e-18 relative, so
       the result is within ~1 ulp of libm's), scaled by 2^n built in the
       exponent bits. Below -708 the true value is subnormal or zero; we return
       0 (the solver stores kernel values as float32, which flushes them too). */
    FM_AVX2_FMA static inline __m256d fm_svm_exp4(__m256d x) {
        const __m256d lo = _mm256_set1_pd(-708.0);
        const __m256d shifter = _mm256_set1_pd(6755399441055744.0);  /* 1.5 * 2^52 */
        __m256d under = _mm256_cmp_pd(x, lo, _CMP_LT_OQ);
        x = _mm256_min_pd(_mm256_max_pd(x, lo), _mm256_set1_pd(709.0));
        __m256d t = _mm256_fmadd_pd(x, _mm256_set1_pd(1.4426950408889634), shifter);
        __m256d n = _mm256_sub_pd(t, shifter);
        __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(0.6931471805599453), x);
        r = _mm256_fnmadd_pd(n, _mm256_set1_pd(2.3190468138462996e-17), r);
        /* Estrin's scheme: 4 dependent FMA levels instead of Horner's 13 */
        #define FM_C(v) _mm256_set1_pd(v)
        __m256d r2 = _mm256_mul_pd(r, r), r4 = _mm256_mul_pd(r2, r2);
        __m256d r8 = _mm256_mul_pd(r4, r4);
        __m256d q0 = _mm256_add_pd(r, FM_C(1.0));
        __m256d q1 = _mm256_fmadd_pd(r, FM_C(1.0 / 6.0), FM_C(0.5));
        __m256d q2 = _mm256_fmadd_pd(r, FM_C(1.0 / 120.0), FM_C(1.0 / 24.0));
        __m256d q3 = _mm256_fmadd_pd(r, FM_C(1.0 / 5040.0), FM_C(1.0 / 720.0));
        __m256d q4 = _mm256_fmadd_pd(r, FM_C(1.0 / 362880.0), FM_C(1.0 / 40320.0));
        __m256d q5 = _mm256_fmadd_pd(r, FM_C(1.0 / 39916800.0), FM_C(1.0 / 3628800.0));
        __m256d q6 = _mm256_fmadd_pd(r, FM_C(1.0 / 6227020800.0), FM_C(1.0 / 479001600.0));
        #undef FM_C
        __m256d s0 = _mm256_fmadd_pd(q1, r2, q0), s1 = _mm256_fmadd_pd(q3, r2, q2);
        __m256d s2 = _mm256_fmadd_pd(q5, r2, q4);
        __m256d t0 = _mm256_fmadd_pd(s1, r4, s0), t1 = _mm256_fmadd_pd(q6, r4, s2);
        __m256d p = _mm256_fmadd_pd(t1, r8, t0);
        /* the low bits of t hold n (two's complement): (n + 1023) << 52 is 2^n */
        __m256i e = _mm256_slli_epi64(
            _mm256_add_epi64(_mm256_castpd_si256(t), _mm256_set1_epi64x(1023)), 52);
        return _mm256_andnot_pd(under, _mm256_mul_pd(p, _mm256_castsi256_pd(e)));
    }

    /* exp(neg_gamma * (sq_i + sq[j] - 2 x_i . X[j])) for 4 rows j = rows[0..3] */
    FM_AVX2_FMA static inline __m256d fm_svm_rbf4(const double *X, const double *sq,
            int d, const double *xi, double sq_i, double neg_gamma,
            const int *rows, __m256i tail_mask) {
        const double *x0 = X + (size_t)rows[0] * d, *x1 = X + (size_t)rows[1] * d;
        const double *x2 = X + (size_t)rows[2] * d, *x3 = X + (size_t)rows[3] * d;
        __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
        __m256d a2 = _mm256_setzero_pd(), a3 = _mm256_setzero_pd();
        int k = 0;
        for (; k + 4 <= d; k += 4) {
            __m256d v = _mm256_loadu_pd(xi + k);
            a0 = _mm256_fmadd_pd(_mm256_loadu_pd(x0 + k), v, a0);
            a1 = _mm256_fmadd_pd(_mm256_loadu_pd(x1 + k), v, a1);
            a2 = _mm256_fmadd_pd(_mm256_loadu_pd(x2 + k), v, a2);
            a3 = _mm256_fmadd_pd(_mm256_loadu_pd(x3 + k), v, a3);
        }
        if (k < d) {
            __m256d v = _mm256_maskload_pd(xi + k, tail_mask);
            a0 = _mm256_fmadd_pd(_mm256_maskload_pd(x0 + k, tail_mask), v, a0);
            a1 = _mm256_fmadd_pd(_mm256_maskload_pd(x1 + k, tail_mask), v, a1);
            a2 = _mm256_fmadd_pd(_mm256_maskload_pd(x2 + k, tail_mask), v, a2);
            a3 = _mm256_fmadd_pd(_mm256_maskload_pd(x3 + k, tail_mask), v, a3);
        }
        /* lane sums of a0..a3 into one vector, the same order for every row */
        __m256d h01 = _mm256_hadd_pd(a0, a1), h23 = _mm256_hadd_pd(a2, a3);
        __m256d dot = _mm256_add_pd(_mm256_permute2f128_pd(h01, h23, 0x20),
                                    _mm256_permute2f128_pd(h01, h23, 0x31));
        __m256d sqj = _mm256_setr_pd(sq[rows[0]], sq[rows[1]], sq[rows[2]], sq[rows[3]]);
        __m256d dist = _mm256_fnmadd_pd(_mm256_set1_pd(2.0), dot,
                                        _mm256_add_pd(_mm256_set1_pd(sq_i), sqj));
        return fm_svm_exp4(_mm256_mul_pd(_mm256_set1_pd(neg_gamma), dist));
    }

    /* out[j - start] = exp(-gamma ||x_i - X[j]||^2) for j in [start, end).
       Every row's value depends on that row only (a short last group repeats
       rows instead of switching to scalar code), so any split of [start, end)
       over threads gives the same numbers. */
    FM_AVX2_FMA static void fm_svm_rbf_block(const double *X, const double *sq, int d,
            const double *xi, double sq_i, int start, int end, double gamma,
            double *out) {
        int m = end - start, rows[4];
        if (m <= 0) return;
        __m256i tail_mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(d % 4),
                                               _mm256_setr_epi64x(0, 1, 2, 3));
        int j = start;
        for (; j + 4 <= end; j += 4) {
            rows[0] = j; rows[1] = j + 1; rows[2] = j + 2; rows[3] = j + 3;
            _mm256_storeu_pd(out + (j - start),
                             fm_svm_rbf4(X, sq, d, xi, sq_i, -gamma, rows, tail_mask));
        }
        if (j < end) {
            double tmp[4];
            for (int t = 0; t < 4; t++) rows[t] = j + t < end ? j + t : end - 1;
            _mm256_storeu_pd(tmp, fm_svm_rbf4(X, sq, d, xi, sq_i, -gamma, rows, tail_mask));
            for (int t = 0; j + t < end; t++) out[j - start + t] = tmp[t];
        }
    }
    #else
    static void fm_svm_rbf_block(const double *X, const double *sq, int d,
            const double *xi, double sq_i, int start, int end, double gamma,
            double *out) {}
    #endif
    """
    void fm_svm_rbf_block(const double* X, const double* sq, int d, const double* xi,
                          double sq_i, int start, int end, double gamma,
                          double* out) noexcept nogil


cdef enum:
    K_LINEAR = 0
    K_POLY = 1
    K_RBF = 2
    K_SIGMOID = 3
    K_PRECOMPUTED = 4
    # fewest rows per task when a column is split over threads
    MIN_CHUNK = 256


cdef inline double _powi(double base, int times) noexcept nogil:
    # libsvm's powi: exact repeated squaring, so poly kernels match bit-for-bit
    cdef double tmp = base, ret = 1.0
    cdef int t = times
    while t > 0:
        if t % 2 == 1:
            ret *= tmp
        tmp = tmp * tmp
        t = t // 2
    return ret


cdef inline double _from_dot(int kind, double dot, double sq_i, double sq_j,
                             double gamma, double coef0, int degree) noexcept nogil:
    if kind == K_RBF:
        return exp(-gamma * (sq_i + sq_j - 2.0 * dot))
    if kind == K_POLY:
        return _powi(gamma * dot + coef0, degree)
    if kind == K_SIGMOID:
        return tanh(gamma * dot + coef0)
    return dot


cdef inline void _kernel_block(int kind, const double* X, const double* sq, int d,
                               const double* x_i, double sq_i, int start, int end,
                               double gamma, double coef0, int degree,
                               double* out, bint simd) noexcept nogil:
    """out[j - start] = K(x_i, X[j]) for j in [start, end) (one thread).

    ``simd``: the CPU has AVX2+FMA (fm_cpu_has_avx2_fma), so RBF is fused.
    """
    cdef int j, m = end - start
    if m <= 0:
        return
    if simd and kind == K_RBF:
        fm_svm_rbf_block(X, sq, d, x_i, sq_i, start, end, gamma, out)
        return
    _gemv(BLAS_Order.RowMajor, BLAS_Trans.NoTrans, m, d, 1.0, X + <Py_ssize_t> start * d,
          d, x_i, 1, 0.0, out, 1)
    if kind != K_LINEAR:
        for j in range(m):
            out[j] = _from_dot(kind, out[j], sq_i, sq[start + j], gamma, coef0, degree)


cdef inline void _kernel_column(int kind, const double* X, const double* sq, int d,
                                const double* x_i, double sq_i, int start, int end,
                                double gamma, double coef0, int degree,
                                double* out, int n_threads,
                                double parallel_min_work, bint simd) noexcept nogil:
    """out[j - start] = K(x_i, X[j]) for j in [start, end), split over threads.

    A column goes parallel only above ``parallel_min_work`` multiply-adds:
    SMO computes columns one at a time, and a fork/join per small column costs
    more than it saves (badly so on a loaded machine). Each task writes a
    disjoint slice of ``out``; the caller holds BLAS to one thread so GEMV
    inside prange does not oversubscribe.
    """
    cdef int c, lo, hi, chunk, n_chunks, m = end - start
    if (n_threads <= 1 or m < 2 * MIN_CHUNK
            or <double> m * (d + 16) < parallel_min_work):
        _kernel_block(kind, X, sq, d, x_i, sq_i, start, end, gamma, coef0, degree, out,
                      simd)
        return
    chunk = max(<int> MIN_CHUNK, (m + 2 * n_threads - 1) // (2 * n_threads))
    n_chunks = (m + chunk - 1) // chunk
    for c in prange(n_chunks, num_threads=n_threads, schedule="static"):
        lo = start + c * chunk
        hi = min(lo + chunk, end)
        _kernel_block(kind, X, sq, d, x_i, sq_i, lo, hi, gamma, coef0, degree,
                      out + (lo - start), simd)
