# Fused loss + gradient of the (half) binomial / multinomial logistic loss.
#
# The pointwise formulas are scikit-learn's (sklearn/_loss/_loss.pyx.tp,
# closs_grad_half_binomial and the multinomial softmax; BSD-3-Clause, The
# scikit-learn developers). scikit-learn evaluates raw = X @ w (one pass over
# X), the pointwise loss/gradient, then X.T @ g (a second pass). Here each
# chunk of rows is read once while it sits in cache: raw, loss, gradient and
# the X.T @ g contribution are fused, in parallel over chunks with per-thread
# gradient slabs summed in thread order (deterministic for a fixed n_threads).
# Callers hold threadpool_limits(1, 'blas'): BLAS runs inside the OpenMP region.

from libc.math cimport exp, log, log1p
from cython cimport floating
from cython.parallel cimport prange, parallel, threadid
import numpy as np

from fastml._cy._blas cimport _gemm, RowMajor, NoTrans, Trans

cdef enum:
    CHUNK = 256  # rows per task: a 256 x p block of X stays in L2 between both uses


cdef inline double _binomial(double y, double raw, double* grad) noexcept nogil:
    """Half binomial loss log(1 + exp(raw)) - y raw, and its derivative, stably."""
    cdef double t
    if raw <= -37:
        t = exp(raw)
        grad[0] = t - y
        return t - y * raw
    elif raw <= -2:
        t = exp(raw)
        grad[0] = ((1 - y) * t - y) / (1 + t)
        return log1p(t) - y * raw
    elif raw <= 18:
        t = exp(-raw)
        grad[0] = ((1 - y) - y * t) / (1 + t)
        return log1p(t) + (1 - y) * raw
    t = exp(-raw)
    grad[0] = ((1 - y) - y * t) / (1 + t)
    return t + (1 - y) * raw


cdef double _pointwise(
    const floating[::1] y, const floating[::1] sw, const double[:, ::1] W,
    Py_ssize_t start, Py_ssize_t end, bint fit_intercept, double* raw, double* tmp,
) noexcept nogil:
    """raw[(i - start) * k + c] holds X_i @ W_c; replace it by sw_i * dloss/draw_c."""
    cdef Py_ssize_t n_classes = W.shape[0], p = W.shape[1] - fit_intercept
    cdef Py_ssize_t i, c, yi
    cdef double loss = 0, g, m, sum_exp, w_i
    cdef double* r
    cdef bint weighted = sw.shape[0] > 0
    for i in range(start, end):
        w_i = sw[i] if weighted else 1.0
        r = raw + (i - start) * n_classes
        if fit_intercept:
            for c in range(n_classes):
                r[c] += W[c, p]
        if n_classes == 1:
            loss += w_i * _binomial(y[i], r[0], &g)
            r[0] = w_i * g
        else:
            m = r[0]
            for c in range(1, n_classes):
                if r[c] > m:
                    m = r[c]
            sum_exp = 0
            for c in range(n_classes):
                tmp[c] = exp(r[c] - m)
                sum_exp = sum_exp + tmp[c]
            yi = <Py_ssize_t> y[i]
            loss += w_i * (log(sum_exp) + m - r[yi])
            for c in range(n_classes):
                r[c] = w_i * (tmp[c] / sum_exp - (1.0 if c == yi else 0.0))
    return loss


cdef double _chunk(
    const floating[:, ::1] X, const floating[::1] y, const floating[::1] sw,
    const double[:, ::1] W, Py_ssize_t start, Py_ssize_t end, bint fit_intercept,
    double* G, double* raw, double* tmp,
) noexcept nogil:
    """Loss sum of rows [start, end); adds their X.T @ g contribution to G."""
    cdef Py_ssize_t n_classes = W.shape[0], p = X.shape[1]
    cdef Py_ssize_t n_dof = W.shape[1], m = end - start
    cdef Py_ssize_t i, j, c
    cdef double loss, s, g
    if floating is double:
        # raw (m, k) = X_chunk @ W[:, :p].T, then G[:, :p] += raw.T @ X_chunk:
        # BLAS keeps several accumulators in flight where a plain dot loop
        # would wait on one FMA chain.
        _gemm(RowMajor, NoTrans, Trans, <int> m, <int> n_classes, <int> p, 1.0,
              &X[start, 0], <int> p, &W[0, 0], <int> n_dof, 0.0, raw, <int> n_classes)
    else:
        for i in range(m):
            for c in range(n_classes):
                s = 0
                for j in range(p):
                    s = s + X[start + i, j] * W[c, j]
                raw[i * n_classes + c] = s
    loss = _pointwise(y, sw, W, start, end, fit_intercept, raw, tmp)
    if floating is double:
        _gemm(RowMajor, Trans, NoTrans, <int> n_classes, <int> p, <int> m, 1.0,
              raw, <int> n_classes, &X[start, 0], <int> p, 1.0, G, <int> n_dof)
    else:
        for i in range(m):
            for c in range(n_classes):
                g = raw[i * n_classes + c]
                for j in range(p):
                    G[c * n_dof + j] += g * X[start + i, j]
    if fit_intercept:
        for i in range(m):
            for c in range(n_classes):
                G[c * n_dof + p] += raw[i * n_classes + c]
    return loss


def loss_gradient(
        const floating[:, ::1] X,     # IN  (n_samples, n_features)
        const floating[::1] y,        # IN  0/1 (binary) or class index (multinomial)
        const floating[::1] sw,       # IN  sample weights, or empty for all ones
        const double[:, ::1] W,       # IN  (n_classes or 1, n_features + fit_intercept)
        double[:, ::1] grad,          # OUT same shape as W: sum_i g_i [x_i, 1]
        bint fit_intercept,
        int n_threads):
    """Sum over samples of sw_i * loss_i, and its gradient with respect to W.

    Binary (W has one row): half binomial loss log(1 + e^raw) - y raw.
    Multinomial (k rows): log-sum-exp(raw) - raw[y]. Unnormalised: the caller
    divides by sum(sw) and adds the penalty.
    """
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t n_classes = W.shape[0], n_coef = W.shape[0] * W.shape[1]
    cdef Py_ssize_t n_chunks = (n + CHUNK - 1) // CHUNK
    cdef Py_ssize_t c, t, q
    cdef double loss = 0
    cdef double[:, ::1] slabs = np.zeros((n_threads, n_coef), dtype=np.float64)
    cdef double[:, ::1] scratch = np.empty((n_threads, (CHUNK + 1) * n_classes), dtype=np.float64)
    cdef int tid
    # a thread per ~2M multiply-adds at most: waking threads for less costs more
    n_threads = max(1, min(n_threads, n_chunks, 1 + n * n_coef // 2000000))
    with nogil, parallel(num_threads=n_threads):
        tid = threadid()
        for c in prange(n_chunks, schedule="static"):
            loss += _chunk(X, y, sw, W, c * CHUNK, min((c + 1) * CHUNK, n),
                           fit_intercept, &slabs[tid, 0], &scratch[tid, 0],
                           &scratch[tid, CHUNK * n_classes])
    cdef double* out = &grad[0, 0]
    for q in range(n_coef):
        out[q] = 0
    for t in range(n_threads):
        for q in range(n_coef):
            out[q] += slabs[t, q]
    return loss
