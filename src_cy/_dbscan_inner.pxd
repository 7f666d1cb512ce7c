# Shared by the DBSCAN kernels: a lock-free union-find over sample positions.
#
# Threads may union concurrently: a root is only ever re-parented by a
# compare-and-swap that links the larger root under the smaller one, so no
# cycle can form and the final forest is a valid partition whatever the
# interleaving (Anderson & Woll style, with path halving).

cdef extern from *:
    """
    #include <Python.h>
    static inline Py_ssize_t fastml_uf_find(Py_ssize_t *parent, Py_ssize_t x) {
        Py_ssize_t p, gp;
        while (1) {
            p = __atomic_load_n(&parent[x], __ATOMIC_RELAXED);
            if (p == x) return x;
            gp = __atomic_load_n(&parent[p], __ATOMIC_RELAXED);
            if (gp != p) {
                /* path halving; losing the race only skips the shortcut */
                __atomic_compare_exchange_n(&parent[x], &p, gp, 0,
                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED);
            }
            x = gp;
        }
    }
    static inline void fastml_uf_union(Py_ssize_t *parent, Py_ssize_t a, Py_ssize_t b) {
        Py_ssize_t t, expected;
        while (1) {
            a = fastml_uf_find(parent, a);
            b = fastml_uf_find(parent, b);
            if (a == b) return;
            if (a < b) { t = a; a = b; b = t; }
            expected = a;
            if (__atomic_compare_exchange_n(&parent[a], &expected, b, 0,
                                            __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
                return;
        }
    }
    """
    Py_ssize_t fastml_uf_find(Py_ssize_t *parent, Py_ssize_t x) noexcept nogil
    void fastml_uf_union(Py_ssize_t *parent, Py_ssize_t a, Py_ssize_t b) noexcept nogil
