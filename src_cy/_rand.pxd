# scikit-learn's our_rand_r (sklearn/utils/_random.pxd, BSD-3-Clause, The
# scikit-learn developers): a 32-bit XorShift. Shared by coordinate descent
# (random selection), SAGA and SGD (sample order), so the same random_state
# visits coordinates / samples in scikit-learn's order, and by the tree
# builders (via _tree_common.pxd) for feature draws and random thresholds.

from libc.stdint cimport uint32_t

cdef enum:
    RAND_R_MAX = 2147483647


cdef inline uint32_t _rand_r(uint32_t* seed) noexcept nogil:
    if seed[0] == 0:
        seed[0] = 1
    seed[0] ^= <uint32_t>(seed[0] << 13)
    seed[0] ^= <uint32_t>(seed[0] >> 17)
    seed[0] ^= <uint32_t>(seed[0] << 5)
    return seed[0] % (<uint32_t>RAND_R_MAX + 1)
