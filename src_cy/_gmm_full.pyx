# One EM iteration of a full-covariance Gaussian mixture, in two passes over X.
#
# scikit-learn (sklearn/mixture/_gaussian_mixture.py, BSD-3) runs each
# iteration as ~4k NumPy/BLAS calls on n x d and n x k arrays (per component:
# a whitening GEMM, squares, a row sum; logsumexp; per component a centred,
# weighted GEMM). For the few-feature data mixtures are fitted on, those
# calls are dominated by their own overhead and by re-reading X. Here:
#   pass 1 (e_step): per sample, every component's whitened residual
#     y = x @ P_k - mu_k @ P_k, the weighted log-density, logsumexp, the
#     responsibilities, and the sums the M-step needs (nk, resp.T @ X);
#   pass 2 (weighted_covariances): sum_i resp_ik (x_i - mu_k)(x_i - mu_k)^T
#     with the new means, centred as scikit-learn does (no one-pass
#     E[xx^T] - mu mu^T, which cancels).
# Rows are split into at most MAX_CHUNKS chunks fixed by n alone; each chunk
# sums into its own slot and the slots are added in chunk order, so results
# do not depend on the number of threads.

import numpy as np

from cython.parallel cimport prange
from libc.math cimport exp, log, INFINITY
from libc.stdlib cimport calloc, malloc, free
from libc.string cimport memcpy, memset

from fastml._cy._cpu cimport fm_cpu_has_avx2_fma

cdef extern from *:
    """
    /* Each kernel is built twice from one body: portable, and with AVX2+FMA
       for the CPUs that have them (_cpu.pxd's gate; the caller picks). */
    #if FM_CPU_X86_SIMD
    #define FM_GMM_TWICE(name, params, body) \
        static void name params body FM_AVX2_FMA static void name##_avx2 params body
    #else
    #define FM_GMM_TWICE(name, params, body) \
        static void name params body static void name##_avx2 params body
    #endif

    /* y[0:kd] = x[0:d] @ pcat (d x kd, rows contiguous): the E-step's hot loop. */
    FM_GMM_TWICE(fm_gmm_whiten,
        (const double* restrict x, const double* restrict pcat, double* restrict y,
         Py_ssize_t d, Py_ssize_t kd),
    {
        for (Py_ssize_t j = 0; j < kd; j++) y[j] = 0;
        for (Py_ssize_t l = 0; l < d; l++) {
            const double xl = x[l];
            const double* restrict p = pcat + l * kd;
            for (Py_ssize_t j = 0; j < kd; j++) y[j] += xl * p[j];
        }
    })

    /* C[m] += sum over rows start..stop of resp[i, m] (x_i - mu_m)(x_i - mu_m)^T,
       whole d x d rows (fixed length, contiguous: vectorised). */
    FM_GMM_TWICE(fm_gmm_scatter,
        (const double* restrict X, const double* restrict resp,
         const double* restrict means, double* restrict C, double* restrict diff,
         Py_ssize_t start, Py_ssize_t stop, Py_ssize_t d, Py_ssize_t k),
    {
        for (Py_ssize_t m = 0; m < k; m++) {
            double* restrict Cm = C + m * d * d;
            const double* restrict mu = means + m * d;
            for (Py_ssize_t i = start; i < stop; i++) {
                const double* restrict x = X + i * d;
                const double r = resp[i * k + m];
                for (Py_ssize_t a = 0; a < d; a++) diff[a] = x[a] - mu[a];
                for (Py_ssize_t a = 0; a < d; a++) {
                    const double ra = r * diff[a];
                    double* restrict row = Cm + a * d;
                    for (Py_ssize_t b = 0; b < d; b++) row[b] += ra * diff[b];
                }
            }
        }
    })
    """
    void fm_gmm_whiten(const double* x, const double* pcat, double* y,
                       Py_ssize_t d, Py_ssize_t kd) noexcept nogil
    void fm_gmm_whiten_avx2(const double* x, const double* pcat, double* y,
                            Py_ssize_t d, Py_ssize_t kd) noexcept nogil
    void fm_gmm_scatter(const double* X, const double* resp, const double* means,
                        double* C, double* diff, Py_ssize_t start, Py_ssize_t stop,
                        Py_ssize_t d, Py_ssize_t k) noexcept nogil
    void fm_gmm_scatter_avx2(const double* X, const double* resp, const double* means,
                             double* C, double* diff, Py_ssize_t start, Py_ssize_t stop,
                             Py_ssize_t d, Py_ssize_t k) noexcept nogil

cdef bint _HAS_AVX2_FMA = fm_cpu_has_avx2_fma()

cdef enum:
    MIN_CHUNK = 256
    MAX_CHUNKS = 64


def n_chunks_for(Py_ssize_t n_samples):
    """Chunks the rows are summed in: fixed by n_samples alone."""
    return max(1, min(MAX_CHUNKS, (n_samples + MIN_CHUNK - 1) // MIN_CHUNK))


def e_step(const double[:, ::1] X, const double[:, ::1] prec_cat,
           const double[::1] means_prec, const double[::1] log_det,
           const double[::1] log_weights, double[:, ::1] resp,
           double[:, ::1] nk_parts, double[:, :, ::1] rx_parts, int n_threads):
    """Responsibilities into ``resp``; return the sum over samples of log p(x).

    ``prec_cat[l, m * d + j]`` is component m's precision Cholesky factor
    P_m[l, j] and ``means_prec[m * d + j]`` is (mu_m @ P_m)[j]: the whitened
    residual is y = x @ P_m - mu_m @ P_m, as scikit-learn computes it, for all
    components in one contiguous (vectorised) loop per feature. The weighted
    log-density is, in scikit-learn's order of operations,
    ``-0.5 * (d log(2 pi) + |y|^2) + log_det[m]``, plus ``log_weights[m]``.
    Chunk c writes its responsibilities' column sums to ``nk_parts[c]`` and
    resp.T @ X of its rows to ``rx_parts[c]``.
    """
    cdef Py_ssize_t n = X.shape[0], n_parts = nk_parts.shape[0]
    cdef Py_ssize_t rows = (n + n_parts - 1) // n_parts
    cdef Py_ssize_t c
    cdef double[::1] lse_parts = np.zeros(n_parts)
    cdef double c_norm = X.shape[1] * log(2 * np.pi)
    with nogil:
        for c in prange(n_parts, schedule="dynamic", num_threads=n_threads):
            lse_parts[c] = _e_step_rows(X, prec_cat, means_prec, log_det, log_weights, resp,
                                        c * rows, min(n, (c + 1) * rows), c_norm,
                                        &nk_parts[c, 0], &rx_parts[c, 0, 0])
    cdef double total = 0
    for c in range(n_parts):
        total += lse_parts[c]
    return total


cdef double _e_step_rows(const double[:, ::1] X, const double[:, ::1] prec_cat,
                         const double[::1] means_prec, const double[::1] log_det,
                         const double[::1] log_weights, double[:, ::1] resp,
                         Py_ssize_t start, Py_ssize_t stop, double c_norm,
                         double* nk_out, double* rx_out) noexcept nogil:
    cdef Py_ssize_t d = X.shape[1], k = log_det.shape[0], kd = prec_cat.shape[1]
    cdef Py_ssize_t i, j, l, m
    # private sums, copied out once: chunks next to each other share cache lines
    cdef double* y = <double*> calloc(kd + 2 * k + kd, sizeof(double))
    cdef double* w = y + kd
    cdef double* nk = w + k
    cdef double* rx = nk + k
    cdef double s, v, top, total, r, lse_sum = 0
    cdef const double* x
    for i in range(start, stop):
        x = &X[i, 0]
        # all components at once, contiguous rows of prec_cat: vectorised
        if _HAS_AVX2_FMA:
            fm_gmm_whiten_avx2(x, &prec_cat[0, 0], y, d, kd)
        else:
            fm_gmm_whiten(x, &prec_cat[0, 0], y, d, kd)
        top = -INFINITY
        for m in range(k):
            s = 0
            for j in range(m * d, (m + 1) * d):
                v = y[j] - means_prec[j]
                s += v * v
            w[m] = (-0.5 * (c_norm + s) + log_det[m]) + log_weights[m]
            if w[m] > top:
                top = w[m]
        total = 0
        for m in range(k):
            w[m] = exp(w[m] - top)
            total += w[m]
        lse_sum += log(total) + top
        for m in range(k):
            # = exp(w - logsumexp(w)), scikit-learn's form, to an ulp: one exp
            # per component instead of two
            r = w[m] / total
            resp[i, m] = r
            nk[m] += r
            for j in range(d):
                rx[m * d + j] += r * x[j]
    memcpy(nk_out, nk, k * sizeof(double))
    memcpy(rx_out, rx, kd * sizeof(double))
    free(y)
    return lse_sum


def weighted_covariances(const double[:, ::1] X, const double[:, ::1] resp,
                         const double[:, ::1] means, double[:, :, :, ::1] cov_parts,
                         int n_threads):
    """cov_parts[c, k] = sum over chunk c's rows of resp_ik (x_i - mu_k)(x_i - mu_k)^T.

    Whole rows are accumulated (they vectorise); the caller sums the parts in
    chunk order and mirrors the upper triangle, so the result is symmetric.
    """
    cdef Py_ssize_t n = X.shape[0], n_parts = cov_parts.shape[0]
    cdef Py_ssize_t rows = (n + n_parts - 1) // n_parts
    cdef Py_ssize_t c
    with nogil:
        for c in prange(n_parts, schedule="dynamic", num_threads=n_threads):
            _covariance_rows(X, resp, means, c * rows, min(n, (c + 1) * rows),
                             &cov_parts[c, 0, 0, 0])


cdef void _covariance_rows(const double[:, ::1] X, const double[:, ::1] resp,
                           const double[:, ::1] means, Py_ssize_t start, Py_ssize_t stop,
                           double* cov_out) noexcept nogil:
    cdef Py_ssize_t d = X.shape[1], k = means.shape[0]
    # private sums (and the centred row), copied out once
    cdef double* C = <double*> calloc(k * d * d + d, sizeof(double))
    if _HAS_AVX2_FMA:
        fm_gmm_scatter_avx2(&X[0, 0], &resp[0, 0], &means[0, 0], C, C + k * d * d,
                            start, stop, d, k)
    else:
        fm_gmm_scatter(&X[0, 0], &resp[0, 0], &means[0, 0], C, C + k * d * d,
                       start, stop, d, k)
    memcpy(cov_out, C, k * d * d * sizeof(double))
    free(C)
