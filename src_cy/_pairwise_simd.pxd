# Fused euclidean micro-kernel, x86-64 AVX2+FMA: one 6x8 block of the
# distance matrix is accumulated in registers (X.Y^T, one FMA chain per entry
# over the features in order, as OpenBLAS' Haswell dgemm kernel), turned into
# distances there (-2 acc + |x|^2, + |y|^2, clamp, square root) and stored
# once. The GEMM-then-epilogue form (BLAS into the output, then a pass over
# it) moves every output byte through the caches three times — BLAS zeroes C
# for beta = 0, accumulates into it, the epilogue re-reads it — and the
# output (n_x x n_y) is what dominates memory traffic when n_features is small.
# Layout in the style of BLIS' Haswell kernel (BSD-3-Clause): A packed in
# panels of 6 rows, B in panels of 8 rows, both k-major, zero padded.
#
# Only compiled where GCC/Clang target attributes exist; callers check
# fm_cpu_has_avx2_fma() (src_cy/_cpu.pxd) at run time and otherwise take the
# BLAS path of _pairwise_common.

from fastml._cy._cpu cimport fm_cpu_has_avx2_fma  # FM_CPU_X86_SIMD, FM_AVX2_FMA first

cdef extern from *:
    """
    #define FM_EUC_MR 6
    #define FM_EUC_NR 8
    #if FM_CPU_X86_SIMD
    /* PREFETCHW (fetch a line for writing) exists on every AVX2 CPU. */
    #define FM_EUC_TARGET __attribute__((target("avx2,fma,prfchw")))
    /* Distances of 6 packed rows A (A[k*6 + r]) to 8 packed rows B
       (B[k*8 + c]) over d features. xx/yy: their squared norms (6 and 8
       readable values). The squared distance is sklearn's
       (-2 x.y + |x|^2) + |y|^2: -2 acc is exact, so one FMA rounds as the
       separate operations do. If the block is partial, or some entry is
       under the cancellation threshold refine * (|x|^2 + |y|^2), the
       unclamped squared distances go to tmp[r*8 + c] and 1 is returned: the
       caller finishes the block. Otherwise the block is clamped at 0,
       square-rooted if take_sqrt (in float32 for float32 output, as sklearn
       does) and stored to outd (double) or outf (float), row stride ldo;
       or, if defer is given (float64 square roots), the clamped squares go
       to defer[r*8 + c] and the caller passes them back as the next call's
       pend (their destination: pend_dst): their square roots are taken
       within that call's feature loop, where the divider runs in parallel
       with the FMAs (taken after it, they cost ~20% of the kernel). */
    FM_EUC_TARGET static int fm_euc_6x8(Py_ssize_t d, const double *A, const double *B,
                                      const double *xx, const double *yy,
                                      double refine, int take_sqrt,
                                      double *outd, float *outf, Py_ssize_t ldo,
                                      int partial, double *tmp, double *defer,
                                      const double *pend, double *pend_dst) {
        __m256d c[6][2];
        #pragma GCC unroll 6
        for (int r = 0; r < 6; r++) c[r][0] = c[r][1] = _mm256_setzero_pd();
        int p = pend ? 0 : 12;
        if (outd) {  /* fetch this block's output lines for writing meanwhile */
            #pragma GCC unroll 6
            for (int r = 0; r < 6; r++) {
                __builtin_prefetch(outd + r * ldo, 1, 3);
                __builtin_prefetch(outd + r * ldo + 7, 1, 3);
            }
        }
        Py_ssize_t k = 0;
        for (; k < d; k++) {
            const __m256d b0 = _mm256_loadu_pd(B + 8 * k);
            const __m256d b1 = _mm256_loadu_pd(B + 8 * k + 4);
            #pragma GCC unroll 6
            for (int r = 0; r < 6; r++) {
                const __m256d a = _mm256_broadcast_sd(A + 6 * k + r);
                c[r][0] = _mm256_fmadd_pd(a, b0, c[r][0]);
                c[r][1] = _mm256_fmadd_pd(a, b1, c[r][1]);
            }
            /* one square root of the previous block every other feature:
               the divider works while the FMA pipes do, instead of after */
            if ((k & 1) && p < 12) {
                _mm256_storeu_pd(pend_dst + (p >> 1) * ldo + (p & 1) * 4,
                                 _mm256_sqrt_pd(_mm256_loadu_pd(pend + 4 * p)));
                p++;
            }
        }
        for (; p < 12; p++)
            _mm256_storeu_pd(pend_dst + (p >> 1) * ldo + (p & 1) * 4,
                             _mm256_sqrt_pd(_mm256_loadu_pd(pend + 4 * p)));
        const __m256d m2 = _mm256_set1_pd(-2.0), vref = _mm256_set1_pd(refine);
        const __m256d yy0 = _mm256_loadu_pd(yy), yy1 = _mm256_loadu_pd(yy + 4);
        __m256d any = _mm256_setzero_pd();
        #pragma GCC unroll 6
        for (int r = 0; r < 6; r++) {
            const __m256d xr = _mm256_set1_pd(xx[r]);
            c[r][0] = _mm256_add_pd(_mm256_fmadd_pd(c[r][0], m2, xr), yy0);
            c[r][1] = _mm256_add_pd(_mm256_fmadd_pd(c[r][1], m2, xr), yy1);
            any = _mm256_or_pd(any, _mm256_cmp_pd(
                c[r][0], _mm256_mul_pd(vref, _mm256_add_pd(xr, yy0)), _CMP_LE_OQ));
            any = _mm256_or_pd(any, _mm256_cmp_pd(
                c[r][1], _mm256_mul_pd(vref, _mm256_add_pd(xr, yy1)), _CMP_LE_OQ));
        }
        if (partial || _mm256_movemask_pd(any)) {
            #pragma GCC unroll 6
            for (int r = 0; r < 6; r++) {
                _mm256_storeu_pd(tmp + 8 * r, c[r][0]);
                _mm256_storeu_pd(tmp + 8 * r + 4, c[r][1]);
            }
            return 1;
        }
        const __m256d zero = _mm256_setzero_pd();
        #pragma GCC unroll 6
        for (int r = 0; r < 6; r++) {
            __m256d v0 = _mm256_max_pd(c[r][0], zero), v1 = _mm256_max_pd(c[r][1], zero);
            if (defer) {  /* square roots during the next block's loop */
                _mm256_storeu_pd(defer + 8 * r, v0);
                _mm256_storeu_pd(defer + 8 * r + 4, v1);
            } else if (outf) {
                __m128 f0 = _mm256_cvtpd_ps(v0), f1 = _mm256_cvtpd_ps(v1);
                if (take_sqrt) { f0 = _mm_sqrt_ps(f0); f1 = _mm_sqrt_ps(f1); }
                _mm_storeu_ps(outf + r * ldo, f0);
                _mm_storeu_ps(outf + r * ldo + 4, f1);
            } else {
                if (take_sqrt) { v0 = _mm256_sqrt_pd(v0); v1 = _mm256_sqrt_pd(v1); }
                _mm256_storeu_pd(outd + r * ldo, v0);
                _mm256_storeu_pd(outd + r * ldo + 4, v1);
            }
        }
        return 0;
    }
    /* The deferred square roots of a block (fm_euc_6x8's pend), stored. */
    FM_AVX2_FMA static void fm_euc_sqrt_6x8(const double *pend, double *pend_dst,
                                           Py_ssize_t ldo) {
        for (int p = 0; p < 12; p++)
            _mm256_storeu_pd(pend_dst + (p >> 1) * ldo + (p & 1) * 4,
                             _mm256_sqrt_pd(_mm256_loadu_pd(pend + 4 * p)));
    }
    #else
    static int fm_euc_6x8(Py_ssize_t d, const double *A, const double *B,
                          const double *xx, const double *yy, double refine,
                          int take_sqrt, double *outd, float *outf, Py_ssize_t ldo,
                          int partial, double *tmp, double *defer,
                          const double *pend, double *pend_dst) { return -1; }  /* never called */
    static void fm_euc_sqrt_6x8(const double *pend, double *pend_dst, Py_ssize_t ldo) {}
    #endif
    """
    enum:
        FM_EUC_MR
        FM_EUC_NR
    int fm_euc_6x8(Py_ssize_t d, const double *A, const double *B,
                   const double *xx, const double *yy, double refine, int take_sqrt,
                   double *outd, float *outf, Py_ssize_t ldo,
                   int partial, double *tmp, double *defer,
                   const double *pend, double *pend_dst) noexcept nogil
    void fm_euc_sqrt_6x8(const double *pend, double *pend_dst, Py_ssize_t ldo) noexcept nogil
