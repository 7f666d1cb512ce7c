# Shared numerics of the tree kernels: types, constants and scikit-learn's
# tree RNG (rand_int, rand_uniform from sklearn/tree/_utils.pyx, BSD-3, over
# the shared XorShift in _rand.pxd), reproduced bit for bit so that feature
# draws and random thresholds match sklearn's.
from libc.stdint cimport uint32_t

from fastml._cy._rand cimport RAND_R_MAX, _rand_r as our_rand_r

ctypedef Py_ssize_t intp_t
ctypedef float float32_t
ctypedef double float64_t

cdef enum:
    TREE_LEAF = -1
    TREE_UNDEFINED = -2


cdef inline intp_t rand_int(intp_t low, intp_t high, uint32_t* seed) noexcept nogil:
    """A random integer in [low, high)."""
    return low + our_rand_r(seed) % (high - low)


cdef inline float64_t rand_uniform(float64_t low, float64_t high, uint32_t* seed) noexcept nogil:
    """A random float64 in [low, high)."""
    return ((high - low) * <float64_t> our_rand_r(seed) / <float64_t> RAND_R_MAX) + low
