# Full pairwise distance matrices between dense X and Y, parallel over tiles.
# The tile numerics live in _pairwise_common; this file only schedules them.
# Adapted from scikit-learn (sklearn/metrics/pairwise.py, BSD-3-Clause).

from cython cimport floating
from cython.parallel cimport parallel, prange
from cpython.mem cimport PyMem_RawFree, PyMem_RawMalloc

from fastml._cy._pairwise_common cimport (
    COL_TILE, TILE, Metric, EUCLIDEAN, COSINE, _distance_tile, _scratch_size)

ctypedef fused out_t:
    float
    double


def pairwise_dense(Metric metric,
                   const floating[:, ::1] X,        # IN
                   const floating[:, ::1] Y,        # IN
                   const double[::1] XX,            # IN squared norms (EUCLIDEAN), inverse norms (COSINE)
                   const double[::1] YY,            # IN idem for Y
                   out_t[:, ::1] out,               # OUT (n_x, n_y)
                   bint squared,                    # EUCLIDEAN: keep squared distances
                   bint same,                       # X is Y: diagonal set to exactly 0
                   int n_threads):
    """out[i, j] = distance of `metric` between X[i] and Y[j].

    Tiles are computed in float64 by one thread each (the caller limits BLAS
    to one thread). float64 EUCLIDEAN/COSINE tiles are computed in place in
    `out`: a GEMM writes the tile, then the norms, clamp and square roots are
    applied while it is still in cache, so the output is streamed to memory
    once (a GEMM followed by a separate pass would stream it three times).
    Those tiles are TILE rows by up to COL_TILE columns: wide enough that
    the BLAS packing of Y per call is amortised, small enough to stay in
    cache. Other cases use TILE x TILE tiles in per-thread scratch.
    Preconditions (checked by the caller): both C-contiguous, same n_features
    >= 1, n_x, n_y >= 1, XX/YY sized n_x/n_y when the metric uses them.
    """
    cdef:
        Py_ssize_t n_x = X.shape[0], n_y = Y.shape[0], d = X.shape[1]
        Py_ssize_t t, i, j, i0, j0, nx, ny, ldd, nbx, nby, rows, cols
        bint uses_norms = metric == EUCLIDEAN or metric == COSINE
        bint zero_diag = same and uses_norms  # exact metrics give 0 by themselves
        bint in_place = floating is double and uses_norms  # no scratch needed
        double *scratch
        double *tile
        double *D

    rows = cols = TILE
    if in_place:
        nby = (n_y + COL_TILE - 1) // COL_TILE
        cols = (n_y + nby - 1) // nby
        # about 16 row tiles on small inputs, so that threads share them; the
        # shape must not depend on n_threads (GEMM rounding depends on it)
        rows = min(<Py_ssize_t> TILE, max(<Py_ssize_t> 32, (n_x + 127) // 128 * 8))
    nbx = (n_x + rows - 1) // rows
    nby = (n_y + cols - 1) // cols
    with nogil, parallel(num_threads=n_threads):
        scratch = tile = NULL
        if not in_place:
            scratch = <double *> PyMem_RawMalloc(
                (TILE * TILE + _scratch_size(d)) * sizeof(double))
            tile = scratch + _scratch_size(d)
        for t in prange(nbx * nby, schedule="dynamic"):
            i0 = (t // nby) * rows
            j0 = (t % nby) * cols
            nx = min(rows, n_x - i0)
            ny = min(cols, n_y - j0)
            if out_t is double:
                D, ldd = &out[i0, j0], n_y
            else:
                D, ldd = tile, TILE
            _distance_tile(metric, &X[i0, 0], nx, &Y[j0, 0], ny, d,
                           &XX[i0] if uses_norms else NULL,
                           &YY[j0] if uses_norms else NULL,
                           D, ldd, scratch, not squared)
            if out_t is float:
                for i in range(nx):
                    for j in range(ny):
                        out[i0 + i, j0 + j] = <float> D[i * ldd + j]
            if zero_diag:
                for i in range(max(i0, j0), min(i0 + nx, j0 + ny)):
                    out[i, i] = 0.0
        PyMem_RawFree(scratch)
