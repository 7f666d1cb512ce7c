# Plain stochastic gradient descent epochs for linear models (dense X).
#
# Adapted from scikit-learn's sklearn/linear_model/_sgd_fast.pyx.tp,
# sklearn/utils/_weight_vector.pyx.tp and sklearn/utils/_seq_dataset.pyx.tp
# (BSD-3-Clause, The scikit-learn developers): the same losses, learning-rate
# schedules, scaled weight vector (w = wscale * v, so the L2 shrink is O(1)),
# truncated-gradient L1 penalty, Fisher-Yates shuffle driven by the same
# XorShift generator and the same stopping rules - so for the same
# random_state the iterates are scikit-learn's. Averaged SGD and the
# passive-aggressive schedules are not ported.

from libc.math cimport exp, fabs, log, log1p, pow, sqrt, isfinite, INFINITY
from cython cimport floating
import numpy as np

from fastml._cy._rand cimport _rand_r, RAND_R_MAX, uint32_t

# loss codes (fastml.linear_model._stochastic_gradient.LOSSES)
cdef enum:
    SQUARED = 0
    HUBER = 1
    EPS_INSENSITIVE = 2
    SQUARED_EPS_INSENSITIVE = 3
    HINGE = 4
    SQUARED_HINGE = 5
    LOG = 6
    MODIFIED_HUBER = 7

# penalty and learning-rate codes: scikit-learn's
cdef enum:
    NO_PENALTY = 0
    L1 = 1
    L2 = 2
    ELASTICNET = 3
    CONSTANT = 1
    OPTIMAL = 2
    INVSCALING = 3
    ADAPTIVE = 4


cdef inline double _log1pexp(double x) noexcept nogil:
    if x <= -37:
        return exp(x)
    elif x <= -2:
        return log1p(exp(x))
    elif x <= 18:
        return log(1. + exp(x))
    elif x <= 33.3:
        return x + exp(-x)
    return x


cdef double _loss(int kind, double param, double y, double p) noexcept nogil:
    cdef double z, r
    if kind == SQUARED:
        return 0.5 * (p - y) * (p - y)
    if kind == HUBER:
        r = fabs(y - p)
        return 0.5 * r * r if r <= param else param * (r - 0.5 * param)
    if kind == EPS_INSENSITIVE:
        r = fabs(y - p) - param
        return r if r > 0 else 0
    if kind == SQUARED_EPS_INSENSITIVE:
        r = fabs(y - p) - param
        return r * r if r > 0 else 0
    if kind == HINGE:
        z = p * y
        return param - z if z <= param else 0.0
    if kind == SQUARED_HINGE:
        z = param - p * y
        return z * z if z > 0 else 0.0
    if kind == LOG:
        return _log1pexp(p) - y * p
    z = p * y  # MODIFIED_HUBER
    if z >= 1.0:
        return 0.0
    elif z >= -1.0:
        return (1.0 - z) * (1.0 - z)
    return -4.0 * z


cdef double _dloss(int kind, double param, double y, double p) noexcept nogil:
    cdef double z, t
    if kind == SQUARED:
        return p - y
    if kind == HUBER:
        z = p - y
        if fabs(z) <= param:
            return z
        return param if z > 0 else -param
    if kind == EPS_INSENSITIVE:
        if y - p > param:
            return -1
        elif p - y > param:
            return 1
        return 0
    if kind == SQUARED_EPS_INSENSITIVE:
        z = y - p
        if z > param:
            return -2 * (z - param)
        elif z < -param:
            return 2 * (-z - param)
        return 0
    if kind == HINGE:
        return -y if p * y <= param else 0.0
    if kind == SQUARED_HINGE:
        z = param - p * y
        return -2 * y * z if z > 0 else 0.0
    if kind == LOG:
        if p > -37:
            t = exp(-p)
            return ((1 - y) - y * t) / (1 + t)
        return exp(p) - y
    z = p * y  # MODIFIED_HUBER
    if z >= 1.0:
        return 0.0
    elif z >= -1.0:
        return 2.0 * (1.0 - z) * -y
    return -4.0 * y


def plain_sgd(
    floating[::1] weights,            # IN/OUT (n_features,)
    double intercept,
    int loss_kind,
    double loss_param,
    int penalty_type,
    double alpha,
    double l1_ratio,
    const floating[:, ::1] X,         # IN (n_samples, n_features)
    const floating[::1] Y,
    const floating[::1] sample_weight,
    const unsigned char[::1] validation_mask,
    bint early_stopping,
    object validation_score_cb,
    int n_iter_no_change,
    int max_iter,
    double tol,
    bint fit_intercept,
    bint shuffle,
    uint32_t seed,
    double weight_pos,
    double weight_neg,
    int learning_rate,
    double eta0,
    double power_t,
    double t,
    double intercept_decay,
):
    """SGD epochs; returns (weights, intercept, n_epochs).

    ``validation_score_cb(coef, intercept)`` scores the held-out samples when
    ``early_stopping``. Raises ValueError on floating-point overflow.
    """
    cdef Py_ssize_t n_samples = X.shape[0], n_features = X.shape[1]
    cdef Py_ssize_t j, i, k, tmp_idx
    cdef int[::1] index = np.arange(n_samples, dtype=np.intc)
    cdef double[::1] q = np.zeros(n_features) if penalty_type in (L1, ELASTICNET) else None
    cdef double wscale = 1.0, sq_norm = 0.0, l1_norm = 0.0
    cdef double reset_threshold = 1e-6 if floating is float else 1e-9
    cdef int no_improvement_count = 0
    cdef bint infinity = False
    cdef double eta = eta0, p, update, sumloss, objective_sum, cur_loss_val, score = 0.0
    cdef double best_objective = INFINITY, best_score = -INFINITY
    cdef double y, sw, class_weight, dloss, u = 0.0, optimal_init = 0.0, typw
    cdef double innerprod, z, acc2, acc1, c
    cdef double MAX_DLOSS = 1e12
    cdef unsigned int train_count = n_samples - int(np.sum(validation_mask))
    cdef int epoch = 0
    cdef Py_ssize_t sample_index
    cdef uint32_t rnd

    for j in range(n_features):
        sq_norm += weights[j] * weights[j]
        l1_norm += fabs(weights[j])
    if penalty_type == L2:
        l1_ratio = 0.0
    elif penalty_type == L1:
        l1_ratio = 1.0
    if learning_rate == OPTIMAL:
        typw = sqrt(1.0 / sqrt(alpha))
        optimal_init = 1.0 / ((typw / max(1.0, _dloss(loss_kind, loss_param, 1.0, -typw)))
                              * alpha)

    with nogil:
        for epoch in range(max_iter):
            sumloss = 0
            objective_sum = 0
            if shuffle:
                rnd = seed  # scikit-learn reshuffles with the same seed every epoch
                for i in range(n_samples - 1):
                    k = i + _rand_r(&rnd) % (n_samples - i)
                    tmp_idx = index[i]
                    index[i] = index[k]
                    index[k] = tmp_idx
            for i in range(n_samples):
                sample_index = index[i]
                if validation_mask[sample_index]:
                    continue
                y = Y[sample_index]
                sw = sample_weight[sample_index]
                innerprod = 0.0
                for j in range(n_features):
                    innerprod = innerprod + weights[j] * X[sample_index, j]
                p = innerprod * wscale + intercept
                if learning_rate == OPTIMAL:
                    eta = 1.0 / (alpha * (optimal_init + t - 1))
                elif learning_rate == INVSCALING:
                    eta = eta0 / pow(t, power_t)
                if not early_stopping:
                    cur_loss_val = _loss(loss_kind, loss_param, y, p)
                    sumloss += cur_loss_val
                    objective_sum += cur_loss_val
                    if penalty_type > 0:
                        objective_sum += alpha * ((1 - l1_ratio) * 0.5 * sq_norm
                                                  + l1_ratio * l1_norm)
                class_weight = weight_pos if y > 0.0 else weight_neg
                dloss = _dloss(loss_kind, loss_param, y, p)
                if dloss < -MAX_DLOSS:
                    dloss = -MAX_DLOSS
                elif dloss > MAX_DLOSS:
                    dloss = MAX_DLOSS
                update = -eta * dloss
                update *= class_weight * sw
                if penalty_type >= L2:
                    c = max(0, 1.0 - ((1.0 - l1_ratio) * eta * alpha))
                    wscale *= c
                    sq_norm *= c * c
                    l1_norm *= fabs(c)
                    if wscale < reset_threshold:
                        for j in range(n_features):
                            weights[j] *= wscale
                        wscale = 1.0
                if update != 0.0:
                    acc2 = 0.0
                    acc1 = 0.0
                    for j in range(n_features):
                        weights[j] += X[sample_index, j] * (update / wscale)
                        acc2 = acc2 + weights[j] * weights[j]
                        acc1 = acc1 + fabs(weights[j])
                    sq_norm = acc2 * (wscale * wscale)
                    l1_norm = acc1 * wscale
                if fit_intercept:
                    if update != 0:
                        intercept += update * intercept_decay
                if penalty_type == L1 or penalty_type == ELASTICNET:
                    u += l1_ratio * eta * alpha
                    for j in range(n_features):  # truncated gradient (Tsuruoka 2009)
                        z = weights[j]
                        if wscale * z > 0.0:
                            weights[j] = max(0.0, weights[j] - ((u + q[j]) / wscale))
                        elif wscale * z < 0.0:
                            weights[j] = min(0.0, weights[j] + ((u - q[j]) / wscale))
                        q[j] += wscale * (weights[j] - z)
                t += 1
            if not isfinite(intercept):
                infinity = True
            for j in range(n_features):
                if not isfinite(weights[j]):
                    infinity = True
            if infinity:
                break
            if early_stopping:
                with gil:
                    # scikit-learn scores the unscaled vector v (not wscale * v);
                    # kept so early stopping picks the same epoch
                    score = validation_score_cb(np.asarray(weights), intercept)
                if tol > -INFINITY and score < best_score + tol:
                    no_improvement_count += 1
                else:
                    no_improvement_count = 0
                if score > best_score:
                    best_score = score
            else:
                # sq_norm is ||w||^2 so 0.5 * sq_norm is scikit-learn's 0.5 * norm() ** 2
                if tol > -INFINITY and objective_sum / train_count > best_objective - tol:
                    no_improvement_count += 1
                else:
                    no_improvement_count = 0
                if objective_sum / train_count < best_objective:
                    best_objective = objective_sum / train_count
            if no_improvement_count >= n_iter_no_change:
                if learning_rate == ADAPTIVE and eta > 1e-6:
                    eta = eta / 5
                    no_improvement_count = 0
                else:
                    break
    if infinity:
        raise ValueError(("Floating-point under-/overflow occurred at epoch"
                          " #%d. Scaling input data with StandardScaler or"
                          " MinMaxScaler might help.") % (epoch + 1))
    for j in range(n_features):
        weights[j] *= wscale
    return np.asarray(weights), intercept, epoch + 1
