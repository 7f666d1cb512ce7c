# Fused loss + gradient of the (half) binomial / multinomial logistic loss.
#
# The pointwise formulas are scikit-learn's (sklearn/_loss/_loss.pyx.tp,
# closs_grad_half_binomial and the multinomial softmax; BSD-3-Clause, The
# scikit-learn developers).
# scikit-learn evaluates raw = X @ w (one pass over X), the pointwise
# loss/gradient, then X.T @ g (a second pass). Here each row x_i is read once:
# its dot products, loss, gradient and g_i x_i contribution are computed while
# it sits in L1, in parallel over row blocks with per-block gradient slabs
# summed in block order (deterministic whatever the number of threads). No BLAS inside
# the OpenMP region (a per-row dot is too short for a BLAS call to pay).

from libc.math cimport exp, log, log1p
from cython cimport floating
from cython.parallel cimport prange, parallel, threadid
import numpy as np


cdef enum:
    CHUNK = 256       # fewest rows per block: less is not worth a task
    MAX_BLOCKS = 64   # blocks per evaluation: bounds the per-block slabs' memory


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


cdef double _rows(
    const floating[:, ::1] X, const floating[::1] y, const floating[::1] sw,
    const double[:, ::1] W, Py_ssize_t start, Py_ssize_t end, bint fit_intercept,
    double* G, double* raw, double* tmp,
) noexcept nogil:
    """Loss sum of rows [start, end); adds their gradient sw_i g_i [x_i, 1] to G.

    Row by row: x_i is read from memory once, for its k dot products, and
    reused from L1 for the k gradient updates (scikit-learn: two BLAS passes).
    """
    cdef Py_ssize_t n_classes = W.shape[0], p = X.shape[1], n_dof = W.shape[1]
    cdef Py_ssize_t i, j, c, yi
    cdef double loss = 0, g, m, sum_exp, w_i
    cdef const floating* x
    cdef double* Gc
    cdef bint weighted = sw.shape[0] > 0
    for i in range(start, end):
        x = &X[i, 0]
        w_i = sw[i] if weighted else 1.0
        for c in range(n_classes):
            raw[c] = _row_dot(p, x, &W[c, 0])
            if fit_intercept:
                raw[c] += W[c, p]
        if n_classes == 1:
            loss += w_i * _binomial(y[i], raw[0], &g)
            raw[0] = w_i * g
        else:
            m = raw[0]
            for c in range(1, n_classes):
                if raw[c] > m:
                    m = raw[c]
            sum_exp = 0
            for c in range(n_classes):
                tmp[c] = exp(raw[c] - m)
                sum_exp = sum_exp + tmp[c]
            yi = <Py_ssize_t> y[i]
            loss += w_i * (log(sum_exp) + m - raw[yi])
            for c in range(n_classes):
                raw[c] = w_i * (tmp[c] / sum_exp - (1.0 if c == yi else 0.0))
        for c in range(n_classes):
            g = raw[c]
            Gc = G + c * n_dof
            for j in range(p):
                Gc[j] += g * x[j]
            if fit_intercept:
                Gc[p] += g
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
    cdef Py_ssize_t n_blocks = min(MAX_BLOCKS, (n + CHUNK - 1) // CHUNK)
    cdef Py_ssize_t rows = (n + n_blocks - 1) // n_blocks
    cdef Py_ssize_t b, q
    cdef double loss = 0
    # one gradient slab and loss per block, reduced in block order below: the
    # result does not depend on n_threads nor on which thread ran which block
    cdef double[:, ::1] slabs = np.zeros((n_blocks, n_coef), dtype=np.float64)
    cdef double[::1] losses = np.empty(n_blocks, dtype=np.float64)
    cdef double[:, ::1] scratch = np.empty((n_threads, 2 * n_classes), dtype=np.float64)
    cdef int tid
    # a thread per ~2M multiply-adds at most: waking threads for less costs more
    n_threads = max(1, min(n_threads, n_blocks, 1 + n * n_coef // 2000000))
    with nogil, parallel(num_threads=n_threads):
        tid = threadid()
        # dynamic: on a shared machine a descheduled thread does not hold the rest up
        for b in prange(n_blocks, schedule="dynamic"):
            losses[b] = _rows(X, y, sw, W, b * rows, min((b + 1) * rows, n),
                              fit_intercept, &slabs[b, 0], &scratch[tid, 0],
                              &scratch[tid, n_classes])
    cdef double* out = &grad[0, 0]
    for q in range(n_coef):
        out[q] = 0
    for b in range(n_blocks):
        loss += losses[b]
        for q in range(n_coef):
            out[q] += slabs[b, q]
    return loss
