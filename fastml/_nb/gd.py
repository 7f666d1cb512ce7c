"""Mini-batch gradient-descent epochs for least squares (GDRegressor's kernel).

One call runs one epoch over ``order``: for each batch of ``batch_size``
samples it forms the averaged squared-error gradient of the batch (plus the
L2 term) and takes one step. batch_size=1 is stochastic gradient descent.
"""

import numpy as np
from numba import njit

CONSTANT, INVSCALING = 0, 1


@njit(cache=True)
def minibatch_epoch(X, y, w, b, order, batch_size, eta, power_t, t, schedule, alpha,
                    fit_intercept, grad):
    """Update w in place; return (intercept, step counter t) after the epoch.

    ``grad`` is scratch of length n_features. The step size is ``eta`` for
    the constant schedule and ``eta / t**power_t`` for invscaling, t counting
    steps from 1.
    """
    n = order.shape[0]
    p = X.shape[1]
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        m = stop - start
        for j in range(p):
            grad[j] = 0.0
        gb = 0.0
        for k in range(start, stop):
            i = order[k]
            r = b - y[i]
            for j in range(p):
                r += X[i, j] * w[j]
            for j in range(p):
                grad[j] += r * X[i, j]
            gb += r
        step = eta if schedule == CONSTANT else eta / t**power_t
        for j in range(p):
            w[j] -= step * (grad[j] / m + alpha * w[j])
        if fit_intercept:
            b -= step * gb / m
        t += 1.0
    return b, t


@njit(cache=True)
def half_mse(X, y, w, b, rows):
    """0.5 * mean squared residual over ``rows`` (the monitored objective)."""
    s = 0.0
    for k in range(rows.shape[0]):
        i = rows[k]
        r = b - y[i]
        for j in range(X.shape[1]):
            r += X[i, j] * w[j]
        s += r * r
    return 0.5 * s / max(rows.shape[0], 1)
