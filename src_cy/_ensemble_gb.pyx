# Gradient boosting's per-stage numerics: negative gradients, loss values,
# Newton leaf values and the raw-prediction update, for every loss of
# GradientBoostingClassifier / GradientBoostingRegressor.
#
# Formulas follow scikit-learn's sklearn/_loss/_loss.pyx.tp (the "half"
# losses), sklearn/ensemble/_gb.py (_update_terminal_regions) and
# sklearn/ensemble/_gradient_boosting.pyx (_random_sample_mask), BSD-3, the
# scikit-learn developers, so that stage by stage the same numbers come out.
from libc.math cimport exp, fabs, log, log1p
from libc.stdlib cimport free, malloc

import numpy as np

cdef enum:
    SQUARED_ERROR = 0
    ABSOLUTE_ERROR = 1
    HUBER = 2
    QUANTILE = 3
    BINOMIAL = 4
    MULTINOMIAL = 5
    EXPONENTIAL = 6

LOSSES = {"squared_error": SQUARED_ERROR, "absolute_error": ABSOLUTE_ERROR,
          "huber": HUBER, "quantile": QUANTILE, "binomial": BINOMIAL,
          "multinomial": MULTINOMIAL, "exponential": EXPONENTIAL}


cdef inline double _log1pexp(double x) noexcept nogil:
    # log(1 + exp(x)) without overflow (as sklearn's log1pexp)
    if x <= -37:
        return exp(x)
    elif x <= -2:
        return log1p(exp(x))
    elif x <= 18:
        return log(1. + exp(x))
    elif x <= 33.3:
        return x + exp(-x)
    return x


# The per-stage loops are O(n_samples) and serial: next to a tree fit they
# cost ~1 ms, less than an OpenMP region's start-up on a loaded machine.


def neg_gradient(int loss, const double[::1] y, const double[:, ::1] raw,
                 double[:, ::1] out, double param):
    """out[i, k] = -d loss(y_i, raw_i) / d raw_ik (``param``: huber delta or quantile)."""
    cdef Py_ssize_t n = raw.shape[0], K = raw.shape[1], i, k
    cdef double d, m, s, e
    if loss == MULTINOMIAL:
        with nogil:
            for i in range(n):
                m = raw[i, 0]
                for k in range(1, K):
                    if raw[i, k] > m:
                        m = raw[i, k]
                s = 0.
                for k in range(K):
                    out[i, k] = exp(raw[i, k] - m)
                    s = s + out[i, k]
                for k in range(K):
                    out[i, k] = -(out[i, k] / s - (1. if y[i] == k else 0.))
        return
    with nogil:
        for i in range(n):
            d = y[i] - raw[i, 0]
            if loss == SQUARED_ERROR:
                out[i, 0] = d
            elif loss == ABSOLUTE_ERROR:
                out[i, 0] = -1. if raw[i, 0] > y[i] else 1.
            elif loss == HUBER:
                if fabs(d) <= param:
                    out[i, 0] = d
                else:
                    out[i, 0] = -param if d <= 0 else param
            elif loss == QUANTILE:
                out[i, 0] = param if y[i] >= raw[i, 0] else param - 1.
            elif loss == BINOMIAL:
                # sklearn's cgradient_half_binomial, negated, bit for bit: near-tied
                # splits then break the same way
                if raw[i, 0] > -37:
                    e = exp(-raw[i, 0])
                    out[i, 0] = -(((1 - y[i]) - y[i] * e) / (1 + e))
                else:
                    out[i, 0] = -(exp(raw[i, 0]) - y[i])
            else:  # EXPONENTIAL
                e = exp(raw[i, 0])
                out[i, 0] = y[i] / e - (1. - y[i]) * e


def loss_value(int loss, const double[::1] y, const double[:, ::1] raw,
               const double[::1] sample_weight, double param):
    """Weighted mean of the pointwise loss (scikit-learn's ``loss(y, raw, sample_weight)``)."""
    cdef Py_ssize_t n = raw.shape[0], K = raw.shape[1], i, k
    cdef double total = 0., wsum = 0., d, a, m, s, l
    with nogil:
        for i in range(n):
            if loss == MULTINOMIAL:
                m = raw[i, 0]
                for k in range(1, K):
                    if raw[i, k] > m:
                        m = raw[i, k]
                s = 0.
                for k in range(K):
                    s = s + exp(raw[i, k] - m)
                l = log(s) + m - raw[i, <Py_ssize_t> y[i]]
            else:
                d = y[i] - raw[i, 0]
                a = fabs(d)
                if loss == SQUARED_ERROR:
                    l = 0.5 * d * d
                elif loss == ABSOLUTE_ERROR:
                    l = a
                elif loss == HUBER:
                    l = 0.5 * a * a if a <= param else param * (a - 0.5 * param)
                elif loss == QUANTILE:
                    l = param * d if d >= 0 else (param - 1.) * d
                elif loss == BINOMIAL:
                    l = _log1pexp(raw[i, 0]) - y[i] * raw[i, 0]
                else:  # EXPONENTIAL
                    l = y[i] * exp(-raw[i, 0]) + (1. - y[i]) * exp(raw[i, 0])
            total += sample_weight[i] * l
            wsum += sample_weight[i]
    return total / wsum


def newton_leaf_values(int loss, const Py_ssize_t[::1] leaves, const double[::1] y,
                       const double[::1] neg_g, const double[::1] sample_weight,
                       const unsigned char[::1] sample_mask, double[::1] value, int k,
                       int n_classes):
    """One Newton step per leaf for the log / exponential losses, written into ``value``.

    value[leaf] = sum(w * g) / sum(w * h) over the in-bag samples of the leaf
    (0 when the denominator vanishes), scaled by (K-1)/K for the multinomial
    loss: scikit-learn's ``_update_terminal_regions``. ``value`` must already
    hold a value for every node; only leaves reached by in-bag samples change.
    """
    cdef Py_ssize_t n = leaves.shape[0], n_nodes = value.shape[0], i, node
    cdef double p, yk, h
    cdef double* num = <double*> malloc(2 * n_nodes * sizeof(double))
    cdef double* den = num + n_nodes
    cdef unsigned char* seen = <unsigned char*> malloc(n_nodes)
    try:
        with nogil:
            for node in range(n_nodes):
                num[node] = 0.
                den[node] = 0.
                seen[node] = 0
            for i in range(n):
                if not sample_mask[i]:
                    continue
                node = leaves[i]
                seen[node] = 1
                if loss == EXPONENTIAL:
                    h = neg_g[i] if y[i] != 0 else -neg_g[i]
                else:
                    yk = y[i] if loss == BINOMIAL else (1. if y[i] == k else 0.)
                    p = yk - neg_g[i]
                    h = p * (1. - p)
                num[node] += sample_weight[i] * neg_g[i]
                den[node] += sample_weight[i] * h
            for node in range(n_nodes):
                if not seen[node]:
                    continue
                if fabs(den[node]) < 1e-150:
                    value[node] = 0.
                elif loss == MULTINOMIAL:
                    value[node] = num[node] * (n_classes - 1.) / n_classes / den[node]
                else:
                    value[node] = num[node] / den[node]
    finally:
        free(num)
        free(seen)


def add_leaf_values(double[:, ::1] raw, const Py_ssize_t[::1] leaves,
                    const double[::1] value, double learning_rate, int k):
    """raw[i, k] += learning_rate * value[leaves[i]]."""
    cdef Py_ssize_t i, n = leaves.shape[0]
    with nogil:
        for i in range(n):
            raw[i, k] += learning_rate * value[leaves[i]]


def random_sample_mask(Py_ssize_t n_total_samples, Py_ssize_t n_total_in_bag, random_state):
    """Boolean mask with exactly ``n_total_in_bag`` True, drawn as scikit-learn draws it."""
    cdef double[::1] rand = random_state.uniform(size=n_total_samples)
    mask_arr = np.zeros(n_total_samples, dtype=np.bool_)
    cdef unsigned char[::1] mask = mask_arr.view(np.uint8)
    cdef Py_ssize_t i, n_bagged = 0
    with nogil:
        for i in range(n_total_samples):
            if rand[i] * (n_total_samples - i) < (n_total_in_bag - n_bagged):
                mask[i] = 1
                n_bagged += 1
    return mask_arr
