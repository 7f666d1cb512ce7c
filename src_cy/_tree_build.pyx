# Grow one decision tree: node split search (exact "best", "random", "hist")
# and the depth-first / best-first builders.
#
# Adapted from scikit-learn's sklearn/tree/_splitter.pyx, _partitioner.pyx,
# _criterion.pyx and _tree.pyx (BSD-3, the scikit-learn developers). The
# feature draws (Fisher-Yates with sklearn's XorShift RNG and its
# constant-feature bookkeeping), the candidate positions (ties within
# FEATURE_THRESHOLD skipped), the criterion formulas, the "first strictly
# better split wins" rule, the node numbering of both builders (including
# libstdc++'s heap order for best-first) are sklearn's, so with the same seed
# the same tree comes out.  What differs is how a node is searched:
#   * "best": every feature is sorted once at the start; a split stably
#     partitions the per-feature sorted index arrays, so no node ever sorts.
#     The features a node visits are known before any is scanned (the
#     constant check is O(1) on sorted data), so large nodes scan them in
#     parallel and reduce in visiting order.
#   * "hist": X is pre-binned (uint8, feature-major); a node's per-feature
#     histograms of class weights / target sums are scanned instead of
#     sorted samples. When most features are drawn at every node, large
#     nodes keep all features' histograms and the larger child's is the
#     parent's minus the smaller child's; otherwise (and in small nodes) a
#     node fills histograms for just the features it draws, over the range
#     of codes present, so a node costs O(n_node) per drawn feature.
cimport cython
from cython.parallel cimport prange
from libc.float cimport DBL_EPSILON
from libc.math cimport INFINITY, isnan, log as ln
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, qsort, realloc
from libc.string cimport memcpy, memset

import numpy as np

from fastml._cy._tree_common cimport (
    TREE_LEAF, TREE_UNDEFINED, float32_t, float64_t, intp_t, rand_int, rand_uniform,
)

cdef extern from *:
    int __builtin_ctzll(unsigned long long) nogil
    int __builtin_clzll(unsigned long long) nogil
    int __builtin_popcountll(unsigned long long) nogil

cdef float32_t FEATURE_THRESHOLD = 1e-7
cdef float64_t EPSILON = DBL_EPSILON
cdef float64_t LN2 = ln(2.0)

cdef enum:
    GINI = 0
    ENTROPY = 1
    SQUARED_ERROR = 2
    ABSOLUTE_ERROR = 3

cdef enum:
    BEST = 0
    RANDOM = 1
    HIST = 2

cdef enum:
    # Nodes with fewer samples search / partition features serially: an
    # OpenMP region costs more than it saves there.
    PARALLEL_MIN_SAMPLES = 8192
    PACKED_MAX_ENTRIES = 1 << 25  # n_samples * n_features
    # "hist": smaller nodes fill local histograms of their drawn features
    # (clearing, subtracting and scanning n_features * 255 bins would cost
    # more; measured on make_classification(50000, 20), docs/tree.md)
    HIST_MIN_SAMPLES = 1024

CRITERIA = {"gini": GINI, "entropy": ENTROPY, "log_loss": ENTROPY,
            "squared_error": SQUARED_ERROR, "friedman_mse": SQUARED_ERROR,
            "absolute_error": ABSOLUTE_ERROR}
SPLITTERS = {"best": BEST, "random": RANDOM, "hist": HIST}


cdef struct SplitRecord:
    intp_t feature
    intp_t pos
    intp_t bin
    float64_t threshold
    float64_t proxy
    float64_t improvement
    float64_t impurity_left
    float64_t impurity_right
    float64_t weight_left
    float64_t weight_right
    # the node's samples with NaN in `feature`, and whether they go left
    # (missing_left is sklearn's missing_go_to_left when n_missing > 0)
    intp_t n_missing
    bint missing_left


cdef struct StackRecord:
    intp_t start
    intp_t end
    intp_t depth
    intp_t parent
    bint is_left
    float64_t impurity
    intp_t n_constant_features
    intp_t hist


cdef struct FrontierRecord:
    intp_t node_id
    intp_t start
    intp_t end
    intp_t pos
    intp_t depth
    bint is_leaf
    float64_t impurity
    float64_t impurity_left
    float64_t impurity_right
    float64_t improvement


cdef inline float64_t _log2(float64_t x) noexcept nogil:
    return ln(x) / LN2


ctypedef fused _item:
    int32_t
    float64_t


cdef inline _item* _rotate_missing(const _item* src, _item* dst, intp_t start,
                                   intp_t end, intp_t m) noexcept nogil:
    """dst[start:end] = src[start:end] with its last m items moved to the front,
    both blocks in order: [values..., NaN...] -> [NaN..., values...]
    (sklearn's shift_missing_to_the_left)."""
    memcpy(dst + start, src + end - m, m * sizeof(_item))
    memcpy(dst + start + m, src + start, (end - start - m) * sizeof(_item))
    return dst


# ---- absolute_error: sklearn's WeightedFenwickTree (sklearn/tree/_utils.pyx) on
# raw buffers. Prefix sums of w and w*y over a node's target ranks give the
# weighted median and absolute error of any growing set in O(log n) per sample.
cdef struct Fenwick:
    float64_t* tw
    float64_t* twy
    intp_t size
    intp_t max_pow2
    float64_t total_w
    float64_t total_wy


cdef struct YRank:
    float64_t y
    intp_t pos


cdef int _cmp_yrank(const void* a, const void* b) noexcept nogil:
    cdef const YRank* u = <const YRank*> a
    cdef const YRank* v = <const YRank*> b
    if u.y < v.y:
        return -1
    if u.y > v.y:
        return 1
    return (u.pos > v.pos) - (u.pos < v.pos)


cdef inline void _fen_reset(Fenwick* t, intp_t size) noexcept nogil:
    cdef intp_t p = 1
    t.size = size
    memset(t.tw, 0, (size + 1) * sizeof(float64_t))
    memset(t.twy, 0, (size + 1) * sizeof(float64_t))
    t.total_w = 0.0
    t.total_wy = 0.0
    while p <= size:
        p <<= 1
    t.max_pow2 = p >> 1


cdef inline void _fen_add(Fenwick* t, intp_t idx, float64_t y, float64_t w) noexcept nogil:
    cdef float64_t wy = w * y
    cdef intp_t j = idx + 1
    while j <= t.size:
        t.tw[j] += w
        t.twy[j] += wy
        j += j & -j
    t.total_w += w
    t.total_wy += wy


cdef intp_t _fen_search(Fenwick* t, float64_t target, float64_t* cw_out,
                        float64_t* cwy_out, intp_t* prev_out) noexcept nogil:
    cdef intp_t cur = 0, nxt, prev, equal_bit = 0, bit = t.max_pow2
    cdef float64_t cw = 0.0, cwy = 0.0, node_w, equal_target = 0.0
    while bit != 0:
        nxt = cur + bit
        if nxt <= t.size:
            node_w = t.tw[nxt]
            if target == node_w:
                equal_target = target
                equal_bit = bit
                break
            elif target > node_w:
                target -= node_w
                cur = nxt
                cw += node_w
                cwy += t.twy[nxt]
        bit >>= 1
    if bit == 0:
        cw_out[0] = cw
        cwy_out[0] = cwy
        prev_out[0] = cur
        return cur
    prev = cur
    while bit != 0:
        nxt = prev + bit
        if nxt <= t.size:
            node_w = t.tw[nxt]
            if target > node_w:
                target -= node_w
                prev = nxt
        bit >>= 1
    bit = equal_bit
    target = equal_target
    while bit != 0:
        nxt = cur + bit
        if nxt <= t.size:
            node_w = t.tw[nxt]
            if target >= node_w:
                target -= node_w
                cur = nxt
                cw += node_w
                cwy += t.twy[nxt]
        bit >>= 1
    cw_out[0] = cw
    cwy_out[0] = cwy
    prev_out[0] = prev
    return cur


# libstdc++'s push_heap / pop_heap with comp(a, b) = a.improvement < b.improvement,
# so that ties between frontier nodes are broken as in sklearn's BestFirstTreeBuilder.
cdef inline void _heap_sift_up(FrontierRecord* h, intp_t hole, intp_t top,
                               FrontierRecord value) noexcept nogil:
    cdef intp_t parent = (hole - 1) // 2
    while hole > top and h[parent].improvement < value.improvement:
        h[hole] = h[parent]
        hole = parent
        parent = (hole - 1) // 2
    h[hole] = value


cdef inline void _heap_push(FrontierRecord* h, intp_t n) noexcept nogil:
    """h[0:n] is a heap plus h[n-1] appended: restore the heap."""
    _heap_sift_up(h, n - 1, 0, h[n - 1])


cdef inline void _heap_pop(FrontierRecord* h, intp_t n) noexcept nogil:
    """Move the max of heap h[0:n] to h[n-1]; h[0:n-1] stays a heap."""
    cdef FrontierRecord value
    cdef intp_t hole = 0, child = 0, length = n - 1
    if n <= 1:
        return
    value = h[n - 1]
    h[n - 1] = h[0]
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if h[child].improvement < h[child - 1].improvement:
            child -= 1
        h[hole] = h[child]
        hole = child
    if (length & 1) == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        h[hole] = h[child - 1]
        hole = child - 1
    _heap_sift_up(h, hole, 0, value)


@cython.final
cdef class TreeBuilder:
    """Grows one tree; `build()` returns its node arrays as a dict.

    Inputs are validated by the estimator (fastml/tree/_classes.py): X is
    float32 and feature-major (n_features, n_samples) for "best"/"random",
    uint8 feature-major bins for "hist"; y is int32 class indices
    (classification) or float64 (regression), C-contiguous (n, n_outputs);
    sample_weight is float64 (n,), all >= 0.
    """
    cdef:
        # data (raw pointers into arrays kept alive by the Python references below)
        object _keep
        const float32_t* Xt
        const uint8_t* Xbt
        const float64_t* bin_thr
        const float32_t* bin_vals
        const intp_t* n_bins
        const int32_t* yc
        const float64_t* yr
        const float64_t* w
        intp_t n_total, n_samples, n_features, n_outputs, max_n_classes, n_stat
        intp_t* n_classes
        float64_t weighted_n_samples
        int crit, splitter
        bint is_clf
        # parameters
        intp_t max_features, min_samples_leaf, min_samples_split, max_depth
        intp_t max_leaf_nodes
        float64_t min_weight_leaf, min_impurity_decrease
        uint32_t rand_state
        int n_threads
        # splitter state
        intp_t* features
        intp_t* constant_features
        intp_t* visit
        SplitRecord* frecs
        float64_t* scratch
        int32_t* samples
        int32_t* sidx
        float32_t* svals
        uint8_t* mask
        uint8_t* skip
        int32_t* tmp_idx
        float32_t* tmp_val
        # single output: weights / targets stored in each feature's sorted
        # order too, so scans read memory sequentially
        bint packed
        float64_t* sw
        float64_t* sy
        float64_t* tmp_w
        float64_t* tmp_y
        float64_t* total
        float64_t sq_total
        # absolute_error: node-local target ranks, sorted targets, Fenwick tree
        intp_t* rank
        float64_t* sorted_y
        YRank* yrank
        Fenwick fen
        float64_t* left_ae
        float64_t* right_ae
        float64_t* medians
        intp_t n_node
        intp_t last_sorted
        # histograms ("hist")
        intp_t max_bins, S, hist_size
        # a bin is [count][weight][stats]: the count only when needed (min_samples_leaf
        # > 1, or full histograms whose present bins it tells exactly after a
        # subtraction), the weight only for regression (a class histogram's is
        # the sum of its class weights)
        bint hcnt, hw
        intp_t o_w, o_st
        float64_t** slots
        intp_t n_slots
        intp_t* free_slots
        intp_t n_free
        float64_t* gw
        float64_t* gy
        int32_t* gofs
        float64_t* lh  # local histograms: one row per visited feature
        const float64_t** vrow  # visit j's histogram row and bitmap of bins present
        uint64_t* vbits
        float64_t* vthr  # "random": visit j's threshold
        # missing values: has_nan[f] if feature f holds NaN among the samples;
        # vmiss[j] = NaN count of visit j in the node, vmleft[j] the random
        # splitter's draw of where they go
        uint8_t* has_nan
        intp_t* vmiss
        uint8_t* vmleft
        intp_t last_sorted_m
        int32_t* lay  # "best" with NaN: scratch for sklearn's layout of a node
        intp_t full_min  # nodes from this size on keep every feature's histogram
        intp_t cur_start, cur_end
        # "random", one-output classification with integral weights: every
        # class-weight sum is exact, so a drawn feature's split is scored
        # without partitioning the node (see _split_random_sums)
        bint exact_sums
        # output nodes
        intp_t node_count, capacity, value_stride
        intp_t* left
        intp_t* right
        intp_t* feature
        float64_t* threshold
        float64_t* impurity
        intp_t* n_node_samples
        float64_t* weighted_n_node_samples
        uint8_t* missing_go_to_left
        float64_t* value
        intp_t max_depth_seen

    def __cinit__(self):
        self.n_classes = NULL
        self.features = NULL
        self.constant_features = NULL
        self.visit = NULL
        self.frecs = NULL
        self.scratch = NULL
        self.samples = NULL
        self.sidx = NULL
        self.svals = NULL
        self.mask = NULL
        self.skip = NULL
        self.tmp_idx = NULL
        self.tmp_val = NULL
        self.sw = NULL
        self.sy = NULL
        self.tmp_w = NULL
        self.tmp_y = NULL
        self.total = NULL
        self.rank = NULL
        self.sorted_y = NULL
        self.yrank = NULL
        self.fen.tw = NULL
        self.fen.twy = NULL
        self.left_ae = NULL
        self.right_ae = NULL
        self.medians = NULL
        self.slots = NULL
        self.free_slots = NULL
        self.n_slots = 0
        self.gw = NULL
        self.lh = NULL
        self.vrow = NULL
        self.vbits = NULL
        self.vthr = NULL
        self.has_nan = NULL
        self.vmiss = NULL
        self.vmleft = NULL
        self.lay = NULL
        self.gy = NULL
        self.gofs = NULL
        self.left = NULL
        self.right = NULL
        self.feature = NULL
        self.threshold = NULL
        self.impurity = NULL
        self.n_node_samples = NULL
        self.weighted_n_node_samples = NULL
        self.missing_go_to_left = NULL
        self.value = NULL

    def __dealloc__(self):
        cdef intp_t s
        for s in range(self.n_slots):
            free(self.slots[s])
        free(self.slots)
        free(self.free_slots)
        free(self.n_classes)
        free(self.features)
        free(self.constant_features)
        free(self.visit)
        free(self.frecs)
        free(self.scratch)
        free(self.samples)
        free(self.sidx)
        free(self.svals)
        free(self.mask)
        free(self.skip)
        free(self.tmp_idx)
        free(self.tmp_val)
        free(self.sw)
        free(self.sy)
        free(self.tmp_w)
        free(self.tmp_y)
        free(self.total)
        free(self.rank)
        free(self.sorted_y)
        free(self.yrank)
        free(self.fen.tw)
        free(self.fen.twy)
        free(self.left_ae)
        free(self.right_ae)
        free(self.medians)
        free(self.gw)
        free(self.lh)
        free(self.vrow)
        free(self.vbits)
        free(self.vthr)
        free(self.has_nan)
        free(self.vmiss)
        free(self.vmleft)
        free(self.lay)
        free(self.gy)
        free(self.gofs)
        free(self.left)
        free(self.right)
        free(self.feature)
        free(self.threshold)
        free(self.impurity)
        free(self.n_node_samples)
        free(self.weighted_n_node_samples)
        free(self.missing_go_to_left)
        free(self.value)

    def __init__(self, str criterion, str splitter, object Xt, object y,
                 const float64_t[::1] sample_weight, object n_classes,
                 intp_t max_features, intp_t min_samples_leaf,
                 intp_t min_samples_split, float64_t min_weight_leaf,
                 intp_t max_depth, intp_t max_leaf_nodes,
                 float64_t min_impurity_decrease, uint32_t seed, int n_threads,
                 object order=None, object bin_thresholds=None, object n_bins=None,
                 object bin_values=None, object missing=None):
        """Xt: float32 (n_features, n) for best/random, uint8 bins for hist.

        order: optional int32 (n_features, n) argsort of Xt along axis 1 (best);
        bin_thresholds: float64 (n_features, max_bins) upper bin edges (hist);
        bin_values: float32 (n_features, max_bins), the value of each bin of a
        feature binned one bin per distinct value, NaN for quantile bins;
        n_bins: intp (n_features,) (hist). seed: sklearn's rand_r_state.
        missing: optional bool (n_features,), which features hold NaN (best /
        random; found here when None). "hist" takes no NaN.
        """
        cdef intp_t k, i, j
        cdef const float32_t[:, ::1] X32
        cdef const uint8_t[:, ::1] Xb
        cdef const int32_t[:, ::1] yc
        cdef const float64_t[:, ::1] yr
        cdef const float64_t[:, ::1] thr
        cdef const float32_t[:, ::1] bvals
        cdef const intp_t[::1] nb
        self.crit = CRITERIA[criterion]
        self.splitter = SPLITTERS[splitter]
        self.is_clf = self.crit in (GINI, ENTROPY)
        if self.crit == ABSOLUTE_ERROR and self.splitter == HIST:
            raise NotImplementedError(
                "criterion='absolute_error' needs the samples' order: use "
                "splitter='best' or 'random' (histograms only hold sums).")
        self._keep = [Xt, y, sample_weight, order, bin_thresholds, n_bins, bin_values]
        self.n_features = Xt.shape[0]
        self.n_total = Xt.shape[1]
        self.n_outputs = y.shape[1]
        self.w = &sample_weight[0]
        if self.splitter == HIST:
            Xb = Xt
            self.Xbt = &Xb[0, 0]
            thr = bin_thresholds
            self.bin_thr = &thr[0, 0]
            bvals = bin_values
            self.bin_vals = &bvals[0, 0]
            self.max_bins = thr.shape[1]
            nb = n_bins
            self.n_bins = &nb[0]
        else:
            X32 = Xt
            self.Xt = &X32[0, 0]
        self.n_classes = <intp_t*> malloc(self.n_outputs * sizeof(intp_t))
        self.max_n_classes = 1
        if self.is_clf:
            yc = y
            self.yc = &yc[0, 0]
            for k in range(self.n_outputs):
                self.n_classes[k] = n_classes[k]
                self.max_n_classes = max(self.max_n_classes, self.n_classes[k])
            self.n_stat = self.n_outputs * self.max_n_classes
        else:
            yr = y
            self.yr = &yr[0, 0]
            for k in range(self.n_outputs):
                self.n_classes[k] = 1
            self.n_stat = self.n_outputs
        self.value_stride = self.n_outputs * self.max_n_classes
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.min_samples_split = min_samples_split
        self.min_weight_leaf = min_weight_leaf
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.rand_state = seed
        self.n_threads = max(n_threads, 1)

        # Samples of zero weight take no part in the tree (as in sklearn).
        cdef intp_t n = self.n_total, d = self.n_features
        self.samples = <int32_t*> malloc(max(n, 1) * sizeof(int32_t))
        self.weighted_n_samples = 0.0
        j = 0
        for i in range(n):
            if sample_weight[i] != 0.0:
                self.samples[j] = i
                j += 1
            self.weighted_n_samples += sample_weight[i]
        self.n_samples = j

        self.features = <intp_t*> malloc(d * sizeof(intp_t))
        self.constant_features = <intp_t*> malloc(d * sizeof(intp_t))
        self.visit = <intp_t*> malloc(d * sizeof(intp_t))
        self.vthr = <float64_t*> malloc(d * sizeof(float64_t))
        self.has_nan = <uint8_t*> calloc(max(d, 1), sizeof(uint8_t))
        self.vmiss = <intp_t*> calloc(max(d, 1), sizeof(intp_t))
        self.vmleft = <uint8_t*> calloc(max(d, 1), sizeof(uint8_t))
        if self.splitter != HIST:  # "hist" takes no NaN
            self._find_nan_features(missing)
        self.frecs = <SplitRecord*> malloc(d * sizeof(SplitRecord))
        self.scratch = <float64_t*> malloc(d * 2 * self.n_stat * sizeof(float64_t))
        self.total = <float64_t*> malloc(self.n_stat * sizeof(float64_t))
        for k in range(d):
            self.features[k] = k
            self.constant_features[k] = 0
        if self.crit == ABSOLUTE_ERROR:
            j = max(self.n_samples, 1)
            self.rank = <intp_t*> malloc(self.n_outputs * max(n, 1) * sizeof(intp_t))
            self.sorted_y = <float64_t*> malloc(self.n_outputs * j * sizeof(float64_t))
            self.yrank = <YRank*> malloc(j * sizeof(YRank))
            self.fen.tw = <float64_t*> malloc((j + 1) * sizeof(float64_t))
            self.fen.twy = <float64_t*> malloc((j + 1) * sizeof(float64_t))
            self.left_ae = <float64_t*> malloc(j * sizeof(float64_t))
            self.right_ae = <float64_t*> malloc(j * sizeof(float64_t))
            self.medians = <float64_t*> malloc(self.n_outputs * sizeof(float64_t))
        if self.splitter == BEST:
            self._presort(order)
        elif self.splitter == HIST:
            self._hist_init(max_features)
        elif self.is_clf and self.n_outputs == 1 and self._integral_weights():
            self.exact_sums = True
            self.gw = <float64_t*> malloc(max(self.n_samples, 1) * sizeof(float64_t))
            self.gofs = <int32_t*> malloc(max(self.n_samples, 1) * sizeof(int32_t))
            self.lh = <float64_t*> malloc(4 * self.n_stat * sizeof(float64_t))
        self.node_count = 0
        self.capacity = 0
        self.max_depth_seen = -1

    cdef bint _integral_weights(self):
        """All weights whole numbers with a total below 2**53: then every sum
        of them is exact in float64, whatever the order of the additions."""
        cdef intp_t i
        if not self.weighted_n_samples < 9007199254740992.0:
            return False
        for i in range(self.n_total):
            if self.w[i] != <float64_t> (<int64_t> self.w[i]):
                return False
        return True

    cdef _hist_init(self, intp_t max_features):
        """The histogram layout (see hcnt) and the splitter's buffers."""
        cdef intp_t d = self.n_features, n = max(self.n_samples, 1)
        # Full histograms cost n_features bins per sample of the smaller
        # child (the larger is a subtraction); local ones cost the drawn
        # features per sample of the node: the cheaper when few are drawn.
        self.full_min = (HIST_MIN_SAMPLES if 2 * max_features > d
                         else self.n_samples + 1)
        self.hcnt = self.min_samples_leaf > 1 or 2 * max_features > d
        self.hw = not self.is_clf
        self.o_w = 1 if self.hcnt else 0
        self.o_st = self.o_w + (1 if self.hw else 0)
        self.S = self.o_st + self.n_stat
        self.hist_size = d * self.max_bins * self.S
        self.gw = <float64_t*> malloc(n * sizeof(float64_t))
        self.gy = <float64_t*> malloc(n * self.n_outputs * sizeof(float64_t))
        self.gofs = <int32_t*> malloc(n * self.n_outputs * sizeof(int32_t))
        self.lh = <float64_t*> calloc(self.hist_size, sizeof(float64_t))
        self.tmp_idx = <int32_t*> malloc(n * sizeof(int32_t))
        self.vrow = <const float64_t**> malloc(d * sizeof(float64_t*))
        self.vbits = <uint64_t*> malloc(4 * d * sizeof(uint64_t))

    cdef _presort(self, object order):
        """sidx[f] = the nonzero-weight samples sorted by X[:, f]; svals their values."""
        cdef intp_t n = self.n_samples, d = self.n_features, f, p, i
        cdef const int32_t[:, ::1] od
        cdef int32_t* keep = <int32_t*> malloc(max(self.n_total, 1) * sizeof(int32_t))
        if order is None:
            # ties in any order: they are never split apart; NaN sorts last,
            # so a node's missing values are the tail of each feature's range
            order = np.argsort(np.asarray(self._keep[0]), axis=1).astype(np.int32)
        od = order
        self.sidx = <int32_t*> malloc(max(d * n, 1) * sizeof(int32_t))
        self.svals = <float32_t*> malloc(max(d * n, 1) * sizeof(float32_t))
        self.mask = <uint8_t*> malloc(max(self.n_total, 1) * sizeof(uint8_t))
        self.skip = <uint8_t*> calloc(max(d, 1), sizeof(uint8_t))
        self.tmp_idx = <int32_t*> malloc(max(d * n, 1) * sizeof(int32_t))
        self.tmp_val = <float32_t*> malloc(max(d * n, 1) * sizeof(float32_t))
        # 32 more bytes per entry: only while that stays moderate
        self.packed = (self.n_outputs == 1 and self.crit != ABSOLUTE_ERROR
                       and d * n <= PACKED_MAX_ENTRIES)
        if self.packed:
            self.sw = <float64_t*> malloc(max(d * n, 1) * sizeof(float64_t))
            self.sy = <float64_t*> malloc(max(d * n, 1) * sizeof(float64_t))
            self.tmp_w = <float64_t*> malloc(max(d * n, 1) * sizeof(float64_t))
            self.tmp_y = <float64_t*> malloc(max(d * n, 1) * sizeof(float64_t))
        with nogil:
            for i in range(self.n_total):
                keep[i] = self.w[i] != 0.0
            if self.n_threads > 1 and n >= PARALLEL_MIN_SAMPLES:
                for f in prange(d, num_threads=self.n_threads, schedule="static"):
                    self._presort_feature(f, &od[f, 0], keep)
            else:
                for f in range(d):
                    self._presort_feature(f, &od[f, 0], keep)
        free(keep)

    cdef void _presort_feature(self, intp_t f, const int32_t* od, const int32_t* keep) noexcept nogil:
        cdef intp_t p, q = 0, i, n = self.n_samples
        for p in range(self.n_total):
            i = od[p]
            if keep[i]:
                self.sidx[f * n + q] = i
                self.svals[f * n + q] = self.Xt[f * self.n_total + i]
                if self.packed:
                    self.sw[f * n + q] = self.w[i]
                    self.sy[f * n + q] = (self.yc[i] if self.is_clf else self.yr[i])
                q += 1

    cdef _find_nan_features(self, object missing):
        """has_nan[f]: feature f holds NaN (the mask validation found, else a scan)."""
        cdef intp_t f, i
        cdef const uint8_t[::1] mk
        cdef bint any_nan = False
        if missing is not None:
            mk = np.ascontiguousarray(missing, dtype=np.uint8)
            for f in range(self.n_features):
                self.has_nan[f] = mk[f]
        else:
            with nogil:
                for f in range(self.n_features):
                    for i in range(self.n_total):
                        if isnan(self.Xt[f * self.n_total + i]):
                            self.has_nan[f] = 1
                            break
        for f in range(self.n_features):
            any_nan = any_nan or self.has_nan[f]
        if any_nan and self.splitter == BEST:
            self.lay = <int32_t*> malloc(max(self.n_samples, 1) * sizeof(int32_t))

    # ------------------------------------------------------------------ criteria
    cdef inline float64_t _impurity(self, const float64_t* s, float64_t wn,
                                    float64_t sq) noexcept nogil:
        """sklearn's Gini / Entropy / MSE node_impurity from the node's sums."""
        cdef float64_t res = 0.0, acc, c
        cdef intp_t k, j, M = self.max_n_classes
        if self.crit == GINI:
            for k in range(self.n_outputs):
                acc = 0.0
                for j in range(self.n_classes[k]):
                    c = s[k * M + j]
                    acc += c * c
                res += 1.0 - acc / (wn * wn)
        elif self.crit == ENTROPY:
            for k in range(self.n_outputs):
                for j in range(self.n_classes[k]):
                    c = s[k * M + j]
                    if c > 0.0:
                        c /= wn
                        res -= c * _log2(c)
        elif self.crit == ABSOLUTE_ERROR:
            return sq / (wn * self.n_outputs)  # sq: the summed absolute error
        else:
            res = sq / wn
            for k in range(self.n_outputs):
                res -= (s[k] / wn) ** 2.0
        return res / self.n_outputs

    cdef inline float64_t _proxy(self, const float64_t* sl, float64_t* sr,
                                 float64_t wl, float64_t wr) noexcept nogil:
        """sklearn's proxy_impurity_improvement; sr is scratch for the right sums."""
        cdef intp_t k, j, M = self.max_n_classes
        cdef float64_t pl = 0.0, pr = 0.0, r, c
        if self.crit == GINI and self.n_outputs == 1:
            # the general formula's float operations, in its order, inlined
            # (the hot path of classification forests)
            for j in range(M):
                c = sl[j]
                pl += c * c
                r = self.total[j] - c
                pr += r * r
            return -wr * (1.0 - pr / (wr * wr)) - wl * (1.0 - pl / (wl * wl))
        if self.is_clf:
            for k in range(self.n_outputs):
                for j in range(self.n_classes[k]):
                    sr[k * M + j] = self.total[k * M + j] - sl[k * M + j]
            return -wr * self._impurity(sr, wr, 0.0) - wl * self._impurity(sl, wl, 0.0)
        for k in range(self.n_outputs):
            r = self.total[k] - sl[k]
            pl += sl[k] * sl[k]
            pr += r * r
        return pl / wl + pr / wr

    cdef inline float64_t _candidate_proxy(self, const float64_t* sl, float64_t* sr,
                                           float64_t wl, float64_t w_node) noexcept nogil:
        """A candidate's proxy, or -inf when a child weighs < min_weight_leaf."""
        cdef float64_t wr = w_node - wl
        if wl < self.min_weight_leaf or wr < self.min_weight_leaf:
            return -INFINITY
        return self._proxy(sl, sr, wl, wr)

    cdef inline void _add_sample(self, float64_t* s, intp_t i, float64_t wi) noexcept nogil:
        cdef intp_t k
        if self.is_clf:
            for k in range(self.n_outputs):
                s[k * self.max_n_classes + self.yc[i * self.n_outputs + k]] += wi
        else:
            for k in range(self.n_outputs):
                s[k] += wi * self.yr[i * self.n_outputs + k]

    cdef inline float64_t _sq(self, intp_t i, float64_t wi) noexcept nogil:
        cdef intp_t k
        cdef float64_t sq = 0.0, y
        if self.is_clf:
            return 0.0
        for k in range(self.n_outputs):
            y = self.yr[i * self.n_outputs + k]
            sq += wi * y * y
        return sq

    cdef inline const int32_t* _node_samples(self) noexcept nogil:
        # samples[start:end] holds the node's samples in sklearn's order.
        return self.samples

    cdef float64_t _node_reset(self, intp_t start, intp_t end) noexcept nogil:
        """Fill self.total / self.sq_total for samples[start:end]; return their weight."""
        cdef const int32_t* smp = self._node_samples()
        cdef intp_t p, i
        cdef float64_t wn = 0.0, wi
        cdef bint gather = self.splitter == HIST  # in the same pass
        memset(self.total, 0, self.n_stat * sizeof(float64_t))
        self.sq_total = 0.0
        if gather and self.is_clf and self.n_outputs == 1:
            return self._node_reset_hist_clf(start, end)
        for p in range(start, end):
            i = smp[p]
            wi = self.w[i]
            if gather:
                self._gather_one(p - start, i)
            self._add_sample(self.total, i, wi)
            self.sq_total += self._sq(i, wi)
            wn += wi
        if self.crit == ABSOLUTE_ERROR:
            self._mae_node(smp, start, end)
        return wn

    # ------------------------------------------------------ absolute_error
    cdef void _mae_node(self, const int32_t* smp, intp_t start, intp_t end) noexcept nogil:
        """Rank the node's targets (per output); total abs error and medians."""
        cdef intp_t k, p, n = end - start, no = self.n_outputs
        cdef float64_t* sy
        self.n_node = n
        for k in range(no):
            for p in range(n):
                self.yrank[p].y = self.yr[smp[start + p] * no + k]
                self.yrank[p].pos = p
            qsort(self.yrank, n, sizeof(YRank), _cmp_yrank)
            sy = self.sorted_y + k * self.n_samples
            for p in range(n):
                sy[p] = self.yrank[p].y
                self.rank[k * self.n_total + smp[start + self.yrank[p].pos]] = p
        self.sq_total = self._mae_set(smp, start, end, self.medians)

    cdef float64_t _mae_pass(self, const int32_t* smp, intp_t first, intp_t last,
                             intp_t k, float64_t* ae, float64_t* median_out) noexcept nogil:
        """sklearn's precompute_absolute_errors: add to ae[p] the abs error of
        smp[first..p] (walking first -> last inclusive, either direction)."""
        cdef intp_t step = 1 if last >= first else -1, p = first, i, r, mr, mpr
        cdef intp_t no = self.n_outputs
        cdef float64_t wl, wyl, med = 0.0, err = 0.0
        cdef const float64_t* sy = self.sorted_y + k * self.n_samples
        _fen_reset(&self.fen, self.n_node)
        while True:
            i = smp[p]
            r = self.rank[k * self.n_total + i]
            _fen_add(&self.fen, r, sy[r], self.w[i])
            mr = _fen_search(&self.fen, 0.5 * self.fen.total_w, &wl, &wyl, &mpr)
            if mr != mpr:
                med = (sy[mpr] + sy[mr]) / 2
            else:
                med = sy[mr]
            err = ((self.fen.total_wy - wyl) - med * (self.fen.total_w - wl)
                   + (med * wl - wyl))
            if ae != NULL:
                ae[p] += err
            if p == last:
                break
            p += step
        if median_out != NULL:
            median_out[0] = med
        return err

    cdef float64_t _mae_set(self, const int32_t* smp, intp_t start, intp_t end,
                            float64_t* medians, bint forward=False) noexcept nogil:
        """Absolute error of smp[start:end] summed over outputs (+ medians).

        Added last to first, as sklearn's backward pass gets a right child's;
        `forward` adds first to last, as its forward pass gets a left child's
        (the order rounds the sums).
        """
        cdef intp_t k
        cdef float64_t err = 0.0
        if end <= start:
            return 0.0
        for k in range(self.n_outputs):
            if forward:
                err += self._mae_pass(smp, start, end - 1, k, NULL,
                                      NULL if medians == NULL else medians + k)
            else:
                err += self._mae_pass(smp, end - 1, start, k, NULL,
                                      NULL if medians == NULL else medians + k)
        return err

    cdef void _scan_sorted_mae(self, intp_t j, intp_t start, intp_t end,
                               float64_t w_node) noexcept nogil:
        """_scan_sorted for absolute_error (sklearn's two passes with NaN)."""
        cdef intp_t f = self.visit[j], m = self.vmiss[j], n = self.n_samples
        cdef SplitRecord* rec = &self.frecs[j]
        cdef int32_t* idx = self.sidx + f * n
        rec.feature = f
        rec.pos = end
        rec.proxy = -INFINITY
        rec.n_missing = m
        rec.missing_left = 0
        self._scan_mae_pass(j, idx, 0, start, end, start, end - m, w_node, False)
        if m > 0:
            idx = _rotate_missing(idx, self.tmp_idx + f * n, start, end, m)
            self._scan_mae_pass(j, idx, m, start, end, start + m, end, w_node, True)

    cdef void _scan_mae_pass(self, intp_t j, const int32_t* idx, intp_t shift,
                             intp_t start, intp_t end, intp_t lo, intp_t hi,
                             float64_t w_node, bint missing_left) noexcept nogil:
        """_scan_pass for absolute_error: errors of every prefix and suffix of
        the layout first (sklearn's reset), then the candidates."""
        cdef intp_t f = self.visit[j], p, q, k, n = self.n_samples
        cdef const float32_t* v = self.svals + f * n
        cdef float64_t wl = 0.0, wr, proxy
        cdef SplitRecord* rec = &self.frecs[j]
        memset(self.left_ae + start, 0, (end - start) * sizeof(float64_t))
        memset(self.right_ae + start, 0, (end - start) * sizeof(float64_t))
        for k in range(self.n_outputs):
            self._mae_pass(idx, start, end - 1, k, self.left_ae, NULL)
            self._mae_pass(idx, end - 1, start, k, self.right_ae, NULL)
        for p in range(start, hi):
            wl += self.w[idx[p]]
            if p < lo:
                continue
            q = p + 1
            if q < hi:
                if v[q - shift] <= v[p - shift] + FEATURE_THRESHOLD:
                    continue
            elif q == end or missing_left:
                break
            if q - start < self.min_samples_leaf or end - q < self.min_samples_leaf:
                continue
            wr = w_node - wl
            if wl < self.min_weight_leaf or wr < self.min_weight_leaf:
                continue
            proxy = (-wr * (self.right_ae[q] / (wr * self.n_outputs))
                     - wl * (self.left_ae[q - 1] / (wl * self.n_outputs)))
            if proxy > rec.proxy:
                rec.proxy = proxy
                rec.pos = q
                rec.missing_left = missing_left
                rec.threshold = (INFINITY if q == hi else
                                 v[p - shift] / 2.0 + v[q - shift] / 2.0)

    cdef void _node_value(self, float64_t* dest, float64_t wn) noexcept nogil:
        cdef intp_t k, j, M = self.max_n_classes
        if self.is_clf:
            for k in range(self.n_outputs):
                for j in range(self.n_classes[k]):
                    dest[k * M + j] = self.total[k * M + j] / wn
        elif self.crit == ABSOLUTE_ERROR:
            for k in range(self.n_outputs):
                dest[k] = self.medians[k]
        else:
            for k in range(self.n_outputs):
                dest[k] = self.total[k] / wn

    cdef inline void _update(self, float64_t* sl, float64_t* wl, const int32_t* smp,
                             intp_t end, intp_t* pos, intp_t new_pos,
                             float64_t w_node) noexcept nogil:
        """sklearn's Criterion.update: move smp[pos:new_pos] to the left sums,
        walking from whichever end is nearer (so sums round exactly as there)."""
        cdef intp_t p, i
        cdef float64_t wi
        if new_pos - pos[0] <= end - new_pos:
            for p in range(pos[0], new_pos):
                i = smp[p]
                wi = self.w[i]
                self._add_sample(sl, i, wi)
                wl[0] += wi
        else:
            memcpy(sl, self.total, self.n_stat * sizeof(float64_t))
            wl[0] = w_node
            for p in range(end - 1, new_pos - 1, -1):
                i = smp[p]
                wi = self.w[i]
                self._add_sample(sl, i, -wi)
                wl[0] -= wi
        pos[0] = new_pos

    cdef inline void _update_packed(self, float64_t* sl, float64_t* wl,
                                    const float64_t* sw, const float64_t* sy,
                                    intp_t end, intp_t* pos, intp_t new_pos,
                                    float64_t w_node) noexcept nogil:
        """_update for one output on a feature's sorted weights / targets."""
        cdef intp_t p
        cdef float64_t wi
        if new_pos - pos[0] <= end - new_pos:
            for p in range(pos[0], new_pos):
                wi = sw[p]
                if self.is_clf:
                    sl[<intp_t> sy[p]] += wi
                else:
                    sl[0] += wi * sy[p]
                wl[0] += wi
        else:
            memcpy(sl, self.total, self.n_stat * sizeof(float64_t))
            wl[0] = w_node
            for p in range(end - 1, new_pos - 1, -1):
                wi = sw[p]
                if self.is_clf:
                    sl[<intp_t> sy[p]] += -wi
                else:
                    sl[0] += -wi * sy[p]
                wl[0] -= wi
        pos[0] = new_pos

    cdef void _children(self, const int32_t* smp, intp_t start, intp_t end,
                        float64_t w_node, float64_t impurity,
                        SplitRecord* best) noexcept nogil:
        """Impurities and improvement of the split smp[start:pos] | smp[pos:end]."""
        cdef float64_t* sl = self.scratch
        cdef float64_t* sr = self.scratch + self.n_stat
        cdef float64_t wl = 0.0, wr, sql = 0.0
        cdef intp_t p, k, pos = start
        memset(sl, 0, self.n_stat * sizeof(float64_t))
        self._update(sl, &wl, smp, end, &pos, best.pos, w_node)
        if not self.is_clf:
            for p in range(start, best.pos):
                sql += self._sq(smp[p], self.w[smp[p]])
        wr = w_node - wl
        for k in range(self.n_stat):
            sr[k] = self.total[k] - sl[k]
        if self.crit == ABSOLUTE_ERROR:
            best.impurity_left = self._impurity(
                sl, wl, self._mae_set(smp, start, best.pos, NULL, True))
            best.impurity_right = self._impurity(sr, wr, self._mae_set(smp, best.pos, end, NULL))
        else:
            best.impurity_left = self._impurity(sl, wl, sql)
            best.impurity_right = self._impurity(sr, wr, self.sq_total - sql)
        best.weight_left = wl
        best.weight_right = wr
        best.improvement = ((w_node / self.weighted_n_samples) *
                            (impurity - wr / w_node * best.impurity_right
                             - wl / w_node * best.impurity_left))

    # ------------------------------------------------------------- feature draws
    cdef intp_t _draw_features(self, intp_t start, intp_t end, intp_t* n_constant,
                               const float64_t* hist) noexcept nogil:
        """sklearn's Fisher-Yates feature draw; the non-constant ones go to self.visit.

        The constant check is O(1) on presorted data ("best"), reads the
        histograms ("hist"), or scans the node's range and draws the threshold
        ("random"). As in sklearn, a feature all NaN in the node is constant,
        one with some NaN never is (NaN vs the rest is a split). Returns how
        many features to scan.
        """
        cdef intp_t* features = self.features
        cdef intp_t f_i = self.n_features, f_j, f, tmp, nv = 0, m
        cdef intp_t n_visited = 0, n_found = 0, n_drawn = 0
        cdef intp_t n_known = n_constant[0]
        cdef intp_t n_total_constants = n_known
        cdef bint constant
        self.last_sorted = -1  # the node's samples are still in the parent's order
        self.last_sorted_m = 0
        while (f_i > n_total_constants and
               (n_visited < self.max_features or
                n_visited <= n_found + n_drawn)):
            n_visited += 1
            f_j = rand_int(n_drawn, f_i - n_found, &self.rand_state)
            if f_j < n_known:
                tmp = features[n_drawn]
                features[n_drawn] = features[f_j]
                features[f_j] = tmp
                n_drawn += 1
                continue
            f_j += n_found
            f = features[f_j]
            self.frecs[nv].n_missing = 0
            self.frecs[nv].missing_left = 0
            if self.splitter == BEST:
                m = self._n_missing_sorted(f, start, end) if self.has_nan[f] else 0
                self.vmiss[nv] = m
                if 0 < m < end - start:
                    self._order_missing(f, start, end, m)
                if m < end - start:
                    # sklearn sorts the node by every such feature (an all-NaN
                    # one leaves its order as it was)
                    self.last_sorted = f
                    self.last_sorted_m = m
                constant = m == end - start or (
                    m == 0 and self.svals[f * self.n_samples + end - 1]
                    <= self.svals[f * self.n_samples + start] + FEATURE_THRESHOLD)
            elif self.splitter == RANDOM:
                self.last_sorted = f  # sklearn's current_split.feature
                constant = self._random_visit(f, nv, start, end)
            else:
                constant = self._hist_visit(hist, f, nv)
            if constant:
                features[f_j] = features[n_total_constants]
                features[n_total_constants] = f
                n_found += 1
                n_total_constants += 1
                continue
            f_i -= 1
            features[f_j] = features[f_i]
            features[f_i] = f
            self.visit[nv] = f
            nv += 1
        self._end_draws(n_known, n_found, n_total_constants, n_constant)
        return nv

    cdef inline intp_t _n_missing_sorted(self, intp_t f, intp_t start,
                                         intp_t end) noexcept nogil:
        """NaN count of feature f in the node: its sorted range ends with them."""
        cdef const float32_t* v = self.svals + f * self.n_samples
        cdef intp_t lo = start, hi = end, mid  # first NaN in [lo, hi]
        while lo < hi:
            mid = lo + (hi - lo) // 2
            if isnan(v[mid]):
                hi = mid
            else:
                lo = mid + 1
        return end - lo

    cdef void _order_missing(self, intp_t f, intp_t start, intp_t end,
                             intp_t m) noexcept nogil:
        """Put feature f's NaN samples (the tail of its sorted range) in the
        order sklearn's sort leaves them: its two-pointer sweep, which moves
        NaN to the end, run on the node's current layout (the previous
        feature's sorted one, or the parent's partition). Sums over them then
        round as sklearn's do."""
        cdef intp_t n = self.n_samples, i = start, ce = end - 1, p, g = self.last_sorted
        cdef int32_t* buf = self.lay
        cdef int32_t* idx = self.sidx + f * n
        cdef const float32_t* x = self.Xt + f * self.n_total
        cdef int32_t tmp
        if g < 0:
            memcpy(buf + start, self.samples + start, (end - start) * sizeof(int32_t))
        elif self.last_sorted_m > 0:
            _rotate_missing(self.sidx + g * n, buf, start, end, self.last_sorted_m)
        else:
            memcpy(buf + start, self.sidx + g * n + start, (end - start) * sizeof(int32_t))
        while i <= ce:  # sklearn's sort_samples_and_feature_values
            if isnan(x[buf[ce]]):
                ce -= 1
                continue
            if isnan(x[buf[i]]):
                tmp = buf[i]
                buf[i] = buf[ce]
                buf[ce] = tmp
                ce -= 1
            i += 1
        memcpy(idx + end - m, buf + end - m, m * sizeof(int32_t))
        if self.packed:
            for p in range(end - m, end):
                self.sw[f * n + p] = self.w[idx[p]]
                self.sy[f * n + p] = self.yc[idx[p]] if self.is_clf else self.yr[idx[p]]

    cdef inline void _end_draws(self, intp_t n_known, intp_t n_found,
                                intp_t n_total_constants, intp_t* n_constant) noexcept nogil:
        # sklearn's bookkeeping: known constants back in front, new ones recorded.
        memcpy(&self.features[0], &self.constant_features[0], sizeof(intp_t) * n_known)
        memcpy(&self.constant_features[n_known], &self.features[n_known],
               sizeof(intp_t) * n_found)
        n_constant[0] = n_total_constants

    cdef void _pick(self, intp_t nv, SplitRecord* best) noexcept nogil:
        # The first strictly better split in visiting order wins, as in sklearn.
        cdef intp_t j
        for j in range(nv):
            if self.frecs[j].proxy > best.proxy:
                best[0] = self.frecs[j]

    # ---------------------------------------------------------------- "best"
    cdef void _scan_sorted(self, intp_t j, intp_t start, intp_t end,
                           float64_t w_node) noexcept nogil:
        """Best split of visit j's feature: sklearn's two passes when it has NaN.

        The feature's sorted range is [values..., NaN...]. Pass 1 sends the
        NaN right (and tries "all values left, NaN right", threshold inf);
        pass 2 runs on sklearn's layout [NaN..., values...] (NaN left), copied
        into the feature's scratch, so sums are added in sklearn's order.
        """
        cdef intp_t f = self.visit[j], m = self.vmiss[j], n = self.n_samples
        cdef SplitRecord* rec = &self.frecs[j]
        cdef int32_t* idx = self.sidx + f * n
        cdef float64_t* sw = self.sw + f * n
        cdef float64_t* sy = self.sy + f * n
        rec.feature = f
        rec.pos = end
        rec.proxy = -INFINITY
        rec.n_missing = m
        rec.missing_left = 0
        self._scan_pass(j, idx, sw, sy, 0, start, end, start, end - m, w_node, False)
        if m == 0:
            return
        idx = _rotate_missing(idx, self.tmp_idx + f * n, start, end, m)
        if self.packed:
            sw = _rotate_missing(sw, self.tmp_w + f * n, start, end, m)
            sy = _rotate_missing(sy, self.tmp_y + f * n, start, end, m)
        self._scan_pass(j, idx, sw, sy, m, start, end, start + m, end, w_node, True)

    cdef void _scan_pass(self, intp_t j, const int32_t* idx, const float64_t* sw,
                         const float64_t* sy, intp_t shift, intp_t start, intp_t end,
                         intp_t lo, intp_t hi, float64_t w_node,
                         bint missing_left) noexcept nogil:
        """One of sklearn's search passes over the node's layout idx[start:end].

        Candidates split between distinct values at positions (lo, hi); the
        value at position q is svals[f][q - shift]. Without missing_left and with NaN
        (hi < end), position hi (values | NaN) is tried as well.
        """
        cdef intp_t f = self.visit[j], p, q, n = self.n_samples
        cdef const float32_t* v = self.svals + f * n
        cdef float64_t* sl = self.scratch + 2 * j * self.n_stat
        cdef float64_t* sr = sl + self.n_stat
        cdef float64_t wl = 0.0, proxy
        cdef SplitRecord* rec = &self.frecs[j]
        cdef intp_t pos = start
        memset(sl, 0, self.n_stat * sizeof(float64_t))
        for p in range(lo - shift, hi - 1 - shift):  # v[p], v[p + 1] at p + shift, + 1
            if v[p + 1] <= v[p] + FEATURE_THRESHOLD:
                continue
            q = p + 1 + shift
            if q - start < self.min_samples_leaf or end - q < self.min_samples_leaf:
                continue
            if self.packed:
                self._update_packed(sl, &wl, sw, sy, end, &pos, q, w_node)
            else:
                self._update(sl, &wl, idx, end, &pos, q, w_node)
            proxy = self._candidate_proxy(sl, sr, wl, w_node)
            if proxy > rec.proxy:
                rec.proxy = proxy
                rec.pos = q
                rec.threshold = v[p] / 2.0 + v[p + 1] / 2.0
                rec.missing_left = missing_left
        q = hi
        if (hi == end or missing_left or q - start < self.min_samples_leaf
                or end - q < self.min_samples_leaf):
            return
        # values | NaN (the loop's body again: a helper call there costs ~5%)
        if self.packed:
            self._update_packed(sl, &wl, sw, sy, end, &pos, q, w_node)
        else:
            self._update(sl, &wl, idx, end, &pos, q, w_node)
        proxy = self._candidate_proxy(sl, sr, wl, w_node)
        if proxy > rec.proxy:
            rec.proxy = proxy
            rec.pos = q
            rec.threshold = INFINITY  # NaN <= inf is false: NaN go right (sklearn's)
            rec.missing_left = False

    cdef void _split_best(self, intp_t start, intp_t end, float64_t w_node,
                          float64_t impurity, intp_t* n_constant,
                          SplitRecord* best) noexcept nogil:
        cdef intp_t nv = self._draw_features(start, end, n_constant, NULL), j
        if self.crit == ABSOLUTE_ERROR:  # one Fenwick buffer: serial
            for j in range(nv):
                self._scan_sorted_mae(j, start, end, w_node)
        elif nv > 1 and self.n_threads > 1 and end - start >= PARALLEL_MIN_SAMPLES:
            for j in prange(nv, num_threads=self.n_threads, schedule="dynamic"):
                self._scan_sorted(j, start, end, w_node)
        else:
            for j in range(nv):
                self._scan_sorted(j, start, end, w_node)
        self._pick(nv, best)
        if best.pos < end:
            self._partition_sorted(start, end, best,
                                   0 if self.max_leaf_nodes > 0 else n_constant[0])
            self._children(self.samples, start, end, w_node, impurity, best)

    cdef void _partition_sorted(self, intp_t start, intp_t end,
                                const SplitRecord* best, intp_t n_skip) noexcept nogil:
        """Partition the node's per-feature sorted arrays at best.

        Depth-first, the subtree never reads the features it knows constant
        (constant_features[:n_skip]), so their arrays are left as they are.
        """
        cdef intp_t p, f, n = self.n_samples, ps = start, pe = end
        cdef const int32_t* idx = self.sidx + best.feature * n
        cdef int32_t tmp
        # NaN going left: the left child is the first pos - start - m values
        # and the m NaN (the tail of the feature's range).
        cdef intp_t m = best.n_missing if best.missing_left else 0
        cdef intp_t left_end = best.pos - m
        cdef intp_t ls = self.last_sorted_m
        for p in range(start, left_end):
            self.mask[idx[p]] = 1
        for p in range(left_end, end - m):
            self.mask[idx[p]] = 0
        for p in range(end - m, end):
            self.mask[idx[p]] = 1
        # Keep samples[start:end] in sklearn's order (the node sorted by the
        # last feature it drew, then swap-partitioned): node sums are added in
        # that order, so float targets round exactly as in sklearn and exact
        # ties between features break the same way. A last feature with NaN
        # was left in its second pass's layout, NaN first.
        if ls > 0:
            _rotate_missing(self.sidx + self.last_sorted * n, self.samples,
                                 start, end, ls)
        else:
            memcpy(self.samples + start, self.sidx + self.last_sorted * n + start,
                   (end - start) * sizeof(int32_t))
        while ps < pe:
            if self.mask[self.samples[ps]]:
                ps += 1
            else:
                pe -= 1
                tmp = self.samples[ps]
                self.samples[ps] = self.samples[pe]
                self.samples[pe] = tmp
        for f in range(n_skip):
            self.skip[self.constant_features[f]] = 1
        # the split feature's range is already [left | right], unless NaN go left
        self.skip[best.feature] = m == 0
        if self.n_threads > 1 and end - start >= PARALLEL_MIN_SAMPLES:
            for f in prange(self.n_features, num_threads=self.n_threads, schedule="static"):
                if not self.skip[f]:
                    self._stable_partition(f, start, end)
        else:
            for f in range(self.n_features):
                if not self.skip[f]:
                    self._stable_partition(f, start, end)
        self.skip[best.feature] = 0
        for f in range(n_skip):
            self.skip[self.constant_features[f]] = 0

    cdef void _stable_partition(self, intp_t f, intp_t start, intp_t end) noexcept nogil:
        # Left samples keep their sorted order in place; right ones go through a
        # per-feature buffer (disjoint slices, so features can run in parallel).
        cdef intp_t n = self.n_samples, p, l = start, r = start, i
        cdef int32_t* idx = self.sidx + f * n
        cdef float32_t* v = self.svals + f * n
        cdef int32_t* ti = self.tmp_idx + f * n
        cdef float32_t* tv = self.tmp_val + f * n
        cdef float64_t* sw = self.sw + f * n
        cdef float64_t* sy = self.sy + f * n
        cdef float64_t* tw = self.tmp_w + f * n
        cdef float64_t* ty = self.tmp_y + f * n
        if self.packed:
            for p in range(start, end):
                i = idx[p]
                if self.mask[i]:
                    idx[l] = i
                    v[l] = v[p]
                    sw[l] = sw[p]
                    sy[l] = sy[p]
                    l += 1
                else:
                    ti[r] = i
                    tv[r] = v[p]
                    tw[r] = sw[p]
                    ty[r] = sy[p]
                    r += 1
            memcpy(sw + l, tw + start, (r - start) * sizeof(float64_t))
            memcpy(sy + l, ty + start, (r - start) * sizeof(float64_t))
        else:
            for p in range(start, end):
                i = idx[p]
                if self.mask[i]:
                    idx[l] = i
                    v[l] = v[p]
                    l += 1
                else:
                    ti[r] = i
                    tv[r] = v[p]
                    r += 1
        memcpy(idx + l, ti + start, (r - start) * sizeof(int32_t))
        memcpy(v + l, tv + start, (r - start) * sizeof(float32_t))

    # --------------------------------------------------------------- "random"
    cdef intp_t _partition_threshold(self, intp_t f, intp_t start, intp_t end,
                                     float64_t thr, bint missing_left) noexcept nogil:
        # sklearn's swap partition, so samples end up in sklearn's order.
        # NaN fails `<= thr`: it goes right unless missing_left.
        cdef intp_t ps = start, pe = end
        cdef int32_t tmp
        cdef const float32_t* x = self.Xt + f * self.n_total
        cdef float32_t xi
        if missing_left:  # a loop of its own: the NaN-free one stays as lean
            while ps < pe:
                xi = x[self.samples[ps]]
                if xi <= thr or isnan(xi):
                    ps += 1
                else:
                    pe -= 1
                    tmp = self.samples[ps]
                    self.samples[ps] = self.samples[pe]
                    self.samples[pe] = tmp
            return pe
        while ps < pe:
            if x[self.samples[ps]] <= thr:
                ps += 1
            else:
                pe -= 1
                tmp = self.samples[ps]
                self.samples[ps] = self.samples[pe]
                self.samples[pe] = tmp
        return pe

    cdef bint _random_visit(self, intp_t f, intp_t j, intp_t start, intp_t end) noexcept nogil:
        """sklearn's random splitter at a drawn feature: constant if its range in
        the node is within FEATURE_THRESHOLD (and it has no NaN) or it is all
        NaN, else draw visit j's threshold and, with NaN, where they go (right
        away, so the RNG stream is sklearn's)."""
        cdef intp_t p, m = 0
        cdef const float32_t* xf = self.Xt + f * self.n_total
        cdef float32_t vmin = xf[self.samples[start]], vmax = vmin, x
        cdef float64_t thr
        cdef bint seen = False
        if self.has_nan[f]:  # sklearn's find_min_max
            for p in range(start, end):
                x = xf[self.samples[p]]
                if isnan(x):
                    m += 1
                elif not seen:
                    vmin = vmax = x
                    seen = True
                elif x < vmin:
                    vmin = x
                elif x > vmax:
                    vmax = x
            if m == end - start:
                return True
        else:  # selects, not branches (the same min and max, signed zeros too)
            for p in range(start + 1, end):
                x = xf[self.samples[p]]
                vmin = x if x < vmin else vmin
                vmax = x if x > vmax else vmax
        if m == 0 and vmax <= vmin + FEATURE_THRESHOLD:
            return True
        thr = rand_uniform(vmin, vmax, &self.rand_state)
        self.vmiss[j] = m
        self.vmleft[j] = rand_int(0, 2, &self.rand_state) if m > 0 else 0
        self.vthr[j] = vmin if thr == vmax else thr
        return False

    cdef void _split_random(self, intp_t start, intp_t end, float64_t w_node,
                            float64_t impurity, intp_t* n_constant,
                            SplitRecord* best) noexcept nogil:
        cdef intp_t nv = self._draw_features(start, end, n_constant, NULL), j, f, p, pos
        cdef float64_t thr, wl, wr, proxy
        cdef float64_t* sl = self.scratch
        cdef float64_t* sr = self.scratch + self.n_stat
        # Each visited feature partitions the node in turn, as in sklearn, so
        # the samples' order (and the sums' rounding) is sklearn's.
        for j in range(nv):
            f = self.visit[j]
            thr = self.vthr[j]
            pos = self._partition_threshold(f, start, end, thr, self.vmleft[j])
            if pos - start < self.min_samples_leaf or end - pos < self.min_samples_leaf:
                continue
            memset(sl, 0, self.n_stat * sizeof(float64_t))
            wl = 0.0
            p = start
            self._update(sl, &wl, self.samples, end, &p, pos, w_node)
            wr = w_node - wl
            if wl < self.min_weight_leaf or wr < self.min_weight_leaf:
                continue
            if self.crit == ABSOLUTE_ERROR:
                proxy = (-wr * (self._mae_set(self.samples, pos, end, NULL) / (wr * self.n_outputs))
                         - wl * (self._mae_set(self.samples, start, pos, NULL, True)
                                 / (wl * self.n_outputs)))
            else:
                proxy = self._proxy(sl, sr, wl, wr)
            if proxy > best.proxy:
                best.proxy = proxy
                best.feature = f
                best.pos = pos
                best.threshold = thr
                best.n_missing = self.vmiss[j]
                best.missing_left = self.vmleft[j]
        if best.pos < end:
            # sklearn re-partitions unless the last feature drawn is the best
            if self.last_sorted != best.feature:
                self._partition_threshold(best.feature, start, end, best.threshold,
                                          best.missing_left)
            self._children(self.samples, start, end, w_node, impurity, best)

    cdef void _split_random_sums(self, intp_t start, intp_t end, float64_t w_node,
                                 float64_t impurity, intp_t* n_constant,
                                 SplitRecord* best) noexcept nogil:
        """_split_random when every class-weight sum is exact (exact_sums).

        sklearn partitions the node by each drawn feature in turn and sums the
        left child's weights in that order; with exact sums neither the order
        nor the partition changes any number, so each feature's left sums come
        from one branch-free pass over the node's gathered classes and weights,
        and only the best feature partitions the node: the same tree, with one
        partition per node instead of one per drawn feature. The pass adds to
        four copies of the sums in turn, so consecutive samples of one class
        do not wait on each other's store.
        """
        cdef intp_t nv = self._draw_features(start, end, n_constant, NULL)
        cdef intp_t n = end - start, j, f, p, c, nl, pos
        cdef intp_t M = self.max_n_classes
        cdef const int32_t* smp = self.samples + start
        cdef float64_t* gw = self.gw
        cdef int32_t* gc = self.gofs
        cdef const float32_t* xf
        cdef float64_t thr, wl, wr, proxy
        cdef float32_t x
        cdef bint b
        cdef float64_t* sl = self.scratch
        cdef float64_t* sr = self.scratch + self.n_stat
        cdef float64_t* acc = self.lh
        if nv == 0:
            return
        for p in range(n):
            gw[p] = self.w[smp[p]]
            gc[p] = (p & 3) * M + self.yc[smp[p]]
        for j in range(nv):
            f = self.visit[j]
            thr = self.vthr[j]
            xf = self.Xt + f * self.n_total
            memset(acc, 0, 4 * M * sizeof(float64_t))
            nl = 0
            if self.vmleft[j]:  # NaN goes left (only drawn when the node has NaN)
                for p in range(n):
                    x = xf[smp[p]]
                    b = x <= thr or isnan(x)
                    acc[gc[p]] += gw[p] * b  # no branch: b is a coin flip
                    nl += b
            else:
                for p in range(n):
                    b = xf[smp[p]] <= thr
                    acc[gc[p]] += gw[p] * b  # no branch: b is a coin flip
                    nl += b
            pos = start + nl
            if nl < self.min_samples_leaf or end - pos < self.min_samples_leaf:
                continue
            wl = 0.0
            for c in range(M):
                sl[c] = acc[c] + acc[M + c] + acc[2 * M + c] + acc[3 * M + c]
                wl += sl[c]
            wr = w_node - wl
            if wl < self.min_weight_leaf or wr < self.min_weight_leaf:
                continue
            proxy = self._proxy(sl, sr, wl, wr)
            if proxy > best.proxy:
                best.proxy = proxy
                best.feature = f
                best.pos = pos
                best.threshold = thr
                best.n_missing = self.vmiss[j]
                best.missing_left = self.vmleft[j]
        if best.pos < end:
            self._partition_threshold(best.feature, start, end, best.threshold,
                                      best.missing_left)
            self._children(self.samples, start, end, w_node, impurity, best)

    # ----------------------------------------------------------------- "hist"
    cdef intp_t _slot_get(self) noexcept nogil:
        cdef intp_t s
        if self.n_free > 0:
            self.n_free -= 1
            return self.free_slots[self.n_free]
        s = self.n_slots
        self.n_slots += 1
        self.slots = <float64_t**> realloc(self.slots, self.n_slots * sizeof(float64_t*))
        self.free_slots = <intp_t*> realloc(self.free_slots, self.n_slots * sizeof(intp_t))
        self.slots[s] = <float64_t*> malloc(self.hist_size * sizeof(float64_t))
        return s

    cdef inline void _slot_put(self, intp_t s) noexcept nogil:
        if s >= 0:
            self.free_slots[self.n_free] = s
            self.n_free += 1

    cdef void _build_hist(self, float64_t* H, intp_t start, intp_t end) noexcept nogil:
        cdef intp_t f, n = end - start
        memset(H, 0, self.hist_size * sizeof(float64_t))
        self._gather(start, end)
        if self.n_threads > 1 and n >= PARALLEL_MIN_SAMPLES:
            for f in prange(self.n_features, num_threads=self.n_threads, schedule="static"):
                self._hist_fill(H + f * self.max_bins * self.S,
                                self.Xbt + f * self.n_total, start, n, NULL)
        else:
            for f in range(self.n_features):
                self._hist_fill(H + f * self.max_bins * self.S,
                                self.Xbt + f * self.n_total, start, n, NULL)

    cdef float64_t _node_reset_hist_clf(self, intp_t start, intp_t end) noexcept nogil:
        """_node_reset and the gather for one-output classification, in one
        tight pass (the same sums in the same order)."""
        cdef const int32_t* smp = self.samples + start
        cdef const float64_t* w = self.w
        cdef const int32_t* yc = self.yc
        cdef float64_t* total = self.total
        cdef float64_t* gw = self.gw
        cdef int32_t* go = self.gofs
        cdef intp_t p, i, o = self.o_st
        cdef int32_t c
        cdef float64_t wn = 0.0, wi
        for p in range(end - start):
            i = smp[p]
            wi = w[i]
            c = yc[i]
            gw[p] = wi
            go[p] = o + c
            total[c] += wi
            wn += wi
        return wn

    cdef void _gather(self, intp_t start, intp_t end) noexcept nogil:
        # The node's weights and targets, contiguously, for all features.
        cdef intp_t p
        for p in range(end - start):
            self._gather_one(p, self.samples[start + p])

    cdef inline void _gather_one(self, intp_t p, intp_t i) noexcept nogil:
        cdef intp_t k, no = self.n_outputs
        self.gw[p] = self.w[i]
        for k in range(no):
            if self.is_clf:  # the sample's offset in a histogram bin
                self.gofs[p * no + k] = self.o_st + k * self.max_n_classes + self.yc[i * no + k]
            else:
                self.gy[p * no + k] = self.yr[i * no + k]

    cdef inline void _hist_add(self, float64_t* Hf, intp_t code, intp_t p) noexcept nogil:
        """Add the node's p-th gathered sample to bin `code` of histogram row Hf."""
        cdef intp_t k, no = self.n_outputs
        cdef float64_t* h = Hf + code * self.S
        cdef float64_t wi = self.gw[p]
        if self.hcnt:
            h[0] += 1.0
        if self.is_clf:
            for k in range(no):
                h[self.gofs[p * no + k]] += wi
        else:
            h[self.o_w] += wi
            for k in range(no):
                h[self.o_st + k] += wi * self.gy[p * no + k]

    cdef void _hist_fill(self, float64_t* Hf, const uint8_t* xb, intp_t start, intp_t n,
                         uint64_t* bits) noexcept nogil:
        """Add the node's samples (gathered from `start` on) to the feature
        histogram Hf of codes xb; mark the bins present in `bits` unless NULL."""
        cdef intp_t p, S = self.S
        cdef const int32_t* smp = self.samples + start
        cdef const float64_t* gw = self.gw
        cdef const int32_t* go = self.gofs
        cdef uint8_t c
        if self.is_clf and self.n_outputs == 1 and not self.hcnt:
            # the hot loop of classification forests: one add per sample
            if bits != NULL:
                for p in range(n):
                    c = xb[smp[p]]
                    Hf[c * S + go[p]] += gw[p]
                    bits[c >> 6] |= (<uint64_t> 1) << (c & 63)
            else:
                for p in range(n):
                    Hf[xb[smp[p]] * S + go[p]] += gw[p]
        elif bits != NULL:
            for p in range(n):
                c = xb[smp[p]]
                self._hist_add(Hf, c, p)
                bits[c >> 6] |= (<uint64_t> 1) << (c & 63)
        else:
            for p in range(n):
                self._hist_add(Hf, xb[smp[p]], p)

    cdef bint _hist_visit(self, const float64_t* H, intp_t f, intp_t j) noexcept nogil:
        """Point visit j at feature f's histogram in the node; True if f is constant.

        A node with the full histogram H reads f's row there. Otherwise f's
        histogram is filled from the node's codes (and the weights / targets
        _node_reset gathered) into local row j, so a node costs O(n_node) per
        drawn feature however many features X has. A bitmap of the bins
        present lets the scan and the clean-up touch only those (small nodes
        fill few of the 255 bins); local rows are all zero between uses.
        """
        cdef intp_t b, S = self.S
        cdef uint64_t* bits = self.vbits + 4 * j
        cdef const float64_t* Hf
        cdef float64_t* h
        bits[0] = bits[1] = bits[2] = bits[3] = 0
        if H != NULL:  # full histograms always keep counts (hcnt)
            Hf = H + f * self.max_bins * S
            for b in range(self.n_bins[f]):
                if Hf[b * S] > 0.0:
                    bits[b >> 6] |= (<uint64_t> 1) << (b & 63)
            self.vrow[j] = Hf
        elif self.cur_end - self.cur_start >= 2 * self.n_bins[f]:
            # most bins get samples: reading the row afterwards is cheaper
            # than marking every sample's bin
            h = self.lh + j * self.max_bins * S
            self._hist_fill(h, self.Xbt + f * self.n_total, self.cur_start,
                            self.cur_end - self.cur_start, NULL)
            self._mark_present(h, self.n_bins[f], bits)
            self.vrow[j] = h
        else:
            h = self.lh + j * self.max_bins * S
            self._hist_fill(h, self.Xbt + f * self.n_total, self.cur_start,
                            self.cur_end - self.cur_start, bits)
            self.vrow[j] = h
        if (__builtin_popcountll(bits[0]) + __builtin_popcountll(bits[1])
                + __builtin_popcountll(bits[2]) + __builtin_popcountll(bits[3])) > 1:
            return False
        if H == NULL:
            self._clear_local(j)
        return True

    cdef void _mark_present(self, const float64_t* h, intp_t nb, uint64_t* bits) noexcept nogil:
        """Set the bits of the bins of local row h that hold samples: their
        count, or weight, or the sum of their class weights is > 0 (the node's
        samples all weigh > 0)."""
        cdef intp_t b, k, S = self.S
        cdef float64_t v
        for b in range(nb):
            if self.hcnt:
                v = h[b * S]
            elif self.hw:
                v = h[b * S + self.o_w]
            elif S == 2:
                v = h[2 * b] + h[2 * b + 1]
            else:
                v = 0.0
                for k in range(S):
                    v += h[b * S + k]
            if v > 0.0:
                bits[b >> 6] |= (<uint64_t> 1) << (b & 63)

    cdef void _clear_local(self, intp_t j) noexcept nogil:
        """Zero the bins present in local row j (a full histogram's row is kept)."""
        cdef intp_t w, b, k, S = self.S
        cdef uint64_t m
        cdef float64_t* h = self.lh + j * self.max_bins * S
        if self.vrow[j] != h:
            return
        for w in range(4):
            m = self.vbits[4 * j + w]
            while m:
                b = 64 * w + __builtin_ctzll(m)
                m &= m - 1
                for k in range(S):
                    h[b * S + k] = 0.0

    cdef void _scan_hist(self, intp_t j, intp_t start, intp_t end,
                         float64_t w_node) noexcept nogil:
        """Visit j's best split: the bins present, in order (a local row is
        zeroed as it is read, so it is clean for the next node)."""
        if self.crit == GINI and self.n_outputs == 1 and not self.hcnt:
            self._scan_hist_gini(j, start, end, w_node)
            return
        cdef intp_t f = self.visit[j], b, k, w, S = self.S, n_node = end - start
        cdef intp_t last = 0, n_left, M0 = self.n_classes[0]
        cdef float64_t* Hf = <float64_t*> self.vrow[j]
        cdef float64_t* h
        cdef bint local = Hf == self.lh + j * self.max_bins * S
        cdef const float32_t* vals = self.bin_vals + f * self.max_bins
        # one bin per distinct value: split at the exact splitter's midpoint
        # between the values present on either side (known at the next bin)
        cdef bint midpoints = vals[0] == vals[0], pending = False
        cdef float64_t* sl = self.scratch + 2 * j * self.n_stat
        cdef float64_t* sr = sl + self.n_stat
        cdef float64_t wl = 0.0, wb, proxy, nl = 0.0
        cdef SplitRecord* rec = &self.frecs[j]
        cdef const uint64_t* bits = self.vbits + 4 * j
        cdef uint64_t m
        memset(sl, 0, self.n_stat * sizeof(float64_t))
        rec.feature = f
        rec.pos = end
        rec.proxy = -INFINITY
        for w in range(3, -1, -1):
            if bits[w]:
                last = 64 * w + 63 - __builtin_clzll(bits[w])
                break
        for w in range(4):  # the bins present, in order
            m = bits[w]
            while m:
                b = 64 * w + __builtin_ctzll(m)
                m &= m - 1
                h = Hf + b * S
                if pending:
                    rec.threshold = vals[rec.bin] / 2.0 + vals[b] / 2.0
                    pending = False
                if b == last:  # no split after the last bin
                    if local:
                        for k in range(S):
                            h[k] = 0.0
                    break
                if self.hcnt:
                    nl += h[0]
                if self.hw:
                    wl += h[self.o_w]
                else:
                    wb = 0.0
                    for k in range(M0):
                        wb += h[self.o_st + k]
                    wl += wb
                for k in range(self.n_stat):
                    sl[k] += h[self.o_st + k]
                if local:
                    for k in range(S):
                        h[k] = 0.0
                if self.hcnt:
                    n_left = <intp_t> nl
                    if n_left < self.min_samples_leaf or n_node - n_left < self.min_samples_leaf:
                        continue
                proxy = self._screened_proxy(sl, sr, wl, w_node, rec.proxy)
                if proxy > rec.proxy:
                    rec.proxy = proxy
                    rec.pos = start  # any position < end: the partition finds it
                    rec.bin = b
                    pending = midpoints
                    if not midpoints:
                        rec.threshold = self.bin_thr[f * self.max_bins + b]

    cdef void _scan_hist_gini(self, intp_t j, intp_t start, intp_t end,
                              float64_t w_node) noexcept nogil:
        """_scan_hist for one-output Gini on a local row of class weights
        (S == n_classes, no counts): the hot loop of classification forests,
        with the fields it reads in locals and the screen's sums reused by
        the proxy (the same operations, in the same order, as _proxy)."""
        cdef intp_t f = self.visit[j], b, k, w, M = self.max_n_classes, last = 0
        cdef float64_t* Hf = <float64_t*> self.vrow[j]
        cdef float64_t* h
        cdef const float64_t* tot = self.total
        cdef const float32_t* vals = self.bin_vals + f * self.max_bins
        cdef bint midpoints = vals[0] == vals[0], pending = False
        cdef float64_t* sl = self.scratch + 2 * j * self.n_stat
        cdef float64_t wl = 0.0, wr, wb, c, r, pl, pr, proxy, best = -INFINITY
        cdef float64_t bar = -INFINITY, mwl = self.min_weight_leaf
        cdef SplitRecord* rec = &self.frecs[j]
        cdef const uint64_t* bits = self.vbits + 4 * j
        cdef uint64_t m
        memset(sl, 0, M * sizeof(float64_t))
        rec.feature = f
        rec.pos = end
        for w in range(3, -1, -1):
            if bits[w]:
                last = 64 * w + 63 - __builtin_clzll(bits[w])
                break
        if M == 2:
            self._scan_hist_gini2(j, start, end, w_node, last)
            return
        for w in range(4):
            m = bits[w]
            while m:
                b = 64 * w + __builtin_ctzll(m)
                m &= m - 1
                h = Hf + b * M
                if pending:
                    rec.threshold = vals[rec.bin] / 2.0 + vals[b] / 2.0
                    pending = False
                if b == last:
                    for k in range(M):
                        h[k] = 0.0
                    break
                wb = 0.0
                for k in range(M):
                    wb += h[k]
                    sl[k] += h[k]
                    h[k] = 0.0
                wl += wb
                wr = w_node - wl
                if wl < mwl or wr < mwl:
                    continue
                pl = pr = 0.0
                for k in range(M):
                    c = sl[k]
                    pl += c * c
                    r = tot[k] - c
                    pr += r * r
                if pl * wr + pr * wl < bar * (wl * wr):
                    continue
                proxy = -wr * (1.0 - pr / (wr * wr)) - wl * (1.0 - pl / (wl * wl))
                if proxy > best:
                    best = proxy
                    bar = self._screen_bar(proxy, w_node)
                    rec.pos = start
                    rec.bin = b
                    pending = midpoints
                    if not midpoints:
                        rec.threshold = self.bin_thr[f * self.max_bins + b]
        rec.proxy = best

    cdef void _scan_hist_gini2(self, intp_t j, intp_t start, intp_t end,
                               float64_t w_node, intp_t last) noexcept nogil:
        """_scan_hist_gini for two classes, its sums in registers."""
        cdef intp_t f = self.visit[j], b, w
        cdef float64_t* Hf = <float64_t*> self.vrow[j]
        cdef float64_t* h
        cdef const float32_t* vals = self.bin_vals + f * self.max_bins
        cdef bint midpoints = vals[0] == vals[0], pending = False
        cdef float64_t t0 = self.total[0], t1 = self.total[1], s0 = 0.0, s1 = 0.0
        cdef float64_t h0, h1, wl = 0.0, wr, r0, r1, pl, pr, proxy, best = -INFINITY
        cdef float64_t bar = -INFINITY, mwl = self.min_weight_leaf
        cdef SplitRecord* rec = &self.frecs[j]
        cdef const uint64_t* bits = self.vbits + 4 * j
        cdef uint64_t m
        for w in range(4):
            m = bits[w]
            while m:
                b = 64 * w + __builtin_ctzll(m)
                m &= m - 1
                h = Hf + 2 * b
                h0 = h[0]
                h1 = h[1]
                h[0] = 0.0
                h[1] = 0.0
                if pending:
                    rec.threshold = vals[rec.bin] / 2.0 + vals[b] / 2.0
                    pending = False
                if b == last:
                    break
                s0 += h0
                s1 += h1
                wl += h0 + h1
                wr = w_node - wl
                if wl < mwl or wr < mwl:
                    continue
                r0 = t0 - s0
                r1 = t1 - s1
                pl = s0 * s0 + s1 * s1
                pr = r0 * r0 + r1 * r1
                if pl * wr + pr * wl < bar * (wl * wr):
                    continue
                proxy = -wr * (1.0 - pr / (wr * wr)) - wl * (1.0 - pl / (wl * wl))
                if proxy > best:
                    best = proxy
                    bar = self._screen_bar(proxy, w_node)
                    rec.pos = start
                    rec.bin = b
                    pending = midpoints
                    if not midpoints:
                        rec.threshold = self.bin_thr[f * self.max_bins + b]
        rec.proxy = best

    cdef inline float64_t _screened_proxy(self, const float64_t* sl, float64_t* sr,
                                          float64_t wl, float64_t w_node,
                                          float64_t best) noexcept nogil:
        """_candidate_proxy, or -inf, without dividing, when a bound shows the
        candidate cannot beat `best` (one-output Gini, squared error: most
        candidates of a scan, whose two divisions dominated it)."""
        cdef float64_t wr = w_node - wl, pl = 0.0, pr = 0.0, r
        cdef intp_t k
        if (best > -INFINITY and wl > 0.0 and wr > 0.0 and
                (self.crit == SQUARED_ERROR or (self.crit == GINI and self.n_outputs == 1))):
            for k in range(self.n_stat):
                r = self.total[k] - sl[k]
                pl += sl[k] * sl[k]
                pr += r * r
            if pl * wr + pr * wl < self._screen_bar(best, w_node) * (wl * wr):
                return -INFINITY
        return self._candidate_proxy(sl, sr, wl, w_node)

    cdef inline float64_t _screen_bar(self, float64_t best, float64_t w_node) noexcept nogil:
        """A bound such that (pl * wr + pr * wl) / (wl * wr) < bound implies a
        candidate's proxy <= best (pl, pr: sums of squared class weights or
        target sums left and right). Gini's proxy is that ratio minus w_node,
        squared error's is the ratio; 1e-9 relative slack covers rounding."""
        if self.crit == GINI:
            return best + w_node - 1e-9 * w_node
        return best - 1e-9 * (best if best > 0.0 else -best)

    cdef intp_t _partition_bins(self, intp_t f, intp_t start, intp_t end,
                                intp_t bin) noexcept nogil:
        # Stable: every node keeps its samples in increasing index order, so
        # the per-sample gathers of codes, weights and targets walk memory
        # forwards (prefetched) instead of at random.
        cdef intp_t p, l = start, r = 0
        cdef int32_t i
        cdef const uint8_t* xb = self.Xbt + f * self.n_total
        for p in range(start, end):
            i = self.samples[p]
            if xb[i] <= bin:
                self.samples[l] = i
                l += 1
            else:
                self.tmp_idx[r] = i
                r += 1
        memcpy(self.samples + l, self.tmp_idx, r * sizeof(int32_t))
        return l

    cdef void _split_hist(self, const float64_t* H, intp_t start, intp_t end,
                          float64_t w_node, float64_t impurity,
                          intp_t* n_constant, SplitRecord* best) noexcept nogil:
        self.cur_start = start
        self.cur_end = end
        cdef intp_t nv = self._draw_features(start, end, n_constant, H), j
        if nv > 1 and self.n_threads > 1 and end - start >= PARALLEL_MIN_SAMPLES:
            for j in prange(nv, num_threads=self.n_threads, schedule="dynamic"):
                self._scan_hist(j, start, end, w_node)
        else:
            for j in range(nv):
                self._scan_hist(j, start, end, w_node)
        self._pick(nv, best)
        if best.pos < end:
            best.pos = self._partition_bins(best.feature, start, end, best.bin)
            self._children(self.samples, start, end, w_node, impurity, best)

    cdef intp_t _child_hists(self, intp_t parent_slot, intp_t start, intp_t pos,
                             intp_t end, bint need_left, bint need_right,
                             intp_t* right_slot) noexcept nogil:
        """Histograms of the children of a split node; returns the left slot.

        The smaller child is binned from its samples, the larger one is the
        parent's histogram minus it (in the parent's slot).
        """
        cdef intp_t small, left_slot = -1, i
        cdef bint left_small = pos - start <= end - pos
        cdef float64_t* P
        cdef float64_t* Q
        right_slot[0] = -1
        if parent_slot < 0:  # a small node: its children are small too
            return -1
        if not need_left and not need_right:
            self._slot_put(parent_slot)
            return -1
        small = self._slot_get()
        P = self.slots[parent_slot]
        Q = self.slots[small]
        if left_small:
            self._build_hist(Q, start, pos)
        else:
            self._build_hist(Q, pos, end)
        for i in range(self.hist_size):
            P[i] -= Q[i]
        if left_small:
            left_slot = small
            right_slot[0] = parent_slot
        else:
            left_slot = parent_slot
            right_slot[0] = small
        if not need_left:
            self._slot_put(left_slot)
            left_slot = -1
        if not need_right:
            self._slot_put(right_slot[0])
            right_slot[0] = -1
        return left_slot

    # -------------------------------------------------------------- dispatch
    cdef void _node_split(self, intp_t start, intp_t end, float64_t w_node,
                          float64_t impurity, intp_t* n_constant, intp_t hist,
                          SplitRecord* best) noexcept nogil:
        best.pos = end
        best.feature = 0
        best.threshold = 0.0
        best.proxy = -INFINITY
        best.improvement = -INFINITY
        best.impurity_left = INFINITY
        best.impurity_right = INFINITY
        best.n_missing = 0
        best.missing_left = 0
        if self.splitter == BEST:
            self._split_best(start, end, w_node, impurity, n_constant, best)
        elif self.splitter == RANDOM:
            if self.exact_sums:
                self._split_random_sums(start, end, w_node, impurity, n_constant, best)
            else:
                self._split_random(start, end, w_node, impurity, n_constant, best)
        else:
            self._split_hist(self.slots[hist] if hist >= 0 else NULL, start, end,
                             w_node, impurity,
                             n_constant, best)

    # ------------------------------------------------------------ node store
    cdef void _reserve(self, intp_t capacity) noexcept nogil:
        if capacity <= self.capacity:
            return
        self.left = <intp_t*> realloc(self.left, capacity * sizeof(intp_t))
        self.right = <intp_t*> realloc(self.right, capacity * sizeof(intp_t))
        self.feature = <intp_t*> realloc(self.feature, capacity * sizeof(intp_t))
        self.threshold = <float64_t*> realloc(self.threshold, capacity * sizeof(float64_t))
        self.impurity = <float64_t*> realloc(self.impurity, capacity * sizeof(float64_t))
        self.n_node_samples = <intp_t*> realloc(self.n_node_samples, capacity * sizeof(intp_t))
        self.weighted_n_node_samples = <float64_t*> realloc(
            self.weighted_n_node_samples, capacity * sizeof(float64_t))
        self.missing_go_to_left = <uint8_t*> realloc(self.missing_go_to_left, capacity)
        self.value = <float64_t*> realloc(
            self.value, capacity * self.value_stride * sizeof(float64_t))
        memset(self.value + self.capacity * self.value_stride, 0,
               (capacity - self.capacity) * self.value_stride * sizeof(float64_t))
        self.capacity = capacity

    cdef intp_t _add_node(self, intp_t parent, bint is_left, bint is_leaf,
                          const SplitRecord* split, float64_t impurity,
                          intp_t n_node_samples, float64_t w_node) noexcept nogil:
        cdef intp_t node_id = self.node_count
        if node_id >= self.capacity:
            self._reserve(2 * self.capacity if self.capacity > 0 else 2047)
        self.impurity[node_id] = impurity
        self.n_node_samples[node_id] = n_node_samples
        self.weighted_n_node_samples[node_id] = w_node
        if parent != TREE_UNDEFINED:
            if is_left:
                self.left[parent] = node_id
            else:
                self.right[parent] = node_id
        self.left[node_id] = TREE_LEAF
        self.right[node_id] = TREE_LEAF
        if is_leaf:
            self.feature[node_id] = TREE_UNDEFINED
            self.threshold[node_id] = TREE_UNDEFINED
            self.missing_go_to_left[node_id] = 0
        else:
            self.feature[node_id] = split.feature
            self.threshold[node_id] = split.threshold
            self.missing_go_to_left[node_id] = 0  # set by the caller
        self.node_count += 1
        return node_id

    cdef inline bint _trivial_leaf(self, intp_t depth, intp_t n, float64_t wn,
                                   float64_t impurity) noexcept nogil:
        return (depth >= self.max_depth or n < self.min_samples_split
                or n < 2 * self.min_samples_leaf or wn < 2 * self.min_weight_leaf
                or impurity <= EPSILON)

    # --------------------------------------------------------------- builders
    cdef void _build_depth_first(self) noexcept nogil:
        cdef intp_t cap = 64, top = 0, start, end, depth, node_id, n_const
        cdef intp_t hist, hl, hr
        cdef StackRecord* stack = <StackRecord*> malloc(cap * sizeof(StackRecord))
        cdef StackRecord rec
        cdef SplitRecord split
        cdef float64_t w_node, impurity
        cdef bint is_leaf, first = True, need_l, need_r
        hist = -1
        if self.splitter == HIST and self.n_samples >= self.full_min:
            hist = self._slot_get()
            self._build_hist(self.slots[hist], 0, self.n_samples)
        stack[0] = StackRecord(0, self.n_samples, 0, TREE_UNDEFINED, 0, INFINITY, 0, hist)
        top = 1
        while top > 0:
            top -= 1
            rec = stack[top]
            start, end, depth = rec.start, rec.end, rec.depth
            w_node = self._node_reset(start, end)
            impurity = rec.impurity
            if first:
                impurity = self._impurity(self.total, w_node, self.sq_total)
                first = False
            is_leaf = self._trivial_leaf(depth, end - start, w_node, impurity)
            n_const = rec.n_constant_features
            split.pos = end
            if not is_leaf:
                if self.splitter == HIST and rec.hist < 0 and end - start >= self.full_min:
                    rec.hist = self._slot_get()
                    self._build_hist(self.slots[rec.hist], start, end)
                self._node_split(start, end, w_node, impurity, &n_const, rec.hist, &split)
                is_leaf = (split.pos >= end or
                           split.improvement + EPSILON < self.min_impurity_decrease)
            node_id = self._add_node(rec.parent, rec.is_left, is_leaf, &split,
                                     impurity, end - start, w_node)
            self._node_value(self.value + node_id * self.value_stride, w_node)
            if depth > self.max_depth_seen:
                self.max_depth_seen = depth
            if is_leaf:
                self._slot_put(rec.hist)
                continue
            self.missing_go_to_left[node_id] = _missing_go_to_left(&split, start, end)
            hl = hr = -1
            if self.splitter == HIST:
                need_l = (split.pos - start >= self.full_min and not self._trivial_leaf(
                    depth + 1, split.pos - start, split.weight_left, split.impurity_left))
                need_r = (end - split.pos >= self.full_min and not self._trivial_leaf(
                    depth + 1, end - split.pos, split.weight_right, split.impurity_right))
                hl = self._child_hists(rec.hist, start, split.pos, end, need_l, need_r, &hr)
            if top + 2 > cap:
                cap *= 2
                stack = <StackRecord*> realloc(stack, cap * sizeof(StackRecord))
            stack[top] = StackRecord(split.pos, end, depth + 1, node_id, 0,
                                     split.impurity_right, n_const, hr)
            stack[top + 1] = StackRecord(start, split.pos, depth + 1, node_id, 1,
                                         split.impurity_left, n_const, hl)
            top += 2
        free(stack)

    cdef void _add_split_node(self, intp_t start, intp_t end, intp_t depth,
                              intp_t parent, bint is_left, bint is_first,
                              float64_t impurity, FrontierRecord* res) noexcept nogil:
        cdef SplitRecord split
        cdef float64_t w_node = self._node_reset(start, end)
        cdef intp_t n_const = 0, hist = -1, node_id
        cdef bint is_leaf
        if is_first:
            impurity = self._impurity(self.total, w_node, self.sq_total)
        is_leaf = self._trivial_leaf(depth, end - start, w_node, impurity)
        split.pos = end
        if not is_leaf:
            if self.splitter == HIST and end - start >= self.full_min:
                hist = self._slot_get()
                self._build_hist(self.slots[hist], start, end)
            self._node_split(start, end, w_node, impurity, &n_const, hist, &split)
            self._slot_put(hist)
            is_leaf = (split.pos >= end or
                       split.improvement + EPSILON < self.min_impurity_decrease)
        node_id = self._add_node(parent, is_left, is_leaf, &split, impurity,
                                 end - start, w_node)
        self._node_value(self.value + node_id * self.value_stride, w_node)
        if not is_leaf:
            self.missing_go_to_left[node_id] = _missing_go_to_left(&split, start, end)
        res.node_id = node_id
        res.start = start
        res.end = end
        res.depth = depth
        res.impurity = impurity
        if is_leaf:
            res.pos = end
            res.is_leaf = 1
            res.improvement = 0.0
            res.impurity_left = impurity
            res.impurity_right = impurity
        else:
            res.pos = split.pos
            res.is_leaf = 0
            res.improvement = split.improvement
            res.impurity_left = split.impurity_left
            res.impurity_right = split.impurity_right

    cdef void _build_best_first(self) noexcept nogil:
        cdef intp_t max_split_nodes = self.max_leaf_nodes - 1, n = 0, node_id
        cdef FrontierRecord* heap = <FrontierRecord*> malloc(
            (self.max_leaf_nodes + 2) * sizeof(FrontierRecord))
        cdef FrontierRecord rec, left, right
        self._reserve(2 * self.max_leaf_nodes - 1)
        self._add_split_node(0, self.n_samples, 0, TREE_UNDEFINED, 0, 1, INFINITY, &left)
        heap[0] = left
        n = 1
        while n > 0:
            _heap_pop(heap, n)
            n -= 1
            rec = heap[n]
            node_id = rec.node_id
            if rec.is_leaf or max_split_nodes <= 0:
                self.left[node_id] = TREE_LEAF
                self.right[node_id] = TREE_LEAF
                self.feature[node_id] = TREE_UNDEFINED
                self.threshold[node_id] = TREE_UNDEFINED
            else:
                max_split_nodes -= 1
                self._add_split_node(rec.start, rec.pos, rec.depth + 1, node_id, 1, 0,
                                     rec.impurity_left, &left)
                self._add_split_node(rec.pos, rec.end, rec.depth + 1, node_id, 0, 0,
                                     rec.impurity_right, &right)
                heap[n] = left
                n += 1
                _heap_push(heap, n)
                heap[n] = right
                n += 1
                _heap_push(heap, n)
            if rec.depth > self.max_depth_seen:
                self.max_depth_seen = rec.depth
        free(heap)

    def build(self):
        """Grow the tree; return its arrays (sklearn's Tree fields) as a dict."""
        with nogil:
            if self.max_leaf_nodes < 0:
                self._build_depth_first()
            else:
                self._build_best_first()
        cdef intp_t m = self.node_count
        return dict(
            children_left=_copy(self.left, m, np.intp),
            children_right=_copy(self.right, m, np.intp),
            feature=_copy(self.feature, m, np.intp),
            threshold=_copy(self.threshold, m, np.float64),
            impurity=_copy(self.impurity, m, np.float64),
            n_node_samples=_copy(self.n_node_samples, m, np.intp),
            weighted_n_node_samples=_copy(self.weighted_n_node_samples, m, np.float64),
            missing_go_to_left=_copy(self.missing_go_to_left, m, np.uint8),
            value=_copy(self.value, m * self.value_stride, np.float64).reshape(
                m, self.n_outputs, self.max_n_classes),
            max_depth=self.max_depth_seen,
        )


cdef inline uint8_t _missing_go_to_left(const SplitRecord* split, intp_t start,
                                        intp_t end) noexcept nogil:
    # sklearn: where the node's NaN went in training, else the larger child
    if split.n_missing > 0:
        return split.missing_left
    return (split.pos - start) > (end - split.pos)


cdef object _copy(const void* src, intp_t m, object dtype):
    """A new 1-D array of m items of dtype, copied from src."""
    out = np.empty(m, dtype=dtype)
    cdef uint8_t[::1] o = out.view(np.uint8)
    if m > 0:
        memcpy(&o[0], src, o.shape[0])
    return out
