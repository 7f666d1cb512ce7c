# Bin codes of X for the histogram splitter: code = number of a feature's bin
# edges strictly below the value (binary search), so x <= edge[b] iff code <= b.
from cython.parallel cimport prange
from libc.math cimport INFINITY
from libc.stdint cimport uint8_t

from fastml._cy._tree_common cimport float32_t, float64_t, intp_t


cdef void _bin_feature(const float32_t* x, intp_t n, const float64_t* e, intp_t m,
                       uint8_t* out) noexcept nogil:
    """out[i] = #{b < m : e[b] < x[i]} for the m <= 255 sorted edges e."""
    cdef float64_t buf[256]
    cdef intp_t i, lo
    cdef float64_t v
    # padded with +inf to 256: eight fixed halving steps, branch-free, so
    # the searches of consecutive values overlap in the core
    for i in range(256):
        buf[i] = e[i] if i < m else INFINITY
    for i in range(n):
        v = x[i]
        lo = (buf[127] < v) * 128
        lo += (buf[lo + 63] < v) * 64
        lo += (buf[lo + 31] < v) * 32
        lo += (buf[lo + 15] < v) * 16
        lo += (buf[lo + 7] < v) * 8
        lo += (buf[lo + 3] < v) * 4
        lo += (buf[lo + 1] < v) * 2
        lo += (buf[lo] < v)
        out[i] = <uint8_t> lo


def bin_codes(const float32_t[:, ::1] Xt, const float64_t[:, ::1] edges,
              const intp_t[::1] n_bins, uint8_t[:, ::1] out, int n_threads):
    """out[f, i] = #{b < n_bins[f] - 1 : edges[f, b] < Xt[f, i]} (Xt feature-major)."""
    cdef intp_t d = Xt.shape[0], n = Xt.shape[1], f
    if n == 0:
        return
    with nogil:
        for f in prange(d, num_threads=n_threads, schedule="static"):
            _bin_feature(&Xt[f, 0], n, &edges[f, 0], n_bins[f] - 1, &out[f, 0])
