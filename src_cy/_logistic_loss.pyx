# Fused loss + gradient of the (half) binomial / multinomial logistic loss.
#
# The pointwise formulas are scikit-learn's (sklearn/_loss/_loss.pyx.tp,
# closs_grad_half_binomial and the multinomial softmax; BSD-3-Clause, The
# scikit-learn developers).
# scikit-learn evaluates raw = X @ w (one pass over X), the pointwise
# loss/gradient, then X.T @ g (a second pass). Here each row x_i is read once:
# its dot products, loss, gradient and g_i x_i contribution are computed while
# it sits in L1, in parallel over row blocks with per-block gradient slabs
# summed in block order (deterministic whatever the number of threads). No BLAS
# (a per-row dot is too short for a BLAS call to pay): AVX2 four-row kernels
# where the CPU has them. Threads: see loss_gradient.

from libc.math cimport exp, log
from libc.stdlib cimport malloc, free
from cython cimport floating
import numpy as np

from fastml._cy._cpu cimport fm_cpu_has_avx2_fma  # FM_CPU_X86_SIMD, FM_AVX2_FMA first


cdef enum:
    CHUNK = 256       # fewest rows per block: less is not worth a task
    MAX_BLOCKS = 64   # blocks per evaluation: bounds the per-block slabs' memory
    LOG_EVERY = 16    # rows whose log-terms share one log() (see _rows)


cdef extern from *:
    """
    #include <sched.h>
    /* The block counters an evaluation's threads share. */
    static inline Py_ssize_t fm_lr_claim(Py_ssize_t *c) {
        return __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
    }
    static inline void fm_lr_finish(Py_ssize_t *c) { __atomic_fetch_add(c, 1, __ATOMIC_RELEASE); }
    static inline Py_ssize_t fm_lr_load(Py_ssize_t *c) {
        return __atomic_load_n(c, __ATOMIC_ACQUIRE);
    }

    #if FM_CPU_X86_SIMD
    /* Four rows x[0..3] (row stride ldx) dotted with w: one FMA chain per row,
       four independent chains keep both FMA pipes busy. */
    #define FM_LR_DOT4(T, LOAD)                                                   \
    FM_AVX2_FMA static void fm_lr_dot4_##T(long p, const void *xv, long ldx,      \
                                           const double *w, double *out) {        \
        const T *x = (const T *)xv;                                               \
        __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();               \
        __m256d a2 = _mm256_setzero_pd(), a3 = _mm256_setzero_pd();               \
        long j = 0;                                                               \
        for (; j + 4 <= p; j += 4) {                                              \
            __m256d wj = _mm256_loadu_pd(w + j);                                  \
            a0 = _mm256_fmadd_pd(LOAD(x + j), wj, a0);                            \
            a1 = _mm256_fmadd_pd(LOAD(x + ldx + j), wj, a1);                      \
            a2 = _mm256_fmadd_pd(LOAD(x + 2 * ldx + j), wj, a2);                  \
            a3 = _mm256_fmadd_pd(LOAD(x + 3 * ldx + j), wj, a3);                  \
        }                                                                         \
        /* horizontal sums of the four accumulators, one per lane */              \
        __m256d s01 = _mm256_hadd_pd(a0, a1), s23 = _mm256_hadd_pd(a2, a3);       \
        __m256d lo = _mm256_permute2f128_pd(s01, s23, 0x20);                      \
        __m256d hi = _mm256_permute2f128_pd(s01, s23, 0x31);                      \
        _mm256_storeu_pd(out, _mm256_add_pd(lo, hi));                             \
        for (; j < p; j++) {                                                      \
            double wj = w[j];                                                     \
            out[0] += x[j] * wj; out[1] += x[ldx + j] * wj;                       \
            out[2] += x[2 * ldx + j] * wj; out[3] += x[3 * ldx + j] * wj;         \
        }                                                                         \
    }                                                                             \
    /* G += g[0] x[0] + ... + g[3] x[3]: G is loaded and stored once for four rows */ \
    FM_AVX2_FMA static void fm_lr_axpy4_##T(long p, const double *g, const void *xv, \
                                            long ldx, double *G) {                \
        const T *x = (const T *)xv;                                               \
        __m256d g0 = _mm256_set1_pd(g[0]), g1 = _mm256_set1_pd(g[1]);            \
        __m256d g2 = _mm256_set1_pd(g[2]), g3 = _mm256_set1_pd(g[3]);            \
        long j = 0;                                                               \
        for (; j + 4 <= p; j += 4) {                                              \
            __m256d acc = _mm256_loadu_pd(G + j);                                 \
            acc = _mm256_fmadd_pd(g0, LOAD(x + j), acc);                          \
            acc = _mm256_fmadd_pd(g1, LOAD(x + ldx + j), acc);                    \
            acc = _mm256_fmadd_pd(g2, LOAD(x + 2 * ldx + j), acc);                \
            acc = _mm256_fmadd_pd(g3, LOAD(x + 3 * ldx + j), acc);                \
            _mm256_storeu_pd(G + j, acc);                                         \
        }                                                                         \
        for (; j < p; j++)                                                        \
            G[j] += g[0] * x[j] + g[1] * x[ldx + j] + g[2] * x[2 * ldx + j]       \
                    + g[3] * x[3 * ldx + j];                                      \
    }
    #define FM_LR_LOAD_D(ptr) _mm256_loadu_pd(ptr)
    #define FM_LR_LOAD_S(ptr) _mm256_cvtps_pd(_mm_loadu_ps(ptr))
    FM_LR_DOT4(double, FM_LR_LOAD_D)
    FM_LR_DOT4(float, FM_LR_LOAD_S)
    #else
    static void fm_lr_dot4_double(long p, const void *x, long ldx, const double *w, double *out) {}
    static void fm_lr_dot4_float(long p, const void *x, long ldx, const double *w, double *out) {}
    static void fm_lr_axpy4_double(long p, const double *g, const void *x, long ldx, double *G) {}
    static void fm_lr_axpy4_float(long p, const double *g, const void *x, long ldx, double *G) {}
    #endif
    """
    void fm_lr_dot4_double(long p, const void *x, long ldx, const double *w,
                           double *out) noexcept nogil
    void fm_lr_dot4_float(long p, const void *x, long ldx, const double *w,
                          double *out) noexcept nogil
    void fm_lr_axpy4_double(long p, const double *g, const void *x, long ldx,
                            double *G) noexcept nogil
    void fm_lr_axpy4_float(long p, const double *g, const void *x, long ldx,
                           double *G) noexcept nogil
    Py_ssize_t fm_lr_claim(Py_ssize_t *c) noexcept nogil
    void fm_lr_finish(Py_ssize_t *c) noexcept nogil
    Py_ssize_t fm_lr_load(Py_ssize_t *c) noexcept nogil
    int sched_yield() noexcept nogil


# AVX2 four-row kernels where the CPU has them; tests turn them off to check
# that both paths give the same loss and gradient
cdef bint _SIMD = fm_cpu_has_avx2_fma()


def set_simd(bint enabled):
    """Use the AVX2 paths (if the CPU has AVX2+FMA); return the previous setting."""
    global _SIMD
    previous = _SIMD
    _SIMD = enabled and fm_cpu_has_avx2_fma()
    return previous


cdef inline double _binomial(double y, double raw, double* grad, double* factor) noexcept nogil:
    """Half binomial loss log(1 + exp(raw)) - y raw and its derivative, stably.

    scikit-learn's branches; the log1p term of the middle two is left out of
    the returned value and handed back as ``factor`` = 1 + t (1 elsewhere):
    the caller takes one log of a product of factors for several rows, as
    log1p (~20 ns) would cost more than the rest of the row.
    """
    cdef double t
    if raw <= -37:
        t = exp(raw)
        grad[0] = t - y
        factor[0] = 1
        return t - y * raw
    elif raw <= -2:
        t = exp(raw)
        grad[0] = ((1 - y) * t - y) / (1 + t)
        factor[0] = 1 + t
        return -y * raw
    elif raw <= 18:
        t = exp(-raw)
        grad[0] = ((1 - y) - y * t) / (1 + t)
        factor[0] = 1 + t
        return (1 - y) * raw
    t = exp(-raw)
    grad[0] = ((1 - y) - y * t) / (1 + t)
    factor[0] = 1
    return t + (1 - y) * raw


cdef inline void _log_term(double w_i, double factor, double* loss, double* prod,
                           int* pending) noexcept nogil:
    """Add w_i * log(factor) to loss: deferred into prod for unit weights."""
    if w_i != 1.0:
        loss[0] += w_i * log(factor)
        return
    prod[0] *= factor
    pending[0] += 1
    if pending[0] == LOG_EVERY:
        loss[0] += log(prod[0])
        prod[0] = 1
        pending[0] = 0


cdef inline double _row_dot(Py_ssize_t p, const floating* x, const double* w) noexcept nogil:
    """x @ w with four independent accumulators (one FMA chain would stall)."""
    cdef double a0 = 0, a1 = 0, a2 = 0, a3 = 0
    cdef Py_ssize_t j = 0
    while j + 4 <= p:
        a0 += x[j] * w[j]
        a1 += x[j + 1] * w[j + 1]
        a2 += x[j + 2] * w[j + 2]
        a3 += x[j + 3] * w[j + 3]
        j += 4
    while j < p:
        a0 += x[j] * w[j]
        j += 1
    return (a0 + a1) + (a2 + a3)


cdef inline double _pointwise(Py_ssize_t n_classes, double* raw, Py_ssize_t stride, double y,
                              double w_i, double* tmp, double* factor) noexcept nogil:
    """One row's w_i-weighted loss, less its log-term (handed back as ``factor``).

    raw[c * stride] holds the row's raw prediction for class c on entry and
    w_i * d loss / d raw_c on return. Binary: _binomial. Multinomial:
    log(sum exp raw) - raw[y], the log-sum taken about the max (stable).
    """
    cdef Py_ssize_t c, yi
    cdef double g, m, sum_exp, loss
    if n_classes == 1:
        loss = _binomial(y, raw[0], &g, factor)
        raw[0] = w_i * g
        return w_i * loss
    m = raw[0]
    for c in range(1, n_classes):
        if raw[c * stride] > m:
            m = raw[c * stride]
    sum_exp = 0
    for c in range(n_classes):
        tmp[c] = exp(raw[c * stride] - m)
        sum_exp = sum_exp + tmp[c]
    yi = <Py_ssize_t> y
    factor[0] = sum_exp
    loss = w_i * (m - raw[yi * stride])
    for c in range(n_classes):
        raw[c * stride] = w_i * (tmp[c] / sum_exp - (1.0 if c == yi else 0.0))
    return loss


cdef double _rows(
    const floating[:, ::1] X, const floating[::1] y, const floating[::1] sw,
    const double[:, ::1] W, Py_ssize_t start, Py_ssize_t end, bint fit_intercept,
    double* G, double* scratch,
) noexcept nogil:
    """Loss sum of rows [start, end); adds their gradient sw_i g_i [x_i, 1] to G.

    Row by row: x_i is read from memory once, for its k dot products, and
    reused from L1 for the k gradient updates (scikit-learn: two BLAS passes);
    with AVX2, four rows at a time (four dot chains, G's rows loaded and
    stored once per four rows). The log-terms (log1p(t) binary, log(sum exp)
    multinomial) of LOG_EVERY rows are multiplied up and logged once: each
    factor is at most 1 + e^2 (binary) or k, so the product cannot overflow,
    and the sum changes by rounding only (about one ulp of each term).
    ``scratch`` holds 6 * n_classes doubles.
    """
    cdef Py_ssize_t n_classes = W.shape[0], p = X.shape[1], n_dof = W.shape[1]
    cdef Py_ssize_t i, j, c, r, n_four
    cdef double loss = 0, g, w_i, factor, prod = 1
    cdef double* raw = scratch
    cdef double* tmp = scratch + n_classes
    cdef double* raw4 = scratch + 2 * n_classes   # [c * 4 + r]: class c, row i + r
    cdef int pending = 0
    cdef const floating* x
    cdef double* Gc
    cdef bint weighted = sw.shape[0] > 0
    i = start
    if _SIMD:
        n_four = start + (end - start) // 4 * 4
        while i < n_four:
            x = &X[i, 0]
            for c in range(n_classes):
                if floating is double:
                    fm_lr_dot4_double(p, x, p, &W[c, 0], raw4 + 4 * c)
                else:
                    fm_lr_dot4_float(p, x, p, &W[c, 0], raw4 + 4 * c)
                if fit_intercept:
                    for r in range(4):
                        raw4[4 * c + r] += W[c, p]
            for r in range(4):
                w_i = sw[i + r] if weighted else 1.0
                loss += _pointwise(n_classes, raw4 + r, 4, y[i + r], w_i, tmp, &factor)
                _log_term(w_i, factor, &loss, &prod, &pending)
            for c in range(n_classes):
                Gc = G + c * n_dof
                if floating is double:
                    fm_lr_axpy4_double(p, raw4 + 4 * c, x, p, Gc)
                else:
                    fm_lr_axpy4_float(p, raw4 + 4 * c, x, p, Gc)
                if fit_intercept:
                    Gc[p] += (raw4[4 * c] + raw4[4 * c + 1]) + (raw4[4 * c + 2] + raw4[4 * c + 3])
            i += 4
    while i < end:
        x = &X[i, 0]
        w_i = sw[i] if weighted else 1.0
        for c in range(n_classes):
            raw[c] = _row_dot(p, x, &W[c, 0])
            if fit_intercept:
                raw[c] += W[c, p]
        loss += _pointwise(n_classes, raw, 1, y[i], w_i, tmp, &factor)
        _log_term(w_i, factor, &loss, &prod, &pending)
        for c in range(n_classes):
            g = raw[c]
            Gc = G + c * n_dof
            for j in range(p):
                Gc[j] += g * x[j]
            if fit_intercept:
                Gc[p] += g
        i += 1
    return loss + log(prod)


def _run_blocks(
        const floating[:, ::1] X, const floating[::1] y, const floating[::1] sw,
        const double[:, ::1] W, bint fit_intercept, Py_ssize_t rows,
        double[:, ::1] slabs,         # OUT one gradient slab per block
        double[::1] losses,           # OUT one loss per block
        Py_ssize_t[::1] state):       # [next block to claim, blocks finished]
    """Claim blocks one at a time until none is left; run by every thread of an evaluation."""
    cdef Py_ssize_t n = X.shape[0], n_blocks = slabs.shape[0], n_classes = W.shape[0]
    cdef Py_ssize_t b
    cdef double* scratch = <double*> malloc(6 * n_classes * sizeof(double))
    if scratch == NULL:
        raise MemoryError()
    with nogil:
        while True:
            b = fm_lr_claim(&state[0])
            if b >= n_blocks:
                break
            losses[b] = _rows(X, y, sw, W, b * rows, min((b + 1) * rows, n), fit_intercept,
                              &slabs[b, 0], scratch)
            fm_lr_finish(&state[1])
    free(scratch)


def loss_gradient(X, y, sw, W, grad, bint fit_intercept, int n_threads, executor=None):
    """Sum over samples of sw_i * loss_i, and its gradient with respect to W.

    X (n_samples, n_features) C-ordered float64/32; y 0/1 (binary) or class
    index (multinomial) in X's dtype; sw sample weights in X's dtype, or
    empty for all ones; W (1 or n_classes, n_features + fit_intercept)
    float64; grad (OUT) like W.
    Binary (W has one row): half binomial loss log(1 + e^raw) - y raw.
    Multinomial (k rows): log-sum-exp(raw) - raw[y]. Unnormalised: the caller
    divides by sum(sw) and adds the penalty.

    Threads: the caller works, and ``n_threads - 1`` tasks go to ``executor``
    (a concurrent.futures pool the caller keeps for the whole fit; None: the
    caller alone). Not OpenMP: between two evaluations (L-BFGS-B's serial
    step) libgomp's idle workers spin, and on a shared machine a spinning
    thread takes the core from the thread holding the last block: measured
    2-3.5x slower than one thread when the other core was busy. Here idle
    workers block in the pool, and the caller waits only for blocks that are
    claimed (a task that starts late finds none left).
    """
    cdef Py_ssize_t n = X.shape[0], n_coef = W.shape[0] * W.shape[1]
    cdef Py_ssize_t n_blocks = min(MAX_BLOCKS, (n + CHUNK - 1) // CHUNK)
    cdef Py_ssize_t rows = (n + n_blocks - 1) // n_blocks
    # one gradient slab and loss per block, reduced in block order below: the
    # result does not depend on n_threads nor on which thread ran which block.
    # Fresh per evaluation: a task that starts late finds this evaluation's
    # blocks all claimed and cannot touch the next one's.
    slabs = np.zeros((n_blocks, n_coef), dtype=np.float64)
    losses = np.empty(n_blocks, dtype=np.float64)
    state = np.zeros(2, dtype=np.intp)
    cdef Py_ssize_t[::1] st = state
    # a thread per ~2M multiply-adds at most: waking threads for less costs more
    n_threads = max(1, min(n_threads, n_blocks, 1 + n * n_coef // 2000000))
    if executor is not None:
        for _ in range(n_threads - 1):
            executor.submit(_run_blocks, X, y, sw, W, fit_intercept, rows, slabs, losses, state)
    _run_blocks(X, y, sw, W, fit_intercept, rows, slabs, losses, state)
    with nogil:
        while fm_lr_load(&st[1]) < n_blocks:
            sched_yield()
    np.sum(slabs, axis=0, out=grad.reshape(-1))
    return float(np.sum(losses))
