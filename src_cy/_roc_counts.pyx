# False/true positive counts at every distinct score threshold, from the
# positives' and the negatives' scores each sorted ascending.
#
# scikit-learn's _binary_clf_curve (sklearn/metrics/_ranking.py, BSD-3) runs
# a stable argsort of all scores, then cumulative sums taken at the last
# sample of each run of equal scores. Without sample weights those sums are
# whole counts, so the order inside a run of ties does not change them: two
# value sorts (SIMD, an order of magnitude faster than the stable argsort)
# and one merge from the top give the same fps, tps and thresholds exactly.
# Weighted curves keep the stable argsort, whose summation order they need.

from cython cimport floating


def threshold_counts(const floating[::1] pos, const floating[::1] neg,
                     double[::1] fps, double[::1] tps, floating[::1] thresholds):
    """Fill fps/tps/thresholds (descending thresholds); return their length.

    ``pos`` and ``neg`` are sorted ascending and hold no NaN; the outputs have
    room for ``pos.shape[0] + neg.shape[0]`` entries.
    """
    cdef Py_ssize_t i = pos.shape[0] - 1, j = neg.shape[0] - 1, n_out = 0
    cdef Py_ssize_t n_pos = pos.shape[0], n_neg = neg.shape[0]
    cdef floating t
    with nogil:
        while i >= 0 or j >= 0:
            # the next threshold is the larger of the two remaining tops
            if j < 0 or (i >= 0 and pos[i] >= neg[j]):
                t = pos[i]
            else:
                t = neg[j]
            while i >= 0 and pos[i] == t:
                i -= 1
            while j >= 0 and neg[j] == t:
                j -= 1
            tps[n_out] = n_pos - 1 - i
            fps[n_out] = n_neg - 1 - j
            thresholds[n_out] = t
            n_out += 1
    return n_out
