# DBSCAN neighborhoods on a uniform grid, counted and expanded on the fly.
#
# Samples are sorted by grid cell (cell_start[c]:cell_start[c + 1] in Xs);
# non-empty cells are listed by sorted linear key (keys) with their integer
# coordinates (coords) and the bounding box of their samples (lo, hi). A
# cell's neighbor cells (coords + offsets, nearest offsets first so that core
# counts stop early) are found by binary search when the cell is processed, so nothing of size n x neighbors
# is ever stored. Three passes, none of which stores a neighborhood:
#   grid_core    weighted neighbor counts -> core flags (early exit at min_samples)
#   grid_union   connected components of core samples (lock-free union-find)
#   grid_border  smallest cluster label among a border sample's core neighbors
# Distances are "reduced" as in sklearn's DistanceMetric (squared euclidean,
# sum |d|^p for minkowski) and accumulated over features in order, so they are
# bit-identical to those of sklearn's KDTree. A point-to-box bound computed with
# the same operations is monotone in each coordinate, hence it is a true bound
# on the *computed* distances: whole cells are accepted or rejected exactly.

from cython.parallel cimport parallel, prange
from libc.math cimport fabs, pow, fmax, INFINITY
from libc.stdint cimport uint8_t
from libc.stdlib cimport malloc, free

from fastml._cy._dbscan_inner cimport fastml_uf_find, fastml_uf_union

cdef enum:
    EUCLIDEAN = 0
    MANHATTAN = 1
    CHEBYSHEV = 2
    MINKOWSKI = 3
    COSINE = 4   # rows pre-normalized; grid/box bounds use EUCLIDEAN, pairs 1 - <u, v>


cdef inline double _rdist(const double* a, const double* b, Py_ssize_t d,
                          int metric, double p, double radius) noexcept nogil:
    """Reduced distance; may stop early (returning a partial sum > radius)
    since partial sums only grow: the comparison with radius is unchanged."""
    cdef Py_ssize_t k
    cdef double s = 0.0, t
    if metric == EUCLIDEAN:
        for k in range(d):
            t = a[k] - b[k]
            s = s + t * t
            if (k & 7) == 7 and s > radius:
                return s
    elif metric == MANHATTAN:
        for k in range(d):
            s = s + fabs(a[k] - b[k])
            if (k & 7) == 7 and s > radius:
                return s
    elif metric == CHEBYSHEV:
        for k in range(d):
            s = fmax(s, fabs(a[k] - b[k]))
            if s > radius:
                return s
    elif metric == MINKOWSKI:
        for k in range(d):
            s = s + pow(fabs(a[k] - b[k]), p)
            if s > radius:
                return s
    else:
        for k in range(d):
            s = s + a[k] * b[k]
        # as sklearn's cosine_distances: 1 - similarity, clipped to [0, 2]
        s = 1.0 - s
        if s < 0.0:
            s = 0.0
        elif s > 2.0:
            s = 2.0
    return s


cdef inline double _accum(double s, double t, int metric, double p) noexcept nogil:
    if metric == EUCLIDEAN or metric == COSINE:
        return s + t * t
    elif metric == MANHATTAN:
        return s + t
    elif metric == CHEBYSHEV:
        return fmax(s, t)
    return s + pow(t, p)


cdef inline void _box_bounds(const double* a, const double* lo, const double* hi,
                             Py_ssize_t d, int metric, double p,
                             double* dmin, double* dmax) noexcept nogil:
    """Reduced distance from a to the nearest and farthest point of a box."""
    cdef Py_ssize_t k
    cdef double smin = 0.0, smax = 0.0, gap, far
    for k in range(d):
        if a[k] < lo[k]:
            gap = lo[k] - a[k]
        elif a[k] > hi[k]:
            gap = a[k] - hi[k]
        else:
            gap = 0.0
        far = fmax(fabs(a[k] - lo[k]), fabs(a[k] - hi[k]))
        smin = _accum(smin, gap, metric, p)
        smax = _accum(smax, far, metric, p)
    dmin[0] = smin
    dmax[0] = smax


cdef inline double _box_box_min(const double* lo1, const double* hi1,
                                const double* lo2, const double* hi2,
                                Py_ssize_t d, int metric, double p) noexcept nogil:
    cdef Py_ssize_t k
    cdef double s = 0.0, gap
    for k in range(d):
        if hi1[k] < lo2[k]:
            gap = lo2[k] - hi1[k]
        elif hi2[k] < lo1[k]:
            gap = lo1[k] - hi2[k]
        else:
            gap = 0.0
        s = _accum(s, gap, metric, p)
    return s


def cell_compact(const double[:, ::1] lo, const double[:, ::1] hi, int metric,
                 double p, double radius):
    """1 where every pair of samples of a cell is within radius (cell diameter)."""
    cdef Py_ssize_t c, k, n_cells = lo.shape[0], d = lo.shape[1]
    cdef double s
    out = bytearray(n_cells)
    cdef uint8_t[::1] compact = out
    if metric == COSINE:  # a box bounds euclidean, not rounded dot products
        return out
    with nogil:
        for c in range(n_cells):
            s = 0.0
            for k in range(d):
                s = _accum(s, hi[c, k] - lo[c, k], metric, p)
            compact[c] = s <= radius
    return out


cdef Py_ssize_t _neighbor_cells(Py_ssize_t c, const long long[::1] keys,
                                const long long[:, ::1] coords,
                                const long long[::1] shape,
                                const long long[:, ::1] offsets,
                                Py_ssize_t* out) noexcept nogil:
    """Indices of the non-empty cells at ``coords[c] + offsets[q]``, in offset order."""
    cdef Py_ssize_t m = coords.shape[1], n_cells = keys.shape[0]
    cdef Py_ssize_t q, k, count = 0, lo_i, hi_i, mid
    cdef long long key, v
    cdef bint valid
    for q in range(offsets.shape[0]):
        key = 0
        valid = True
        for k in range(m):
            v = coords[c, k] + offsets[q, k]
            if v < 0 or v >= shape[k]:
                valid = False
                break
            key = key * shape[k] + v
        if not valid:
            continue
        lo_i = 0
        hi_i = n_cells
        while lo_i < hi_i:
            mid = (lo_i + hi_i) // 2
            if keys[mid] < key:
                lo_i = mid + 1
            else:
                hi_i = mid
        if lo_i < n_cells and keys[lo_i] == key:
            out[count] = lo_i
            count = count + 1
    return count


def grid_core(
        const double[:, ::1] Xs, const Py_ssize_t[::1] cell_start,
        const long long[::1] keys, const long long[:, ::1] coords,
        const long long[::1] shape, const long long[:, ::1] offsets,
        const double[:, ::1] lo, const double[:, ::1] hi,
        const uint8_t[::1] compact, const double[::1] weight,
        const double[::1] cell_weight, bint nonnegative, double min_samples,
        int metric, double p, double radius, double box_radius,
        uint8_t[::1] is_core, int n_threads):
    """is_core[i] = (sum of weights of samples within radius of i) >= min_samples.

    ``weight`` is in grid order (all ones when unweighted); with nonnegative
    weights the count stops as soon as it reaches min_samples.
    """
    cdef Py_ssize_t n_cells = cell_start.shape[0] - 1, d = Xs.shape[1]
    cdef Py_ssize_t c, i, j, q, cc, n_nbrs
    cdef Py_ssize_t* nbrs
    cdef double acc, dmin, dmax
    cdef bint full_ok = metric != COSINE
    with nogil, parallel(num_threads=n_threads):
        nbrs = <Py_ssize_t*> malloc(offsets.shape[0] * sizeof(Py_ssize_t))
        for c in prange(n_cells, schedule="dynamic"):
            if nonnegative and compact[c] and cell_weight[c] >= min_samples:
                # the cell alone makes each of its samples core
                for i in range(cell_start[c], cell_start[c + 1]):
                    is_core[i] = 1
                continue
            n_nbrs = _neighbor_cells(c, keys, coords, shape, offsets, nbrs)
            for i in range(cell_start[c], cell_start[c + 1]):
                acc = 0.0
                for q in range(n_nbrs):
                    cc = nbrs[q]
                    _box_bounds(&Xs[i, 0], &lo[cc, 0], &hi[cc, 0], d, metric, p,
                                &dmin, &dmax)
                    if dmin > box_radius:
                        continue
                    if full_ok and dmax <= radius:
                        acc = acc + cell_weight[cc]
                    else:
                        for j in range(cell_start[cc], cell_start[cc + 1]):
                            if _rdist(&Xs[i, 0], &Xs[j, 0], d, metric, p, radius) <= radius:
                                acc = acc + weight[j]
                    if nonnegative and acc >= min_samples:
                        break
                is_core[i] = acc >= min_samples
        free(nbrs)
    return None


def grid_union(
        const double[:, ::1] Xs, const Py_ssize_t[::1] cell_start,
        const long long[::1] keys, const long long[:, ::1] coords,
        const long long[::1] shape, const long long[:, ::1] offsets,
        const double[:, ::1] lo, const double[:, ::1] hi,
        const uint8_t[::1] compact, const uint8_t[::1] is_core,
        int metric, double p, double radius, double box_radius,
        Py_ssize_t[::1] parent, int n_threads):
    """Union core samples within radius of each other.

    Each unordered cell pair is visited once (from the smaller cell index).
    The core samples of a compact cell are one component, so between two
    compact cells a single close core pair suffices.
    """
    cdef Py_ssize_t n_cells = cell_start.shape[0] - 1, d = Xs.shape[1]
    cdef Py_ssize_t c, cc, q, i, j, rep, rep2, j_start, n_nbrs
    cdef Py_ssize_t* nbrs
    cdef bint both_compact, found
    cdef Py_ssize_t* par = &parent[0]
    cdef Py_ssize_t* first_core = <Py_ssize_t*> malloc(max(n_cells, 1) * sizeof(Py_ssize_t))
    with nogil:
        for c in range(n_cells):
            first_core[c] = -1
            for i in range(cell_start[c], cell_start[c + 1]):
                if is_core[i]:
                    first_core[c] = i
                    break
        # a compact cell's core samples are pairwise within radius
        for c in prange(n_cells, schedule="static", num_threads=n_threads):
            rep = first_core[c]
            if rep < 0 or not compact[c]:
                continue
            for i in range(rep + 1, cell_start[c + 1]):
                if is_core[i]:
                    fastml_uf_union(par, rep, i)
    with nogil, parallel(num_threads=n_threads):
        nbrs = <Py_ssize_t*> malloc(offsets.shape[0] * sizeof(Py_ssize_t))
        for c in prange(n_cells, schedule="dynamic"):
            rep = first_core[c]
            if rep < 0:
                continue
            n_nbrs = _neighbor_cells(c, keys, coords, shape, offsets, nbrs)
            for q in range(n_nbrs):
                cc = nbrs[q]
                rep2 = first_core[cc]
                if cc < c or rep2 < 0 or (cc == c and compact[c]):
                    continue
                both_compact = compact[c] and compact[cc]
                if both_compact and (fastml_uf_find(par, rep)
                                     == fastml_uf_find(par, rep2)):
                    continue
                if cc != c and _box_box_min(&lo[c, 0], &hi[c, 0], &lo[cc, 0],
                                            &hi[cc, 0], d, metric, p) > box_radius:
                    continue
                found = False
                for i in range(rep, cell_start[c + 1]):
                    if not is_core[i]:
                        continue
                    j_start = i + 1 if cc == c else rep2
                    for j in range(j_start, cell_start[cc + 1]):
                        if not is_core[j]:
                            continue
                        if not both_compact and (fastml_uf_find(par, i)
                                                 == fastml_uf_find(par, j)):
                            continue
                        if _rdist(&Xs[i, 0], &Xs[j, 0], d, metric, p, radius) <= radius:
                            fastml_uf_union(par, i, j)
                            if both_compact:
                                found = True
                                break
                    if found:
                        break
        free(nbrs)
    free(first_core)
    return None


def grid_border(
        const double[:, ::1] Xs, const Py_ssize_t[::1] cell_start,
        const long long[::1] keys, const long long[:, ::1] coords,
        const long long[::1] shape, const long long[:, ::1] offsets,
        const double[:, ::1] lo, const double[:, ::1] hi,
        const uint8_t[::1] is_core, int metric, double p, double radius,
        double box_radius, Py_ssize_t[::1] labels, int n_threads):
    """labels[i] = smallest label among the core samples within radius of a non-core i."""
    cdef Py_ssize_t n_cells = cell_start.shape[0] - 1, d = Xs.shape[1]
    cdef Py_ssize_t c, cc, q, i, j, best, n_nbrs, BIG = cell_start[n_cells] + 1
    cdef Py_ssize_t* nbrs
    cdef double dmin, dmax
    cdef bint full_ok = metric != COSINE
    cdef Py_ssize_t* min_label = <Py_ssize_t*> malloc(max(n_cells, 1) * sizeof(Py_ssize_t))
    with nogil:
        for c in range(n_cells):
            min_label[c] = BIG
            for i in range(cell_start[c], cell_start[c + 1]):
                if is_core[i] and labels[i] < min_label[c]:
                    min_label[c] = labels[i]
    with nogil, parallel(num_threads=n_threads):
        nbrs = <Py_ssize_t*> malloc(offsets.shape[0] * sizeof(Py_ssize_t))
        for c in prange(n_cells, schedule="dynamic"):
            n_nbrs = -1
            for i in range(cell_start[c], cell_start[c + 1]):
                if is_core[i]:
                    continue
                if n_nbrs < 0:
                    n_nbrs = _neighbor_cells(c, keys, coords, shape, offsets, nbrs)
                best = BIG
                for q in range(n_nbrs):
                    cc = nbrs[q]
                    if min_label[cc] >= best:
                        continue
                    _box_bounds(&Xs[i, 0], &lo[cc, 0], &hi[cc, 0], d, metric, p,
                                &dmin, &dmax)
                    if dmin > box_radius:
                        continue
                    if full_ok and dmax <= radius:
                        best = min_label[cc]
                        continue
                    for j in range(cell_start[cc], cell_start[cc + 1]):
                        if is_core[j] and labels[j] < best and (
                                _rdist(&Xs[i, 0], &Xs[j, 0], d, metric, p, radius) <= radius):
                            best = labels[j]
                labels[i] = best if best < BIG else -1
        free(nbrs)
    free(min_label)
    return None
