# The pruned E-step (and incremental M-step) that both k-means algorithms use
# inside _kmeans_common._kmeans_run: exact Hamerly pruning, a float32 screen of
# the samples the bounds cannot settle, and the algorithm's exact arithmetic
# for the rare samples the screen cannot decide either.
# Adapted from scikit-learn (sklearn/cluster/_k_means_lloyd.pyx,
# _k_means_elkan.pyx, BSD-3-Clause, The scikit-learn developers); bounds after
# G. Hamerly, "Making k-means even faster", SDM 2010.
#
# Per chunk of CHUNK_SIZE samples, three phases:
#
# 1. Bounds.  Per sample an upper bound on the distance to its own center and
#    a lower bound on the distance to every other center.  They are stored
#    relative to the cumulative moves since the first iteration (cum_shift of
#    the own center, cum_max of the others, see _kmeans_common): upper - cs
#    and lower + cm, float32 rounded outwards.  A bound stored at any version
#    is valid now once the current cs / cm are added back (the triangle
#    inequality, summed over the moves), so no per-sample stamp is kept:
#    12 bytes a sample (label, two bounds) are read per pass.  A
#    sample whose label provably cannot change -- for the algorithm's own
#    rounding, too -- is not touched.  The others go to a list, ascending, and
#    their rows are prefetched.
# 2. Screen.  The listed rows are scored against all centers in float32,
#    samples in the lanes of AVX2 vectors (fm_screen_avx2_s): from a float32
#    copy of X for float64 data, which halves the bytes fetched and the FMAs.
#    With a bound E on the screen's error (relative to ||x||^2 + max ||c||^2)
#    the screen gives valid bounds, and, unless the two best centers are
#    closer than the error margins, the label: the same label scikit-learn's
#    arithmetic gives, as a margin > 2 (E + err) leaves no other winner.
#    For lloyd on float32 data the screen *is* scikit-learn's arithmetic.
# 3. Exact.  The undecided rows (near-ties, and every row when the screen is
#    off: no AVX2, or data whose float32 copy would overflow or underflow) get
#    the algorithm's own arithmetic: lloyd's GEMM surrogate ||c||^2 - 2 x.c
#    (register-blocked, or BLAS on the whole chunk as scikit-learn calls it),
#    elkan's direct distances with its keep-the-label rule.

import numpy as np

from cython cimport floating
from cython.parallel cimport prange, parallel, threadid
from libc.stdlib cimport malloc, free
from libc.math cimport sqrt, nextafterf, INFINITY

from fastml._cy._kmeans_common cimport (
    CHUNK_SIZE, PAD, _euclidean_dense_dense, _scores_blas, _move_sample,
    _begin_pass, _end_pass)
from fastml._cy._kmeans_common import (
    _packed_centers, _use_simd_py, _kpad_py, HAS_AVX2_FMA)
from fastml._cy._kmeans_simd cimport (
    fm_best2_avx2_d, fm_best2_avx2_s, fm_dist_row_avx_d, fm_dist_row_avx_s,
    fm_screen_avx2_s, fm_screen_bounds, fm_prefetch, fm_bounds_test)

cdef:
    # float32 storage of the bounds, rounded outwards: 2^-22 of the magnitudes
    # involved > the 2^-24 of the conversion plus the double arithmetic before
    double REL32 = 2.0 ** -22
    double FLT_MIN_NORMAL = 1.1754943508222875e-38
    # the screen is used for float64 data whose norms lie in this range (its
    # float32 copy neither overflows nor underflows to lose relative accuracy)
    double SCREEN_MIN_NORM = 1e-15
    double SCREEN_MAX_NORM = 1e15


cdef inline float _store_upper(double u, double cs) noexcept nogil:
    """The upper bound u >= 0, stored relative to its center's cumulative
    moves cs >= 0 (see _pruned_chunk), as a float32 >= u - cs."""
    return <float> (u - cs + (u + cs) * REL32 + FLT_MIN_NORMAL)


cdef inline float _store_lower(double low, double cm) noexcept nogil:
    """The lower bound low >= 0, stored relative to the cumulative moves cm
    >= 0 of the other centers, as a float32 <= low + cm."""
    return <float> (low + cm - (low + cm) * REL32 - FLT_MIN_NORMAL)


cdef void _distances(
        const floating* x,               # IN one sample
        const floating[:, ::1] centers,  # IN
        const floating[:, ::1] ct,       # IN centers transposed, padded (SIMD)
        bint simd,
        floating* out) noexcept nogil:   # OUT (kpad,)
    """Distances of x to every center, each bit-identical to the scalar formula."""
    cdef int j, d = centers.shape[1]
    if simd:
        if floating is double:
            fm_dist_row_avx_d(x, d, &ct[0, 0], ct.shape[1], out)
        else:
            fm_dist_row_avx_s(x, d, &ct[0, 0], ct.shape[1], out)
    else:
        for j in range(centers.shape[0]):
            out[j] = _euclidean_dense_dense(x, &centers[j, 0], d, False)


cdef struct _Scratch:
    # per thread, CHUNK_SIZE entries each (kstride per sample for scores)
    int* idx        # the listed samples (phase 1), then the undecided ones
    int* lab        # screen: first argmin
    float* b1       # screen: its score
    float* b2       # screen: the runner-up score
    float* x2       # screen: ||x||^2
    float* ub       # screen: the upper bound it gives (float32, rounded up)
    float* lb       # screen: the lower bound it gives (float32, rounded down)
    int* ok         # screen: whether it decides the label
    float* xt       # screen: 16 rows in lanes (32-byte aligned)
    int* elab       # exact lloyd: first argmin
    double* eb1     # exact lloyd: its score
    double* eb2     # exact lloyd: the runner-up score
    void* dist      # exact: BLAS scores of the chunk / elkan distances
    int* moved      # samples that changed cluster: index, old, new (3 per sample)


cdef _Scratch _scratch_new(int n_features, int kstride) noexcept nogil:
    cdef _Scratch s
    # +4: fm_bounds_test writes and fm_screen_bounds reads 4 rows at a time
    s.idx = <int*> malloc((CHUNK_SIZE + 4) * sizeof(int))
    s.lab = <int*> malloc((CHUNK_SIZE + 4) * sizeof(int))
    s.b1 = <float*> malloc(5 * (CHUNK_SIZE + 4) * sizeof(float))
    s.b2 = s.b1 + (CHUNK_SIZE + 4)
    s.x2 = s.b2 + (CHUNK_SIZE + 4)
    s.ub = s.x2 + (CHUNK_SIZE + 4)
    s.lb = s.ub + (CHUNK_SIZE + 4)
    s.ok = <int*> malloc((CHUNK_SIZE + 4) * sizeof(int))
    s.xt = <float*> malloc((16 * n_features + 8) * sizeof(float))
    s.elab = <int*> malloc(CHUNK_SIZE * sizeof(int))
    s.eb1 = <double*> malloc(2 * CHUNK_SIZE * sizeof(double))
    s.eb2 = s.eb1 + CHUNK_SIZE
    s.dist = malloc(CHUNK_SIZE * kstride * sizeof(double))
    s.moved = <int*> malloc(3 * CHUNK_SIZE * sizeof(int))
    return s


cdef void _scratch_free(_Scratch s) noexcept nogil:
    free(s.idx)
    free(s.lab)
    free(s.b1)
    free(s.ok)
    free(s.xt)
    free(s.elab)
    free(s.eb1)
    free(s.dist)
    free(s.moved)


cdef inline float* _aligned32(float* p) noexcept nogil:
    return <float*> ((<size_t> p + 31) & ~(<size_t> 31))


cdef void _apply_moves(
        const floating[:, ::1] X, const floating[::1] sample_weight,
        const int* moved, int n_moved, int n_clusters, double* slab) noexcept nogil:
    cdef int q
    for q in range(n_moved):
        _move_sample(&X[moved[3 * q], 0], sample_weight[moved[3 * q]], moved[3 * q + 1],
                     moved[3 * q + 2], X.shape[1], n_clusters, slab)


cdef inline int _record_move(
        const floating[:, ::1] X, const floating[::1] sample_weight,
        int* moved, int n_moved, int i, int old, int new) noexcept nogil:
    """Queue a move between the cluster sums and prefetch what it will read
    (the sample's row and weight: rarely in cache, the sample was screened
    from the float32 copy)."""
    cdef int f = 0, step = 64 // <int> sizeof(floating)
    moved[3 * n_moved] = i
    moved[3 * n_moved + 1] = old
    moved[3 * n_moved + 2] = new
    while f < X.shape[1]:
        fm_prefetch(&X[i, f])
        f += step
    fm_prefetch(&X[i, X.shape[1] - 1])
    fm_prefetch(&sample_weight[i])
    return n_moved + 1


cdef Py_ssize_t _pruned_chunk(
        const floating[:, ::1] X,            # IN
        const float[:, ::1] Xs,              # IN screen copy (float32 data: X)
        const floating[::1] sample_weight,   # IN
        const double[::1] x_sq,              # IN ||x||^2
        const float[:, ::1] ct_s,            # IN screen: -2 C^T (float32, padded)
        const float[::1] cn_s,               # IN screen: ||c||^2 (+inf padded)
        const floating[:, ::1] centers,      # IN
        const floating[:, ::1] packed,       # IN exact lloyd SIMD / elkan SIMD layout
        const floating[::1] norms,           # IN exact lloyd: ||c||^2
        int[::1] labels,                     # INOUT
        float[::1] upper,                    # INOUT d(x, own center) - cs[label]
        float[::1] lower,                    # INOUT d(x, other centers) + cm[label]
        const double* cs,                    # IN label: cumulative moves of the center
        const double* cm,                    # IN label: ... of the other centers
        const double* tu,                    # IN label: cs + slack
        const double* tl,                    # IN label: cm + slack
        const double* hm,                    # IN label: 2 half_min - slack
        const float* t32,                    # IN simd: tu, tl, hm in float32 (_bounds_tables)
        int kt,                              # IN their stride
        float f32,                           # IN simd: the test's factor and margin
        float a32,
        double err,                          # lloyd: bound on the surrogate's error
        double gamma,                        # elkan: relative error of a distance
        double e_coef,                       # screen error: e_coef (||x||^2 + c_sq_max) + e_abs
        double e_abs,
        double e_x,                          # relative error of the screen's ||x||^2
        double c_sq_max,
        int start,
        int end,
        _Scratch s,
        double* slab,                        # INOUT this thread's moves
        bint elkan,
        bint screen,
        bint exact_screen,
        bint simd,
        bint full,
        bint update) noexcept nogil:
    cdef:
        int d = X.shape[1]
        int n_clusters = centers.shape[0]
        int kstride = packed.shape[1] if simd else n_clusters
        int i, j, r, m = 0, m2 = 0, a, t, label, n_moved = 0
        double u, low, x2, e, hi, lo, s1, s2, best, second
        # lloyd's test needs (low - u)(low + u) > 2.5 err; elkan's
        # low (1 - gamma) > u (1 + gamma): one test with err = 0 or gamma = 0
        double err25 = 0.0 if elkan else 2.5 * err
        double lo_pad = 1 - gamma, hi_pad = 1 + gamma
        # a true distance lies within [computed * lo2, computed * hi2]
        double lo2 = 1 - 2 * gamma, hi2 = 1 + 2 * gamma
        double el_lo = (1 - gamma) * (1 - gamma), el_hi = (1 + gamma) * (1 + gamma)
        bint keep, ok
        Py_ssize_t n_changed = 0
        floating* fdist = <floating*> s.dist
        float* xt = _aligned32(s.xt)

    # -- 1. bounds -----------------------------------------------------------
    if full:
        for i in range(start, end):
            s.idx[m] = i
            m = m + 1
    elif simd:
        # the test below, 8 samples at a time in float32 (conservative: it
        # keeps a sample only if the double test would, see _bounds_tables)
        m = fm_bounds_test(&labels[0], &upper[0], &lower[0], t32, t32 + kt, t32 + 2 * kt,
                           n_clusters, f32, a32, start, end, s.idx,
                           <const char*> &Xs[0, 0], Xs.shape[1] * sizeof(float) if screen else 0)
    else:
        for i in range(start, end):
            a = labels[i]
            u = upper[i] + tu[a]
            low = max(lower[i] - tl[a], hm[a] - u)
            keep = (low * lo_pad > u * hi_pad) & ((low - u) * (low + u) > err25)
            # branch-free: which samples stay is data, not a pattern
            s.idx[m] = i
            m = m + (not keep)
    if m == 0:
        return 0

    # -- 2. screen -------------------------------------------------------------
    if screen:
        fm_screen_avx2_s(&Xs[0, 0], s.idx, m, d, &ct_s[0, 0], &cn_s[0], ct_s.shape[1],
                         s.lab, s.b1, s.b2, s.x2, xt)
        # the bounds and decisions that follow from the scores, with the
        # screen's error e (||x||^2 from the screen too: no fetch of x_sq):
        # hi = s1 + x2 + e >= d(x, c_lab)^2, lo = s2 + x2 - e <= d(x, c_j)^2
        # for every other j; decided when every other computed distance
        # (elkan) or surrogate (lloyd) must be strictly larger
        fm_screen_bounds(m, s.b1, s.b2, s.x2, s.lab, e_coef, e_x, e_abs, c_sq_max, err,
                         2 if exact_screen else (1 if elkan else 0), el_lo, el_hi,
                         cs, cm, REL32, FLT_MIN_NORMAL, s.ub, s.lb, s.ok)
    for r in range(m):
        i = s.idx[r]
        if not screen or not s.ok[r]:
            # written over the listed samples already read (m2 <= r)
            s.idx[m2] = i
            m2 = m2 + 1
            continue
        label = s.lab[r]
        upper[i] = s.ub[r]
        lower[i] = s.lb[r]
        a = labels[i]
        if label != a:
            n_changed += 1
            labels[i] = label
            if update:
                n_moved = _record_move(X, sample_weight, s.moved, n_moved, i, a, label)

    if m2 == 0:
        _apply_moves(X, sample_weight, s.moved, n_moved, n_clusters, slab)
        return n_changed

    # -- 3. exact ----------------------------------------------------------------
    if not elkan:
        if simd:
            if floating is double:
                fm_best2_avx2_d(&X[0, 0], s.idx, m2, d, &packed[0, 0], &norms[0],
                                kstride, s.elab, s.eb1, s.eb2)
            else:
                fm_best2_avx2_s(&X[0, 0], s.idx, m2, d, &packed[0, 0], &norms[0],
                                kstride, s.elab, <float*> s.eb1, <float*> s.eb2)
        else:
            # BLAS may round differently for another shape: score the whole
            # chunk, with scikit-learn's very call
            _scores_blas(&X[start, 0], end - start, d, n_clusters, centers, &norms[0],
                         fdist)
            for r in range(m2):
                i = s.idx[r] - start
                # first argmin (scikit-learn's scan) and the runner-up score
                best = fdist[i * n_clusters]
                label = 0
                second = INFINITY
                for j in range(1, n_clusters):
                    u = fdist[i * n_clusters + j]
                    second = min(second, max(best, u))
                    label = j if u < best else label
                    best = min(best, u)
                s.elab[r] = label
                s.eb1[r] = best
                s.eb2[r] = second
        for r in range(m2):
            i = s.idx[r]
            if simd and floating is float:
                best = (<float*> s.eb1)[r]
                second = (<float*> s.eb2)[r]
            else:
                best = s.eb1[r]
                second = s.eb2[r]
            x2 = x_sq[i]
            label = s.elab[r]
            upper[i] = _store_upper(sqrt(max(best + x2 + err, 0.0)), cs[label])
            lower[i] = _store_lower(sqrt(max(second + x2 - err, 0.0)), cm[label])
            a = labels[i]
            if label != a:
                n_changed += 1
                labels[i] = label
                if update:
                    n_moved = _record_move(X, sample_weight, s.moved, n_moved, i, a, label)
        _apply_moves(X, sample_weight, s.moved, n_moved, n_clusters, slab)
        return n_changed

    for r in range(m2):
        i = s.idx[r]
        a = labels[i]
        _distances(&X[i, 0], centers, packed, simd, fdist)
        # scikit-learn's scan: from the current label (the first center on the
        # first pass), switch only to a strictly closer center, in index order
        label = 0 if a < 0 else a
        best = fdist[label]
        for j in range(n_clusters):
            if fdist[j] < best:
                best = fdist[j]
                label = j
        lo = INFINITY
        for j in range(n_clusters):
            if j != label:
                lo = min(lo, fdist[j] * lo2)
        upper[i] = _store_upper(best * hi2, cs[label])
        lower[i] = _store_lower(lo, cm[label])
        if label != a:
            n_changed += 1
            labels[i] = label
            if update:
                n_moved = _record_move(X, sample_weight, s.moved, n_moved, i, a, label)
    _apply_moves(X, sample_weight, s.moved, n_moved, n_clusters, slab)
    return n_changed


cdef inline float _up32(double x) noexcept nogil:
    """x rounded up to a float32."""
    cdef float f = <float> x
    return nextafterf(f, INFINITY) if <double> f < x else f


cdef inline float _down32(double x) noexcept nogil:
    """x rounded down to a float32."""
    cdef float f = <float> x
    return nextafterf(f, -INFINITY) if <double> f > x else f


cdef void _bounds_tables(
        const double* tu, const double* tl, const double* hm, int k, int kt,
        double gamma,
        double err25,
        float* t32,        # OUT tu, tl, hm in float32, kt entries each
        float* f32,        # OUT the test's factor > (1 + gamma) / (1 - gamma)
        float* a32) noexcept nogil:  # OUT and margin > sqrt(err25)
    """The float32 form of the bounds test (fm_bounds_test), never less strict.

    With u = upper + tu, low = max(lower - tl, hm - u) in exact arithmetic,
    the double test keeps a sample iff low (1 - g) > u (1 + g) and
    (low - u)(low + u) > err25.  The float32 test keeps it iff LOW > U F + A,
    with tables rounded outwards (tu, tl up, hm down) and each operation
    rounded to nearest (relative error e = 2^-24 of its result; absolute
    2^-149 below FLT_MIN):
      U >= u (1 - e),  LOW <= (low + e u)(1 + e),  U F + A >= (U F (1 - e)
      + A)(1 - e),
    so LOW > U F + A gives low > u (F (1 - e)^3 / (1 + e) - e) + A (1 - 2e)
    > u (1 + g) / (1 - g) + sqrt(err25), once F carries a relative 2^-19
    (32 e) and A the same plus FLT_MIN (underflow).  Then both conditions
    hold: (low - u)(low + u) >= (low - u) low > sqrt(err25)^2.  Relative
    pads only: the test is as sharp as the double one to ~2e-6.
    """
    cdef int a
    for a in range(kt):
        t32[a] = t32[kt + a] = t32[2 * kt + a] = 0
    for a in range(k):
        t32[a] = _up32(tu[a])
        t32[kt + a] = _up32(tl[a])
        t32[2 * kt + a] = _down32(hm[a])
    f32[0] = _up32((1 + gamma) / (1 - gamma) * (1 + 2.0 ** -19))
    a32[0] = _up32(sqrt(err25) * (1 + 2.0 ** -19) + FLT_MIN_NORMAL)


def _pruned_pass(
        const floating[:, ::1] X,
        const float[:, ::1] Xs,
        const floating[::1] sample_weight,
        const double[::1] x_sq,
        const float[:, ::1] ct_s,
        const float[::1] cn_s,
        const floating[:, ::1] centers,
        const floating[:, ::1] packed,
        const floating[::1] norms,
        int[::1] labels,
        float[::1] upper,
        float[::1] lower,
        const double[:, ::1] cum_shift,
        const double[:, ::1] cum_max,
        const double[::1] half_min,
        double err,
        double gamma,
        double slack,
        double e_coef,
        double e_abs,
        double e_x,
        double c_sq_max,
        int version,
        double[:, ::1] slabs,
        Py_ssize_t[::1] changed,
        bint elkan,
        bint screen,
        bint exact_screen,
        bint simd,
        bint full,
        bint update,
        int n_threads):
    """One pruned pass over all chunks (a slab of moves per block of chunks:
    ``slabs.shape[0]`` blocks, see ``_kmeans_common._n_blocks``)."""
    cdef:
        int n_samples = X.shape[0]
        int kstride = max(packed.shape[1], centers.shape[0])
        int n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
        int k = centers.shape[0], chunk_idx, start, end, a, b
        int n_blocks = slabs.shape[0]
        Py_ssize_t total
        _Scratch s
        double* tu = <double*> malloc(3 * k * sizeof(double))
        double* tl = tu + k
        double* hm = tl + k
        int kt = max(k, 16)
        float* t32 = <float*> malloc(3 * kt * sizeof(float))
        float f32, a32

    with nogil:
        # the bounds' updates, per label, padded by the slack
        for a in range(k):
            tu[a] = cum_shift[version, a] + slack
            tl[a] = cum_max[version, a] + slack
            hm[a] = 2 * half_min[a] - slack
        _bounds_tables(tu, tl, hm, k, kt, gamma, 0.0 if elkan else 2.5 * err,
                       t32, &f32, &a32)
        _begin_pass(slabs, changed, n_blocks, update)
        with parallel(num_threads=n_threads):
            s = _scratch_new(X.shape[1], kstride)
            # blocks of chunks, handed out dynamically (a thread descheduled
            # on a busy machine does not stall the pass), each with its own
            # slab of moves: the sums do not depend on which thread ran it
            for b in prange(n_blocks, schedule='dynamic'):
                for chunk_idx in range(b * n_chunks // n_blocks,
                                       (b + 1) * n_chunks // n_blocks):
                    start = chunk_idx * CHUNK_SIZE
                    end = min(start + CHUNK_SIZE, n_samples)
                    changed[b * PAD] += _pruned_chunk(
                        X, Xs, sample_weight, x_sq, ct_s, cn_s, centers, packed, norms,
                        labels, upper, lower, &cum_shift[version, 0], &cum_max[version, 0],
                        tu, tl, hm, t32, kt, f32, a32,
                        err, gamma, e_coef, e_abs, e_x, c_sq_max, start, end,
                        s, &slabs[b, 0], elkan, screen, exact_screen, simd,
                        full, update)
            _scratch_free(s)
        total = _end_pass(changed, n_blocks)
    free(tu)
    free(t32)
    return total


def _bounds_test_py(const int[::1] labels, const float[::1] upper, const float[::1] lower,
                    const double[::1] tu, const double[::1] tl, const double[::1] hm,
                    double gamma, double err25):
    """The listed samples of the AVX2 float32 bounds test, chunk by chunk (tests)."""
    cdef int n = labels.shape[0], k = tu.shape[0], kt = max(k, 16), start, m
    cdef float f32, a32
    cdef float* t32 = <float*> malloc(3 * kt * sizeof(float))
    cdef int[::1] idx = np.empty(CHUNK_SIZE + 4, dtype=np.int32)
    cdef float dummy = 0
    _bounds_tables(&tu[0], &tl[0], &hm[0], k, kt, gamma, err25, t32, &f32, &a32)
    listed = []
    for start in range(0, n, CHUNK_SIZE):
        m = fm_bounds_test(&labels[0], &upper[0], &lower[0], t32, t32 + kt, t32 + 2 * kt,
                           k, f32, a32, start, min(start + CHUNK_SIZE, n), &idx[0],
                           <const char*> &dummy, 0)
        listed.extend(idx[:m])
    free(t32)
    return np.array(listed, dtype=np.intp)


def _aligned_float32(Py_ssize_t n, Py_ssize_t d):
    """An (n, d) float32 array whose rows start on 64-byte boundaries where the
    row size allows (16 features: one cache line per row fetched)."""
    buf = np.empty(n * d + 16, dtype=np.float32)
    off = (-buf.ctypes.data % 64) // 4
    return buf[off:off + n * d].reshape(n, d)


def _center_prepare(
        const floating[:, ::1] X,      # IN
        const floating[::1] mean,      # IN
        floating[:, ::1] out,          # OUT X - mean (may be X itself)
        double[::1] x_sq,              # OUT ||x - mean||^2
        float[:, ::1] Xs,              # OUT float32 copy of out (if screen)
        bint screen,
        int n_threads):
    """Center X and compute what the pruned passes need, in one parallel pass.

    ``out = X - mean`` is scikit-learn's ``X -= X_mean`` element by element;
    the squared norms (float64, any order: the bounds allow for it) and the
    float32 screen copy come from the same read of each row.
    """
    cdef Py_ssize_t n = X.shape[0], i
    cdef int d = X.shape[1], f
    cdef floating v
    cdef double acc
    for i in prange(n, nogil=True, num_threads=n_threads, schedule='static'):
        acc = 0
        for f in range(d):
            v = X[i, f] - mean[f]
            out[i, f] = v
            acc = acc + <double> v * v
            if screen:
                Xs[i, f] = <float> v
        x_sq[i] = acc


def _column_mean(const floating[:, ::1] X):
    """``X.mean(axis=0)`` bit for bit, for C-ordered X with 2 or more columns.

    numpy sums such an array row after row (each column sequentially, in the
    data's precision) and divides by the count as an intp, i.e. in float64;
    this loop does the same at memory speed (numpy's reduction runs at half
    of it).  A single column is summed pairwise by numpy: not here.
    """
    cdef Py_ssize_t n = X.shape[0], i
    cdef int d = X.shape[1], f
    dtype = np.float32 if floating is float else np.float64
    sums = np.zeros(d, dtype=dtype)
    cdef floating[::1] s = sums
    with nogil:
        for i in range(n):
            for f in range(d):
                s[f] += X[i, f]
        for f in range(d):
            s[f] = <floating> (<double> s[f] / <double> n)
    return sums


def _prepare(X, X_mean, bint copy, int n_threads):
    """``(X - X_mean, x_sq, Xs)`` for ``_PrunedStep``: centered in place
    unless ``copy``; Xs is the float32 screen copy (X itself for float32)."""
    n, d = X.shape
    out = np.empty_like(X) if copy else X
    x_sq = np.empty(n, dtype=np.float64)
    screen = X.dtype == np.float64 and HAS_AVX2_FMA
    Xs = _aligned_float32(n, d) if screen else np.zeros((1, 1), dtype=np.float32)
    _center_prepare(X, np.ascontiguousarray(X_mean, dtype=X.dtype), out, x_sq, Xs,
                    screen, n_threads)
    if X.dtype == np.float32:
        Xs = out
    elif not screen:
        Xs = None
    return out, x_sq, Xs


def _max_head(const floating[::1] a, int k):
    """max(a[:k]) as a Python float (k >= 1)."""
    cdef int j
    cdef double m = a[0]
    for j in range(1, k):
        m = max(m, <double> a[j])
    return m


def _to_float32(const double[:, ::1] packed, const double[::1] norms,
                float[:, ::1] ct_s, float[::1] cn_s):
    """The screen's float32 centers: ``packed`` and ``norms`` rounded to nearest
    (numpy's astype), +inf stays +inf."""
    cdef Py_ssize_t i, j
    for i in range(packed.shape[0]):
        for j in range(packed.shape[1]):
            ct_s[i, j] = <float> packed[i, j]
    for j in range(norms.shape[0]):
        cn_s[j] = <float> norms[j]


class _PrunedStep:
    """The E-step handed to ``_kmeans_run``: bounds, screen, exact arithmetic.

    ``elkan`` selects whose iterates are reproduced: scikit-learn's lloyd
    (GEMM surrogate, first argmin) or elkan (direct distances, keep the label
    unless another center is strictly closer).
    """

    elkan = False

    def __init__(self, X, sample_weight, n_threads, x_sq=None, Xs=None):
        n, d = X.shape
        is_float = X.dtype == np.float32
        self.X, self.sample_weight, self.n_threads = X, sample_weight, n_threads
        if x_sq is None:
            x_sq = np.einsum("ij,ij->i", X, X, dtype=np.float64)
        self.x_sq = x_sq
        self.x_norm_max = float(np.sqrt(self.x_sq.max())) if n else 0.0
        self.eps = float(np.finfo(X.dtype).eps)
        # elkan: relative error of a computed Euclidean distance (d products
        # and sums, a square root), doubled for safety
        self.gamma = 2 * (d + 8) * self.eps if self.elkan else 0.0
        self.upper = np.zeros(n, dtype=np.float32)
        self.lower = np.zeros(n, dtype=np.float32)
        self.simd = _use_simd_py(d, 1, is_float)
        # the float32 screen: X itself for float32 data, else a float32 copy
        # (half the bytes of X), when its values keep float32's relative
        # accuracy (norms well inside the float32 range)
        self.screen = self.simd and (is_float or (
            SCREEN_MIN_NORM < self.x_norm_max < SCREEN_MAX_NORM))
        if not self.screen:
            self.Xs = np.zeros((1, 1), dtype=np.float32)
        elif is_float:
            self.Xs = X
        elif Xs is not None:
            self.Xs = Xs
        else:
            self.Xs = _aligned_float32(n, d)
            self.Xs[...] = X
        # for lloyd on float32 data the screen is scikit-learn's arithmetic
        self.exact_screen = self.screen and is_float and not self.elkan
        # |screen - exact| of ||c||^2 - 2 x.c: rounding X and C to float32
        # (2u ||x|| ||c||), the float32 dot product (d u ||x|| ||c||, any
        # order), ||c||^2 and the final sum; with ||x|| ||c|| <= (||x||^2 +
        # ||c||^2) / 2, and doubled for safety.  e_abs covers underflow.
        u32 = 2.0 ** -24
        self.e_coef = 2 * (2 * d + 16) * u32
        self.e_abs = (4 * d + 16) * FLT_MIN_NORMAL
        # the screen's ||x||^2: float32 rows and sums, (d + 3) u relative,
        # doubled for safety
        self.e_x = 2 * (d + 4) * u32
        # buffers reused every call: the screen's float32 centers, and
        # placeholders for the arrays a configuration does not use
        self._ct_s = self._cn_s = None
        self._none2, self._none1 = np.zeros((1, 1), np.float32), np.zeros(1, np.float32)

    def _screen_buffers(self, packed):
        if self._ct_s is None or self._ct_s.shape[1] != packed.shape[1]:
            self._ct_s = np.empty(packed.shape, dtype=np.float32)
            self._cn_s = np.empty(packed.shape[1], dtype=np.float32)
        return self._ct_s, self._cn_s

    def __call__(self, centers, labels, st, version, full, update):
        X = self.X
        k, d = centers.shape
        is_float = X.dtype == np.float32
        simd = self.simd and _use_simd_py(d, k, is_float)
        packed, norms = _packed_centers(centers, simd)
        c_sq_max = _max_head(norms, k)
        scale = self.x_norm_max + sqrt(c_sq_max)
        # lloyd: |computed - exact| of ||c||^2 - 2 x.c + ||x||^2, any
        # summation order (standard dot-product bound, doubled for safety)
        err = 2 * (2 * d + 8) * self.eps * scale * scale
        screen = self.screen and simd and SCREEN_MIN_NORM < scale < SCREEN_MAX_NORM
        if screen and is_float:
            ct_s, cn_s = packed, norms
        elif screen:
            ct_s, cn_s = self._screen_buffers(packed)
            _to_float32(packed, norms, ct_s, cn_s)
        else:
            ct_s, cn_s = self._none2, self._none1
        if self.elkan:
            # elkan's exact path wants the centers transposed, not scaled
            if simd:
                packed = np.zeros((d, _kpad_py(k, is_float)), dtype=X.dtype)
                packed[:, :k] = centers.T
            err = 0.0
        return _pruned_pass(
            X, self.Xs, self.sample_weight, self.x_sq, ct_s, cn_s, centers, packed,
            norms, labels, self.upper, self.lower, st.cum_shift,
            st.cum_max, st.half_min, err, self.gamma, st.slack(version, scale),
            self.e_coef, self.e_abs, self.e_x, c_sq_max, version, st.slabs, st.changed,
            self.elkan, screen, self.exact_screen and screen, simd, full, update,
            self.n_threads)
