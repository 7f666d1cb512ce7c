# DBSCAN expansion without stored neighborhoods: core flags, connected
# components of core samples (union-find) and border assignment.
#
# Why this reproduces scikit-learn's labels exactly: sklearn's dbscan_inner
# (sklearn/cluster/_dbscan_inner.pyx, BSD-3) starts a depth-first search at
# every unlabeled core sample in index order and labels everything it reaches
# before starting the next one. Hence (1) a cluster is a connected component
# of the core graph, (2) clusters are numbered in the order of their smallest
# core index, and (3) a border sample takes the label of the *first* cluster
# that reaches it, i.e. the smallest label among its core neighbors. None of
# this depends on the order neighbors are visited, so any neighbor search
# gives the same labels_ as long as it finds the same eps-neighborhoods.
#
# The CSR entry points serve neighborhoods that arrive chunk by chunk (a
# precomputed distance matrix or graph, or the generic-metric path).

from cython.parallel cimport prange
from libc.stdint cimport uint8_t

from fastml._cy._dbscan_inner cimport fastml_uf_find, fastml_uf_union


def csr_core(const Py_ssize_t[::1] indptr, const Py_ssize_t[::1] indices,
             const double[::1] sample_weight, double min_samples,
             const Py_ssize_t[::1] rows, uint8_t[::1] is_core):
    """Core flags of samples ``rows[r]`` whose neighbors are CSR row r.

    ``sample_weight`` of length 0 means unit weights.
    """
    cdef Py_ssize_t r, k, n_rows = indptr.shape[0] - 1
    cdef double acc
    cdef bint weighted = sample_weight.shape[0] > 0
    with nogil:
        for r in range(n_rows):
            if weighted:
                acc = 0.0
                for k in range(indptr[r], indptr[r + 1]):
                    acc = acc + sample_weight[indices[k]]
            else:
                acc = indptr[r + 1] - indptr[r]
            is_core[rows[r]] = acc >= min_samples


def csr_union(const Py_ssize_t[::1] indptr, const Py_ssize_t[::1] indices,
              const Py_ssize_t[::1] rows, const uint8_t[::1] is_core,
              Py_ssize_t[::1] parent):
    """Union each core sample ``rows[r]`` with its core neighbors (CSR row r)."""
    cdef Py_ssize_t r, i, j, k, n_rows = indptr.shape[0] - 1
    with nogil:
        for r in range(n_rows):
            i = rows[r]
            if not is_core[i]:
                continue
            for k in range(indptr[r], indptr[r + 1]):
                j = indices[k]
                if is_core[j]:
                    fastml_uf_union(&parent[0], i, j)


def csr_border(const Py_ssize_t[::1] indptr, const Py_ssize_t[::1] indices,
               const Py_ssize_t[::1] rows, const uint8_t[::1] is_core,
               Py_ssize_t[::1] labels):
    """Give each non-core ``rows[r]`` the smallest label among its core neighbors."""
    cdef Py_ssize_t r, i, j, k, best, n_rows = indptr.shape[0] - 1
    with nogil:
        for r in range(n_rows):
            i = rows[r]
            if is_core[i]:
                continue
            best = -1
            for k in range(indptr[r], indptr[r + 1]):
                j = indices[k]
                if is_core[j] and (best < 0 or labels[j] < best):
                    best = labels[j]
            labels[i] = best


def number_clusters(const uint8_t[::1] is_core, Py_ssize_t[::1] parent,
                    const Py_ssize_t[::1] position):
    """Label core samples by component, numbered by smallest original index.

    Sample ``i`` (original index) lives at ``position[i]`` in ``is_core`` and
    ``parent``. The labels are written over ``parent`` (non-core: -1), so no
    second n-long array is needed (it is the peak of a 2-D fit). While
    numbering, a root's slot holds ``-(label + 2)``: negative, hence never
    mistaken for a position. Returns the number of clusters.
    """
    cdef Py_ssize_t i, pos, root, n = is_core.shape[0], n_clusters = 0
    with nogil:
        # every core sample points straight at its root (roots: parent == self)
        for pos in range(n):
            if is_core[pos]:
                parent[pos] = fastml_uf_find(&parent[0], pos)
        for i in range(n):
            pos = position[i]
            if not is_core[pos]:
                continue
            root = parent[pos]
            if root >= 0 and parent[root] >= 0:  # root not numbered yet
                parent[root] = -(n_clusters + 2)
                n_clusters = n_clusters + 1
        # roots are negative now and are only read below
        for pos in range(n):
            if not is_core[pos]:
                parent[pos] = -1
            elif parent[pos] >= 0:
                parent[pos] = parent[parent[pos]]
        for pos in range(n):
            parent[pos] = -parent[pos] - 2
    return n_clusters
