# Full pairwise distance matrices between dense X and Y, parallel over tiles.
# The tile numerics live in _pairwise_common; this file only schedules them.
# Adapted from scikit-learn (sklearn/metrics/pairwise.py, BSD-3-Clause).

from cython cimport floating
from cython.parallel cimport parallel, prange
from cpython.mem cimport PyMem_RawFree, PyMem_RawMalloc

from fastml._cy._blas cimport BLAS_Order, BLAS_Trans, _gemm
from fastml._cy._pairwise_common cimport (
    TILE, Metric, EUCLIDEAN, COSINE, _cosine_finish, _distance_tile,
    _euclidean_finish, _scratch_size)

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

    Tiles of TILE x TILE are computed in float64 by one thread each; with
    float64 output a tile is computed in place in `out` (one cache-resident
    pass after its GEMM), otherwise in per-thread scratch then cast.
    Preconditions (checked by the caller): both C-contiguous, same n_features
    >= 1, n_x, n_y >= 1, XX/YY sized n_x/n_y when the metric uses them.
    """
    cdef:
        Py_ssize_t n_x = X.shape[0], n_y = Y.shape[0], d = X.shape[1]
        Py_ssize_t t, i, j, i0, j0, nx, ny, ldd, nbx, nby
        bint uses_norms = metric == EUCLIDEAN or metric == COSINE
        bint zero_diag = same and uses_norms  # exact metrics give 0 by themselves
        double *scratch
        double *tile
        double *D

    if floating is double and out_t is double and uses_norms:
        # float64 needs no upcast: one multithreaded GEMM straight into the
        # output (the caller leaves BLAS its threads), then one parallel pass
        # over row chunks adds the norms. This runs at the speed of X @ Y.T.
        with nogil:
            _gemm(BLAS_Order.RowMajor, BLAS_Trans.NoTrans, BLAS_Trans.Trans,
                  n_x, n_y, d, -2.0 if metric == EUCLIDEAN else 1.0,
                  &X[0, 0], d, &Y[0, 0], d, 0.0, &out[0, 0], n_y)
            nbx = (n_x + TILE - 1) // TILE
            for t in prange(nbx, schedule="static", num_threads=n_threads):
                i0 = t * TILE
                nx = min(<Py_ssize_t> TILE, n_x - i0)
                if metric == EUCLIDEAN:
                    _euclidean_finish(&X[i0, 0], nx, &Y[0, 0], n_y, d, &XX[i0], &YY[0],
                                      &out[i0, 0], n_y, not squared)
                else:
                    _cosine_finish(nx, n_y, &XX[i0], &YY[0], &out[i0, 0], n_y)
                if zero_diag:
                    for i in range(i0, min(i0 + nx, n_y)):
                        out[i, i] = 0.0
        return

    nbx = (n_x + TILE - 1) // TILE
    nby = (n_y + TILE - 1) // TILE
    with nogil, parallel(num_threads=n_threads):
        scratch = <double *> PyMem_RawMalloc((TILE * TILE + _scratch_size(d)) * sizeof(double))
        tile = scratch + _scratch_size(d)
        for t in prange(nbx * nby, schedule="static"):
            i0 = (t // nby) * TILE
            j0 = (t % nby) * TILE
            nx = min(<Py_ssize_t> TILE, n_x - i0)
            ny = min(<Py_ssize_t> TILE, n_y - j0)
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
