# Shared pairwise-distance numerics: squared row norms, float64 GEMM tiles,
# tile-level distances and the chunked "GEMM + argmin" reduction.
# Reused by the pairwise kernels and meant for k-means, DBSCAN, silhouette.
# Adapted from scikit-learn (sklearn/metrics/pairwise.py
# _euclidean_distances_upcast and sklearn/cluster/_k_means_common.pyx, BSD-3-Clause).
#
# All helpers are serial and `nogil`: callers parallelise over tiles with
# prange and give every thread its own scratch (see `_scratch_size`). Results
# are float64 whatever `floating` is: float32 input is upcast tile by tile.

from cython cimport floating

cdef enum:
    TILE = 256      # rows of X and of Y per tile: a 256x256 float64 tile is 512 KiB
    FEAT_BLOCK = 256  # features per upcast block, so scratch is bounded whatever n_features
    COL_TILE = 2048   # max columns of an in-place float64 GEMM tile: TILE x COL_TILE is 4 MiB

cpdef enum Metric:
    EUCLIDEAN = 0    # squared euclidean by GEMM, cancellation-prone entries recomputed
    SQEUCLIDEAN = 1  # squared euclidean by exact differences (scipy's "sqeuclidean")
    MANHATTAN = 2
    CHEBYSHEV = 3
    COSINE = 4       # 1 - cosine similarity, by GEMM on inverse row norms

# Number of float64 scratch elements one thread needs for the tile helpers.
cdef Py_ssize_t _scratch_size(Py_ssize_t n_features) noexcept nogil

# Squared-distance values below `_refine_factor(d) * (|x|^2 + |y|^2)` may have
# lost most of their digits to cancellation in |x|^2 + |y|^2 - 2 x.y; they are
# recomputed as sum((x - y)^2). Worst-case relative error otherwise ~1e-6.
cdef double _refine_factor(Py_ssize_t n_features) noexcept nogil

# out[i] = sum_k X[i, k]^2 accumulated in float64, rows [start, end).
cdef void _sq_row_norms(const floating *X, Py_ssize_t start, Py_ssize_t end,
                        Py_ssize_t n_features, double *out) noexcept nogil

# 1 / ||X[i]|| (1 for norms < 10 eps, as sklearn.preprocessing.normalize).
cdef void _inv_row_norms(const floating *X, Py_ssize_t start, Py_ssize_t end,
                         Py_ssize_t n_features, double *out) noexcept nogil

# sum_k (x_k - y_k)^2 in float64.
cdef double _sqeuclidean_exact(const floating *x, const floating *y,
                               Py_ssize_t n_features) noexcept nogil

# C[:nx, :ny] (leading dim ldc) = alpha * X[:nx] @ Y[:ny].T in float64.
# double: one dgemm on the input; float: dgemm on float64 copies of
# FEAT_BLOCK-wide feature blocks (scratch: 2 * TILE * FEAT_BLOCK doubles).
cdef void _gemm_tile(const floating *X, Py_ssize_t nx, const floating *Y,
                     Py_ssize_t ny, Py_ssize_t n_features, double alpha,
                     double *C, Py_ssize_t ldc, double *scratch) noexcept nogil

# Given D = -2 X Y^T (a GEMM's output), turn it into squared euclidean
# distances (square roots if take_sqrt): add the norms, recompute the
# cancellation-prone entries exactly, clamp at 0. Any nx, ny; no scratch.
cdef void _euclidean_finish(const floating *X, Py_ssize_t nx, const floating *Y,
                            Py_ssize_t ny, Py_ssize_t n_features,
                            const double *XX, const double *YY,
                            double *D, Py_ssize_t ldd, bint take_sqrt) noexcept nogil

# Given D = X Y^T and inverse norms XX, YY: D = clip(1 - D * XX * YY, 0, 2).
cdef void _cosine_finish(Py_ssize_t nx, Py_ssize_t ny, const double *XX,
                         const double *YY, double *D, Py_ssize_t ldd) noexcept nogil

# D[:nx, :ny] (leading dim ldd) = distances of `metric` between the X and Y
# tiles (nx, ny <= TILE; any ny for float64 EUCLIDEAN/COSINE, which use no
# scratch). EUCLIDEAN gives squared distances clamped at 0
# (their square roots if take_sqrt) and needs XX/YY (squared norms of these
# rows); COSINE needs XX/YY = inverse norms; the others ignore them (may be
# NULL). D may be a block of the output itself (ldd = its row length).
cdef void _distance_tile(Metric metric, const floating *X, Py_ssize_t nx,
                         const floating *Y, Py_ssize_t ny, Py_ssize_t n_features,
                         const double *XX, const double *YY,
                         double *D, Py_ssize_t ldd, double *scratch,
                         bint take_sqrt=*) noexcept nogil

# For rows X[:nx]: argmin over all n_y rows of Y of the `metric` distance
# (squared for EUCLIDEAN), tiles of TILE rows of Y; strict "<" keeps the lowest
# index on ties, as scikit-learn. XX: the nx norms of these X rows; YY: all n_y.
cdef void _argmin_chunk(Metric metric, const floating *X, Py_ssize_t nx,
                        const floating *Y, Py_ssize_t n_y, Py_ssize_t n_features,
                        const double *XX, const double *YY,
                        Py_ssize_t *argmin, double *min_dist,
                        double *scratch) noexcept nogil
