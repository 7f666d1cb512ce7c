# Conv2D (cross-correlation, NCHW) on x86-64 CPUs with AVX2 and FMA, the fast
# path of fastml.nn._ops (fastml/_nb/conv.py, Numba, serves every other CPU
# and the gradients at strides > 1):
# * forward: a register-blocked direct convolution (below), or a 1-D
#   Winograd F(2, 3) along rows for 3-wide filters on many channels and
#   filters (fm_wino_image), which shares the direct micro-kernel;
# * backward at stride 1: the weight and bias gradients (fm_dw_chunk,
#   WeightGradPlan); the input gradient is a forward call (nn/_ops.py).
# Images run on a small worker pool of its own (see fm_conv_parallel for why
# neither OpenMP nor Numba's pool).
#
# Why a C micro-kernel and not the Numba loop: the work is 27 multiply-adds
# per output for the usual 3-channel 3x3 layer, so speed is FMA throughput.
# Zen3/Haswell-class cores have 16 vector registers and FMA latency 4 x 2
# pipes, so they need >= 8 independent accumulators and few loads per FMA.
# The micro-kernel keeps a 4-output-channel x 3-vector tile (12 accumulators)
# in registers, and per tap issues 3 vector loads of input, 4 weight
# broadcasts and 12 FMAs: 16 registers, no spills (checked in the asm), and
# every output vector is written once, straight into the user's array (the
# Numba kernel accumulates whole wide planes in memory and copies them out:
# ~1.0 ms per core on the issue's layer against 0.62 ms here).
#
# Geometry: the input row of output row i, tap (c, ki, kj) is at a fixed
# offset toff[t] from the row base i * sh * rowpitch, and output pixel j at
# + j, so ONE loop shape serves every geometry:
# * stride 1, no padding, rows and columns in bounds: the image itself;
# * otherwise each strip of rows is copied (per task, bounded by STRIP_BYTES,
#   small beside the O*C*KH*KW work per pixel) into zero-padded column phase planes
#   buf[c, r, rw, m] = xpad[c, r, m*sw + rw], so that every stride and
#   dilation reads contiguous vectors (the same space-to-depth trick as
#   fastml/_nb/conv.py, here on columns only: rows are addressed directly).
# Output rows are covered by vectors starting at 0, VL, 2VL, ... and a last
# one at OW - VL that overlaps its neighbour (recomputing a few pixels beats
# masked stores); rows shorter than one vector go through a per-thread
# scratch row. Vectors of consecutive rows are grouped 3 at a time.
#
# Summation order per output: bias, then taps in (c, ki, kj) order with
# FMA, as the NumPy reference up to rounding.

from cython cimport floating
from cpython.buffer cimport (PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBUF_WRITABLE,
                            PyBuffer_Release, PyObject_GetBuffer)
from libc.stdlib cimport malloc, free

import numpy as np

from fastml._cy._cpu cimport FM_CPU_X86_SIMD, fm_cpu_has_avx2_fma

cdef extern from *:
    """
    #include <string.h>
    #if FM_CPU_X86_SIMD
    #define FM_CONV_INLINE FM_AVX2_FMA static inline __attribute__((always_inline))
    #endif

    /* Geometry shared by every image of one call (read-only in the threads). */
    typedef struct {
        int C, H, W, O, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw;
        int T;          /* taps C*KH*KW */
        int nblk;       /* output-channel blocks of 4 */
        int direct;     /* read the image in place (no copy) */
        int narrow;     /* OW < VL: write through a scratch row of VL */
        int HQ, WQ;     /* rows (of one strip), and width of one column phase, of the copy */
        int R;          /* output rows per strip */
        long plane;     /* elements per input channel (copy or image) */
        long rowpitch;  /* elements per input row (copy or image) */
        long opitch;    /* elements per output row written by the micro-kernel */
        long nvec;      /* output vectors per channel plane */
        long *toff;     /* T tap offsets */
        long *ip;       /* nvec input offsets (row base + column) */
        long *op;       /* nvec output offsets */
        const void *wt; /* packed weights, zero-padded: (nblk, T, 4); Winograd (nblk, 4, T, 4) */
        const void *bp; /* (nblk * 4) bias, zero-padded */
        long nbuf;      /* scratch elements for the padded copy (0 when direct) */
        int wino;       /* 1-D Winograd F(2, 3) along rows (fm_wino_image) */
        int TW;         /* Winograd: tiles of 2 output columns per row, OW / 2 */
        long vplane;    /* Winograd: elements of one (channel, component) plane of V */
    } fm_conv_plan;


    /* Weight gradient at stride 1 (any padding and dilation):
       dw[o, t] = sum over images and output pixels of dy[o, pixel] * xpad[tap t of pixel].
       Each task takes a fixed chunk of K images (the chunks do not depend on
       the thread count, so neither do the sums). Per image, the padded input
       is copied with pitch P = OW + (KW-1)*dw and dy widened to the same
       pitch with zeros beyond OW, so that tap t of flat pixel f is at the
       constant offset toff[t] + f for every row: one long dot product per
       (filter, tap) over the image, 4 filters x 3 taps (12 accumulators) per
       pass, 7 loads per 12 FMAs. The bias gradient is one more tap, over a
       row of ones. */
    typedef struct {
        int C, H, W, O, OH, OW, KH, KW, pt, pl, dh, dw;
        int N, K;        /* images, images per task */
        int P, HP;       /* pitch of both copies; padded input rows */
        int T, T3, O4;   /* taps; taps + 1 rounded up to 3; filters rounded up to 4 */
        long xplane;     /* elements per channel of the input copy (zero slack included) */
        long L;          /* flat pixels of widened dy: OH*P rounded up to the vector */
        long *toff;      /* T3 tap offsets: T taps, the ones of the bias, then offset 0 */
    } fm_dw_plan;

    /* One parallel job: task i of n reads x + i*sx (and y + i*sy) and writes
       out + i*so, with the scratch of the thread running it. */
    typedef struct fm_conv_job fm_conv_job;
    typedef void (*fm_conv_fn)(const fm_conv_job *j, long i, void *scratch);
    struct fm_conv_job {
        fm_conv_fn fn; const void *plan;
        char *x, *y, *out, *scratch;
        long sx, sy, so, ss, n;
    };

    /* d[m] = src[m - off] where 0 <= m - off < w, else 0, for m < n (src NULL:
       a row of zeros): one padded input row, as memset + memcpy. */
    #define FM_ROW_FILL(TYPE, SUF)                                                \\
    static inline void fm_row_fill_##SUF(TYPE *d, long n, const TYPE *src, long w, long off) { \\
        long a = off < 0 ? 0 : (off < n ? off : n), b = off + w < n ? off + w : n; \\
        if (src == NULL || b < a) b = a;                                          \\
        memset(d, 0, a * sizeof(TYPE));                                           \\
        if (b > a) memcpy(d + a, src + (a - off), (b - a) * sizeof(TYPE));        \\
        memset(d + b, 0, (n - b) * sizeof(TYPE));                                 \\
    }
    FM_ROW_FILL(float, s)
    FM_ROW_FILL(double, d)

    /* Copy the HQ padded rows from r0 of image x (C, H, W) into the zero-padded
       column phase planes. */
    #define FM_CONV_FILL(TYPE, SUF)                                               \\
    static void fm_conv_fill_##SUF(const TYPE *x, const fm_conv_plan *p, int r0, TYPE *buf) { \\
        for (int c = 0; c < p->C; c++)                                            \\
        for (int r = 0; r < p->HQ; r++) {                                         \\
            int y = r0 + r - p->pt, inside = y >= 0 && y < p->H;                  \\
            const TYPE *xr = x + ((long)c * p->H + (inside ? y : 0)) * p->W;      \\
            TYPE *d = buf + c * p->plane + r * p->rowpitch;                       \\
            if (p->sw == 1) {                                                     \\
                fm_row_fill_##SUF(d, p->WQ, inside ? xr : NULL, p->W, p->pl);     \\
                continue;                                                         \\
            }                                                                     \\
            for (int rw = 0; rw < p->sw; rw++, d += p->WQ)                        \\
                for (int m = 0; m < p->WQ; m++) {                                 \\
                    int z = m * p->sw + rw - p->pl;                               \\
                    d[m] = (inside && z >= 0 && z < p->W) ? xr[z] : 0;            \\
                }                                                                 \\
        }                                                                         \\
    }
    FM_CONV_FILL(float, s)
    FM_CONV_FILL(double, d)

    #if FM_CPU_X86_SIMD
    /* 4 output channels x PV vectors: acc[q][v] = b[q] + sum_t wt[t*4+q] * s[toff[t] + ip[v]],
       stored to dst[q*dstride + op[v]] for q < on. PV is a constant after inlining. */
    #define FM_CONV_MICRO(TYPE, VEC, SUF, LOADU, STOREU, BCAST, FMA)              \\
    FM_CONV_INLINE void fm_conv_micro_##SUF(                                      \\
            const TYPE *s, const long *toff, int T, const TYPE *wt, const TYPE *b, \\
            const long *ip, const long *op, TYPE *dst, long dstride, int on, const int PV) { \\
        VEC acc[4][3], xv[3];                                                     \\
        for (int q = 0; q < 4; q++) {                                             \\
            VEC bv = BCAST(b + q);                                                \\
            for (int v = 0; v < 3; v++) if (v < PV) acc[q][v] = bv;               \\
        }                                                                         \\
        const TYPE *s0 = s + ip[0], *s1 = s + ip[PV > 1], *s2 = s + ip[PV > 2 ? 2 : 0]; \\
        for (int t = 0; t < T; t++, wt += 4) {                                    \\
            long o = toff[t];                                                     \\
            xv[0] = LOADU(s0 + o);                                                \\
            if (PV > 1) xv[1] = LOADU(s1 + o);                                    \\
            if (PV > 2) xv[2] = LOADU(s2 + o);                                    \\
            for (int q = 0; q < 4; q++) {                                         \\
                VEC wv = BCAST(wt + q);                                           \\
                for (int v = 0; v < 3; v++)                                       \\
                    if (v < PV) acc[q][v] = FMA(wv, xv[v], acc[q][v]);            \\
            }                                                                     \\
        }                                                                         \\
        for (int q = 0; q < 4; q++) if (q < on)                                   \\
            for (int v = 0; v < 3; v++) if (v < PV)                               \\
                STOREU(dst + q * dstride + op[v], acc[q][v]);                     \\
    }
    FM_CONV_MICRO(float, __m256, s, _mm256_loadu_ps, _mm256_storeu_ps,
                  _mm256_broadcast_ss, _mm256_fmadd_ps)
    FM_CONV_MICRO(double, __m256d, d, _mm256_loadu_pd, _mm256_storeu_pd,
                  _mm256_broadcast_sd, _mm256_fmadd_pd)

    /* One image: x (C, H, W) -> out (O, OH, OW), a strip of R output rows at a
       time so that the strip's input rows stay in L2 while every block of 4
       output channels reads them. wt (nblk, T, 4) and bp (nblk*4) are the
       zero-padded packed weights and bias; buf / obuf per-task scratch. */
    #define FM_CONV_IMAGE(TYPE, SUF, VL)                                          \\
    FM_AVX2_FMA static void fm_conv_image_##SUF(                                 \\
            const TYPE *x, const fm_conv_plan *p, const TYPE *wt, const TYPE *bp, \\
            TYPE *out, TYPE *buf, TYPE *obuf) {                                   \\
        const TYPE *s = p->direct ? x : buf;                                      \\
        long oplane = (long)p->OH * p->OW, nv = p->nvec / p->OH;                  \\
        for (int i0 = 0; i0 < p->OH; i0 += p->R) {                                \\
            int i1 = i0 + p->R < p->OH ? i0 + p->R : p->OH;                       \\
            if (!p->direct) fm_conv_fill_##SUF(x, p, i0 * p->sh, buf);            \\
            for (int k = 0; k < p->nblk; k++) {                                   \\
                int on = p->O - 4 * k < 4 ? p->O - 4 * k : 4;                     \\
                const TYPE *w = wt + (long)k * p->T * 4, *b = bp + 4 * k;         \\
                TYPE *dst = p->narrow ? obuf : out + 4 * k * oplane;              \\
                long dstride = p->narrow ? (long)p->R * VL : oplane;              \\
                long g = i0 * nv, end = i1 * nv;                                  \\
                for (; g + 3 <= end; g += 3)                                      \\
                    fm_conv_micro_##SUF(s, p->toff, p->T, w, b, p->ip + g, p->op + g, \\
                                        dst, dstride, on, 3);                     \\
                if (end - g == 2)                                                 \\
                    fm_conv_micro_##SUF(s, p->toff, p->T, w, b, p->ip + g, p->op + g, \\
                                        dst, dstride, on, 2);                     \\
                else if (end - g == 1)                                            \\
                    fm_conv_micro_##SUF(s, p->toff, p->T, w, b, p->ip + g, p->op + g, \\
                                        dst, dstride, on, 1);                     \\
                if (p->narrow)                                                    \\
                    for (int q = 0; q < on; q++)                                  \\
                        for (int i = i0; i < i1; i++)                             \\
                            for (int j = 0; j < p->OW; j++)                       \\
                                out[(4 * k + q) * oplane + (long)i * p->OW + j] = \\
                                    obuf[q * dstride + (long)(i - i0) * VL + j];  \\
            }                                                                     \\
        }                                                                         \\
    }
    FM_CONV_IMAGE(float, s, 8)
    FM_CONV_IMAGE(double, d, 4)

    /* 1-D Winograd F(2, 3) along each row, for 3-wide filters at column
       stride and dilation 1 and an even output width (see _plan): two
       neighbouring outputs y0 = g.d[0:3], y1 = g.d[1:4] from four products
       m_p = U_p V_p with V = (d0 - d2, d1 + d2, d2 - d1, d1 - d3) and
       U = (g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2): y0 = m0 + m1 + m2,
       y1 = m1 - m2 - m3. The products are summed over channels and filter
       rows before the output transform, so each component p is itself a
       direct convolution with C*KH taps over the transformed rows
       V[c, p, row, tile]: the same micro-kernel, 2 FMAs per output and tap
       row instead of 3. Tiles are numbered across rows (j = row * TW + t),
       which makes a filter row's offset the constant kh*dh*TW and output j's
       two columns 2j and 2j+1 of the contiguous output strip: no lanes are
       wasted at row ends. The rounding differs from the direct sum only by
       the exact +-1 and 1/2 transforms (tested to the same tolerance). */
    /* Output transform of one group: y0 = m0 + m1 + m2 and y1 = m1 - m2 - m3
       for on channels x pv vectors of tiles j[v], interleaved into columns
       2j, 2j+1 of the channel planes at dst. */
    #define FM_WINO_OUT(TYPE, VEC, SUF, VL, LOADU, STOREU, ADD, SUB, LO, HI, P2)  \\
    FM_CONV_INLINE void fm_wino_out1_##SUF(const TYPE *m, TYPE *dst) {            \\
        VEC m0 = LOADU(m), m1 = LOADU(m + 12 * VL);                               \\
        VEC m2 = LOADU(m + 24 * VL), m3 = LOADU(m + 36 * VL);                     \\
        VEC y0 = ADD(ADD(m0, m1), m2), y1 = SUB(SUB(m1, m2), m3);                 \\
        VEC lo = LO(y0, y1), hi = HI(y0, y1);                                     \\
        STOREU(dst, P2(lo, hi, 0x20));                                            \\
        STOREU(dst + VL, P2(lo, hi, 0x31));                                       \\
    }                                                                             \\
    FM_CONV_INLINE void fm_wino_out_##SUF(const TYPE *M, const long *j, int pv, int on, \\
                                          TYPE *dst, long oplane) {               \\
        if (on == 4 && pv == 3) {  /* constant trip counts: fully unrolled */     \\
            for (int o = 0; o < 4; o++)                                           \\
                for (int v = 0; v < 3; v++)                                       \\
                    fm_wino_out1_##SUF(M + (o * 3 + v) * VL, dst + o * oplane + 2 * j[v]); \\
        } else {                                                                  \\
            for (int o = 0; o < on; o++)                                          \\
                for (int v = 0; v < pv; v++)                                      \\
                    fm_wino_out1_##SUF(M + (o * 3 + v) * VL, dst + o * oplane + 2 * j[v]); \\
        }                                                                         \\
    }
    FM_WINO_OUT(float, __m256, s, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps,
                _mm256_sub_ps, _mm256_unpacklo_ps, _mm256_unpackhi_ps, _mm256_permute2f128_ps)
    FM_WINO_OUT(double, __m256d, d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_add_pd,
                _mm256_sub_pd, _mm256_unpacklo_pd, _mm256_unpackhi_pd, _mm256_permute2f128_pd)

    #define FM_WINO_IMAGE(TYPE, VEC, SUF, VL, LOADU, STOREU, ADD, SUB, EVEN, ODD, \\
                          LO, HI, P2)                                             \\
    FM_AVX2_FMA static void fm_wino_image_##SUF(                                  \\
            const TYPE *x, const fm_conv_plan *p, const TYPE *wt, const TYPE *bp, \\
            TYPE *out, TYPE *buf) {                                               \\
        const int T = p->T, TW = p->TW, Wp = 2 * TW + 2;                          \\
        const long oplane = (long)p->OH * p->OW;                                  \\
        TYPE *M = buf + 4L * p->C * p->vplane, *row = M + 4 * 4 * 3 * VL;         \\
        static const TYPE zero[4] = {0, 0, 0, 0};                                 \\
        const long mo[3] = {0, VL, 2 * VL};                                       \\
        for (int i0 = 0; i0 < p->OH; i0 += p->R) {                                \\
            int rn = i0 + p->R < p->OH ? p->R : p->OH - i0;                       \\
            int hq = rn + (p->KH - 1) * p->dh;                                    \\
            /* input transform of the strip's rows, zero padding included */     \\
            for (int c = 0; c < p->C; c++)                                        \\
            for (int r = 0; r < hq; r++) {                                        \\
                int y = i0 + r - p->pt, inside = y >= 0 && y < p->H;              \\
                const TYPE *src = x + ((long)c * p->H + (inside ? y : 0)) * p->W; \\
                if (!inside || p->pl != 0 || p->W < Wp) {                         \\
                    fm_row_fill_##SUF(row, Wp, inside ? src : NULL, p->W, p->pl); \\
                    src = row;                                                    \\
                }                                                                 \\
                TYPE *v = buf + 4L * c * p->vplane + (long)r * TW;                \\
                for (int t = 0;; t += VL) {                                       \\
                    if (t > TW - VL) t = TW - VL;                                 \\
                    const TYPE *s = src + 2 * t;                                  \\
                    VEC a = LOADU(s), b = LOADU(s + VL);                          \\
                    VEC a2 = LOADU(s + 2), b2 = LOADU(s + 2 + VL);                \\
                    VEC d0 = EVEN(a, b), d1 = ODD(a, b), d2 = EVEN(a2, b2), d3 = ODD(a2, b2); \\
                    STOREU(v + t, SUB(d0, d2));                                   \\
                    STOREU(v + p->vplane + t, ADD(d1, d2));                       \\
                    STOREU(v + 2 * p->vplane + t, SUB(d2, d1));                   \\
                    STOREU(v + 3 * p->vplane + t, SUB(d1, d3));                   \\
                    if (t == TW - VL) break;                                      \\
                }                                                                 \\
            }                                                                     \\
            /* products, component by component, then the output transform */ \\
            long n = (long)rn * TW;                                               \\
            TYPE *ostrip = out + (long)i0 * p->OW;                                \\
            for (int k = 0; k < p->nblk; k++) {                                   \\
                int on = p->O - 4 * k < 4 ? p->O - 4 * k : 4;                     \\
                for (long g = 0; g < n; g += 3 * VL) {                            \\
                    long j[3];                                                    \\
                    int pv = n - g >= 3 * VL ? 3 : (int)((n - g + VL - 1) / VL);  \\
                    for (int v = 0; v < 3; v++)                                   \\
                        j[v] = g + v * VL < n - VL ? g + v * VL : n - VL;         \\
                    for (int q = 0; q < 4; q++) {                                 \\
                        const TYPE *w = wt + ((long)(4 * k + q) * T) * 4;         \\
                        const TYPE *b = q == 1 ? bp + 4 * k : zero;               \\
                        TYPE *m = M + q * 4 * 3 * VL;                             \\
                        const long *toff = p->toff + (long)q * T;                 \\
                        if (pv == 3)                                              \\
                            fm_conv_micro_##SUF(buf, toff, T, w, b, j, mo, m, 3 * VL, 4, 3); \\
                        else if (pv == 2)                                         \\
                            fm_conv_micro_##SUF(buf, toff, T, w, b, j, mo, m, 3 * VL, 4, 2); \\
                        else                                                      \\
                            fm_conv_micro_##SUF(buf, toff, T, w, b, j, mo, m, 3 * VL, 4, 1); \\
                    }                                                             \\
                    fm_wino_out_##SUF(M, j, pv, on, ostrip + 4 * k * oplane, oplane); \\
                }                                                                 \\
            }                                                                     \\
        }                                                                         \\
    }
    #define FM_EVEN_S(a, b) _mm256_castpd_ps(_mm256_permute4x64_pd(                \\
        _mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8))
    #define FM_ODD_S(a, b) _mm256_castpd_ps(_mm256_permute4x64_pd(                 \\
        _mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8))
    #define FM_EVEN_D(a, b) _mm256_permute4x64_pd(_mm256_unpacklo_pd(a, b), 0xD8)
    #define FM_ODD_D(a, b) _mm256_permute4x64_pd(_mm256_unpackhi_pd(a, b), 0xD8)
    FM_WINO_IMAGE(float, __m256, s, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps,
                  _mm256_sub_ps, FM_EVEN_S, FM_ODD_S, _mm256_unpacklo_ps, _mm256_unpackhi_ps,
                  _mm256_permute2f128_ps)
    FM_WINO_IMAGE(double, __m256d, d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_add_pd,
                  _mm256_sub_pd, FM_EVEN_D, FM_ODD_D, _mm256_unpacklo_pd, _mm256_unpackhi_pd,
                  _mm256_permute2f128_pd)

    #define FM_DW_CHUNK(TYPE, VEC, SUF, VL, LOADU, STOREU, FMA, ZERO)             \\
    FM_AVX2_FMA static void fm_dw_chunk_##SUF(const fm_conv_job *j, long i, void *scratch) { \\
        const fm_dw_plan *p = (const fm_dw_plan *)j->plan;                        \\
        TYPE *gw = (TYPE *)(j->out + i * j->so);                                  \\
        TYPE *xb = (TYPE *)scratch, *g = xb + p->C * p->xplane;                   \\
        for (long k = 0; k < (long)p->O4 * p->T3; k++) gw[k] = 0;                 \\
        for (long k = 0; k < (long)p->C * p->xplane; k++) xb[k] = 0;              \\
        for (long k = 0; k < (long)p->O4 * p->L; k++) g[k] = 0;                   \\
        for (long k = 0; k < p->L; k++) g[p->O4 * p->L + k] = 1;  /* the bias tap */ \\
        long n1 = (i + 1) * p->K < p->N ? (i + 1) * p->K : p->N;                  \\
        for (long n = i * p->K; n < n1; n++) {                                    \\
            const TYPE *x = (const TYPE *)(j->x + n * j->sx);                     \\
            const TYPE *dy = (const TYPE *)(j->y + n * j->sy);                    \\
            for (int c = 0; c < p->C; c++)                                        \\
            for (int r = 0; r < p->HP; r++) {                                     \\
                int y = r - p->pt, inside = y >= 0 && y < p->H;                   \\
                fm_row_fill_##SUF(xb + c * p->xplane + (long)r * p->P, p->P,      \\
                                  inside ? x + ((long)c * p->H + y) * p->W : NULL, p->W, p->pl); \\
            }                                                                     \\
            for (int o = 0; o < p->O; o++)  /* dy widened to pitch P */           \\
                for (int r = 0; r < p->OH; r++)                                   \\
                    memcpy(g + o * p->L + (long)r * p->P, dy + ((long)o * p->OH + r) * p->OW, \\
                           p->OW * sizeof(TYPE));                                 \\
            for (int ob = 0; ob < p->O4; ob += 4)                                 \\
            for (int tb = 0; tb < p->T3; tb += 3) {                               \\
                VEC acc[4][3];                                                    \\
                for (int q = 0; q < 4; q++)                                       \\
                    for (int u = 0; u < 3; u++) acc[q][u] = ZERO();               \\
                const TYPE *g0 = g + (long)ob * p->L;                             \\
                const TYPE *x0 = xb + p->toff[tb], *x1 = xb + p->toff[tb + 1];    \\
                const TYPE *x2 = xb + p->toff[tb + 2];                            \\
                for (long f = 0; f < p->L; f += VL) {                             \\
                    VEC a = LOADU(x0 + f), b = LOADU(x1 + f), c = LOADU(x2 + f);  \\
                    for (int q = 0; q < 4; q++) {                                 \\
                        VEC d = LOADU(g0 + q * p->L + f);                         \\
                        acc[q][0] = FMA(d, a, acc[q][0]);                         \\
                        acc[q][1] = FMA(d, b, acc[q][1]);                         \\
                        acc[q][2] = FMA(d, c, acc[q][2]);                         \\
                    }                                                             \\
                }                                                                 \\
                for (int q = 0; q < 4; q++)                                       \\
                    for (int u = 0; u < 3; u++) {                                 \\
                        TYPE l[VL], s = 0;                                        \\
                        STOREU(l, acc[q][u]);                                     \\
                        for (int e = 0; e < VL; e++) s += l[e];                   \\
                        gw[(long)(ob + q) * p->T3 + tb + u] += s;                 \\
                    }                                                             \\
            }                                                                     \\
        }                                                                         \\
    }
    FM_DW_CHUNK(float, __m256, s, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_fmadd_ps,
                _mm256_setzero_ps)
    FM_DW_CHUNK(double, __m256d, d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_fmadd_pd,
                _mm256_setzero_pd)

    /* Entry points: task i is image i, run by fm_conv_parallel. */
    #define FM_CONV_ENTRY(TYPE, SUF)                                              \\
    static void fm_conv_entry_##SUF(const fm_conv_job *j, long i, void *scratch) { \\
        const fm_conv_plan *p = (const fm_conv_plan *)j->plan;                    \\
        const TYPE *x = (const TYPE *)(j->x + i * j->sx);                         \\
        TYPE *out = (TYPE *)(j->out + i * j->so), *buf = (TYPE *)scratch;         \\
        if (p->wino)                                                              \\
            fm_wino_image_##SUF(x, p, (const TYPE *)p->wt, (const TYPE *)p->bp, out, buf); \\
        else                                                                      \\
            fm_conv_image_##SUF(x, p, (const TYPE *)p->wt, (const TYPE *)p->bp, out, buf, \\
                                buf + p->nbuf);                                   \\
    }
    FM_CONV_ENTRY(float, s)
    FM_CONV_ENTRY(double, d)
    #else
    static void fm_conv_entry_s(const fm_conv_job *j, long i, void *scratch) {}
    static void fm_conv_entry_d(const fm_conv_job *j, long i, void *scratch) {}
    static void fm_dw_chunk_s(const fm_conv_job *j, long i, void *scratch) {}
    static void fm_dw_chunk_d(const fm_conv_job *j, long i, void *scratch) {}
    #endif

    /* A small pool of worker threads that BLOCK between calls.
       Why not OpenMP: libgomp's idle workers spin for ~300k pause loops (ms on
       Zen) after each region, taking a core from the Numba (TBB) kernels of
       the next layer (forward+backward measured 3x slower). Why not Numba's
       TBB pool: it rarely brought its worker into a sub-millisecond region
       here (2 threads ran at 1-thread speed). Here a call wakes n-1 workers
       (futex), the caller works too, and images are claimed one at a time
       from an atomic counter, so a late or descheduled worker costs at most
       the image it holds. Calls are serialised; after fork() the child starts
       a fresh pool. Each output is computed by one thread in a fixed order,
       so results do not depend on the thread count. */
    #include <pthread.h>
    #include <sched.h>
    #include <time.h>
    static pthread_mutex_t fm_pool_call = PTHREAD_MUTEX_INITIALIZER;
    static pthread_mutex_t fm_pool_mu = PTHREAD_MUTEX_INITIALIZER;
    static pthread_cond_t fm_pool_cv = PTHREAD_COND_INITIALIZER;
    static fm_conv_job fm_pool_job;
    static long fm_pool_gen = 0, fm_pool_next = 0, fm_pool_done = 0;
    static int fm_pool_want = 0, fm_pool_started = 0, fm_pool_active = 0;
    static pthread_once_t fm_pool_once = PTHREAD_ONCE_INIT;

    static void fm_pool_after_fork(void) {  /* the child has no workers */
        pthread_mutex_init(&fm_pool_call, NULL);
        pthread_mutex_init(&fm_pool_mu, NULL);
        pthread_cond_init(&fm_pool_cv, NULL);
        fm_pool_started = fm_pool_active = 0;
    }
    static void fm_pool_init(void) { pthread_atfork(NULL, NULL, fm_pool_after_fork); }

    static void fm_pool_work(const fm_conv_job *j, int slot) {
        long i;
        while ((i = __atomic_fetch_add(&fm_pool_next, 1, __ATOMIC_RELAXED)) < j->n) {
            j->fn(j, i, j->scratch + slot * j->ss);
            __atomic_fetch_add(&fm_pool_done, 1, __ATOMIC_RELEASE);
        }
    }

    /* Stay awake up to FM_POOL_SPIN_NS for the next call: waking a blocked
       thread (on a VM, an idle vCPU) costs tens of microseconds, and
       back-to-back calls (a batch loop, a benchmark) then find the worker
       running; 0.2 ms is short enough not to matter to the next layer. */
    #define FM_POOL_SPIN_NS 200000L
    static void fm_pool_spin(long seen) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int k = 1;; k++) {
            if (__atomic_load_n(&fm_pool_gen, __ATOMIC_ACQUIRE) != seen) return;
    #if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
    #endif
            if ((k & 63) == 0) {
                clock_gettime(CLOCK_MONOTONIC, &t1);
                if ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) > FM_POOL_SPIN_NS)
                    return;
            }
        }
    }

    static void *fm_pool_worker(void *arg) {
        int id = (int)(long)arg;
        long seen = 0;  /* a new worker joins the job it was started for */
        pthread_mutex_lock(&fm_pool_mu);
        for (;;) {
            while (fm_pool_gen == seen) pthread_cond_wait(&fm_pool_cv, &fm_pool_mu);
            seen = fm_pool_gen;
            if (id > fm_pool_want) continue;
            fm_conv_job j = fm_pool_job;  /* copied under the lock */
            fm_pool_active++;
            pthread_mutex_unlock(&fm_pool_mu);
            fm_pool_work(&j, id);
            pthread_mutex_lock(&fm_pool_mu);
            fm_pool_active--;
            pthread_mutex_unlock(&fm_pool_mu);
            fm_pool_spin(seen);
            pthread_mutex_lock(&fm_pool_mu);
        }
        return NULL;
    }

    /* Run job j on n_threads threads (the caller included). */
    static void fm_conv_parallel(const fm_conv_job *j, int n_threads) {
        if (n_threads > j->n) n_threads = (int)j->n;
        if (n_threads <= 1) {
            for (long i = 0; i < j->n; i++)
                j->fn(j, i, j->scratch);
            return;
        }
        pthread_once(&fm_pool_once, fm_pool_init);
        pthread_mutex_lock(&fm_pool_call);
        pthread_mutex_lock(&fm_pool_mu);
        while (fm_pool_active > 0) {  /* a late worker leaving the previous job */
            pthread_mutex_unlock(&fm_pool_mu);
            sched_yield();
            pthread_mutex_lock(&fm_pool_mu);
        }
        fm_pool_job = *j;
        fm_pool_next = fm_pool_done = 0;
        __atomic_store_n(&fm_pool_gen, fm_pool_gen + 1, __ATOMIC_RELEASE);
        while (fm_pool_started < n_threads - 1) {
            pthread_t t;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            int err = pthread_create(&t, &attr, fm_pool_worker, (void *)(long)(fm_pool_started + 1));
            pthread_attr_destroy(&attr);
            if (err) break;  /* fewer threads: the claiming loop still covers every image */
            fm_pool_started++;
        }
        fm_pool_want = n_threads - 1;
        pthread_cond_broadcast(&fm_pool_cv);
        pthread_mutex_unlock(&fm_pool_mu);
        fm_pool_work(j, 0);
        while (__atomic_load_n(&fm_pool_done, __ATOMIC_ACQUIRE) < j->n) sched_yield();
        pthread_mutex_unlock(&fm_pool_call);
    }
    """
    ctypedef struct fm_conv_plan:
        int C, H, W, O, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw
        int T, nblk, direct, narrow, HQ, WQ, R
        long plane, rowpitch, opitch, nvec
        long *toff
        long *ip
        long *op
        const void *wt
        const void *bp
        long nbuf
        int wino, TW
        long vplane
    ctypedef struct fm_conv_job
    ctypedef void (*fm_conv_fn)(const fm_conv_job *j, long i, void *scratch) noexcept nogil
    ctypedef struct fm_conv_job:
        fm_conv_fn fn
        const void *plan
        char *x
        char *y
        char *out
        char *scratch
        long sx, sy, so, ss, n
    void fm_conv_entry_s(const fm_conv_job *j, long i, void *scratch) noexcept nogil
    void fm_conv_entry_d(const fm_conv_job *j, long i, void *scratch) noexcept nogil
    ctypedef struct fm_dw_plan:
        int C, H, W, O, OH, OW, KH, KW, pt, pl, dh, dw
        int N, K, P, HP, T, T3, O4
        long xplane, L
        long *toff
    void fm_dw_chunk_s(const fm_conv_job *j, long i, void *scratch) noexcept nogil
    void fm_dw_chunk_d(const fm_conv_job *j, long i, void *scratch) noexcept nogil
    void fm_conv_parallel(const fm_conv_job *j, int n_threads) noexcept nogil


# True when this build has the AVX2/FMA kernel and the CPU runs it; the caller
# (fastml.nn._ops) uses the Numba kernel otherwise.
HAS_SIMD = bool(FM_CPU_X86_SIMD and fm_cpu_has_avx2_fma())

# Input bytes one strip of output rows may read: a quarter of a 512 KB L2,
# leaving room for the weights and the output lines being written.
STRIP_BYTES = 128 * 1024

# Where the Winograd kernel is faster (measured, docs/nn.md): from 48
# (channel, filter row) taps, e.g. 16 channels of 3x3 (equal at 3 channels,
# +3% at 8), and 16 filters (the input transform of a channel is shared by
# every filter; 8 filters on 64 channels measured 0.83-0.94x).
cdef enum:
    WINO_MIN_TAPS = 48
    WINO_MIN_FILTERS = 16
MIN_WINOGRAD_TAPS, MIN_WINOGRAD_FILTERS = WINO_MIN_TAPS, WINO_MIN_FILTERS  # for the tests


cdef int _plan(fm_conv_plan *p, int vl, long itemsize, long strip_bytes,
               bint winograd) noexcept nogil:
    """Fill the offsets of p (geometry already set); returns -1 if out of memory.

    In place (direct), offsets are from the image start; through the copy, ip
    is from the start of the row's strip (i % R), the copy holding one strip.
    """
    cdef int c, ki, i, v, nv, j
    cdef long k
    p.nblk = (p.O + 3) // 4
    # 1-D Winograd F(2, 3) (fm_wino_image): 3-wide filters at column stride
    # and dilation 1, rows of whole tiles at least one vector wide; row stride
    # 1 keeps a filter row's offset into the transformed strip constant. Only
    # from WINO_MIN_TAPS (channel, filter row) pairs and WINO_MIN_FILTERS:
    # below, the per-component sums are too short, or the input transform is
    # shared by too few filters, to pay for the transforms.
    p.wino = (winograd and p.KW == 3 and p.sw == 1 and p.dw == 1 and p.sh == 1
              and p.OW % 2 == 0 and p.OW // 2 >= vl and p.C * p.KH >= WINO_MIN_TAPS
              and p.O >= WINO_MIN_FILTERS)
    if p.wino:
        p.direct = p.narrow = 0
        p.nvec = 0
        p.TW = p.OW // 2
        p.T = p.C * p.KH  # taps of one component: (channel, filter row)
        # rows per strip: its transformed rows (4 components) fit in strip_bytes
        p.R = <int> min(<long> p.OH, max(1, strip_bytes // (4 * p.C * p.TW * itemsize)
                                         - (p.KH - 1) * p.dh))
        p.vplane = <long> (p.R + (p.KH - 1) * p.dh) * p.TW
        p.nbuf = 4 * p.C * p.vplane + 4 * 4 * 3 * vl + 2 * p.TW + 2  # V, M, a padded row
        p.toff = <long *> malloc(4 * p.T * sizeof(long))
        if p.toff == NULL:
            return -1
        for v in range(4):
            for c in range(p.C):
                for ki in range(p.KH):
                    p.toff[v * p.T + c * p.KH + ki] = (4 * c + v) * p.vplane + <long> ki * p.dh * p.TW
        return 0
    p.T = p.C * p.KH * p.KW
    p.narrow = p.OW < vl
    p.direct = (p.sw == 1 and p.pt == 0 and p.pl == 0 and not p.narrow
                and (p.OH - 1) * p.sh + (p.KH - 1) * p.dh <= p.H - 1
                and p.OW - 1 + (p.KW - 1) * p.dw <= p.W - 1)
    if p.direct:
        p.WQ = p.W
        p.rowpitch = p.W
    else:
        p.WQ = max(p.OW, vl) + ((p.KW - 1) * p.dw) // p.sw
        p.rowpitch = <long> p.sw * p.WQ
    # rows per strip: the input rows a strip reads fit in strip_bytes
    p.R = <int> min(<long> p.OH, max(1, strip_bytes // (p.C * p.sh * p.rowpitch * itemsize)))
    if p.direct:
        p.HQ = p.H
    else:
        p.HQ = (p.R - 1) * p.sh + (p.KH - 1) * p.dh + 1
    p.plane = p.HQ * p.rowpitch
    p.opitch = vl if p.narrow else p.OW
    nv = 1 if p.narrow else (p.OW + vl - 1) // vl
    p.nvec = <long> nv * p.OH
    p.nbuf = 0 if p.direct else p.C * p.plane
    p.toff = <long *> malloc(p.T * sizeof(long))
    p.ip = <long *> malloc(p.nvec * sizeof(long))
    p.op = <long *> malloc(p.nvec * sizeof(long))
    if p.toff == NULL or p.ip == NULL or p.op == NULL:
        return -1
    _tap_offsets(p.toff, p.C, p.KH, p.KW, p.plane, p.rowpitch, p.dh, p.dw, p.sw, p.WQ)
    k = 0
    for i in range(p.OH):
        for v in range(nv):
            j = min(v * vl, p.OW - vl) if not p.narrow else 0
            p.ip[k] = <long> (i if p.direct else i % p.R) * p.sh * p.rowpitch + j
            p.op[k] = <long> (i % p.R if p.narrow else i) * p.opitch + j
            k += 1
    return 0


cdef void _tap_offsets(long *toff, int C, int KH, int KW, long plane, long rowpitch,
                       int dh, int dw, int sw, long phase) noexcept nogil:
    """toff[(c * KH + ki) * KW + kj]: where tap (c, ki, kj) reads, relative to an
    output's first input element, in channel planes of ``plane`` elements and
    rows of ``rowpitch``; with column stride sw > 1, column phases ``phase``
    elements apart (the phase planes of the forward's copy)."""
    cdef int c, ki, kj
    for c in range(C):
        for ki in range(KH):
            for kj in range(KW):
                toff[(c * KH + ki) * KW + kj] = (
                    c * plane + <long> ki * dh * rowpitch
                    + <long> ((kj * dw) % sw) * phase + (kj * dw) // sw)


cdef void _unplan(fm_conv_plan *p) noexcept nogil:
    free(p.toff)
    free(p.ip)
    free(p.op)


cdef class ForwardPlan:
    """Geometry, tap offsets and packed weights of one conv2d forward call;
    ``run`` computes it.

    x_shape (N, C, H, W); w (O, C, KH, KW), b (O,) C-contiguous of the input's
    dtype (float32 or float64); out_shape (N, O, OH, OW); ``geom`` =
    (stride_h, stride_w, pad_top, pad_left, dil_h, dil_w), the padding
    possibly negative (crop). ``strip_bytes`` bounds the input rows one strip
    of output rows reads (and the per-task copy): tests shrink it to force
    many strips. ``winograd=False`` keeps the direct kernel where the
    Winograd one applies (tests and the A/B benchmark); ``winograd`` then
    tells which one the plan runs. Build only when ``HAS_SIMD``.
    """
    cdef fm_conv_plan p
    cdef void *wt
    cdef void *bp
    cdef fm_conv_fn function
    cdef readonly Py_ssize_t scratch
    cdef Py_ssize_t x_shape[4]
    cdef Py_ssize_t out_shape[4]
    cdef char code  # buffer format of the dtype: 'f' float32, 'd' float64

    @property
    def winograd(self):
        return bool(self.p.wino)

    def __cinit__(self, x_shape, w, b, out_shape, geom, long strip_bytes=STRIP_BYTES,
                  bint winograd=True):
        cdef bint single = w.dtype.itemsize == 4
        cdef int vl = 8 if single else 4
        cdef int i
        self.p.toff = self.p.ip = self.p.op = NULL
        self.wt = self.bp = NULL
        self.p.C, self.p.H, self.p.W = x_shape[1], x_shape[2], x_shape[3]
        self.p.O, self.p.KH, self.p.KW = w.shape[0], w.shape[2], w.shape[3]
        self.p.OH, self.p.OW = out_shape[2], out_shape[3]
        self.p.sh, self.p.sw, self.p.pt, self.p.pl, self.p.dh, self.p.dw = geom
        if self.p.OH <= 0 or self.p.OW <= 0 or self.p.O <= 0:
            raise ValueError(f"empty conv2d output {tuple(out_shape)}")
        if _plan(&self.p, vl, w.dtype.itemsize, strip_bytes, winograd) < 0:
            raise MemoryError()
        if single:
            self.wt, self.bp = _pack[float](w, b, &self.p)
        else:
            self.wt, self.bp = _pack[double](w, b, &self.p)
        self.p.wt, self.p.bp = self.wt, self.bp
        self.scratch = self.p.nbuf + (<long> 4 * self.p.R * vl
                                      if self.p.narrow and not self.p.wino else 0)
        self.function = fm_conv_entry_s if single else fm_conv_entry_d
        for i in range(4):
            self.x_shape[i], self.out_shape[i] = x_shape[i], out_shape[i]
        self.code = b'f' if single else b'd'

    def run(self, x, out, int n_threads):
        """out = conv2d(x) on n_threads threads (the caller's included).

        x and out: C-contiguous, writeable, of the plan's shapes and dtype
        (checked: this is the C kernel's only gate). Through the buffer
        protocol, which checks layout and writeability itself: the numpy
        attributes (.shape, .flags, .ctypes) cost ~10 us a call here, 3% of
        the issue's layer."""
        cdef fm_conv_job job
        cdef Py_buffer bx, bo
        _get_buffer(x, &bx, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
        try:
            _get_buffer(out, &bo, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE)
            try:
                if not (_matches(&bx, self.code, self.x_shape)
                        and _matches(&bo, self.code, self.out_shape)):
                    raise ValueError("x / out do not match the plan")
                job.n = bx.shape[0]
                job.fn = self.function
                job.plan = &self.p
                job.x = <char *> bx.buf
                job.out = <char *> bo.buf
                job.sx = bx.len // job.n if job.n else 0
                job.so = bo.len // job.n if job.n else 0
                job.ss = self.scratch * bx.itemsize
                _run(&job, n_threads)
            finally:
                PyBuffer_Release(&bo)
        finally:
            PyBuffer_Release(&bx)

    def __dealloc__(self):
        _unplan(&self.p)
        free(self.wt)
        free(self.bp)


cdef bint _matches(const Py_buffer *b, char code, const Py_ssize_t *shape) noexcept:
    """b is 4-D, of the plan's one-character format (dtype) and of shape."""
    cdef int i
    if b.ndim != 4 or b.format[0] != code or b.format[1] != 0:
        return False
    for i in range(4):
        if b.shape[i] != shape[i]:
            return False
    return True


cdef int _run(fm_conv_job *job, int n_threads) except -1:
    """Runs job's tasks on min(n_threads, tasks) threads (the caller's
    included), each thread with job.ss bytes of scratch; the GIL released."""
    n_threads = max(1, min(n_threads, job.n))
    job.scratch = <char *> malloc(job.ss * n_threads + 1)
    if job.scratch == NULL:
        raise MemoryError()
    with nogil:
        fm_conv_parallel(job, n_threads)
    free(job.scratch)
    return 0


cdef int _get_buffer(object a, Py_buffer *view, int flags) except -1:
    """PyObject_GetBuffer, its refusals (not C-contiguous, read-only, no
    buffer) reported as the plan's ValueError."""
    try:
        return PyObject_GetBuffer(a, view, flags)
    except (BufferError, ValueError, TypeError):
        raise ValueError("x / out do not match the plan") from None


cdef (void *, void *) _pack(const floating[:, :, :, ::1] w, const floating[::1] b,
                            const fm_conv_plan *p) except *:
    """Weights as (block, tap, 4), so that one pointer walks a block's taps, and
    the bias; zero filters pad the last block of 4 output channels. For the
    Winograd plan, (block, component, (channel, filter row), 4): each filter
    row's 4 transformed weights, computed in double and rounded once."""
    cdef int k, q, t, c
    cdef const floating *w0 = &w[0, 0, 0, 0]  # C-contiguous: filter o is w0[o*T : (o+1)*T]
    cdef floating *wt = <floating *> malloc(p.nblk * p.T * (16 if p.wino else 4) * sizeof(floating))
    cdef floating *bp = <floating *> malloc(p.nblk * 4 * sizeof(floating))
    if wt == NULL or bp == NULL:
        free(wt)
        free(bp)
        raise MemoryError()
    cdef double g0, g1, g2
    cdef const floating *g
    for k in range(p.nblk):
        for q in range(4):
            bp[4 * k + q] = b[4 * k + q] if 4 * k + q < p.O else 0
            for t in range(p.T):
                if 4 * k + q >= p.O and p.wino:
                    for c in range(4):
                        wt[((4 * k + c) * p.T + t) * 4 + q] = 0
                elif 4 * k + q >= p.O:
                    wt[(k * p.T + t) * 4 + q] = 0
                elif p.wino:  # the filter row's 4 components (block, component, tap, 4)
                    g = w0 + ((4 * k + q) * p.T + t) * 3
                    g0, g1, g2 = g[0], g[1], g[2]
                    wt[((4 * k + 0) * p.T + t) * 4 + q] = <floating> g0
                    wt[((4 * k + 1) * p.T + t) * 4 + q] = <floating> (0.5 * (g0 + g1 + g2))
                    wt[((4 * k + 2) * p.T + t) * 4 + q] = <floating> (0.5 * (g0 - g1 + g2))
                    wt[((4 * k + 3) * p.T + t) * 4 + q] = <floating> g2
                else:
                    wt[(k * p.T + t) * 4 + q] = w0[(4 * k + q) * p.T + t]
    return wt, bp


# Tasks of the weight gradient: a fixed number of image chunks, so the sums
# (per chunk in order, then the chunks by NumPy) do not depend on the thread
# count, and enough of them to balance a few threads.
DW_TASKS = 16


cdef class WeightGradPlan:
    """Weight and bias gradients of conv2d at stride 1 (any padding, dilation):
    ``run(x, dy, n_threads)`` returns (dw, db) of sum(dy * conv2d(x, w, b)).

    x_shape (N, C, H, W), w_shape (O, C, KH, KW), dy_shape (N, O, OH, OW);
    ``geom`` = (pad_top, pad_left, dil_h, dil_w); ``dtype`` float32 or float64.
    Build only when ``HAS_SIMD``.
    """
    cdef fm_dw_plan p
    cdef fm_conv_fn function
    cdef readonly Py_ssize_t scratch, n_tasks
    cdef Py_ssize_t x_shape[4]
    cdef Py_ssize_t dy_shape[4]
    cdef object dtype
    cdef char code

    def __cinit__(self, x_shape, w_shape, dy_shape, geom, dtype):
        self.dtype = np.dtype(dtype)
        cdef bint single = self.dtype.itemsize == 4
        cdef int vl = 8 if single else 4
        cdef int i
        self.p.toff = NULL
        self.p.N, self.p.C, self.p.H, self.p.W = x_shape
        self.p.O, _, self.p.KH, self.p.KW = w_shape
        self.p.OH, self.p.OW = dy_shape[2], dy_shape[3]
        self.p.pt, self.p.pl, self.p.dh, self.p.dw = geom
        if self.p.N <= 0 or self.p.OH <= 0 or self.p.OW <= 0 or self.p.O <= 0:
            raise ValueError(f"empty conv2d gradient {tuple(dy_shape)}")
        if self.p.pt < 0 or self.p.pl < 0:
            raise ValueError("negative padding")
        self.p.P = self.p.OW + (self.p.KW - 1) * self.p.dw
        self.p.HP = self.p.OH + (self.p.KH - 1) * self.p.dh
        self.p.T = self.p.C * self.p.KH * self.p.KW
        self.p.T3 = (self.p.T + 1 + 2) // 3 * 3  # + the bias tap
        self.p.O4 = (self.p.O + 3) // 4 * 4
        self.p.xplane = <long> (self.p.HP + 1) * self.p.P + vl
        self.p.L = (<long> self.p.OH * self.p.P + vl - 1) // vl * vl
        self.scratch = self.p.C * self.p.xplane + self.p.O4 * self.p.L + self.p.L  # x, dy, ones
        self.p.K = (self.p.N + DW_TASKS - 1) // DW_TASKS
        self.n_tasks = (self.p.N + self.p.K - 1) // self.p.K
        self.p.toff = <long *> malloc(self.p.T3 * sizeof(long))
        if self.p.toff == NULL:
            raise MemoryError()
        for i in range(self.p.T3):
            self.p.toff[i] = 0
        _tap_offsets(self.p.toff, self.p.C, self.p.KH, self.p.KW, self.p.xplane, self.p.P,
                     self.p.dh, self.p.dw, 1, 0)
        self.p.toff[self.p.T] = self.p.C * self.p.xplane + self.p.O4 * self.p.L  # ones: db
        self.function = fm_dw_chunk_s if single else fm_dw_chunk_d
        for i in range(4):
            self.x_shape[i], self.dy_shape[i] = x_shape[i], dy_shape[i]
        self.code = b'f' if single else b'd'

    def run(self, x, dy, int n_threads):
        """(dw, db) on n_threads threads; x and dy C-contiguous, of the plan's
        shapes and dtype (checked: the C kernel's only gate)."""
        cdef fm_conv_job job
        cdef Py_buffer bx, by, bp
        parts = np.empty((self.n_tasks, self.p.O4 * self.p.T3), self.dtype)
        PyObject_GetBuffer(parts, &bp, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE)
        job.out = <char *> bp.buf
        job.so = bp.len // self.n_tasks
        PyBuffer_Release(&bp)  # parts stays alive (and in place) below
        _get_buffer(x, &bx, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
        try:
            _get_buffer(dy, &by, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
            try:
                if not (_matches(&bx, self.code, self.x_shape)
                        and _matches(&by, self.code, self.dy_shape)):
                    raise ValueError("x / dy do not match the plan")
                job.n = self.n_tasks
                job.fn = self.function
                job.plan = &self.p
                job.x = <char *> bx.buf
                job.y = <char *> by.buf
                job.sx = bx.len // self.p.N
                job.sy = by.len // self.p.N
                job.ss = self.scratch * bx.itemsize
                _run(&job, n_threads)
            finally:
                PyBuffer_Release(&by)
        finally:
            PyBuffer_Release(&bx)
        total = parts.sum(axis=0).reshape(self.p.O4, self.p.T3)
        o, t = self.p.O, self.p.T
        return (np.ascontiguousarray(total[:o, :t]).reshape(o, self.p.C, self.p.KH, self.p.KW),
                total[:o, t].copy())

    def __dealloc__(self):
        free(self.p.toff)
