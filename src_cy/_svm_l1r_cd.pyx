# Primal coordinate descent for the L1-regularised squared-hinge linear SVM:
# liblinear's solve_l1r_l2_svc (Yuan, Chang, Hsieh & Lin, JMLR 2010: Newton
# direction per coordinate, Armijo line search, shrinking), after
# liblinear/linear.cpp as vendored by scikit-learn (BSD-3-Clause).

from libc.math cimport fabs, INFINITY
from libc.stdint cimport uint64_t


cdef inline uint64_t _next(uint64_t* s) noexcept nogil:
    # xorshift64*: visiting order of the coordinates
    s[0] ^= s[0] >> 12
    s[0] ^= s[0] << 25
    s[0] ^= s[0] >> 27
    return s[0] * <uint64_t> 2685821657736338717


def l1r_l2_svc(double[::1, :] YX, const double[::1] C, double eps, int max_iter,
               unsigned long seed, double[::1] w, int[::1] index, double[::1] b,
               double[::1] xj_sq):
    """min ||w||_1 + sum_i C_i max(0, 1 - y_i w.x_i)^2 over w (OUT).

    YX : (n_samples, n_columns) Fortran-ordered y_i * x_ij (the bias column
    included by the caller). index, xj_sq : length n_columns; b : n_samples.
    Returns the number of epochs.
    """
    cdef int l = YX.shape[0], n = YX.shape[1]
    cdef int i, j, s, k, it = 0, active_size = n, tmp, num_ls
    cdef int max_num_linesearch = 20
    cdef double sigma = 0.01, d, G_loss, G, H, Gp, Gn, violation
    cdef double Gmax_old = INFINITY, Gmax_new, Gnorm1_new, Gnorm1_init = -1.0
    cdef double d_old, d_diff, loss_old = 0.0, loss_new, appxcond, cond, delta
    cdef double val, b_new
    cdef uint64_t state = seed * 2654435761u + 88172645463325252u
    with nogil:
        for i in range(l):
            b[i] = 1.0
        for j in range(n):
            w[j] = 0.0
            index[j] = j
            xj_sq[j] = 0.0
            for i in range(l):
                xj_sq[j] += C[i] * YX[i, j] * YX[i, j]
        while it < max_iter:
            Gmax_new = 0.0
            Gnorm1_new = 0.0
            for j in range(active_size):
                i = j + <int> (_next(&state) % <uint64_t> (active_size - j))
                tmp = index[i]
                index[i] = index[j]
                index[j] = tmp
            s = 0
            while s < active_size:
                j = index[s]
                G_loss = 0.0
                H = 0.0
                for i in range(l):
                    if b[i] > 0:
                        val = YX[i, j]
                        G_loss -= C[i] * val * b[i]
                        H += C[i] * val * val
                G_loss *= 2
                G = G_loss
                H = max(2 * H, 1e-12)
                Gp = G + 1
                Gn = G - 1
                violation = 0.0
                if w[j] == 0:
                    if Gp < 0:
                        violation = -Gp
                    elif Gn > 0:
                        violation = Gn
                    elif Gp > Gmax_old / l and Gn < -Gmax_old / l:
                        active_size -= 1
                        index[s], index[active_size] = index[active_size], index[s]
                        continue
                elif w[j] > 0:
                    violation = fabs(Gp)
                else:
                    violation = fabs(Gn)
                Gmax_new = max(Gmax_new, violation)
                Gnorm1_new += violation

                if Gp < H * w[j]:
                    d = -Gp / H
                elif Gn > H * w[j]:
                    d = -Gn / H
                else:
                    d = -w[j]
                if fabs(d) < 1.0e-12:
                    s += 1
                    continue

                delta = fabs(w[j] + d) - fabs(w[j]) + G * d
                d_old = 0.0
                num_ls = 0
                while num_ls < max_num_linesearch:
                    d_diff = d_old - d
                    cond = fabs(w[j] + d) - fabs(w[j]) - sigma * delta
                    appxcond = xj_sq[j] * d * d + G_loss * d + cond
                    if appxcond <= 0:
                        for i in range(l):
                            b[i] += d_diff * YX[i, j]
                        break
                    loss_new = 0.0
                    if num_ls == 0:
                        loss_old = 0.0
                        for i in range(l):
                            if b[i] > 0:
                                loss_old += C[i] * b[i] * b[i]
                            b_new = b[i] + d_diff * YX[i, j]
                            b[i] = b_new
                            if b_new > 0:
                                loss_new += C[i] * b_new * b_new
                    else:
                        for i in range(l):
                            b_new = b[i] + d_diff * YX[i, j]
                            b[i] = b_new
                            if b_new > 0:
                                loss_new += C[i] * b_new * b_new
                    cond = cond + loss_new - loss_old
                    if cond <= 0:
                        break
                    d_old = d
                    d *= 0.5
                    delta *= 0.5
                    num_ls += 1
                w[j] += d
                if num_ls >= max_num_linesearch:
                    # too many halvings: rebuild b = 1 - y w.x from scratch
                    for i in range(l):
                        b[i] = 1.0
                    for k in range(n):
                        if w[k] != 0:
                            for i in range(l):
                                b[i] -= w[k] * YX[i, k]
                s += 1
            if it == 0:
                Gnorm1_init = Gnorm1_new
            it += 1
            if Gnorm1_new <= eps * Gnorm1_init:
                if active_size == n:
                    break
                active_size = n
                Gmax_old = INFINITY
                continue
            Gmax_old = Gmax_new
    return it
