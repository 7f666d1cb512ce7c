# The one compile-time gate and run-time CPU check for the hand-written
# AVX2+FMA kernels (k-means, SVM, conv2d). Those kernels sit inside
# `#if FM_CPU_X86_SIMD` and are compiled with per-function FM_AVX2_FMA
# (__attribute__((target("avx2,fma")))), so a wheel built on any x86-64
# machine imports everywhere; each caller checks fm_cpu_has_avx2_fma() once at
# import and otherwise takes its portable path (BLAS or Numba). A .pxd whose C
# code uses these macros cimports from here first, which makes Cython emit
# this block before its own.

cdef extern from *:
    """
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    #define FM_CPU_X86_SIMD 1
    #include <immintrin.h>
    #define FM_AVX2_FMA __attribute__((target("avx2,fma")))
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

    /* AVX alone (the distance tiles' square roots); cheap enough to ask per
       call: __builtin_cpu_supports reads a flag set at program start. */
    static inline int fm_cpu_has_avx(void) {
    #if FM_CPU_X86_SIMD
        return __builtin_cpu_supports("avx");
    #else
        return 0;
    #endif
    }
    """
    int FM_CPU_X86_SIMD
    int fm_cpu_has_avx2_fma() noexcept nogil
    int fm_cpu_has_avx() noexcept nogil
