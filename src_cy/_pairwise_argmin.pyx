# For every row of X, the nearest row of Y and its distance, without ever
# holding more than one TILE x TILE block of distances per thread.
# Adapted from scikit-learn (sklearn/metrics/_pairwise_distances_reduction, BSD-3-Clause).

from cython cimport floating
from cython.parallel cimport parallel, prange, threadid
from cpython.mem cimport PyMem_RawFree, PyMem_RawMalloc

from fastml._cy._pairwise_common cimport (
    TILE, Metric, EUCLIDEAN, COSINE, _argmin_chunk, _scratch_size)


def argmin_min_dense(Metric metric,
                     const floating[:, ::1] X,      # IN
                     const floating[:, ::1] Y,      # IN
                     const double[::1] XX,          # IN squared norms (EUCLIDEAN), inverse norms (COSINE)
                     const double[::1] YY,          # IN idem for Y
                     Py_ssize_t[::1] argmin,        # OUT (n_x,)
                     double[::1] min_dist,          # OUT (n_x,) squared for EUCLIDEAN
                     int n_threads):
    """argmin[i] = argmin_j dist(X[i], Y[j]) (lowest j on ties), min_dist[i] its value.

    Parallel over chunks of TILE rows of X when there are enough of them;
    otherwise (few X rows, many Y rows) each thread scans one contiguous
    range of Y for all X rows and the per-thread results are merged in
    thread order, so ties still resolve to the lowest index.
    Preconditions (checked by the caller) as for pairwise_dense.
    """
    cdef:
        Py_ssize_t n_x = X.shape[0], n_y = Y.shape[0], d = X.shape[1]
        Py_ssize_t n_chunks = (n_x + TILE - 1) // TILE
        Py_ssize_t c, i, i0, nx, tid, y0, y1, per_thread
        bint uses_norms = metric == EUCLIDEAN or metric == COSINE
        double *scratch
        Py_ssize_t *arg_t
        double *min_t
        Py_ssize_t[:, ::1] arg_all
        double[:, ::1] min_all

    if n_chunks >= 2 * n_threads or n_y <= TILE * n_threads:
        with nogil, parallel(num_threads=n_threads):
            scratch = <double *> PyMem_RawMalloc(_scratch_size(d) * sizeof(double))
            for c in prange(n_chunks, schedule="static"):
                i0 = c * TILE
                nx = min(<Py_ssize_t> TILE, n_x - i0)
                _argmin_chunk(metric, &X[i0, 0], nx, &Y[0, 0], n_y, d,
                              &XX[i0] if uses_norms else NULL,
                              &YY[0] if uses_norms else NULL,
                              &argmin[i0], &min_dist[i0], scratch)
            PyMem_RawFree(scratch)
        return

    # Few X rows: split Y. Per-thread results are n_x long, and n_x is small here.
    import numpy as np
    arg_all = np.zeros((n_threads, n_x), dtype=np.intp)
    min_all = np.full((n_threads, n_x), np.inf)
    per_thread = (n_y + n_threads - 1) // n_threads
    with nogil, parallel(num_threads=n_threads):
        scratch = <double *> PyMem_RawMalloc(_scratch_size(d) * sizeof(double))
        for tid in prange(n_threads, schedule="static", chunksize=1):
            y0 = tid * per_thread
            y1 = min(y0 + per_thread, n_y)
            if y0 >= y1:
                continue
            for c in range(n_chunks):
                i0 = c * TILE
                nx = min(<Py_ssize_t> TILE, n_x - i0)
                _argmin_chunk(metric, &X[i0, 0], nx, &Y[y0, 0], y1 - y0, d,
                              &XX[i0] if uses_norms else NULL,
                              &YY[y0] if uses_norms else NULL,
                              &arg_all[tid, i0], &min_all[tid, i0], scratch)
            for i in range(n_x):
                arg_all[tid, i] += y0
        PyMem_RawFree(scratch)
    for i in range(n_x):
        argmin[i] = arg_all[0, i]
        min_dist[i] = min_all[0, i]
        for tid in range(1, n_threads):
            if min_all[tid, i] < min_dist[i]:  # ranges ascend with tid: lowest index wins ties
                min_dist[i] = min_all[tid, i]
                argmin[i] = arg_all[tid, i]
