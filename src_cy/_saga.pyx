# SAGA for L1 / elastic-net / L2 penalised logistic regression on dense X.
#
# The objective, step size rule, gradient memory averaged over the samples
# seen so far and the per-epoch stopping rule (max |dw| / max |w| <= tol)
# follow scikit-learn's sklearn/linear_model/_sag_fast.pyx.tp and _sag.py
# (BSD-3-Clause, The scikit-learn developers). Dense data lets every step
# update w eagerly (no just-in-time lazy updates), which keeps the kernel short:
#
#   min_w  1/n sum_i sw_i loss(y_i, x_i w + b) + alpha/2 ||w||^2 + beta ||w||_1

from libc.math cimport exp, log1p, fabs, fmax
from cython cimport floating
import numpy as np
import warnings

from sklearn.exceptions import ConvergenceWarning

from fastml._cy._rand cimport _rand_r, RAND_R_MAX, uint32_t


cdef inline double _binomial_grad(double y, double raw) noexcept nogil:
    """d/draw of log(1 + exp(raw)) - y raw = expit(raw) - y, computed stably."""
    cdef double t
    if raw <= -37:
        return exp(raw) - y
    elif raw <= -2:
        t = exp(raw)
        return ((1 - y) * t - y) / (1 + t)
    t = exp(-raw)
    return ((1 - y) - y * t) / (1 + t)


cdef inline double _soft(double x, double thr) noexcept nogil:
    if x > thr:
        return x - thr
    if x < -thr:
        return x + thr
    return 0.0


def saga(
    const floating[:, ::1] X,      # IN  (n_samples, n_features)
    const floating[::1] y,         # IN  0/1 (binary) or class index (multinomial)
    const floating[::1] sw,        # IN  sample weights (all ones if none)
    double[:, ::1] W,              # IN/OUT (n_classes or 1, n_features + 1); last col = b
    double alpha,                  # L2 strength (already divided by n_samples)
    double beta,                   # L1 strength (already divided by n_samples)
    double step,
    int max_iter,
    double tol,
    bint fit_intercept,
    uint32_t seed,
):
    """Run SAGA epochs until max |dw| / max |w| <= tol; return the number of epochs."""
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1]
    cdef Py_ssize_t n_classes = W.shape[0], n_dof = W.shape[1]
    cdef Py_ssize_t it, epoch, i, j, k, yi
    cdef double[:, ::1] memory = np.zeros((n, n_classes), dtype=np.float64)
    cdef double[:, ::1] sum_grad = np.zeros((n_classes, n_dof), dtype=np.float64)
    cdef double[:, ::1] W_prev = np.empty_like(W)
    cdef double[::1] raw = np.empty(2 * n_classes, dtype=np.float64)
    cdef double[::1] corr = np.empty(n_classes, dtype=np.float64)
    cdef unsigned char[::1] seen = np.zeros(n, dtype=np.uint8)
    cdef Py_ssize_t n_seen = 0
    cdef double s, m, sum_exp, g, max_change, max_weight, shrink
    cdef uint32_t state = seed
    cdef bint converged = False
    shrink = 1.0 - step * alpha
    with nogil:
        for epoch in range(max_iter):
            W_prev[:, :] = W
            for it in range(n):
                i = _rand_r(&state) % n
                if not seen[i]:
                    seen[i] = 1
                    n_seen += 1
                for k in range(n_classes):
                    s = W[k, p] if fit_intercept else 0.0
                    for j in range(p):
                        s = s + X[i, j] * W[k, j]
                    raw[k] = s
                if n_classes == 1:
                    corr[0] = sw[i] * _binomial_grad(y[i], raw[0]) - memory[i, 0]
                    memory[i, 0] += corr[0]
                else:
                    m = raw[0]
                    for k in range(1, n_classes):
                        m = fmax(m, raw[k])
                    sum_exp = 0
                    for k in range(n_classes):
                        raw[n_classes + k] = exp(raw[k] - m)
                        sum_exp += raw[n_classes + k]
                    yi = <Py_ssize_t> y[i]
                    for k in range(n_classes):
                        g = sw[i] * (raw[n_classes + k] / sum_exp - (1.0 if k == yi else 0.0))
                        corr[k] = g - memory[i, k]
                        memory[i, k] = g
                for k in range(n_classes):
                    g = corr[k]
                    # w <- prox(w - step * (corr x_i + avg_grad + alpha w))
                    for j in range(p):
                        sum_grad[k, j] += g * X[i, j]
                        W[k, j] = _soft(shrink * W[k, j] - step * (
                            g * X[i, j] + sum_grad[k, j] / n_seen), step * beta)
                    if fit_intercept:
                        sum_grad[k, p] += g
                        W[k, p] -= step * (g + sum_grad[k, p] / n_seen)
            max_change = 0
            max_weight = 0
            for k in range(n_classes):
                for j in range(n_dof):
                    max_change = fmax(max_change, fabs(W[k, j] - W_prev[k, j]))
                    max_weight = fmax(max_weight, fabs(W[k, j]))
            if (max_weight != 0 and max_change / max_weight <= tol) or (
                    max_weight == 0 and max_change == 0):
                converged = True
                break
    if not converged:
        warnings.warn(
            "The max_iter was reached which means the coef_ did not converge",
            ConvergenceWarning,
        )
        return max_iter
    return epoch + 1
