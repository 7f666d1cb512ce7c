# The one run-time CPU check for the hand-written AVX2+FMA kernels (k-means,
# SVM, conv2d). Those kernels are compiled with per-function
# __attribute__((target("avx2,fma"))) so a wheel built on any x86-64 machine
# imports everywhere; each caller checks this once at import and otherwise
# takes its portable path (BLAS or Numba).

cdef extern from *:
    """
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    #define FM_CPU_X86_SIMD 1
    #else
    #define FM_CPU_X86_SIMD 0
    #endif

    static int fm_cpu_has_avx2_fma(void) {
    #if FM_CPU_X86_SIMD
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    #else
        return 0;
    #endif
    }
    """
    int fm_cpu_has_avx2_fma() noexcept nogil
