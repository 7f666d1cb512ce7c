# RBF kernel rows K(X[r], SV) for SVC/SVR prediction: the fused AVX2+FMA
# column kernel of the solver (_svm_kernel.pxd) applied to each test row
# against the support vectors, rows split over OpenMP threads. scikit-learn's
# libsvm evaluates each pair with a scalar dot and exp (sklearn/svm/src/libsvm,
# BSD-3-Clause); NumPy would need a GEMM, three passes and a scalar exp.

import numpy as np

from cython.parallel cimport prange

from fastml._cy._svm_kernel cimport fm_svm_rbf_block


def rbf_kernel_rows(const double[:, ::1] X, const double[:, ::1] SV,
                    const double[::1] sv_sq, double gamma, int n_threads):
    """K[r, j] = exp(-gamma * (|X[r]|^2 + sv_sq[j] - 2 X[r].SV[j])).

    Only for CPUs with AVX2 and FMA (callers check
    ``_svm_smo.simd_enabled()``). X and SV share n_features >= 1; SV has at
    least one row; sv_sq holds the squared norms of SV's rows.
    """
    cdef Py_ssize_t n = X.shape[0], m = SV.shape[0]
    cdef int d = X.shape[1], k
    cdef Py_ssize_t r
    cdef double x_sq
    K = np.empty((n, m))
    cdef double[:, ::1] Kv = K
    if n == 0:
        return K
    for r in prange(n, nogil=True, num_threads=n_threads, schedule="static"):
        x_sq = 0.0
        for k in range(d):
            x_sq = x_sq + X[r, k] * X[r, k]
        fm_svm_rbf_block(&SV[0, 0], &sv_sq[0], d, &X[r, 0], x_sq, 0, <int> m, gamma,
                         &Kv[r, 0])
    return K
