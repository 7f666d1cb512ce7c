# Shared numerics of the tree kernels: types, constants and scikit-learn's
# tree RNG (XorShift our_rand_r, rand_int, rand_uniform from
# sklearn/utils/_random.pxd and sklearn/tree/_utils.pyx, BSD-3), reproduced
# bit for bit so that feature draws and random thresholds match sklearn's.
from libc.stdint cimport uint32_t

ctypedef Py_ssize_t intp_t
ctypedef float float32_t
ctypedef double float64_t

cdef enum:
    RAND_R_MAX = 2147483647
    TREE_LEAF = -1
    TREE_UNDEFINED = -2


cdef inline uint32_t our_rand_r(uint32_t* seed) noexcept nogil:
    if seed[0] == 0:
        seed[0] = 1
    seed[0] ^= <uint32_t>(seed[0] << 13)
    seed[0] ^= <uint32_t>(seed[0] >> 17)
    seed[0] ^= <uint32_t>(seed[0] << 5)
    return seed[0] % ((<uint32_t>RAND_R_MAX) + 1)


cdef inline intp_t rand_int(intp_t low, intp_t high, uint32_t* seed) noexcept nogil:
    """A random integer in [low, high)."""
    return low + our_rand_r(seed) % (high - low)


cdef inline float64_t rand_uniform(float64_t low, float64_t high, uint32_t* seed) noexcept nogil:
    """A random float64 in [low, high)."""
    return ((high - low) * <float64_t> our_rand_r(seed) / <float64_t> RAND_R_MAX) + low
