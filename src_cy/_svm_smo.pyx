# SMO for C-SVC and epsilon-SVR: a port of libsvm's Solver (second-order
# working-set selection "WSS3" of Fan, Chen & Lin, JMLR 2005; shrinking;
# gradient reconstruction) and of its LRU kernel-column Cache, after libsvm 3.x
# svm.cpp as vendored by scikit-learn (sklearn/svm/src/libsvm, BSD-3-Clause).
# As libsvm, cached Q entries are single precision (Qfloat) while gradients and
# alphas are double: this halves cache memory (twice the columns per MB) and
# keeps the SMO path, hence the support vectors, the same as scikit-learn's.
# Differences from libsvm: columns are computed by BLAS GEMV against
# precomputed squared norms, split over threads (see _svm_kernel.pxd); the
# one-vs-one driver lives in Python.

import numpy as np

from libc.math cimport fabs, INFINITY
from libc.stdlib cimport calloc, free, malloc, realloc

ctypedef float Qfloat

from fastml._cy._blas cimport _dot
from fastml._cy._svm_kernel cimport (
    K_PRECOMPUTED,
    _from_dot,
    _kernel_column,
)
from fastml._cy._cpu cimport fm_cpu_has_avx2_fma
from fastml._cy._svm_wss cimport fm_wss_gmax_avx2, fm_wss_gmin_avx2

cdef double TAU = 1e-12
# AVX2 kernel columns and working-set scans where the CPU has them; tests turn
# them off to check that both paths give the same model
cdef bint _SIMD = fm_cpu_has_avx2_fma()


def simd_enabled():
    """Whether the AVX2 paths are in use (the CPU has AVX2+FMA and tests did not turn them off)."""
    return bool(_SIMD)


def set_simd(bint enabled):
    """Use the AVX2 paths (if the CPU has AVX2+FMA); return the previous setting."""
    global _SIMD
    previous = _SIMD
    _SIMD = enabled and fm_cpu_has_avx2_fma()
    return previous

cdef enum:
    LOWER_BOUND = 0
    UPPER_BOUND = 1
    FREE = 2


# ---------------------------------------------------------------- LRU cache

cdef struct head_t:
    head_t* prev
    head_t* next
    Qfloat* data
    int len
    Py_ssize_t pos  # entries of the swap log already applied to data


cdef class _Cache:
    """Kernel columns (possibly partial: the first ``len`` entries) kept in LRU order.

    At most ``cache_size`` MB of column data live at once, as libsvm's Cache.

    Shrinking swaps two variables' entries in every cached column. libsvm
    walks all cached columns at each swap; with hundreds of swaps per
    shrinking pass and a cache far larger than the CPU's, that walk streamed
    the whole cache from memory and dominated the solver. Here swaps go to a
    log and a column replays the swaps it has not seen when it is next read
    (``get_data``); columns evicted before that never pay. Replaying a
    column's pending swaps in log order does exactly what libsvm's eager walk
    does to it, including dropping a partial column that holds one entry of a
    swapped pair but not the other (its memory is then released later than
    libsvm would, which can only change which columns get recomputed, not
    any value).
    """
    cdef int l
    cdef Py_ssize_t size
    cdef head_t* head
    cdef head_t lru_head
    cdef int* log_lo
    cdef int* log_hi
    cdef Py_ssize_t log_len, log_cap

    def __cinit__(self, int l, double cache_mb):
        self.l = l
        self.head = <head_t*> calloc(l, sizeof(head_t))
        if self.head == NULL:
            raise MemoryError()
        self.size = <Py_ssize_t> (cache_mb * (1 << 20)) // sizeof(Qfloat)
        self.size -= <Py_ssize_t> (l * sizeof(head_t) // sizeof(Qfloat))
        # two columns must fit: the solver holds Q_i while it fetches Q_j
        self.size = max(self.size, 2 * <Py_ssize_t> l)
        self.lru_head.next = &self.lru_head
        self.lru_head.prev = &self.lru_head
        self.log_len = 0
        # a full log is flushed (see _flush_log): at most 4 swaps per variable
        # are held, and the flush is amortised over that many swaps
        self.log_cap = max(4 * <Py_ssize_t> l, 16)
        self.log_lo = <int*> malloc(self.log_cap * sizeof(int))
        self.log_hi = <int*> malloc(self.log_cap * sizeof(int))
        if self.log_lo == NULL or self.log_hi == NULL:
            raise MemoryError()

    def __dealloc__(self):
        cdef int i
        if self.head != NULL:
            for i in range(self.l):
                free(self.head[i].data)
            free(self.head)
        free(self.log_lo)
        free(self.log_hi)

    cdef inline void _lru_delete(self, head_t* h) noexcept nogil:
        h.prev.next = h.next
        h.next.prev = h.prev

    cdef inline void _lru_insert(self, head_t* h) noexcept nogil:
        h.next = &self.lru_head
        h.prev = self.lru_head.prev
        h.prev.next = h
        h.next.prev = h

    cdef inline void _drop(self, head_t* h) noexcept nogil:
        self._lru_delete(h)
        free(h.data)
        self.size += h.len
        h.data = NULL
        h.len = 0

    cdef void _catch_up(self, head_t* h) noexcept nogil:
        """Apply the logged swaps that column ``h`` (cached, len > 0) has not seen."""
        cdef Py_ssize_t s
        cdef int i, j
        cdef Qfloat t
        cdef Qfloat* data = h.data
        for s in range(h.pos, self.log_len):
            i = self.log_lo[s]
            j = self.log_hi[s]
            if h.len > i:
                if h.len > j:
                    t = data[i]
                    data[i] = data[j]
                    data[j] = t
                else:
                    self._drop(h)
                    break
        h.pos = self.log_len

    cdef void _flush_log(self) noexcept nogil:
        """Bring every cached column up to date and empty the log (bounds its memory)."""
        cdef head_t* h = self.lru_head.next
        cdef head_t* nxt
        while h != &self.lru_head:
            nxt = h.next  # _catch_up may drop h from the list
            self._catch_up(h)
            h.pos = 0
            h = nxt
        self.log_len = 0

    cdef int get_data(self, int index, Qfloat** data, int length) noexcept nogil:
        """Point ``data`` at column ``index`` (grown to ``length``); return how
        many leading entries are already valid."""
        cdef head_t* h = &self.head[index]
        cdef head_t* old
        cdef int more, valid
        if h.len and h.pos < self.log_len:
            self._catch_up(h)
        if h.len:
            self._lru_delete(h)
        more = length - h.len
        valid = length
        if more > 0:
            while self.size < more:
                old = self.lru_head.next
                self._lru_delete(old)
                free(old.data)
                self.size += old.len
                old.data = NULL
                old.len = 0
            h.data = <Qfloat*> realloc(h.data, sizeof(Qfloat) * length)
            self.size -= more
            valid = h.len
            h.len = length
        h.pos = self.log_len
        self._lru_insert(h)
        data[0] = h.data
        return valid

    cdef void swap_index(self, int i, int j) noexcept nogil:
        cdef head_t tmp
        if i == j:
            return
        if self.head[i].len:
            self._lru_delete(&self.head[i])
        if self.head[j].len:
            self._lru_delete(&self.head[j])
        tmp.data, tmp.len, tmp.pos = self.head[i].data, self.head[i].len, self.head[i].pos
        self.head[i].data, self.head[i].len, self.head[i].pos = (
            self.head[j].data, self.head[j].len, self.head[j].pos)
        self.head[j].data, self.head[j].len, self.head[j].pos = tmp.data, tmp.len, tmp.pos
        if self.head[i].len:
            self._lru_insert(&self.head[i])
        if self.head[j].len:
            self._lru_insert(&self.head[j])
        if i > j:
            i, j = j, i
        if self.log_len == self.log_cap:
            self._flush_log()
        self.log_lo[self.log_len] = i
        self.log_hi[self.log_len] = j
        self.log_len += 1


# ---------------------------------------------------------------- Q matrices

cdef class _QMatrix:
    """Q[i, j] = y_i y_j K(x_i, x_j) (C-SVC) or its doubled form (SVR)."""
    cdef double* QD
    cdef object _keep  # arrays whose buffers the raw pointers below borrow

    cdef Qfloat* get_Q(self, int i, int length) noexcept nogil:
        return NULL

    cdef void swap_index(self, int i, int j) noexcept nogil:
        pass


cdef class _KernelRows:
    """The kernel over the rows of X (or a precomputed Gram matrix)."""
    cdef double* X
    cdef double* sq
    cdef const double* K
    cdef int* perm
    cdef int n, d, kind, degree, n_threads
    cdef bint simd
    cdef double gamma, coef0, parallel_min_work
    cdef object _keep

    def __init__(self, X, int kind, double gamma, double coef0, int degree, int n_threads,
                 double parallel_min_work):
        # X is our private, writable copy: shrinking swaps its rows in place
        self.kind, self.gamma, self.coef0, self.degree = kind, gamma, coef0, degree
        self.n_threads = n_threads
        self.simd = _SIMD
        self.parallel_min_work = parallel_min_work
        cdef int i
        self.n = X.shape[0]
        perm = np.arange(self.n, dtype=np.intc)
        cdef int[::1] perm_v = perm
        self.perm = &perm_v[0]
        cdef double[:, ::1] Xv
        cdef const double[:, ::1] Kv
        cdef double[::1] sqv
        if kind == K_PRECOMPUTED:
            Kv = X
            self.K = &Kv[0, 0]
            self.d = X.shape[1]
            sq = np.zeros(1)
            self._keep = (X, perm)
        else:
            Xv = X
            self.X = &Xv[0, 0]
            self.d = X.shape[1]
            sq = np.empty(self.n)
            self._keep = (X, perm, sq)
        sqv = sq
        if kind != K_PRECOMPUTED:
            # BLAS ddot per row, as scikit-learn's libsvm computes x_square
            for i in range(self.n):
                sqv[i] = _dot(self.d, &Xv[i, 0], 1, &Xv[i, 0], 1)
        self.sq = &sqv[0]

    cdef inline double value(self, int i, int j) noexcept nogil:
        cdef double dot = 0.0
        cdef int k
        if self.kind == K_PRECOMPUTED:
            return self.K[<Py_ssize_t> self.perm[i] * self.d + self.perm[j]]
        for k in range(self.d):
            dot += self.X[<Py_ssize_t> i * self.d + k] * self.X[<Py_ssize_t> j * self.d + k]
        return _from_dot(self.kind, dot, self.sq[i], self.sq[j], self.gamma,
                         self.coef0, self.degree)

    cdef void column(self, int i, int start, int end, double* out) noexcept nogil:
        cdef int j
        cdef const double* row
        if self.kind == K_PRECOMPUTED:
            row = self.K + <Py_ssize_t> self.perm[i] * self.d
            for j in range(start, end):
                out[j - start] = row[self.perm[j]]
            return
        _kernel_column(self.kind, self.X, self.sq, self.d, self.X + <Py_ssize_t> i * self.d,
                       self.sq[i], start, end, self.gamma, self.coef0, self.degree,
                       out, self.n_threads, self.parallel_min_work, self.simd)

    cdef void swap(self, int i, int j) noexcept nogil:
        cdef int k
        cdef double t
        cdef double* a
        cdef double* b
        self.perm[i], self.perm[j] = self.perm[j], self.perm[i]
        if self.kind == K_PRECOMPUTED:
            return
        a = self.X + <Py_ssize_t> i * self.d
        b = self.X + <Py_ssize_t> j * self.d
        for k in range(self.d):
            t = a[k]
            a[k] = b[k]
            b[k] = t
        self.sq[i], self.sq[j] = self.sq[j], self.sq[i]


cdef class _SVCQ(_QMatrix):
    cdef _KernelRows kr
    cdef _Cache cache
    cdef double* y
    cdef double* col  # double kernel values before they are stored as Qfloat

    def __init__(self, _KernelRows kr, y, double cache_mb):
        cdef int i, l = y.shape[0]
        self.kr = kr
        self.cache = _Cache(l, cache_mb)
        y = np.array(y, dtype=np.float64)
        qd = np.empty(l)
        col = np.empty(l)
        cdef double[::1] yv = y, qdv = qd, cv = col
        for i in range(l):
            qdv[i] = kr.value(i, i)
        self.y = &yv[0]
        self.QD = &qdv[0]
        self.col = &cv[0]
        self._keep = (y, qd, col)

    cdef Qfloat* get_Q(self, int i, int length) noexcept nogil:
        cdef Qfloat* data
        cdef int j
        cdef double yi
        cdef int start = self.cache.get_data(i, &data, length)
        if start < length:
            self.kr.column(i, start, length, self.col)
            yi = self.y[i]
            for j in range(start, length):
                data[j] = <Qfloat> (yi * self.y[j] * self.col[j - start])
        return data

    cdef void swap_index(self, int i, int j) noexcept nogil:
        self.cache.swap_index(i, j)
        self.kr.swap(i, j)
        self.y[i], self.y[j] = self.y[j], self.y[i]
        self.QD[i], self.QD[j] = self.QD[j], self.QD[i]


cdef class _SVRQ(_QMatrix):
    # 2l variables over l samples: the cache holds full columns of the real
    # kernel (indexed by sample, untouched by shrinking); get_Q assembles the
    # signed, permuted column in one of two alternating buffers.
    cdef _KernelRows kr
    cdef _Cache cache
    cdef int l
    cdef double* sign
    cdef int* index
    cdef Qfloat* buf0
    cdef Qfloat* buf1
    cdef double* col
    cdef int next_buffer

    def __init__(self, _KernelRows kr, int l, double cache_mb):
        cdef int k
        self.kr = kr
        self.l = l
        self.cache = _Cache(l, cache_mb)
        sign = np.concatenate([np.ones(l), -np.ones(l)])
        index = np.concatenate([np.arange(l), np.arange(l)]).astype(np.intc)
        qd = np.empty(2 * l)
        bufs = np.empty((2, 2 * l), dtype=np.float32)
        col = np.empty(l)
        cdef double[::1] sv = sign, qdv = qd, cv = col
        cdef int[::1] iv = index
        cdef Qfloat[:, ::1] bv = bufs
        for k in range(l):
            qdv[k] = kr.value(k, k)
            qdv[k + l] = qdv[k]
        self.sign, self.index, self.QD = &sv[0], &iv[0], &qdv[0]
        self.buf0, self.buf1 = &bv[0, 0], &bv[1, 0]
        self.col = &cv[0]
        self.next_buffer = 0
        self._keep = (sign, index, qd, bufs, col)

    cdef Qfloat* get_Q(self, int i, int length) noexcept nogil:
        cdef Qfloat* data
        cdef Qfloat* buf
        cdef int j, real_i = self.index[i]
        cdef int start = self.cache.get_data(real_i, &data, self.l)
        cdef double si
        if start < self.l:
            self.kr.column(real_i, start, self.l, self.col)
            for j in range(start, self.l):
                data[j] = <Qfloat> self.col[j - start]
        buf = self.buf0 if self.next_buffer == 0 else self.buf1
        self.next_buffer = 1 - self.next_buffer
        si = self.sign[i]
        for j in range(length):
            buf[j] = <Qfloat> (si * self.sign[j]) * data[self.index[j]]
        return buf

    cdef void swap_index(self, int i, int j) noexcept nogil:
        self.sign[i], self.sign[j] = self.sign[j], self.sign[i]
        self.index[i], self.index[j] = self.index[j], self.index[i]
        self.QD[i], self.QD[j] = self.QD[j], self.QD[i]


# ---------------------------------------------------------------- solver

cdef class _Solver:
    """min 0.5 a'Qa + p'a  s.t.  y'a = 0, 0 <= a_i <= C_i  (libsvm's Solver)."""
    cdef int l, active_size
    cdef double* G
    cdef double* G_bar
    cdef double* alpha
    cdef double* p
    cdef double* C
    cdef double* y
    cdef char* status
    cdef int* active_set
    cdef double* QD
    cdef _QMatrix Q
    cdef double eps
    cdef bint unshrink, simd
    cdef object _keep

    cdef inline double get_C(self, int i) noexcept nogil:
        return self.C[i]

    cdef inline void update_alpha_status(self, int i) noexcept nogil:
        if self.alpha[i] >= self.C[i]:
            self.status[i] = UPPER_BOUND
        elif self.alpha[i] <= 0:
            self.status[i] = LOWER_BOUND
        else:
            self.status[i] = FREE

    cdef inline bint is_upper(self, int i) noexcept nogil:
        return self.status[i] == UPPER_BOUND

    cdef inline bint is_lower(self, int i) noexcept nogil:
        return self.status[i] == LOWER_BOUND

    cdef inline bint is_free(self, int i) noexcept nogil:
        return self.status[i] == FREE

    cdef void swap_index(self, int i, int j) noexcept nogil:
        self.Q.swap_index(i, j)
        self.y[i], self.y[j] = self.y[j], self.y[i]
        self.G[i], self.G[j] = self.G[j], self.G[i]
        self.status[i], self.status[j] = self.status[j], self.status[i]
        self.alpha[i], self.alpha[j] = self.alpha[j], self.alpha[i]
        self.p[i], self.p[j] = self.p[j], self.p[i]
        self.C[i], self.C[j] = self.C[j], self.C[i]
        self.active_set[i], self.active_set[j] = self.active_set[j], self.active_set[i]
        self.G_bar[i], self.G_bar[j] = self.G_bar[j], self.G_bar[i]

    cdef void reconstruct_gradient(self) noexcept nogil:
        cdef int i, j, nr_free = 0, l = self.l, act = self.active_size
        cdef Qfloat* Q_i
        cdef double a_i
        if act == l:
            return
        for j in range(act, l):
            self.G[j] = self.G_bar[j] + self.p[j]
        for j in range(act):
            if self.is_free(j):
                nr_free += 1
        if <double> nr_free * l > 2.0 * act * (l - act):
            for i in range(act, l):
                Q_i = self.Q.get_Q(i, act)
                for j in range(act):
                    if self.is_free(j):
                        self.G[i] += self.alpha[j] * Q_i[j]
        else:
            for i in range(act):
                if self.is_free(i):
                    Q_i = self.Q.get_Q(i, l)
                    a_i = self.alpha[i]
                    for j in range(act, l):
                        self.G[j] += a_i * Q_i[j]

    cdef int select_working_set(self, int* out_i, int* out_j) noexcept nogil:
        cdef double Gmax = -INFINITY, Gmax2 = -INFINITY, obj_diff_min = INFINITY
        cdef double grad_diff, quad_coef, obj_diff, yi = 0.0
        cdef int t, j, i, Gmax_idx = -1, Gmin_idx = -1
        cdef Qfloat* Q_i = NULL
        cdef double* G = self.G
        cdef double* QD = self.QD
        # the AVX2 scans take the first multiple of 4 and return the loops'
        # state there; the scalar loops below finish from it
        cdef int n_simd = self.active_size - self.active_size % 4 if self.simd else 0
        if n_simd:
            Gmax_idx = fm_wss_gmax_avx2(self.y, self.status, G, n_simd, &Gmax)
        for t in range(n_simd, self.active_size):
            if self.y[t] == 1:
                if not self.is_upper(t) and -G[t] >= Gmax:
                    Gmax = -G[t]
                    Gmax_idx = t
            else:
                if not self.is_lower(t) and G[t] >= Gmax:
                    Gmax = G[t]
                    Gmax_idx = t
        i = Gmax_idx
        if i == -1:
            return 1  # Gmax = -inf: no pair can be chosen (as the scan below finds)
        Q_i = self.Q.get_Q(i, self.active_size)
        yi = self.y[i]
        if n_simd:
            Gmin_idx = fm_wss_gmin_avx2(self.y, self.status, G, QD, Q_i, QD[i], yi, Gmax,
                                        TAU, n_simd, &Gmax2, &obj_diff_min)
        for j in range(n_simd, self.active_size):
            if self.y[j] == 1:
                if not self.is_lower(j):
                    grad_diff = Gmax + G[j]
                    if G[j] >= Gmax2:
                        Gmax2 = G[j]
                    if grad_diff > 0:
                        quad_coef = QD[i] + QD[j] - 2.0 * yi * Q_i[j]
                        if quad_coef > 0:
                            obj_diff = -(grad_diff * grad_diff) / quad_coef
                        else:
                            obj_diff = -(grad_diff * grad_diff) / TAU
                        if obj_diff <= obj_diff_min:
                            Gmin_idx = j
                            obj_diff_min = obj_diff
            else:
                if not self.is_upper(j):
                    grad_diff = Gmax - G[j]
                    if -G[j] >= Gmax2:
                        Gmax2 = -G[j]
                    if grad_diff > 0:
                        quad_coef = QD[i] + QD[j] + 2.0 * yi * Q_i[j]
                        if quad_coef > 0:
                            obj_diff = -(grad_diff * grad_diff) / quad_coef
                        else:
                            obj_diff = -(grad_diff * grad_diff) / TAU
                        if obj_diff <= obj_diff_min:
                            Gmin_idx = j
                            obj_diff_min = obj_diff
        if Gmax + Gmax2 < self.eps or Gmin_idx == -1:
            return 1
        out_i[0] = Gmax_idx
        out_j[0] = Gmin_idx
        return 0

    cdef inline bint be_shrunk(self, int i, double Gmax1, double Gmax2) noexcept nogil:
        if self.is_upper(i):
            if self.y[i] == 1:
                return -self.G[i] > Gmax1
            return -self.G[i] > Gmax2
        elif self.is_lower(i):
            if self.y[i] == 1:
                return self.G[i] > Gmax2
            return self.G[i] > Gmax1
        return False

    cdef void do_shrinking(self) noexcept nogil:
        cdef int i
        cdef double Gmax1 = -INFINITY, Gmax2 = -INFINITY
        cdef double* G = self.G
        for i in range(self.active_size):
            if self.y[i] == 1:
                if not self.is_upper(i) and -G[i] >= Gmax1:
                    Gmax1 = -G[i]
                if not self.is_lower(i) and G[i] >= Gmax2:
                    Gmax2 = G[i]
            else:
                if not self.is_upper(i) and -G[i] >= Gmax2:
                    Gmax2 = -G[i]
                if not self.is_lower(i) and G[i] >= Gmax1:
                    Gmax1 = G[i]
        if not self.unshrink and Gmax1 + Gmax2 <= self.eps * 10:
            self.unshrink = True
            self.reconstruct_gradient()
            self.active_size = self.l
        i = 0
        while i < self.active_size:
            if self.be_shrunk(i, Gmax1, Gmax2):
                self.active_size -= 1
                while self.active_size > i:
                    if not self.be_shrunk(self.active_size, Gmax1, Gmax2):
                        self.swap_index(i, self.active_size)
                        break
                    self.active_size -= 1
            i += 1

    cdef double calculate_rho(self) noexcept nogil:
        cdef int i, nr_free = 0
        cdef double ub = INFINITY, lb = -INFINITY, sum_free = 0.0, yG
        for i in range(self.active_size):
            yG = self.y[i] * self.G[i]
            if self.is_upper(i):
                if self.y[i] == -1:
                    ub = min(ub, yG)
                else:
                    lb = max(lb, yG)
            elif self.is_lower(i):
                if self.y[i] == 1:
                    ub = min(ub, yG)
                else:
                    lb = max(lb, yG)
            else:
                nr_free += 1
                sum_free += yG
        if nr_free > 0:
            return sum_free / nr_free
        return (ub + lb) / 2

    cdef int solve(self, bint shrinking, long max_iter, double* rho, long* n_iter) noexcept nogil:
        """Run SMO to tolerance ``eps``; return 1 if stopped by ``max_iter``."""
        cdef int i, j, k, l = self.l, counter
        cdef long it = 0
        cdef int status = 0
        cdef Qfloat* Q_i
        cdef Qfloat* Q_j
        cdef double C_i, C_j, old_ai, old_aj, quad_coef, delta, diff, total
        cdef double d_ai, d_aj, a_i
        cdef bint ui, uj
        cdef double* G = self.G
        cdef double* alpha = self.alpha
        cdef double* QD = self.QD

        self.unshrink = False
        for i in range(l):
            self.update_alpha_status(i)
            self.active_set[i] = i
        self.active_size = l
        for i in range(l):
            G[i] = self.p[i]
            self.G_bar[i] = 0
        for i in range(l):
            if not self.is_lower(i):
                Q_i = self.Q.get_Q(i, l)
                a_i = alpha[i]
                for j in range(l):
                    G[j] += a_i * Q_i[j]
                if self.is_upper(i):
                    for j in range(l):
                        self.G_bar[j] += self.get_C(i) * Q_i[j]

        counter = min(l, 1000) + 1
        while True:
            if max_iter >= 0 and it >= max_iter:
                status = 1
                if self.active_size < l:
                    self.reconstruct_gradient()
                    self.active_size = l
                break
            counter -= 1
            if counter == 0:
                counter = min(l, 1000)
                if shrinking:
                    self.do_shrinking()
            if self.select_working_set(&i, &j) != 0:
                self.reconstruct_gradient()
                self.active_size = l
                if self.select_working_set(&i, &j) != 0:
                    break
                else:
                    counter = 1  # shrink at the next iteration
            it += 1

            Q_i = self.Q.get_Q(i, self.active_size)
            Q_j = self.Q.get_Q(j, self.active_size)
            C_i = self.get_C(i)
            C_j = self.get_C(j)
            old_ai = alpha[i]
            old_aj = alpha[j]
            if self.y[i] != self.y[j]:
                quad_coef = QD[i] + QD[j] + 2 * Q_i[j]
                if quad_coef <= 0:
                    quad_coef = TAU
                delta = (-G[i] - G[j]) / quad_coef
                diff = alpha[i] - alpha[j]
                alpha[i] += delta
                alpha[j] += delta
                if diff > 0:
                    if alpha[j] < 0:
                        alpha[j] = 0
                        alpha[i] = diff
                else:
                    if alpha[i] < 0:
                        alpha[i] = 0
                        alpha[j] = -diff
                if diff > C_i - C_j:
                    if alpha[i] > C_i:
                        alpha[i] = C_i
                        alpha[j] = C_i - diff
                else:
                    if alpha[j] > C_j:
                        alpha[j] = C_j
                        alpha[i] = C_j + diff
            else:
                quad_coef = QD[i] + QD[j] - 2 * Q_i[j]
                if quad_coef <= 0:
                    quad_coef = TAU
                delta = (G[i] - G[j]) / quad_coef
                total = alpha[i] + alpha[j]
                alpha[i] -= delta
                alpha[j] += delta
                if total > C_i:
                    if alpha[i] > C_i:
                        alpha[i] = C_i
                        alpha[j] = total - C_i
                else:
                    if alpha[j] < 0:
                        alpha[j] = 0
                        alpha[i] = total
                if total > C_j:
                    if alpha[j] > C_j:
                        alpha[j] = C_j
                        alpha[i] = total - C_j
                else:
                    if alpha[i] < 0:
                        alpha[i] = 0
                        alpha[j] = total

            d_ai = alpha[i] - old_ai
            d_aj = alpha[j] - old_aj
            for k in range(self.active_size):
                G[k] += Q_i[k] * d_ai + Q_j[k] * d_aj

            ui = self.is_upper(i)
            uj = self.is_upper(j)
            self.update_alpha_status(i)
            self.update_alpha_status(j)
            if ui != self.is_upper(i):
                Q_i = self.Q.get_Q(i, l)
                if ui:
                    for k in range(l):
                        self.G_bar[k] -= C_i * Q_i[k]
                else:
                    for k in range(l):
                        self.G_bar[k] += C_i * Q_i[k]
            if uj != self.is_upper(j):
                Q_j = self.Q.get_Q(j, l)
                if uj:
                    for k in range(l):
                        self.G_bar[k] -= C_j * Q_j[k]
                else:
                    for k in range(l):
                        self.G_bar[k] += C_j * Q_j[k]

        rho[0] = self.calculate_rho()
        n_iter[0] = it
        return status


cdef _solve(_QMatrix Q, p, y, alpha, C, double eps, bint shrinking, long max_iter):
    """Drive one _Solver; alpha (in/out) is returned in the caller's order."""
    cdef int l = p.shape[0], i
    cdef _Solver s = _Solver.__new__(_Solver)
    p = np.array(p, dtype=np.float64)
    y = np.array(y, dtype=np.float64)
    a = np.array(alpha, dtype=np.float64)
    C = np.array(C, dtype=np.float64)
    G = np.empty(l)
    G_bar = np.empty(l)
    status = np.empty(l, dtype=np.int8)
    active_set = np.empty(l, dtype=np.intc)
    cdef double[::1] pv = p, yv = y, av = a, Cv = C, Gv = G, Gbv = G_bar
    cdef signed char[::1] sv = status
    cdef int[::1] asv = active_set
    s.l = l
    s.p, s.y, s.alpha, s.C, s.G, s.G_bar = &pv[0], &yv[0], &av[0], &Cv[0], &Gv[0], &Gbv[0]
    s.status = <char*> &sv[0]
    s.active_set = &asv[0]
    s.Q = Q
    s.QD = Q.QD
    s.eps = eps
    s.simd = _SIMD
    s._keep = (p, y, a, C, G, G_bar, status, active_set)
    cdef double rho = 0.0
    cdef long n_iter = 0
    cdef int fit_status
    with nogil:
        fit_status = s.solve(shrinking, max_iter, &rho, &n_iter)
    out = np.empty(l)
    out[active_set] = a  # undo the shrinking permutation
    return out, rho, fit_status, n_iter


def svc_binary(X, y, C, int kind, double gamma, double coef0, int degree,
               double tol, bint shrinking, double cache_size, long max_iter,
               int n_threads, double parallel_min_work):
    """Solve one two-class C-SVC dual (libsvm's solve_c_svc).

    X : (l, d) float64 C-contiguous, copied here (shrinking permutes rows), or
    the (l, l) precomputed Gram block for ``kind == K_PRECOMPUTED``.
    y : (l,) +1/-1; C : (l,) per-sample upper bounds.
    Returns (y_i * alpha_i, rho, fit_status, n_iter).
    """
    Xw = np.array(X, dtype=np.float64, order="C", copy=True)
    kr = _KernelRows(Xw, kind, gamma, coef0, degree, n_threads, parallel_min_work)
    Q = _SVCQ(kr, y, cache_size)
    l = y.shape[0]
    alpha, rho, status, n_iter = _solve(Q, -np.ones(l), y, np.zeros(l), C, tol,
                                        shrinking, max_iter)
    return alpha * y, rho, status, n_iter


def epsilon_svr(X, y, C, double epsilon, int kind, double gamma, double coef0,
                int degree, double tol, bint shrinking, double cache_size,
                long max_iter, int n_threads, double parallel_min_work):
    """Solve the epsilon-SVR dual (libsvm's solve_epsilon_svr).

    Returns (alpha_i - alpha*_i, rho, fit_status, n_iter).
    """
    l = y.shape[0]
    # a private copy: _KernelRows wants a writable buffer (SVR never swaps rows)
    Xw = np.array(X, dtype=np.float64, order="C", copy=True)
    kr = _KernelRows(Xw, kind, gamma, coef0, degree, n_threads, parallel_min_work)
    Q = _SVRQ(kr, l, cache_size)
    p = np.concatenate([epsilon - y, epsilon + y])
    y2 = np.concatenate([np.ones(l), -np.ones(l)])
    C2 = np.concatenate([C, C])
    alpha2, rho, status, n_iter = _solve(Q, p, y2, np.zeros(2 * l), C2, tol, shrinking,
                                         max_iter)
    return alpha2[:l] - alpha2[l:], rho, status, n_iter


def kernel_column(X, int i, int kind, double gamma, double coef0=0.0, int degree=3):
    """K(X[i], X[j]) for all j, as the solver computes it (for tests)."""
    Xw = np.array(X, dtype=np.float64, order="C", copy=True)
    kr = _KernelRows(Xw, kind, gamma, coef0, degree, 1, 0.0)
    out = np.empty(Xw.shape[0])
    cdef double[::1] ov = out
    kr.column(i, 0, Xw.shape[0], &ov[0])
    return out
