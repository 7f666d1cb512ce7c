# Dual coordinate descent for the L2-regularised linear SVM (hinge or squared
# hinge): liblinear's solve_l2r_l1l2_svc (Hsieh et al., ICML 2008) with its
# shrinking of bounded variables, after liblinear/linear.cpp as vendored by
# scikit-learn (BSD-3-Clause). The bias is an extra constant feature with
# value ``bias`` (liblinear's -B), kept out of X so X is never copied.

from libc.math cimport fabs, INFINITY
from libc.stdint cimport uint64_t

from fastml._cy._blas cimport _axpy, _dot


cdef inline uint64_t _next(uint64_t* s) noexcept nogil:
    # xorshift64*: a small, fast generator for the visiting order
    s[0] ^= s[0] >> 12
    s[0] ^= s[0] << 25
    s[0] ^= s[0] >> 27
    return s[0] * <uint64_t> 2685821657736338717


def dual_cd_svc(const double[:, ::1] X, const double[::1] y, const double[::1] C,
                double bias, bint squared_hinge, double eps, int max_iter,
                unsigned long seed, double[::1] w, int[::1] index, double[::1] alpha):
    """Solve one binary problem; ``w`` (n_features + 1, last = bias weight) is OUT.

    y : +1/-1; C : per-sample cost (class weight times sample weight times C).
    index, alpha : scratch of length n_samples. Returns the number of epochs.
    """
    cdef int l = X.shape[0], d = X.shape[1]
    cdef int i, j, s, it = 0, active_size = l, tmp
    cdef double G, PG, PGmax_old = INFINITY, PGmin_old = -INFINITY
    cdef double PGmax_new, PGmin_new, ub, dg, a_old, step, yi
    cdef uint64_t state = seed * 2654435761u + 88172645463325252u
    cdef double[::1] QD
    import numpy as np
    QD = np.empty(l)
    with nogil:
        for j in range(d + 1):
            w[j] = 0.0
        for i in range(l):
            alpha[i] = 0.0
            index[i] = i
            # squared hinge adds 1/(2C) to the diagonal; hinge boxes alpha at C
            dg = 0.5 / C[i] if squared_hinge else 0.0
            QD[i] = dg + _dot(d, &X[i, 0], 1, &X[i, 0], 1) + bias * bias
        while it < max_iter:
            PGmax_new = -INFINITY
            PGmin_new = INFINITY
            for i in range(active_size):
                j = i + <int> (_next(&state) % <uint64_t> (active_size - i))
                tmp = index[i]
                index[i] = index[j]
                index[j] = tmp
            s = 0
            while s < active_size:
                i = index[s]
                yi = y[i]
                G = yi * (_dot(d, &w[0], 1, &X[i, 0], 1) + w[d] * bias) - 1.0
                if squared_hinge:
                    ub = INFINITY
                    G += alpha[i] * (0.5 / C[i])
                else:
                    ub = C[i]
                PG = 0.0
                if alpha[i] == 0:
                    if G > PGmax_old:
                        active_size -= 1
                        index[s], index[active_size] = index[active_size], index[s]
                        continue
                    elif G < 0:
                        PG = G
                elif alpha[i] == ub:
                    if G < PGmin_old:
                        active_size -= 1
                        index[s], index[active_size] = index[active_size], index[s]
                        continue
                    elif G > 0:
                        PG = G
                else:
                    PG = G
                PGmax_new = max(PGmax_new, PG)
                PGmin_new = min(PGmin_new, PG)
                if fabs(PG) > 1.0e-12:
                    a_old = alpha[i]
                    alpha[i] = min(max(alpha[i] - G / QD[i], 0.0), ub)
                    step = (alpha[i] - a_old) * yi
                    _axpy(d, step, &X[i, 0], 1, &w[0], 1)
                    w[d] += step * bias
                s += 1
            it += 1
            if PGmax_new - PGmin_new <= eps:
                if active_size == l:
                    break
                active_size = l
                PGmax_old = INFINITY
                PGmin_old = -INFINITY
                continue
            PGmax_old = PGmax_new
            PGmin_old = PGmin_new
            if PGmax_old <= 0:
                PGmax_old = INFINITY
            if PGmin_old >= 0:
                PGmin_old = -INFINITY
    return it
