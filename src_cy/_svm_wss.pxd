# AVX2 passes of libsvm's second-order working-set selection (WSS3, Fan, Chen
# & Lin 2005; Solver::select_working_set in libsvm's svm.cpp as vendored by
# scikit-learn, BSD-3-Clause). The SMO solver spends about a fifth of its time
# in these two scans over the active set; here 4 variables go per step.
#
# The result is the scalar loop's, bit for bit: every lane does the scalar
# arithmetic in the same order (floating-point contraction is switched off, so
# no multiply-add is fused where the scalar code rounds twice), each lane keeps
# the LAST index of its running extremum (the scalar loop's >= / <= ties), and
# the lane reduction takes the largest index among the lanes at the extremum.
# The callers scan the first n - n % 4 variables here and finish the rest with
# their scalar loop, starting from the returned state.
#
# status codes are the solver's: 0 at the lower bound, 1 at the upper, 2 free.

from fastml._cy._cpu cimport fm_cpu_has_avx2_fma  # FM_CPU_X86_SIMD first

cdef extern from *:
    """
    #if FM_CPU_X86_SIMD
    #include <math.h>
    #include <string.h>
    #define FM_WSS_AVX2 __attribute__((target("avx2,fma"), optimize("fp-contract=off")))

    /* status[t..t+3] as 4 int64 lanes */
    FM_WSS_AVX2 static inline __m256i fm_wss_status4(const char *status) {
        int s4;
        memcpy(&s4, status, 4);
        return _mm256_cvtepi8_epi64(_mm_cvtsi32_si128(s4));
    }

    /* lane with value == best (the extremum) and the largest index */
    static inline int fm_wss_last_index(const double *val, const double *idx, double best) {
        double id = -1.0;
        for (int l = 0; l < 4; l++)
            if (val[l] == best && idx[l] > id) id = idx[l];
        return (int)id;
    }

    /* argmax over t < n of -y_t G_t among the t that may increase y_t alpha_t
       (y = +1 not at the upper bound, y = -1 not at the lower one) */
    FM_WSS_AVX2 static int fm_wss_gmax_avx2(const double *y, const char *status,
                                            const double *G, int n, double *gmax) {
        const __m256d one = _mm256_set1_pd(1.0), four = _mm256_set1_pd(4.0);
        const __m256i ones = _mm256_set1_epi64x(1), all = _mm256_set1_epi64x(-1);
        __m256d best = _mm256_set1_pd(-INFINITY), bidx = _mm256_set1_pd(-1.0);
        __m256d idx = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
        for (int t = 0; t + 4 <= n; t += 4) {
            __m256d yv = _mm256_loadu_pd(y + t);
            __m256d pos = _mm256_cmp_pd(yv, one, _CMP_EQ_OQ);
            /* the blocking bound: upper (1) for y = +1, lower (0) for y = -1 */
            __m256i code = _mm256_and_si256(_mm256_castpd_si256(pos), ones);
            __m256i valid = _mm256_xor_si256(
                _mm256_cmpeq_epi64(fm_wss_status4(status + t), code), all);
            __m256d c = _mm256_mul_pd(_mm256_sub_pd(_mm256_setzero_pd(), yv),
                                      _mm256_loadu_pd(G + t));
            __m256d upd = _mm256_and_pd(_mm256_castsi256_pd(valid),
                                        _mm256_cmp_pd(c, best, _CMP_GE_OQ));
            best = _mm256_blendv_pd(best, c, upd);
            bidx = _mm256_blendv_pd(bidx, idx, upd);
            idx = _mm256_add_pd(idx, four);
        }
        double b[4], ix[4];
        _mm256_storeu_pd(b, best);
        _mm256_storeu_pd(ix, bidx);
        double m = b[0];
        for (int l = 1; l < 4; l++) m = b[l] > m ? b[l] : m;
        *gmax = m;
        return fm_wss_last_index(b, ix, m);
    }

    /* over j < n that may decrease y_j alpha_j: max of y_j G_j (into gmax2)
       and the argmin of -(Gmax + y_j G_j)^2 / quad_ij where Gmax + y_j G_j > 0,
       quad_ij = QD_i + QD_j - 2 y_i y_j Q_ij (TAU when not positive) */
    FM_WSS_AVX2 static int fm_wss_gmin_avx2(const double *y, const char *status,
            const double *G, const double *QD, const float *Q_i, double QD_i,
            double y_i, double Gmax, double tau, int n, double *gmax2,
            double *obj_min) {
        const __m256d one = _mm256_set1_pd(1.0), four = _mm256_set1_pd(4.0);
        const __m256d zero = _mm256_setzero_pd(), vtau = _mm256_set1_pd(tau);
        const __m256d qdi = _mm256_set1_pd(QD_i), two_yi = _mm256_set1_pd(2.0 * y_i);
        const __m256d gm = _mm256_set1_pd(Gmax);
        const __m256i ones = _mm256_set1_epi64x(1), all = _mm256_set1_epi64x(-1);
        __m256d g2 = _mm256_set1_pd(-INFINITY), omin = _mm256_set1_pd(INFINITY);
        __m256d oidx = _mm256_set1_pd(-1.0), idx = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
        for (int j = 0; j + 4 <= n; j += 4) {
            __m256d yv = _mm256_loadu_pd(y + j);
            __m256d pos = _mm256_cmp_pd(yv, one, _CMP_EQ_OQ);
            /* the blocking bound: lower (0) for y = +1, upper (1) for y = -1 */
            __m256i code = _mm256_andnot_si256(_mm256_castpd_si256(pos), ones);
            __m256d valid = _mm256_castsi256_pd(_mm256_xor_si256(
                _mm256_cmpeq_epi64(fm_wss_status4(status + j), code), all));
            __m256d v = _mm256_mul_pd(yv, _mm256_loadu_pd(G + j));
            g2 = _mm256_blendv_pd(g2, _mm256_max_pd(g2, v), valid);
            __m256d gd = _mm256_add_pd(gm, v);
            __m256d t = _mm256_mul_pd(two_yi, _mm256_cvtps_pd(_mm_loadu_ps(Q_i + j)));
            __m256d quad = _mm256_sub_pd(_mm256_add_pd(qdi, _mm256_loadu_pd(QD + j)),
                                         _mm256_mul_pd(yv, t));
            __m256d den = _mm256_blendv_pd(vtau, quad, _mm256_cmp_pd(quad, zero, _CMP_GT_OQ));
            __m256d obj = _mm256_div_pd(_mm256_sub_pd(zero, _mm256_mul_pd(gd, gd)), den);
            __m256d upd = _mm256_and_pd(
                _mm256_and_pd(valid, _mm256_cmp_pd(gd, zero, _CMP_GT_OQ)),
                _mm256_cmp_pd(obj, omin, _CMP_LE_OQ));
            omin = _mm256_blendv_pd(omin, obj, upd);
            oidx = _mm256_blendv_pd(oidx, idx, upd);
            idx = _mm256_add_pd(idx, four);
        }
        double b[4], ix[4];
        _mm256_storeu_pd(b, g2);
        double m = *gmax2;
        for (int l = 0; l < 4; l++) m = b[l] > m ? b[l] : m;
        *gmax2 = m;
        _mm256_storeu_pd(b, omin);
        _mm256_storeu_pd(ix, oidx);
        m = b[0];
        for (int l = 1; l < 4; l++) m = b[l] < m ? b[l] : m;
        *obj_min = m;
        return fm_wss_last_index(b, ix, m);
    }
    #else
    static int fm_wss_gmax_avx2(const double *y, const char *status, const double *G,
                                int n, double *gmax) { return -1; }
    static int fm_wss_gmin_avx2(const double *y, const char *status,
            const double *G, const double *QD, const float *Q_i, double QD_i,
            double y_i, double Gmax, double tau, int n, double *gmax2,
            double *obj_min) { return -1; }
    #endif
    """
    int fm_wss_gmax_avx2(const double* y, const char* status, const double* G, int n,
                         double* gmax) noexcept nogil
    int fm_wss_gmin_avx2(const double* y, const char* status, const double* G,
                         const double* QD, const float* Q_i, double QD_i, double y_i,
                         double Gmax, double tau, int n, double* gmax2,
                         double* obj_min) noexcept nogil
