# Coordinate descent for the Elastic-Net (Lasso when beta == 0).
#
# Adapted from scikit-learn's sklearn/linear_model/_cd_fast.pyx (BSD-3-Clause,
# The scikit-learn developers): the same cyclic/random coordinate updates, the
# same duality-gap stopping rule (formulations A and B) and Gap Safe screening,
# so iterates and stopping match scikit-learn's. fastml's additions:
#   * prepare_fortran: one parallel, cache-blocked pass turns the caller's
#     C-ordered X into the centred (and sqrt(sample_weight)-scaled) Fortran
#     copy CD needs and returns the column squared norms, where scikit-learn
#     makes three passes (F copy, centring, einsum norms);
#   * the residual update of coordinate j and the dot product of the next
#     coordinate are fused into one sweep over R (R is read once, not twice);
#   * the Gram form (enet_coordinate_descent_gram) takes X'X, X'y from the
#     one-pass fastml.utils._gram.gram_and_column_sums (the same coordinate
#     updates and duality gap, in O(p^2) a sweep).

from libc.math cimport fabs, sqrt
from libc.stdlib cimport malloc, free
from cython cimport floating
from cython.parallel cimport prange, parallel, threadid
import numpy as np
import warnings

from sklearn.exceptions import ConvergenceWarning

from fastml._cy._blas cimport _axpy, _dot, _asum, _gemv, _copy
from fastml._cy._blas cimport ColMajor, Trans, NoTrans

from fastml._cy._rand cimport _rand_r, RAND_R_MAX, uint32_t

ctypedef unsigned char uint8_t

cdef enum:
    ROW_CHUNK = 256          # rows per task in prepare_fortran (stays in L2)


cdef inline floating fmax(floating x, floating y) noexcept nogil:
    return x if x > y else y


cdef inline floating fsign(floating f) noexcept nogil:
    if f == 0:
        return 0
    return 1.0 if f > 0 else -1.0


cdef inline floating abs_max(int n, const floating* a) noexcept nogil:
    cdef int i
    cdef floating m = fabs(a[0])
    for i in range(1, n):
        if fabs(a[i]) > m:
            m = fabs(a[i])
    return m


cdef inline floating vmax(int n, const floating* a) noexcept nogil:
    cdef int i
    cdef floating m = a[0]
    for i in range(1, n):
        if a[i] > m:
            m = a[i]
    return m


cdef inline unsigned int _pick(unsigned int f_iter, bint random, uint32_t* rand_state,
                               unsigned int n_active, bint screening,
                               const uint32_t* active_set) noexcept nogil:
    """The coordinate to update at step f_iter of a sweep (cyclic or random)."""
    cdef unsigned int j = _rand_r(rand_state) % n_active if random else f_iter
    return active_set[j] if screening else j


cdef inline floating _prox(floating tmp, floating alpha, floating denom,
                           bint positive) noexcept nogil:
    """The coordinate's minimiser: tmp soft-thresholded at alpha, over denom."""
    if positive and tmp < 0:
        return 0
    return fsign(tmp) * fmax(fabs(tmp) - alpha, 0) / denom


message_conv = (
    "Objective did not converge. You might want to increase "
    "the number of iterations, check the scale of the "
    "features or consider increasing regularisation."
)

message_ridge = (
    "Linear regression models with a zero l1 penalization "
    "strength are more efficiently fitted using one of the "
    "solvers implemented in "
    "sklearn.linear_model.Ridge/RidgeCV instead."
)


def prepare_fortran(
        const floating[:, ::1] X,         # IN  (n_samples, n_features), C order
        const floating[::1] offset,       # IN  column means to subtract (zeros: none)
        const floating[::1] sw_sqrt,      # IN  sqrt(sample_weight) or empty
        floating[::1, :] out,             # OUT (n_samples, n_features), Fortran order
        floating[::1] norm2,              # OUT squared norms of out's columns
        int n_threads):
    """out = (X - offset) * sw_sqrt[:, None] in Fortran order, plus column norms^2."""
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1]
    cdef Py_ssize_t n_chunks = (n + ROW_CHUNK - 1) // ROW_CHUNK
    cdef Py_ssize_t c, i, j, start, end, t
    cdef bint weighted = sw_sqrt.shape[0] > 0
    cdef floating v, s
    cdef floating* acc
    # a thread per ~1M values at most: waking a thread costs more than that
    n_threads = max(1, min(n_threads, n_chunks, 1 + n * p // 1000000))
    cdef floating* partial = <floating*> malloc(n_threads * p * sizeof(floating))
    for i in range(n_threads * p):
        partial[i] = 0
    with nogil, parallel(num_threads=n_threads):
        acc = partial + threadid() * p
        for c in prange(n_chunks, schedule="static"):
            start = c * ROW_CHUNK
            end = min(start + ROW_CHUNK, n)
            for j in range(p):
                s = 0
                for i in range(start, end):
                    v = X[i, j] - offset[j]
                    if weighted:
                        v = v * sw_sqrt[i]
                    out[i, j] = v
                    s = s + v * v
                acc[j] += s
    # reduce per-thread sums in thread order: deterministic for fixed n_threads
    for j in range(p):
        s = 0
        for t in range(n_threads):
            s = s + partial[t * p + j]
        norm2[j] = s
    free(partial)


cdef floating _dot_axpy(Py_ssize_t n, floating a, const floating* x_prev,
                        const floating* x_next, floating* R) noexcept nogil:
    """R += a * x_prev (skipped if a == 0); return x_next @ R, in one sweep.

    Serial on purpose: a coordinate is ~n multiply-adds, too little work to
    amortise waking threads once per coordinate (measured slower on a busy box).
    """
    cdef Py_ssize_t i
    cdef floating acc = 0
    if a == 0:
        return _dot(<int> n, x_next, 1, R, 1)
    for i in range(n):
        R[i] += a * x_prev[i]
        acc = acc + x_next[i] * R[i]
    return acc


cdef inline floating dual_gap_formulation_A(
    floating alpha, floating beta, floating w_l1_norm, floating w_l2_norm2,
    floating R_norm2, floating Ry, floating dual_norm_XtA,
) noexcept nogil:
    cdef floating primal, dual, scale
    primal = 0.5 * (R_norm2 + beta * w_l2_norm2) + alpha * w_l1_norm
    scale = alpha / dual_norm_XtA if dual_norm_XtA > alpha else 1.0
    dual = -0.5 * (scale ** 2) * (R_norm2 + beta * w_l2_norm2) + scale * Ry
    return primal - dual


cdef (floating, floating) gap_enet(
    int n_samples, int n_features, const floating[::1] w, floating alpha,
    floating beta, const floating[::1, :] X, const floating[::1] y,
    const floating[::1] R, floating[::1] XtA, bint positive,
) noexcept nogil:
    """Duality gap (formulation A if alpha > 0, B if alpha == 0 < beta, OLS gradient)."""
    cdef floating gap, dual_norm_XtA, R_norm2, Ry = 0, w_l1_norm, w_l2_norm2 = 0.0
    if beta > 0:
        w_l2_norm2 = _dot(n_features, &w[0], 1, &w[0], 1)
    R_norm2 = _dot(n_samples, &R[0], 1, &R[0], 1)
    if not (alpha == 0 and beta == 0):
        Ry = _dot(n_samples, &R[0], 1, &y[0], 1)
    if alpha == 0:
        _gemv(ColMajor, Trans, n_samples, n_features, 1.0, &X[0, 0],
              n_samples, &R[0], 1, 0, &XtA[0], 1)
        dual_norm_XtA = _dot(n_features, &XtA[0], 1, &XtA[0], 1)
        if beta == 0:
            return dual_norm_XtA, dual_norm_XtA
        gap = R_norm2 + 0.5 * beta * w_l2_norm2 - Ry
        gap += 1 / (2 * beta) * dual_norm_XtA
        return gap, dual_norm_XtA
    _copy(n_features, &w[0], 1, &XtA[0], 1)
    _gemv(ColMajor, Trans, n_samples, n_features, 1.0, &X[0, 0],
          n_samples, &R[0], 1, -beta, &XtA[0], 1)
    if positive:
        dual_norm_XtA = vmax(n_features, &XtA[0])
    else:
        dual_norm_XtA = abs_max(n_features, &XtA[0])
    w_l1_norm = _asum(n_features, &w[0], 1)
    gap = dual_gap_formulation_A(alpha, beta, w_l1_norm, w_l2_norm2, R_norm2, Ry,
                                 dual_norm_XtA)
    return gap, dual_norm_XtA


cdef void _screen(
    int n_features, floating[::1] w, floating alpha, floating beta, floating gap,
    floating dual_norm_XtA, const floating* cols, Py_ssize_t ld, int n_vec,
    floating sign, floating* vec, const floating[::1] XtA,
    const floating[::1] norm2, uint32_t[::1] active_set, uint8_t[::1] excluded_set,
    unsigned int* n_active, bint first,
) noexcept nogil:
    """Gap Safe screening (https://arxiv.org/abs/1802.07481, Eq. 11).

    A screened-out coordinate j with w_j != 0 is zeroed and its contribution
    removed from the solver's running vector: vec += sign * w_j * cols[j * ld:]
    (the residual R += w_j X[:, j] for the X form, Qw -= w_j Q[j] for the Gram form).
    """
    cdef unsigned int j
    cdef floating Xj_theta, d_j
    cdef floating radius = sqrt(2 * fabs(gap)) / alpha
    n_active[0] = 0
    for j in range(n_features):
        if first and norm2[j] == 0:
            w[j] = 0
            excluded_set[j] = 1
            continue
        if not first and excluded_set[j]:
            continue
        Xj_theta = XtA[j] / fmax(alpha, dual_norm_XtA)
        d_j = (1 - fabs(Xj_theta)) / sqrt(norm2[j] + beta)
        if d_j <= radius:
            active_set[n_active[0]] = j
            excluded_set[j] = 0
            n_active[0] += 1
        else:
            if w[j] != 0:
                _axpy(n_vec, sign * w[j], cols + j * ld, 1, vec, 1)
                w[j] = 0
            excluded_set[j] = 1


cdef _warn_not_converged(double gap, double tol, double alpha):
    message = message_conv + f" Duality gap: {gap:.6e}, tolerance: {tol:.3e}"
    if alpha < np.finfo(np.float64).eps:
        message += "\n" + message_ridge
    warnings.warn(message, ConvergenceWarning)


def enet_coordinate_descent(
    floating[::1] w,
    floating alpha,
    floating beta,
    const floating[::1, :] X,
    const floating[::1] y,
    const floating[::1] norm2_cols_X,
    unsigned int max_iter,
    floating tol,
    object rng,
    bint random=0,
    bint positive=0,
    bint do_screening=1,
):
    """Minimise 1/2 ||y - X w||^2 + alpha ||w||_1 + beta/2 ||w||^2 by coordinate descent.

    Stops when the duality gap <= tol * ||y||^2 (scikit-learn's rule). X is
    Fortran-ordered; ``norm2_cols_X`` its squared column norms.

    Returns (w, gap, tol * ||y||^2, n_iter).
    """
    dtype = np.float32 if floating is float else np.float64
    cdef unsigned int n_samples = X.shape[0]
    cdef unsigned int n_features = X.shape[1]
    cdef floating[::1] R = np.empty(n_samples, dtype=dtype)
    cdef floating[::1] XtA = np.empty(n_features, dtype=dtype)
    cdef floating tmp, w_j, d_w_max, w_max, d_w_j
    cdef floating gap = tol + 1.0
    cdef floating d_w_tol = tol
    cdef floating dual_norm_XtA
    cdef floating pending = 0      # residual update of the previous coordinate
    cdef Py_ssize_t prev = -1      # ... and its column
    cdef unsigned int n_active = n_features
    cdef uint32_t[::1] active_set = np.empty(n_features, dtype=np.uint32)
    cdef uint8_t[::1] excluded_set = np.zeros(n_features, dtype=np.uint8)
    cdef unsigned int j, n_iter = 0, f_iter
    cdef uint32_t rand_r_state_seed = rng.randint(0, RAND_R_MAX)
    cdef uint32_t* rand_r_state = &rand_r_state_seed
    cdef bint converged = False

    if alpha == 0:
        do_screening = False

    with nogil:
        _copy(n_samples, &y[0], 1, &R[0], 1)
        _gemv(ColMajor, NoTrans, n_samples, n_features, -1.0, &X[0, 0],
              n_samples, &w[0], 1, 1.0, &R[0], 1)
        tol *= _dot(n_samples, &y[0], 1, &y[0], 1)
        gap, dual_norm_XtA = gap_enet(n_samples, n_features, w, alpha, beta, X, y, R,
                                      XtA, positive)
        if gap <= tol:
            with gil:
                return np.asarray(w), gap, tol, 0
        if do_screening:
            _screen(n_features, w, alpha, beta, gap, dual_norm_XtA, &X[0, 0], n_samples,
                    n_samples, 1, &R[0], XtA, norm2_cols_X, active_set, excluded_set,
                    &n_active, True)

        for n_iter in range(max_iter):
            w_max = 0.0
            d_w_max = 0.0
            for f_iter in range(n_active):
                j = _pick(f_iter, random, rand_r_state, n_active, do_screening,
                          &active_set[0])
                if norm2_cols_X[j] == 0.0:
                    continue
                w_j = w[j]
                # tmp = X[:,j] @ (R + w_j * X[:,j]), after applying the pending update
                if prev == j:  # random selection may repeat a coordinate
                    _axpy(n_samples, pending, &X[0, prev], 1, &R[0], 1)
                    pending = 0
                tmp = _dot_axpy(n_samples, pending, &X[0, prev if prev >= 0 else j],
                                &X[0, j], &R[0]) + w_j * norm2_cols_X[j]
                pending = 0
                w[j] = _prox(tmp, alpha, norm2_cols_X[j] + beta, positive)
                if w[j] != w_j:
                    pending = w_j - w[j]
                    prev = j
                d_w_j = fabs(w[j] - w_j)
                d_w_max = fmax(d_w_max, d_w_j)
                w_max = fmax(w_max, fabs(w[j]))

            if pending != 0:  # flush before anything reads R
                _axpy(n_samples, pending, &X[0, prev], 1, &R[0], 1)
                pending = 0
            if w_max == 0.0 or d_w_max / w_max <= d_w_tol or n_iter == max_iter - 1:
                gap, dual_norm_XtA = gap_enet(n_samples, n_features, w, alpha, beta, X,
                                              y, R, XtA, positive)
                if gap <= tol:
                    converged = True
                    break
                if do_screening:
                    _screen(n_features, w, alpha, beta, gap, dual_norm_XtA, &X[0, 0],
                            n_samples, n_samples, 1, &R[0], XtA, norm2_cols_X,
                            active_set, excluded_set, &n_active, False)
    if not converged:
        _warn_not_converged(gap, tol, alpha)
    return np.asarray(w), gap, tol, n_iter + 1


cdef (floating, floating) gap_enet_gram(
    int n_features, const floating[::1] w, floating alpha, floating beta,
    const floating[::1] Qw, const floating[::1] q, double y_norm2,
    floating[::1] XtA, bint positive,
) noexcept nogil:
    cdef floating gap, dual_norm_XtA, R_norm2, Ry = 0, w_l1_norm, w_l2_norm2 = 0.0
    cdef floating q_dot_w, wQw
    cdef unsigned int j
    if beta > 0:
        w_l2_norm2 = _dot(n_features, &w[0], 1, &w[0], 1)
    q_dot_w = _dot(n_features, &w[0], 1, &q[0], 1)
    wQw = _dot(n_features, &w[0], 1, &Qw[0], 1)
    R_norm2 = y_norm2 + wQw - 2.0 * q_dot_w
    if not (alpha == 0 and beta == 0):
        Ry = y_norm2 - q_dot_w
    if alpha == 0:
        for j in range(n_features):
            XtA[j] = q[j] - Qw[j]
        dual_norm_XtA = _dot(n_features, &XtA[0], 1, &XtA[0], 1)
        if beta == 0:
            return dual_norm_XtA, dual_norm_XtA
        gap = R_norm2 + 0.5 * beta * w_l2_norm2 - Ry
        gap += 1 / (2 * beta) * dual_norm_XtA
        return gap, dual_norm_XtA
    for j in range(n_features):
        XtA[j] = q[j] - Qw[j] - beta * w[j]
    if positive:
        dual_norm_XtA = vmax(n_features, &XtA[0])
    else:
        dual_norm_XtA = abs_max(n_features, &XtA[0])
    w_l1_norm = _asum(n_features, &w[0], 1)
    gap = dual_gap_formulation_A(alpha, beta, w_l1_norm, w_l2_norm2, R_norm2, Ry,
                                 dual_norm_XtA)
    return gap, dual_norm_XtA


def enet_coordinate_descent_gram(
    floating[::1] w,
    floating alpha,
    floating beta,
    const floating[:, ::1] Q,
    const floating[::1] q,
    double y_norm2,
    unsigned int max_iter,
    floating tol,
    object rng,
    bint random=0,
    bint positive=0,
    bint do_screening=1,
):
    """Coordinate descent on the Gram form (Q = X'X, q = X'y, y_norm2 = y'y).

    scikit-learn's enet_coordinate_descent_gram (which takes y only for y'y):
    in exact arithmetic the same iterates, gaps and stopping as the X form.
    Returns (w, gap, tol * ||y||^2, n_iter).
    """
    dtype = np.float32 if floating is float else np.float64
    cdef unsigned int n_features = Q.shape[0]
    cdef floating[::1] Qw = np.dot(Q, w)
    cdef floating[::1] XtA = np.zeros(n_features, dtype=dtype)
    cdef const floating[::1] diag = np.ascontiguousarray(np.diag(Q))
    cdef floating tmp, w_j, d_w_max, w_max, d_w_j
    cdef floating gap = tol + 1.0
    cdef floating d_w_tol = tol
    cdef floating dual_norm_XtA
    cdef unsigned int n_active = n_features
    cdef uint32_t[::1] active_set = np.empty(n_features, dtype=np.uint32)
    cdef uint8_t[::1] excluded_set = np.zeros(n_features, dtype=np.uint8)
    cdef unsigned int j, n_iter = 0, f_iter
    cdef uint32_t rand_r_state_seed = rng.randint(0, RAND_R_MAX)
    cdef uint32_t* rand_r_state = &rand_r_state_seed
    cdef bint converged = False

    if alpha == 0:
        do_screening = False

    with nogil:
        tol *= y_norm2
        gap, dual_norm_XtA = gap_enet_gram(n_features, w, alpha, beta, Qw, q, y_norm2,
                                           XtA, positive)
        if 0 <= gap <= tol:  # a singular Q may give a dubious negative gap
            with gil:
                return np.asarray(w), gap, tol, 0
        if do_screening:
            _screen(n_features, w, alpha, beta, gap, dual_norm_XtA, &Q[0, 0], n_features,
                    n_features, -1, &Qw[0], XtA, diag, active_set, excluded_set,
                    &n_active, True)
        for n_iter in range(max_iter):
            w_max = 0.0
            d_w_max = 0.0
            for f_iter in range(n_active):
                j = _pick(f_iter, random, rand_r_state, n_active, do_screening,
                          &active_set[0])
                if diag[j] == 0.0:
                    continue
                w_j = w[j]
                tmp = q[j] - Qw[j] + w_j * diag[j]
                w[j] = _prox(tmp, alpha, diag[j] + beta, positive)
                if w[j] != w_j:
                    _axpy(n_features, w[j] - w_j, &Q[j, 0], 1, &Qw[0], 1)
                d_w_j = fabs(w[j] - w_j)
                d_w_max = fmax(d_w_max, d_w_j)
                w_max = fmax(w_max, fabs(w[j]))
            if w_max == 0.0 or d_w_max / w_max <= d_w_tol or n_iter == max_iter - 1:
                gap, dual_norm_XtA = gap_enet_gram(n_features, w, alpha, beta, Qw, q,
                                                   y_norm2, XtA, positive)
                if gap <= tol:
                    converged = True
                    break
                if do_screening:
                    _screen(n_features, w, alpha, beta, gap, dual_norm_XtA, &Q[0, 0],
                            n_features, n_features, -1, &Qw[0], XtA, diag, active_set,
                            excluded_set, &n_active, False)
    if not converged:
        _warn_not_converged(gap, tol, alpha)
    return np.asarray(w), gap, tol, n_iter + 1
