# Kernel values for the SVM solvers: one column block K(x_i, X[start:end]).
# Formulas follow libsvm's Kernel class (svm.cpp, as vendored by scikit-learn,
# BSD-3-Clause); the dot products come from BLAS GEMV against precomputed
# squared norms instead of libsvm's per-pair loops.

from cython.parallel cimport prange
from libc.math cimport exp, tanh

from fastml._cy._blas cimport _gemv, BLAS_Order, BLAS_Trans

cdef enum:
    K_LINEAR = 0
    K_POLY = 1
    K_RBF = 2
    K_SIGMOID = 3
    K_PRECOMPUTED = 4
    # fewest rows per task when a column is split over threads
    MIN_CHUNK = 256


cdef inline double _powi(double base, int times) noexcept nogil:
    # libsvm's powi: exact repeated squaring, so poly kernels match bit-for-bit
    cdef double tmp = base, ret = 1.0
    cdef int t = times
    while t > 0:
        if t % 2 == 1:
            ret *= tmp
        tmp = tmp * tmp
        t = t // 2
    return ret


cdef inline double _from_dot(int kind, double dot, double sq_i, double sq_j,
                             double gamma, double coef0, int degree) noexcept nogil:
    if kind == K_RBF:
        return exp(-gamma * (sq_i + sq_j - 2.0 * dot))
    if kind == K_POLY:
        return _powi(gamma * dot + coef0, degree)
    if kind == K_SIGMOID:
        return tanh(gamma * dot + coef0)
    return dot


cdef inline void _kernel_block(int kind, const double* X, const double* sq, int d,
                               const double* x_i, double sq_i, int start, int end,
                               double gamma, double coef0, int degree,
                               double* out) noexcept nogil:
    """out[j - start] = K(x_i, X[j]) for j in [start, end) (one thread)."""
    cdef int j, m = end - start
    if m <= 0:
        return
    _gemv(BLAS_Order.RowMajor, BLAS_Trans.NoTrans, m, d, 1.0, X + <Py_ssize_t> start * d,
          d, x_i, 1, 0.0, out, 1)
    if kind != K_LINEAR:
        for j in range(m):
            out[j] = _from_dot(kind, out[j], sq_i, sq[start + j], gamma, coef0, degree)


cdef inline void _kernel_column(int kind, const double* X, const double* sq, int d,
                                const double* x_i, double sq_i, int start, int end,
                                double gamma, double coef0, int degree,
                                double* out, int n_threads,
                                double parallel_min_work) noexcept nogil:
    """out[j - start] = K(x_i, X[j]) for j in [start, end), split over threads.

    A column goes parallel only above ``parallel_min_work`` multiply-adds:
    SMO computes columns one at a time, and a fork/join per small column costs
    more than it saves (badly so on a loaded machine). Each task writes a
    disjoint slice of ``out``; the caller holds BLAS to one thread so GEMV
    inside prange does not oversubscribe.
    """
    cdef int c, lo, hi, chunk, n_chunks, m = end - start
    if (n_threads <= 1 or m < 2 * MIN_CHUNK
            or <double> m * (d + 16) < parallel_min_work):
        _kernel_block(kind, X, sq, d, x_i, sq_i, start, end, gamma, coef0, degree, out)
        return
    chunk = max(<int> MIN_CHUNK, (m + 2 * n_threads - 1) // (2 * n_threads))
    n_chunks = (m + chunk - 1) // chunk
    for c in prange(n_chunks, num_threads=n_threads, schedule="static"):
        lo = start + c * chunk
        hi = min(lo + chunk, end)
        _kernel_block(kind, X, sq, d, x_i, sq_i, lo, hi, gamma, coef0, degree,
                      out + (lo - start))
