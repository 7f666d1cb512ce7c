# Register-blocked k-means assignment (E-step) micro-kernels, x86-64 AVX2+FMA.
#
# For small n_features x n_clusters, a BLAS GEMM on 256-row chunks spends most
# of its time in call overhead and in writing/reading back the chunk's
# distance block; here the distance surrogate ||c||^2 - 2 x.c of 4 rows x 2
# SIMD vectors of centers stays in registers and the argmin is taken in
# registers too.  The arithmetic is the one of OpenBLAS' Haswell GEMM kernel
# that scikit-learn's lloyd path calls (one FMA accumulator per (row, center),
# sequential over features, then alpha * acc + ||c||^2 with alpha = -2), so
# the labels agree with scikit-learn's bit for bit on such machines.  Centers
# are passed pre-scaled by -2 (exact: a power of two), which folds alpha in.
#
# Only compiled where GCC/Clang target attributes exist; callers must check
# fm_cpu_has_avx2_fma() (src_cy/_cpu.pxd) at run time and use the BLAS path otherwise.

from fastml._cy._cpu cimport fm_cpu_has_avx2_fma  # FM_CPU_X86_SIMD, FM_AVX2_FMA first

cdef extern from *:
    """
    /* A hint only: fetch the cache line of p ahead of its use. */
    #if defined(__GNUC__) || defined(__clang__)
    #define fm_prefetch(p) __builtin_prefetch((const void *)(p))
    #else
    #define fm_prefetch(p) ((void)0)
    #endif

    #if FM_CPU_X86_SIMD
    /* First index of the minimum over the lanes (value, index) of a row. */
    static inline int fm_lane_argmin_d(const double *m, const double *ix, int w) {
        double best = m[0], bi = ix[0];
        for (int l = 1; l < w; l++)
            if (m[l] < best || (m[l] == best && ix[l] < bi)) { best = m[l]; bi = ix[l]; }
        return (int)bi;
    }
    static inline int fm_lane_argmin_s(const float *m, const float *ix, int w) {
        float best = m[0], bi = ix[0];
        for (int l = 1; l < w; l++)
            if (m[l] < best || (m[l] == best && ix[l] < bi)) { best = m[l]; bi = ix[l]; }
        return (int)bi;
    }

    /* R rows of X (row stride d) against all kpad centers.  CT is d x kpad:
       -2 * centers transposed, zero-padded; cn is ||c||^2, +inf in the pad.
       Lane l of the running minimum holds centers l, l+W, ... in increasing
       order, strict < keeps the first of equal values, and the final lane
       reduction breaks ties by index: the result is the first argmin, as
       scikit-learn's scan. */
    #define FM_DEFINE_BLOCK_D(R)                                                  \\
    FM_AVX2_FMA static inline void fm_block##R##_d(                               \\
            const double *X, int d, const double *CT, const double *cn,           \\
            int kpad, int *labels) {                                              \\
        __m256d minv[R], idxv[R];                                                 \\
        const __m256d step = _mm256_set1_pd(4.0);                                 \\
        __m256d i0 = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);                          \\
        for (int jb = 0; jb < kpad; jb += 8) {                                    \\
            __m256d a0[R], a1[R];                                                 \\
            for (int r = 0; r < R; r++) {                                         \\
                a0[r] = _mm256_setzero_pd(); a1[r] = _mm256_setzero_pd(); }       \\
            const double *c = CT + jb;                                            \\
            for (int f = 0; f < d; f++, c += kpad) {                              \\
                __m256d c0 = _mm256_loadu_pd(c), c1 = _mm256_loadu_pd(c + 4);     \\
                for (int r = 0; r < R; r++) {                                     \\
                    __m256d xb = _mm256_broadcast_sd(X + (size_t)r * d + f);      \\
                    a0[r] = _mm256_fmadd_pd(xb, c0, a0[r]);                       \\
                    a1[r] = _mm256_fmadd_pd(xb, c1, a1[r]);                       \\
                }                                                                 \\
            }                                                                     \\
            __m256d n0 = _mm256_loadu_pd(cn + jb), n1 = _mm256_loadu_pd(cn + jb + 4); \\
            __m256d i1 = _mm256_add_pd(i0, step);                                 \\
            for (int r = 0; r < R; r++) {                                         \\
                __m256d v0 = _mm256_add_pd(n0, a0[r]);                            \\
                __m256d v1 = _mm256_add_pd(n1, a1[r]);                            \\
                if (jb == 0) { minv[r] = v0; idxv[r] = i0; }                      \\
                else {                                                            \\
                    __m256d lt = _mm256_cmp_pd(v0, minv[r], _CMP_LT_OQ);          \\
                    minv[r] = _mm256_blendv_pd(minv[r], v0, lt);                  \\
                    idxv[r] = _mm256_blendv_pd(idxv[r], i0, lt);                  \\
                }                                                                 \\
                __m256d lt = _mm256_cmp_pd(v1, minv[r], _CMP_LT_OQ);              \\
                minv[r] = _mm256_blendv_pd(minv[r], v1, lt);                      \\
                idxv[r] = _mm256_blendv_pd(idxv[r], i1, lt);                      \\
            }                                                                     \\
            i0 = _mm256_add_pd(i1, step);                                         \\
        }                                                                         \\
        for (int r = 0; r < R; r++) {                                             \\
            double m[4], ix[4];                                                   \\
            _mm256_storeu_pd(m, minv[r]); _mm256_storeu_pd(ix, idxv[r]);          \\
            labels[r] = fm_lane_argmin_d(m, ix, 4);                               \\
        }                                                                         \\
    }

    #define FM_DEFINE_BLOCK_S(R)                                                  \\
    FM_AVX2_FMA static inline void fm_block##R##_s(                               \\
            const float *X, int d, const float *CT, const float *cn,              \\
            int kpad, int *labels) {                                              \\
        __m256 minv[R], idxv[R];                                                  \\
        const __m256 step = _mm256_set1_ps(8.0f);                                 \\
        __m256 i0 = _mm256_setr_ps(0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f);        \\
        for (int jb = 0; jb < kpad; jb += 16) {                                   \\
            __m256 a0[R], a1[R];                                                  \\
            for (int r = 0; r < R; r++) {                                         \\
                a0[r] = _mm256_setzero_ps(); a1[r] = _mm256_setzero_ps(); }       \\
            const float *c = CT + jb;                                             \\
            for (int f = 0; f < d; f++, c += kpad) {                              \\
                __m256 c0 = _mm256_loadu_ps(c), c1 = _mm256_loadu_ps(c + 8);      \\
                for (int r = 0; r < R; r++) {                                     \\
                    __m256 xb = _mm256_broadcast_ss(X + (size_t)r * d + f);       \\
                    a0[r] = _mm256_fmadd_ps(xb, c0, a0[r]);                       \\
                    a1[r] = _mm256_fmadd_ps(xb, c1, a1[r]);                       \\
                }                                                                 \\
            }                                                                     \\
            __m256 n0 = _mm256_loadu_ps(cn + jb), n1 = _mm256_loadu_ps(cn + jb + 8); \\
            __m256 i1 = _mm256_add_ps(i0, step);                                  \\
            for (int r = 0; r < R; r++) {                                         \\
                __m256 v0 = _mm256_add_ps(n0, a0[r]);                             \\
                __m256 v1 = _mm256_add_ps(n1, a1[r]);                             \\
                if (jb == 0) { minv[r] = v0; idxv[r] = i0; }                      \\
                else {                                                            \\
                    __m256 lt = _mm256_cmp_ps(v0, minv[r], _CMP_LT_OQ);           \\
                    minv[r] = _mm256_blendv_ps(minv[r], v0, lt);                  \\
                    idxv[r] = _mm256_blendv_ps(idxv[r], i0, lt);                  \\
                }                                                                 \\
                __m256 lt = _mm256_cmp_ps(v1, minv[r], _CMP_LT_OQ);               \\
                minv[r] = _mm256_blendv_ps(minv[r], v1, lt);                      \\
                idxv[r] = _mm256_blendv_ps(idxv[r], i1, lt);                      \\
            }                                                                     \\
            i0 = _mm256_add_ps(i1, step);                                         \\
        }                                                                         \\
        for (int r = 0; r < R; r++) {                                             \\
            float m[8], ix[8];                                                    \\
            _mm256_storeu_ps(m, minv[r]); _mm256_storeu_ps(ix, idxv[r]);          \\
            labels[r] = fm_lane_argmin_s(m, ix, 8);                               \\
        }                                                                         \\
    }

    FM_DEFINE_BLOCK_D(4)
    FM_DEFINE_BLOCK_D(1)
    FM_DEFINE_BLOCK_S(4)
    FM_DEFINE_BLOCK_S(1)

    /* Scores ||c||^2 - 2 x.c (same arithmetic as the blocks above) of the
       m rows X[idx[r]] against all kpad centers, written to out[r * kpad + j]:
       the pruned passes recompute only the rows their bounds cannot settle,
       gathered by index, and need the best and second-best score. */
    #define FM_DEFINE_SCORES_D(R)                                                 \\
    FM_AVX2_FMA static inline void fm_scores##R##_d(                              \\
            const double *X, const int *idx, int d, const double *CT,             \\
            const double *cn, int kpad, double *out) {                            \\
        const double *xr[R];                                                      \\
        for (int r = 0; r < R; r++) xr[r] = X + (size_t)idx[r] * d;               \\
        for (int jb = 0; jb < kpad; jb += 8) {                                    \\
            __m256d a0[R], a1[R];                                                 \\
            for (int r = 0; r < R; r++) {                                         \\
                a0[r] = _mm256_setzero_pd(); a1[r] = _mm256_setzero_pd(); }       \\
            const double *c = CT + jb;                                            \\
            for (int f = 0; f < d; f++, c += kpad) {                              \\
                __m256d c0 = _mm256_loadu_pd(c), c1 = _mm256_loadu_pd(c + 4);     \\
                for (int r = 0; r < R; r++) {                                     \\
                    __m256d xb = _mm256_broadcast_sd(xr[r] + f);                  \\
                    a0[r] = _mm256_fmadd_pd(xb, c0, a0[r]);                       \\
                    a1[r] = _mm256_fmadd_pd(xb, c1, a1[r]);                       \\
                }                                                                 \\
            }                                                                     \\
            __m256d n0 = _mm256_loadu_pd(cn + jb), n1 = _mm256_loadu_pd(cn + jb + 4); \\
            for (int r = 0; r < R; r++) {                                         \\
                _mm256_storeu_pd(out + (size_t)r * kpad + jb, _mm256_add_pd(n0, a0[r]));     \\
                _mm256_storeu_pd(out + (size_t)r * kpad + jb + 4, _mm256_add_pd(n1, a1[r])); \\
            }                                                                     \\
        }                                                                         \\
    }
    #define FM_DEFINE_SCORES_S(R)                                                 \\
    FM_AVX2_FMA static inline void fm_scores##R##_s(                              \\
            const float *X, const int *idx, int d, const float *CT,               \\
            const float *cn, int kpad, float *out) {                              \\
        const float *xr[R];                                                       \\
        for (int r = 0; r < R; r++) xr[r] = X + (size_t)idx[r] * d;               \\
        for (int jb = 0; jb < kpad; jb += 16) {                                   \\
            __m256 a0[R], a1[R];                                                  \\
            for (int r = 0; r < R; r++) {                                         \\
                a0[r] = _mm256_setzero_ps(); a1[r] = _mm256_setzero_ps(); }       \\
            const float *c = CT + jb;                                             \\
            for (int f = 0; f < d; f++, c += kpad) {                              \\
                __m256 c0 = _mm256_loadu_ps(c), c1 = _mm256_loadu_ps(c + 8);      \\
                for (int r = 0; r < R; r++) {                                     \\
                    __m256 xb = _mm256_broadcast_ss(xr[r] + f);                   \\
                    a0[r] = _mm256_fmadd_ps(xb, c0, a0[r]);                       \\
                    a1[r] = _mm256_fmadd_ps(xb, c1, a1[r]);                       \\
                }                                                                 \\
            }                                                                     \\
            __m256 n0 = _mm256_loadu_ps(cn + jb), n1 = _mm256_loadu_ps(cn + jb + 8); \\
            for (int r = 0; r < R; r++) {                                         \\
                _mm256_storeu_ps(out + (size_t)r * kpad + jb, _mm256_add_ps(n0, a0[r]));     \\
                _mm256_storeu_ps(out + (size_t)r * kpad + jb + 8, _mm256_add_ps(n1, a1[r])); \\
            }                                                                     \\
        }                                                                         \\
    }

    FM_DEFINE_SCORES_D(4)
    FM_DEFINE_SCORES_D(1)
    FM_DEFINE_SCORES_S(4)
    FM_DEFINE_SCORES_S(1)

    /* As the scores above, but reduced in registers to what the bounds need:
       the first argmin (lab), its score (b1) and the runner-up score (b2).
       Lane l tracks centers l, l+W, ... in increasing order: its minimum
       (strict <, so the first), index and second smallest; the lanes are then
       reduced with ties broken by index, as scikit-learn's scan. */
    #define FM_DEFINE_BEST2(SUF, T, V, W, SET1, SETR, ADD, MIN, MAX, CMPLT, BLEND, \\
                            LOADU, STOREU, BCAST, FMADD, ZERO, STEPV)             \\
    FM_AVX2_FMA static inline void fm_best2_##SUF(                                \\
            const T *X, const int *idx, int d, const T *CT, const T *cn,          \\
            int kpad, int *lab, T *b1, T *b2) {                                   \\
        const T *xr[4];                                                           \\
        V minv[4], secv[4], idxv[4];                                              \\
        const V step = SET1((T)W), inf = SET1((T)INFINITY);                       \\
        V i0 = SETR;                                                              \\
        for (int r = 0; r < 4; r++) {                                             \\
            xr[r] = X + (size_t)idx[r] * d;                                       \\
            minv[r] = inf; secv[r] = inf; idxv[r] = i0; }                         \\
        for (int jb = 0; jb < kpad; jb += 2 * W) {                                \\
            V a0[4], a1[4];                                                       \\
            for (int r = 0; r < 4; r++) { a0[r] = ZERO(); a1[r] = ZERO(); }       \\
            const T *c = CT + jb;                                                 \\
            for (int f = 0; f < d; f++, c += kpad) {                              \\
                V c0 = LOADU(c), c1 = LOADU(c + W);                               \\
                for (int r = 0; r < 4; r++) {                                     \\
                    V xb = BCAST(xr[r] + f);                                      \\
                    a0[r] = FMADD(xb, c0, a0[r]);                                 \\
                    a1[r] = FMADD(xb, c1, a1[r]);                                 \\
                }                                                                 \\
            }                                                                     \\
            V n0 = LOADU(cn + jb), n1 = LOADU(cn + jb + W);                       \\
            V i1 = ADD(i0, step);                                                 \\
            for (int r = 0; r < 4; r++) {                                         \\
                V v = ADD(n0, a0[r]);                                             \\
                secv[r] = MIN(secv[r], MAX(minv[r], v));                          \\
                V lt = CMPLT(v, minv[r]);                                         \\
                minv[r] = BLEND(minv[r], v, lt);                                  \\
                idxv[r] = BLEND(idxv[r], i0, lt);                                 \\
                v = ADD(n1, a1[r]);                                               \\
                secv[r] = MIN(secv[r], MAX(minv[r], v));                          \\
                lt = CMPLT(v, minv[r]);                                           \\
                minv[r] = BLEND(minv[r], v, lt);                                  \\
                idxv[r] = BLEND(idxv[r], i1, lt);                                 \\
            }                                                                     \\
            i0 = ADD(i1, step);                                                   \\
        }                                                                         \\
        for (int r = 0; r < 4; r++) {                                             \\
            T m[W], sc[W], ix[W];                                                 \\
            STOREU(m, minv[r]); STOREU(sc, secv[r]); STOREU(ix, idxv[r]);         \\
            int L = 0;                                                            \\
            for (int l = 1; l < W; l++)                                           \\
                if (m[l] < m[L] || (m[l] == m[L] && ix[l] < ix[L])) L = l;        \\
            T sec = (T)INFINITY;                                                  \\
            for (int l = 0; l < W; l++) {                                         \\
                if (sc[l] < sec) sec = sc[l];                                     \\
                if (l != L && m[l] < sec) sec = m[l];                             \\
            }                                                                     \\
            lab[r] = (int)ix[L]; b1[r] = m[L]; b2[r] = sec;                       \\
        }                                                                         \\
    }
    #define FM_CMPLT_PD(a, b) _mm256_cmp_pd(a, b, _CMP_LT_OQ)
    #define FM_CMPLT_PS(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
    FM_DEFINE_BEST2(d, double, __m256d, 4, _mm256_set1_pd, _mm256_setr_pd(0.0, 1.0, 2.0, 3.0),
                    _mm256_add_pd, _mm256_min_pd, _mm256_max_pd, FM_CMPLT_PD, _mm256_blendv_pd,
                    _mm256_loadu_pd, _mm256_storeu_pd, _mm256_broadcast_sd, _mm256_fmadd_pd,
                    _mm256_setzero_pd, 0)
    FM_DEFINE_BEST2(s, float, __m256, 8, _mm256_set1_ps,
                    _mm256_setr_ps(0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f),
                    _mm256_add_ps, _mm256_min_ps, _mm256_max_ps, FM_CMPLT_PS, _mm256_blendv_ps,
                    _mm256_loadu_ps, _mm256_storeu_ps, _mm256_broadcast_ss, _mm256_fmadd_ps,
                    _mm256_setzero_ps, 0)

    /* m rows gathered by idx; the tail repeats the last row (results unused). */
    #define FM_DEFINE_BEST2_ALL(SUF, T)                                           \\
    FM_AVX2_FMA static void fm_best2_avx2_##SUF(const T *X, const int *idx, int m, \\
            int d, const T *CT, const T *cn, int kpad, int *lab, T *b1, T *b2) {  \\
        int r = 0;                                                                \\
        for (; r + 4 <= m; r += 4)                                                \\
            fm_best2_##SUF(X, idx + r, d, CT, cn, kpad, lab + r, b1 + r, b2 + r); \\
        if (r < m) {                                                              \\
            int ti[4], tl[4]; T t1[4], t2[4];                                     \\
            for (int q = 0; q < 4; q++) ti[q] = idx[r + (r + q < m ? q : m - 1 - r)]; \\
            fm_best2_##SUF(X, ti, d, CT, cn, kpad, tl, t1, t2);                   \\
            for (int q = 0; r + q < m; q++) {                                     \\
                lab[r + q] = tl[q]; b1[r + q] = t1[q]; b2[r + q] = t2[q]; }       \\
        }                                                                         \\
    }
    FM_DEFINE_BEST2_ALL(d, double)
    FM_DEFINE_BEST2_ALL(s, float)

    FM_AVX2_FMA static void fm_scores_avx2_d(const double *X, const int *idx, int m, int d,
            const double *CT, const double *cn, int kpad, double *out) {
        int r = 0;
        for (; r + 4 <= m; r += 4) fm_scores4_d(X, idx + r, d, CT, cn, kpad, out + (size_t)r * kpad);
        for (; r < m; r++) fm_scores1_d(X, idx + r, d, CT, cn, kpad, out + (size_t)r * kpad);
    }
    FM_AVX2_FMA static void fm_scores_avx2_s(const float *X, const int *idx, int m, int d,
            const float *CT, const float *cn, int kpad, float *out) {
        int r = 0;
        for (; r + 4 <= m; r += 4) fm_scores4_s(X, idx + r, d, CT, cn, kpad, out + (size_t)r * kpad);
        for (; r < m; r++) fm_scores1_s(X, idx + r, d, CT, cn, kpad, out + (size_t)r * kpad);
    }

    /* Euclidean distances of one row x to kpad centers (CT: centers
       transposed, d x kpad), lane j computing exactly the scalar
       _euclidean_dense_dense(x, c_j): per group of 4 features
       ((p0 + p1) + p2) + p3 added to the running sum, then the tail one by
       one, then a correctly rounded sqrt.  Compiled for AVX without FMA so
       that no multiply-add is contracted: each distance is bit-identical to
       the scalar one (and to scikit-learn's elkan). */
    #define FM_AVX_NOFMA __attribute__((target("avx")))
    FM_AVX_NOFMA static void fm_dist_row_avx_d(const double *x, int d,
            const double *CT, int kpad, double *out) {
        for (int jb = 0; jb < kpad; jb += 4) {
            __m256d acc = _mm256_setzero_pd();
            const double *c = CT + jb;
            int f = 0;
            for (; f + 4 <= d; f += 4) {
                __m256d t0 = _mm256_sub_pd(_mm256_broadcast_sd(x + f), _mm256_loadu_pd(c + (size_t)f * kpad));
                __m256d t1 = _mm256_sub_pd(_mm256_broadcast_sd(x + f + 1), _mm256_loadu_pd(c + (size_t)(f + 1) * kpad));
                __m256d t2 = _mm256_sub_pd(_mm256_broadcast_sd(x + f + 2), _mm256_loadu_pd(c + (size_t)(f + 2) * kpad));
                __m256d t3 = _mm256_sub_pd(_mm256_broadcast_sd(x + f + 3), _mm256_loadu_pd(c + (size_t)(f + 3) * kpad));
                __m256d p = _mm256_mul_pd(t0, t0);
                p = _mm256_add_pd(p, _mm256_mul_pd(t1, t1));
                p = _mm256_add_pd(p, _mm256_mul_pd(t2, t2));
                p = _mm256_add_pd(p, _mm256_mul_pd(t3, t3));
                acc = _mm256_add_pd(acc, p);
            }
            for (; f < d; f++) {
                __m256d t = _mm256_sub_pd(_mm256_broadcast_sd(x + f), _mm256_loadu_pd(c + (size_t)f * kpad));
                acc = _mm256_add_pd(acc, _mm256_mul_pd(t, t));
            }
            _mm256_storeu_pd(out + jb, _mm256_sqrt_pd(acc));
        }
    }
    FM_AVX_NOFMA static void fm_dist_row_avx_s(const float *x, int d,
            const float *CT, int kpad, float *out) {
        for (int jb = 0; jb < kpad; jb += 8) {
            __m256 acc = _mm256_setzero_ps();
            const float *c = CT + jb;
            int f = 0;
            for (; f + 4 <= d; f += 4) {
                __m256 t0 = _mm256_sub_ps(_mm256_broadcast_ss(x + f), _mm256_loadu_ps(c + (size_t)f * kpad));
                __m256 t1 = _mm256_sub_ps(_mm256_broadcast_ss(x + f + 1), _mm256_loadu_ps(c + (size_t)(f + 1) * kpad));
                __m256 t2 = _mm256_sub_ps(_mm256_broadcast_ss(x + f + 2), _mm256_loadu_ps(c + (size_t)(f + 2) * kpad));
                __m256 t3 = _mm256_sub_ps(_mm256_broadcast_ss(x + f + 3), _mm256_loadu_ps(c + (size_t)(f + 3) * kpad));
                __m256 p = _mm256_mul_ps(t0, t0);
                p = _mm256_add_ps(p, _mm256_mul_ps(t1, t1));
                p = _mm256_add_ps(p, _mm256_mul_ps(t2, t2));
                p = _mm256_add_ps(p, _mm256_mul_ps(t3, t3));
                acc = _mm256_add_ps(acc, p);
            }
            for (; f < d; f++) {
                __m256 t = _mm256_sub_ps(_mm256_broadcast_ss(x + f), _mm256_loadu_ps(c + (size_t)f * kpad));
                acc = _mm256_add_ps(acc, _mm256_mul_ps(t, t));
            }
            _mm256_storeu_ps(out + jb, _mm256_sqrt_ps(acc));
        }
    }

    /* 8 rows X[idx[0..7]] (float32, row stride d) into lanes: xt[ls * f + q]
       = row q, feature f (ls = 8, or 16 to interleave two such blocks). */
    FM_AVX2_FMA static inline void fm_rows_to_lanes_s(const float *X, const int *idx, int d,
                                                      float *xt, int ls) {
        const float *r[8];
        for (int q = 0; q < 8; q++) r[q] = X + (size_t)idx[q] * d;
        int f = 0;
        for (; f + 8 <= d; f += 8) {
            __m256 a0 = _mm256_loadu_ps(r[0] + f), a1 = _mm256_loadu_ps(r[1] + f);
            __m256 a2 = _mm256_loadu_ps(r[2] + f), a3 = _mm256_loadu_ps(r[3] + f);
            __m256 a4 = _mm256_loadu_ps(r[4] + f), a5 = _mm256_loadu_ps(r[5] + f);
            __m256 a6 = _mm256_loadu_ps(r[6] + f), a7 = _mm256_loadu_ps(r[7] + f);
            __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
            __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
            __m256 t4 = _mm256_unpacklo_ps(a4, a5), t5 = _mm256_unpackhi_ps(a4, a5);
            __m256 t6 = _mm256_unpacklo_ps(a6, a7), t7 = _mm256_unpackhi_ps(a6, a7);
            __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *o = xt + (size_t)ls * f;
            _mm256_store_ps(o, _mm256_permute2f128_ps(s0, s4, 0x20));
            _mm256_store_ps(o + ls, _mm256_permute2f128_ps(s1, s5, 0x20));
            _mm256_store_ps(o + 2 * ls, _mm256_permute2f128_ps(s2, s6, 0x20));
            _mm256_store_ps(o + 3 * ls, _mm256_permute2f128_ps(s3, s7, 0x20));
            _mm256_store_ps(o + 4 * ls, _mm256_permute2f128_ps(s0, s4, 0x31));
            _mm256_store_ps(o + 5 * ls, _mm256_permute2f128_ps(s1, s5, 0x31));
            _mm256_store_ps(o + 6 * ls, _mm256_permute2f128_ps(s2, s6, 0x31));
            _mm256_store_ps(o + 7 * ls, _mm256_permute2f128_ps(s3, s7, 0x31));
        }
        for (; f < d; f++)
            for (int q = 0; q < 8; q++) xt[(size_t)ls * f + q] = r[q][f];
    }

    /* 8 rows in lanes against kpad centers (CT = -2 C^T, d x kpad, kpad a
       multiple of 8; cn = ||c||^2, +inf in the pad): per row the first argmin of
       ||c||^2 - 2 x.c, its value and the runner-up value.  Each score is one FMA
       chain over the features from 0, then + ||c||^2: the arithmetic of the
       centers-in-lanes kernels above (and of OpenBLAS' sgemm kernel). */
    FM_AVX2_FMA static inline void fm_screen8_s(const float *xt, int d, const float *CT,
                                                const float *cn, int kpad, int *lab,
                                                float *b1, float *b2, float *x2) {
        __m256 best = _mm256_set1_ps(INFINITY), sec = best, bi = _mm256_setzero_ps();
        __m256 xx = _mm256_setzero_ps();
        for (int f = 0; f < d; f++) {
            __m256 x = _mm256_load_ps(xt + 8 * f);
            xx = _mm256_fmadd_ps(x, x, xx);
        }
        _mm256_storeu_ps(x2, xx);
        for (int jb = 0; jb < kpad; jb += 8) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            __m256 a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            const float *c = CT + jb;
            for (int f = 0; f < d; f++, c += kpad) {
                __m256 x = _mm256_load_ps(xt + 8 * f);
                a0 = _mm256_fmadd_ps(x, _mm256_broadcast_ss(c + 0), a0);
                a1 = _mm256_fmadd_ps(x, _mm256_broadcast_ss(c + 1), a1);
                a2 = _mm256_fmadd_ps(x, _mm256_broadcast_ss(c + 2), a2);
                a3 = _mm256_fmadd_ps(x, _mm256_broadcast_ss(c + 3), a3);
                a4 = _mm256_fmadd_ps(x, _mm256_broadcast_ss(c + 4), a4);
                a5 = _mm256_fmadd_ps(x, _mm256_broadcast_ss(c + 5), a5);
                a6 = _mm256_fmadd_ps(x, _mm256_broadcast_ss(c + 6), a6);
                a7 = _mm256_fmadd_ps(x, _mm256_broadcast_ss(c + 7), a7);
            }
            __m256 acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
            for (int g = 0; g < 8; g++) {
                __m256 v = _mm256_add_ps(_mm256_broadcast_ss(cn + jb + g), acc[g]);
                sec = _mm256_min_ps(sec, _mm256_max_ps(best, v));
                __m256 lt = _mm256_cmp_ps(v, best, _CMP_LT_OQ);
                best = _mm256_blendv_ps(best, v, lt);
                bi = _mm256_blendv_ps(bi, _mm256_set1_ps((float)(jb + g)), lt);
            }
        }
        _mm256_storeu_si256((__m256i *)lab, _mm256_cvttps_epi32(bi));
        _mm256_storeu_ps(b1, best);
        _mm256_storeu_ps(b2, sec);
    }

    /* As fm_screen8_s for 16 rows, two vectors of 8 in the lanes (xt16[16 f
       + 8 v + q] = row 8 v + q), against 4 centers at a time: half the
       broadcasts per FMA.  Same arithmetic, lane by lane. */
    FM_AVX2_FMA static inline void fm_screen16_s(const float *xt, int d, const float *CT,
                                                 const float *cn, int kpad, int *lab,
                                                 float *b1, float *b2, float *x2) {
        __m256 best0 = _mm256_set1_ps(INFINITY), sec0 = best0, bi0 = _mm256_setzero_ps();
        __m256 best1 = best0, sec1 = best0, bi1 = bi0;
        __m256 xx0 = _mm256_setzero_ps(), xx1 = xx0;
        for (int f = 0; f < d; f++) {
            __m256 x0 = _mm256_load_ps(xt + 16 * f), x1 = _mm256_load_ps(xt + 16 * f + 8);
            xx0 = _mm256_fmadd_ps(x0, x0, xx0);
            xx1 = _mm256_fmadd_ps(x1, x1, xx1);
        }
        _mm256_storeu_ps(x2, xx0);
        _mm256_storeu_ps(x2 + 8, xx1);
        for (int jb = 0; jb < kpad; jb += 4) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            __m256 c0 = a0, c1 = a0, c2 = a0, c3 = a0;
            const float *c = CT + jb;
            for (int f = 0; f < d; f++, c += kpad) {
                __m256 x0 = _mm256_load_ps(xt + 16 * f), x1 = _mm256_load_ps(xt + 16 * f + 8);
                __m256 w = _mm256_broadcast_ss(c + 0);
                a0 = _mm256_fmadd_ps(x0, w, a0); c0 = _mm256_fmadd_ps(x1, w, c0);
                w = _mm256_broadcast_ss(c + 1);
                a1 = _mm256_fmadd_ps(x0, w, a1); c1 = _mm256_fmadd_ps(x1, w, c1);
                w = _mm256_broadcast_ss(c + 2);
                a2 = _mm256_fmadd_ps(x0, w, a2); c2 = _mm256_fmadd_ps(x1, w, c2);
                w = _mm256_broadcast_ss(c + 3);
                a3 = _mm256_fmadd_ps(x0, w, a3); c3 = _mm256_fmadd_ps(x1, w, c3);
            }
            __m256 acc0[4] = {a0, a1, a2, a3}, acc1[4] = {c0, c1, c2, c3};
            for (int g = 0; g < 4; g++) {
                __m256 nb = _mm256_broadcast_ss(cn + jb + g), jv = _mm256_set1_ps((float)(jb + g));
                __m256 v = _mm256_add_ps(nb, acc0[g]);
                sec0 = _mm256_min_ps(sec0, _mm256_max_ps(best0, v));
                __m256 lt = _mm256_cmp_ps(v, best0, _CMP_LT_OQ);
                best0 = _mm256_blendv_ps(best0, v, lt);
                bi0 = _mm256_blendv_ps(bi0, jv, lt);
                v = _mm256_add_ps(nb, acc1[g]);
                sec1 = _mm256_min_ps(sec1, _mm256_max_ps(best1, v));
                lt = _mm256_cmp_ps(v, best1, _CMP_LT_OQ);
                best1 = _mm256_blendv_ps(best1, v, lt);
                bi1 = _mm256_blendv_ps(bi1, jv, lt);
            }
        }
        _mm256_storeu_si256((__m256i *)lab, _mm256_cvttps_epi32(bi0));
        _mm256_storeu_si256((__m256i *)(lab + 8), _mm256_cvttps_epi32(bi1));
        _mm256_storeu_ps(b1, best0);
        _mm256_storeu_ps(b1 + 8, best1);
        _mm256_storeu_ps(b2, sec0);
        _mm256_storeu_ps(b2 + 8, sec1);
    }

    /* The m rows X[idx[r]] (ascending), 16 then 8 at a time; the tail block
       repeats the last row (results unused).  xt: scratch of 16 * d floats,
       32-byte aligned; kpad a multiple of 8 (so of 4 for fm_screen16_s). */
    /* Prefetch the rows X[idx[a..b)] (row stride d floats): first and last
       byte, one cache line each for 64-byte aligned rows of 16 floats. */
    static inline void fm_prefetch_rows_s(const float *X, const int *idx, int a, int b, int d) {
        for (int q = a; q < b; q++) {
            fm_prefetch(X + (size_t)idx[q] * d);
            fm_prefetch(X + (size_t)idx[q] * d + d - 1);
        }
    }

    /* Rows are prefetched FM_SCREEN_AHEAD ahead of their block: spread over
       the screen's arithmetic, the fetches overlap it (fm_bounds_test only
       prefetches the first ones). */
    #define FM_SCREEN_AHEAD 32
    #define FM_BOUNDS_AHEAD 256
    FM_AVX2_FMA static void fm_screen_avx2_s(const float *X, const int *idx, int m, int d,
                                             const float *CT, const float *cn, int kpad,
                                             int *lab, float *b1, float *b2, float *x2,
                                             float *xt) {
        int r = 0;
        for (; r + 16 <= m; r += 16) {
            fm_prefetch_rows_s(X, idx, r + FM_SCREEN_AHEAD < m ? r + FM_SCREEN_AHEAD : m,
                               r + FM_SCREEN_AHEAD + 16 < m ? r + FM_SCREEN_AHEAD + 16 : m, d);
            fm_rows_to_lanes_s(X, idx + r, d, xt, 16);
            fm_rows_to_lanes_s(X, idx + r + 8, d, xt + 8, 16);
            fm_screen16_s(xt, d, CT, cn, kpad, lab + r, b1 + r, b2 + r, x2 + r);
        }
        for (; r + 8 <= m; r += 8) {
            fm_rows_to_lanes_s(X, idx + r, d, xt, 8);
            fm_screen8_s(xt, d, CT, cn, kpad, lab + r, b1 + r, b2 + r, x2 + r);
        }
        if (r < m) {
            int ti[8], tl[8];
            float t1[8], t2[8], t3[8];
            for (int q = 0; q < 8; q++) ti[q] = idx[r + q < m ? r + q : m - 1];
            fm_rows_to_lanes_s(X, ti, d, xt, 8);
            fm_screen8_s(xt, d, CT, cn, kpad, tl, t1, t2, t3);
            for (int q = 0; r + q < m; q++) {
                lab[r + q] = tl[q]; b1[r + q] = t1[q]; b2[r + q] = t2[q]; x2[r + q] = t3[q]; }
        }
    }

    /* What the screen's scores give, 4 rows at a time in double lanes (the
       scalar expressions of _kmeans_pruned, lane by lane):
         x2' = x2 (1 + e_x),  e = e_coef (x2' + c2max) + e_x x2 + e_abs,
         hi = s1 + x2 + e,  lo = s2 + x2 - e,  u = sqrt(max(hi, 0)),
         l = sqrt(max(lo, 0)), stored relative to the cumulative moves of the
         new label j (see fm_bounds_test), rounded outwards to float32:
         ub = float(u - cs[j] + (u + cs[j]) 2^-22 + flt_min),
         lb = float(l + cm[j] - (l + cm[j]) 2^-22 - flt_min),
         ok = mode 2: 1;  mode 1 (elkan): lo el_lo > hi el_hi;
              mode 0 (lloyd): s2 - s1 > 2 (e + err).
       m is rounded up to 4: the arrays need 3 spare entries. */
    FM_AVX2_FMA static void fm_screen_bounds(
            int m, const float *b1, const float *b2, const float *x2, const int *lab,
            double e_coef, double e_x, double e_abs, double c2max, double err,
            int mode, double el_lo, double el_hi, const double *cs, const double *cm,
            double rel, double flt_min, float *ub, float *lb, int *ok) {
        const __m256d zero = _mm256_setzero_pd(), one_ex = _mm256_set1_pd(1 + e_x);
        const __m256d vec = _mm256_set1_pd(e_coef), vex = _mm256_set1_pd(e_x);
        const __m256d vabs = _mm256_set1_pd(e_abs), vc2 = _mm256_set1_pd(c2max);
        const __m256d verr = _mm256_set1_pd(err), two = _mm256_set1_pd(2.0);
        const __m256d vlo = _mm256_set1_pd(el_lo), vhi = _mm256_set1_pd(el_hi);
        const __m256d vrel = _mm256_set1_pd(rel), vmin = _mm256_set1_pd(flt_min);
        for (int r = 0; r < m; r += 4) {
            __m256d s1 = _mm256_cvtps_pd(_mm_loadu_ps(b1 + r));
            __m256d s2 = _mm256_cvtps_pd(_mm_loadu_ps(b2 + r));
            __m256d xx = _mm256_cvtps_pd(_mm_loadu_ps(x2 + r));
            /* lanes past m hold garbage labels: clamp the gather index */
            __m128i j = _mm_loadu_si128((const __m128i *)(lab + r));
            __m128i live = _mm_cmplt_epi32(_mm_add_epi32(_mm_set1_epi32(r), _mm_setr_epi32(0, 1, 2, 3)),
                                           _mm_set1_epi32(m));
            j = _mm_and_si128(j, live);
            __m256d e = _mm256_add_pd(_mm256_add_pd(
                _mm256_mul_pd(vec, _mm256_add_pd(_mm256_mul_pd(xx, one_ex), vc2)),
                _mm256_mul_pd(vex, xx)), vabs);
            __m256d hi = _mm256_add_pd(_mm256_add_pd(s1, xx), e);
            __m256d lo = _mm256_sub_pd(_mm256_add_pd(s2, xx), e);
            __m256d u = _mm256_sqrt_pd(_mm256_max_pd(hi, zero));
            __m256d l = _mm256_sqrt_pd(_mm256_max_pd(lo, zero));
            __m256d csj = _mm256_i32gather_pd(cs, j, 8), cmj = _mm256_i32gather_pd(cm, j, 8);
            __m256d U = _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(u, csj),
                                                    _mm256_mul_pd(_mm256_add_pd(u, csj), vrel)), vmin);
            __m256d L0 = _mm256_add_pd(l, cmj);
            __m256d L = _mm256_sub_pd(_mm256_sub_pd(L0, _mm256_mul_pd(L0, vrel)), vmin);
            _mm_storeu_ps(ub + r, _mm256_cvtpd_ps(U));
            _mm_storeu_ps(lb + r, _mm256_cvtpd_ps(L));
            __m256d k;
            if (mode == 2) k = _mm256_cmp_pd(zero, zero, _CMP_EQ_OQ);
            else if (mode == 1)
                k = _mm256_cmp_pd(_mm256_mul_pd(lo, vlo), _mm256_mul_pd(hi, vhi), _CMP_GT_OQ);
            else
                k = _mm256_cmp_pd(_mm256_sub_pd(s2, s1), _mm256_mul_pd(two, _mm256_add_pd(e, verr)), _CMP_GT_OQ);
            int bits = _mm256_movemask_pd(k);
            ok[r] = bits & 1; ok[r + 1] = (bits >> 1) & 1; ok[r + 2] = (bits >> 2) & 1; ok[r + 3] = (bits >> 3) & 1;
        }
    }

    /* Hamerly's test of samples [start, end), 8 at a time in float32 lanes.
       The stored bounds are relative to the cumulative moves of the sample's
       center, so no stamp is needed; per label a, float32 tables (see
       _kmeans_pruned._bounds_tables) tu[a] >= cum_shift + slack, tl[a] >=
       cum_max + slack, hm[a] <= 2 half_min - slack (rounded outwards).  A
       sample is kept (not listed) iff LOW > U F + A with U = upper + tu[a],
       LOW = max(lower - tl[a], hm[a] - U), F > (1 + g) / (1 - g) and A >
       sqrt(err25) by relative pads that cover every float32 rounding here:
       then the exact bounds u, low satisfy low (1 - g) > u (1 + g) and
       (low - u)(low + u) > err25, the double test's conditions (proof at
       _bounds_tables).  The indices
       of the listed samples are appended to idx in ascending order (idx needs
       4 spare entries) and the rows of X (row_bytes each) of the first
       FM_SCREEN_AHEAD prefetched (the screen prefetches the others).  Tables
       of at most 16 labels live in registers, larger ones are gathered.
       Returns the number listed. */
    static const signed char fm_compact_lut[16][4] = {
        {-1,-1,-1,-1}, {0,-1,-1,-1}, {1,-1,-1,-1}, {0,1,-1,-1},
        {2,-1,-1,-1}, {0,2,-1,-1}, {1,2,-1,-1}, {0,1,2,-1},
        {3,-1,-1,-1}, {0,3,-1,-1}, {1,3,-1,-1}, {0,1,3,-1},
        {2,3,-1,-1}, {0,2,3,-1}, {1,2,3,-1}, {0,1,2,3}};
    static inline int fm_keep32(int a, float up, float lw, const float *tu, const float *tl,
                                const float *hm, float F, float A) {
        float U = up + tu[a];
        float L = lw - tl[a], H = hm[a] - U;
        float low = L > H ? L : H;
        float t = U * F;
        return low > t + A;
    }
    static inline void fm_list_row(const char *Xs, size_t row_bytes, int two_lines, int i) {
        fm_prefetch(Xs + (size_t)i * row_bytes);
        if (two_lines) fm_prefetch(Xs + (size_t)i * row_bytes + row_bytes - 1);
    }
    FM_AVX2_FMA static int fm_bounds_test(
            const int *labels, const float *upper, const float *lower,
            const float *tu, const float *tl, const float *hm, int k,
            float F, float A, int start, int end,
            int *idx, const char *Xs, size_t row_bytes) {
        int m = 0, i = start;
        const __m256 vF = _mm256_set1_ps(F), vA = _mm256_set1_ps(A);
        const __m256i v7 = _mm256_set1_epi32(7);
        const int small = k <= 16;
        /* tables padded to 16 entries (see _kmeans_pruned._bounds_tables) */
        const __m256 tu0 = _mm256_loadu_ps(tu), tu1 = _mm256_loadu_ps(tu + 8);
        const __m256 tl0 = _mm256_loadu_ps(tl), tl1 = _mm256_loadu_ps(tl + 8);
        const __m256 hm0 = _mm256_loadu_ps(hm), hm1 = _mm256_loadu_ps(hm + 8);
        /* rows of one 64-byte line (16 floats from an aligned copy): one prefetch */
        const int two_lines = row_bytes != 64 || ((size_t)Xs & 63);
        for (; i + 8 <= end; i += 8) {
            if (!(i & 15)) {
                /* the bounds stream, a chunk ahead (in flight during the screen) */
                fm_prefetch(labels + i + FM_BOUNDS_AHEAD);
                fm_prefetch(upper + i + FM_BOUNDS_AHEAD);
                fm_prefetch(lower + i + FM_BOUNDS_AHEAD);
            }
            __m256i a = _mm256_loadu_si256((const __m256i *)(labels + i));
            __m256 gtu, gtl, ghm;
            if (small) {
                __m256 hi = _mm256_castsi256_ps(_mm256_cmpgt_epi32(a, v7));
                gtu = _mm256_blendv_ps(_mm256_permutevar8x32_ps(tu0, a), _mm256_permutevar8x32_ps(tu1, a), hi);
                gtl = _mm256_blendv_ps(_mm256_permutevar8x32_ps(tl0, a), _mm256_permutevar8x32_ps(tl1, a), hi);
                ghm = _mm256_blendv_ps(_mm256_permutevar8x32_ps(hm0, a), _mm256_permutevar8x32_ps(hm1, a), hi);
            } else {
                gtu = _mm256_i32gather_ps(tu, a, 4);
                gtl = _mm256_i32gather_ps(tl, a, 4);
                ghm = _mm256_i32gather_ps(hm, a, 4);
            }
            __m256 U = _mm256_add_ps(_mm256_loadu_ps(upper + i), gtu);
            __m256 low = _mm256_max_ps(_mm256_sub_ps(_mm256_loadu_ps(lower + i), gtl),
                                       _mm256_sub_ps(ghm, U));
            __m256 keep = _mm256_cmp_ps(low, _mm256_add_ps(_mm256_mul_ps(U, vF), vA), _CMP_GT_OQ);
            int listed = ~_mm256_movemask_ps(keep) & 255;
            int m0 = m;
            const signed char *p = fm_compact_lut[listed & 15];
            idx[m] = i + p[0]; idx[m + 1] = i + p[1]; idx[m + 2] = i + p[2]; idx[m + 3] = i + p[3];
            m += __builtin_popcount(listed & 15);
            p = fm_compact_lut[listed >> 4];
            idx[m] = i + 4 + p[0]; idx[m + 1] = i + 4 + p[1]; idx[m + 2] = i + 4 + p[2]; idx[m + 3] = i + 4 + p[3];
            m += __builtin_popcount(listed >> 4);
            if (m0 < FM_SCREEN_AHEAD)
                for (int q = m0; q < m; q++) fm_list_row(Xs, row_bytes, two_lines, idx[q]);
        }
        for (; i < end; i++) {
            if (!fm_keep32(labels[i], upper[i], lower[i], tu, tl, hm, F, A)) {
                idx[m++] = i;
                if (m <= FM_SCREEN_AHEAD) fm_list_row(Xs, row_bytes, two_lines, i);
            }
        }
        return m;
    }

    FM_AVX2_FMA static void fm_assign_avx2_d(const double *X, int n, int d,
            const double *CT, const double *cn, int kpad, int *labels) {
        int i = 0;
        for (; i + 4 <= n; i += 4) fm_block4_d(X + (size_t)i * d, d, CT, cn, kpad, labels + i);
        for (; i < n; i++) fm_block1_d(X + (size_t)i * d, d, CT, cn, kpad, labels + i);
    }
    FM_AVX2_FMA static void fm_assign_avx2_s(const float *X, int n, int d,
            const float *CT, const float *cn, int kpad, int *labels) {
        int i = 0;
        for (; i + 4 <= n; i += 4) fm_block4_s(X + (size_t)i * d, d, CT, cn, kpad, labels + i);
        for (; i < n; i++) fm_block1_s(X + (size_t)i * d, d, CT, cn, kpad, labels + i);
    }
    #else
    static void fm_assign_avx2_d(const double *X, int n, int d, const double *CT,
                                 const double *cn, int kpad, int *labels) {}
    static void fm_assign_avx2_s(const float *X, int n, int d, const float *CT,
                                 const float *cn, int kpad, int *labels) {}
    static void fm_dist_row_avx_d(const double *x, int d, const double *CT, int kpad,
                                  double *out) {}
    static void fm_dist_row_avx_s(const float *x, int d, const float *CT, int kpad,
                                  float *out) {}
    static void fm_best2_avx2_d(const double *X, const int *idx, int m, int d,
            const double *CT, const double *cn, int kpad, int *lab, double *b1, double *b2) {}
    static void fm_best2_avx2_s(const float *X, const int *idx, int m, int d,
            const float *CT, const float *cn, int kpad, int *lab, float *b1, float *b2) {}
    static void fm_scores_avx2_d(const double *X, const int *idx, int m, int d,
            const double *CT, const double *cn, int kpad, double *out) {}
    static void fm_screen_bounds(
            int m, const float *b1, const float *b2, const float *x2, const int *lab,
            double e_coef, double e_x, double e_abs, double c2max, double err,
            int mode, double el_lo, double el_hi, const double *cs, const double *cm,
            double rel, double flt_min, float *ub, float *lb, int *ok) {}
    static int fm_bounds_test(
            const int *labels, const float *upper, const float *lower,
            const float *tu, const float *tl, const float *hm, int k,
            float F, float A, int start, int end,
            int *idx, const char *Xs, size_t row_bytes) { return 0; }
    static void fm_screen_avx2_s(const float *X, const int *idx, int m, int d,
            const float *CT, const float *cn, int kpad, int *lab, float *b1, float *b2,
            float *x2, float *xt) {}
    static void fm_scores_avx2_s(const float *X, const int *idx, int m, int d,
            const float *CT, const float *cn, int kpad, float *out) {}
    #endif
    """
    void fm_assign_avx2_d(const double *X, int n, int d, const double *CT,
                          const double *cn, int kpad, int *labels) noexcept nogil
    void fm_assign_avx2_s(const float *X, int n, int d, const float *CT,
                          const float *cn, int kpad, int *labels) noexcept nogil
    void fm_scores_avx2_d(const double *X, const int *idx, int m, int d, const double *CT,
                          const double *cn, int kpad, double *out) noexcept nogil
    void fm_scores_avx2_s(const float *X, const int *idx, int m, int d, const float *CT,
                          const float *cn, int kpad, float *out) noexcept nogil
    void fm_dist_row_avx_d(const double *x, int d, const double *CT, int kpad,
                           double *out) noexcept nogil
    void fm_dist_row_avx_s(const float *x, int d, const float *CT, int kpad,
                           float *out) noexcept nogil
    void fm_prefetch(const void *p) noexcept nogil
    void fm_screen_bounds(
        int m, const float *b1, const float *b2, const float *x2, const int *lab,
        double e_coef, double e_x, double e_abs, double c2max, double err,
        int mode, double el_lo, double el_hi, const double *cs, const double *cm,
        double rel, double flt_min, float *ub, float *lb, int *ok) noexcept nogil
    int fm_bounds_test(
        const int *labels, const float *upper, const float *lower,
        const float *tu, const float *tl, const float *hm, int k,
        float F, float A, int start, int end,
        int *idx, const char *Xs, size_t row_bytes) noexcept nogil
    void fm_screen_avx2_s(const float *X, const int *idx, int m, int d, const float *CT,
                          const float *cn, int kpad, int *lab, float *b1, float *b2,
                          float *x2, float *xt) noexcept nogil
    void fm_best2_avx2_d(const double *X, const int *idx, int m, int d, const double *CT,
                         const double *cn, int kpad, int *lab, double *b1,
                         double *b2) noexcept nogil
    void fm_best2_avx2_s(const float *X, const int *idx, int m, int d, const float *CT,
                         const float *cn, int kpad, int *lab, float *b1,
                         float *b2) noexcept nogil
