# Silhouette statistics without the n x n distance matrix.
#
# For each sample i: the sum of its distances to every cluster, accumulated
# over samples j in index order (as np.bincount does in sklearn's
# _silhouette_reduce, sklearn/metrics/cluster/_unsupervised.py, BSD-3), then
# intra[i] = sum to its own cluster and inter[i] = min over the other
# clusters l of sum_l / n_l. Euclidean distances are computed a block at a
# time with GEMM exactly as sklearn's euclidean_distances does it
# (-2 <x, y> + |x|^2 + |y|^2, clipped at 0, zero diagonal, square root);
# float32 input is upcast per block and its distances rounded to float32, as
# in sklearn's _euclidean_distances_upcast. Working memory: per thread, one
# ROW_BLOCK x COL_BLOCK distance block and ROW_BLOCK x n_clusters sums.

from cython.parallel cimport parallel, prange
from libc.math cimport sqrt, sqrtf, INFINITY
from libc.stdlib cimport malloc, free
from libc.string cimport memset

from fastml._cy._blas cimport _gemm, BLAS_Order, BLAS_Trans

cdef enum:
    ROW_BLOCK = 64
    COL_BLOCK = 1024


cdef void _finish_rows(const double* sums, Py_ssize_t n_rows, Py_ssize_t start,
                       const Py_ssize_t[::1] labels, const double[::1] freqs,
                       bint as_float32, double[::1] intra,
                       double[::1] inter) noexcept nogil:
    """intra/inter of rows start..start+n_rows from their per-cluster sums."""
    cdef Py_ssize_t r, l, k = freqs.shape[0], own
    cdef double best, v
    for r in range(n_rows):
        own = labels[start + r]
        best = INFINITY
        for l in range(k):
            if l == own:
                continue
            v = sums[r * k + l]
            if as_float32:  # sklearn keeps float32 sums for float32 distances
                v = <float> (<double> (<float> v) / freqs[l])
            else:
                v = v / freqs[l]
            if v < best:
                best = v
        v = sums[r * k + own]
        intra[start + r] = <float> v if as_float32 else v
        inter[start + r] = best


def euclidean_sums(const double[:, ::1] X, const double[::1] sq_norms,
                   const Py_ssize_t[::1] labels, const double[::1] freqs,
                   bint as_float32, double[::1] intra, double[::1] inter,
                   int n_threads):
    """Silhouette intra/inter sums of every sample, euclidean metric."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = freqs.shape[0]
    cdef Py_ssize_t n_row_blocks = (n + ROW_BLOCK - 1) // ROW_BLOCK
    cdef Py_ssize_t rb, r0, nr, c0, nc, r, c, i
    cdef double t
    cdef double* G
    cdef double* sums
    with nogil, parallel(num_threads=n_threads):
        G = <double*> malloc(ROW_BLOCK * COL_BLOCK * sizeof(double))
        sums = <double*> malloc(ROW_BLOCK * k * sizeof(double))
        for rb in prange(n_row_blocks, schedule="dynamic"):
            r0 = rb * ROW_BLOCK
            nr = min(ROW_BLOCK, n - r0)
            memset(sums, 0, nr * k * sizeof(double))
            c0 = 0
            while c0 < n:
                nc = min(<Py_ssize_t> COL_BLOCK, n - c0)
                # G = X[r0:r0+nr] @ X[c0:c0+nc].T
                _gemm(BLAS_Order.RowMajor, BLAS_Trans.NoTrans, BLAS_Trans.Trans,
                      nr, nc, d, 1.0, &X[r0, 0], d, &X[c0, 0], d, 0.0, G, nc)
                for r in range(nr):
                    i = r0 + r
                    for c in range(nc):
                        if c0 + c == i:
                            continue  # sklearn zeroes the diagonal
                        t = -2.0 * G[r * nc + c]
                        t = t + sq_norms[i]
                        t = t + sq_norms[c0 + c]
                        if t < 0.0:
                            t = 0.0
                        if as_float32:
                            t = sqrtf(<float> t)
                        else:
                            t = sqrt(t)
                        sums[r * k + labels[c0 + c]] += t
                c0 = c0 + nc
            _finish_rows(sums, nr, r0, labels, freqs, as_float32, intra, inter)
        free(G)
        free(sums)
    return None


def distance_rows_sums(const double[:, ::1] D, Py_ssize_t start,
                       const Py_ssize_t[::1] labels, const double[::1] freqs,
                       bint as_float32, double[::1] intra, double[::1] inter,
                       int n_threads):
    """Silhouette intra/inter sums of samples start.., given their distance rows."""
    cdef Py_ssize_t n_rows = D.shape[0], n = D.shape[1], k = freqs.shape[0]
    cdef Py_ssize_t r, c
    cdef double* sums
    with nogil, parallel(num_threads=n_threads):
        sums = <double*> malloc(k * sizeof(double))
        for r in prange(n_rows, schedule="static"):
            memset(sums, 0, k * sizeof(double))
            for c in range(n):
                sums[labels[c]] += D[r, c]
            _finish_rows(sums, 1, start + r, labels, freqs, as_float32, intra, inter)
        free(sums)
    return None
