# Bin codes of X for the histogram splitter: code = number of a feature's bin
# edges strictly below the value (binary search), so x <= edge[b] iff code <= b.
from cython.parallel cimport prange
from libc.stdint cimport uint8_t

from fastml._cy._tree_common cimport float32_t, float64_t, intp_t


def bin_codes(const float32_t[:, ::1] Xt, const float64_t[:, ::1] edges,
              const intp_t[::1] n_bins, uint8_t[:, ::1] out, int n_threads):
    """out[f, i] = #{b < n_bins[f] - 1 : edges[f, b] < Xt[f, i]} (Xt feature-major)."""
    cdef intp_t d = Xt.shape[0], n = Xt.shape[1], f, i, lo, length, half, c
    cdef float64_t x
    cdef const float64_t* e
    with nogil:
        for f in prange(d, num_threads=n_threads, schedule="static"):
            e = &edges[f, 0]
            for i in range(n):
                x = Xt[f, i]
                lo = 0
                length = n_bins[f] - 1
                # branch-free binary search: values arrive in random order
                while length > 0:
                    half = length // 2
                    c = e[lo + half] < x
                    lo = lo + c * (half + 1)
                    length = half + c * (length - 2 * half - 1)
                out[f, i] = <uint8_t> lo
