"""One pass over a tall X for its Gram matrix and column sums (PCA, Lasso, ElasticNet).

The products run in NumPy's BLAS, which turns ``D.T @ D`` into a SYRK (half
the multiply-adds of a GEMM) and is the faster of the two OpenBLAS builds
loaded here (measured ~1.5x over SciPy's cython_blas dsyrk for these shapes).
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from fastml.utils._sklearn import _assert_all_finite
from fastml.utils._threads import single_threaded_blas

# bytes per block (of X, or of the float64 copy): the block stays in cache
# between its products; larger blocks would not, smaller ones cost more Python
_BLOCK_BYTES = 1 << 20
# bytes of partial Gram matrices (one per task) alive at once, at most
_PARTS_BYTES = 1 << 26


def gram_and_column_sums(X, n_threads, Y=None, sample_weight=None, shift=False):
    """(Z' W Z, 1' W Z) for Z = [X | Y] - z0 and W = diag(sample_weight), in one pass.

    ``z0`` is Z's first row when ``shift`` (else 0): moments about a data row
    turn into moments about the weighted means (G - W m m', m = sums / sum(w))
    without cancellation, and a constant column gives exact zeros.

    * Plain (no weights, no shift; float64 X if Y is given): X's blocks go to
      BLAS as they are, ``B.T @ B`` and ``[1 | Y]' B`` (the sums and X'Y,
      GEMVs over the block while it is in cache); the Gram matrix is in X's
      dtype (as scikit-learn's ``X.T @ X``).
    * Otherwise each block is copied to a float64 buffer [Z - z0 | 1] scaled
      by sqrt(w), and one SYRK of it gives the Gram matrix and, in its last
      row, the weighted column sums. Everything is float64.

    Column sums are float64. Contiguous runs of blocks make up to
    8 * n_threads tasks, on ``n_threads`` Python threads (BLAS held to one
    thread each): a late or descheduled thread delays only its task, where a
    multi-threaded BLAS call stalls at every barrier. A single task, or a
    single thread, runs on the calling thread with BLAS as configured. Parts
    are summed in task order, so the result is deterministic for a given
    thread count.
    """
    n, p = X.shape
    k = 0 if Y is None else Y.shape[1]
    q = p + k
    copy = sample_weight is not None or shift or (k > 0 and X.dtype != np.float64)
    sw_sqrt = None if sample_weight is None else np.sqrt(np.asarray(sample_weight, np.float64))
    z0 = np.zeros(q)
    if shift and n:
        z0[:p] = X[0]
        z0[p:] = Y[0] if k else 0
    # [1 | Y]' for the plain path's per-block GEMVs (float64 X): sums and X'Y
    V = None
    if not copy and X.dtype == np.float64:
        V = np.ones((1 + k, n))
        if k:
            V[1:] = Y.T
    step = max(64, _BLOCK_BYTES // (8 * (q + 1)) if copy else _BLOCK_BYTES // (p * X.itemsize))
    starts = range(0, n, step)
    n_threads = max(n_threads, 1)
    # more tasks than threads: a descheduled thread's unfinished task is what
    # the others wait for, so tasks stay small; but each holds a partial Gram
    # matrix until the end, so their number is bounded by ~64 MB of those
    by_memory = max(2 * n_threads, _PARTS_BYTES // (8 * (q + 1) ** 2))
    n_tasks = max(1, min(len(starts), 8 * n_threads, by_memory))
    bounds = np.linspace(0, len(starts), n_tasks + 1).astype(int)

    def work(t):
        # the caller checks finiteness on the sums afterwards (inf - inf, overflow)
        with np.errstate(invalid="ignore", over="ignore"):
            return _copied(t) if copy else _plain(t)

    def _plain(t):
        gram = np.zeros((p, p), dtype=X.dtype)
        vb = np.zeros((1 + k, p))
        for s in starts[bounds[t] : bounds[t + 1]]:
            B = X[s : s + step]
            gram += B.T @ B  # NumPy calls SYRK for a matrix times its own transpose
            if V is None:  # float32: sums in float64
                vb[0] += B.sum(axis=0, dtype=np.float64)
            elif k < 4:  # GEMV reads B in place; a GEMM this thin packs (copies) it
                for r in range(1 + k):
                    vb[r] += V[r, s : s + step] @ B
            else:
                vb += V[:, s : s + step] @ B
        return gram, vb

    def _copied(t):
        gram = np.zeros((q + 1, q + 1))
        D = np.empty((step, q + 1))
        D[:, q] = 1.0
        for s in starts[bounds[t] : bounds[t + 1]]:
            e = min(s + step, n)
            Db = D[: e - s]
            np.subtract(X[s:e], z0[:p], out=Db[:, :p])
            if k:
                np.subtract(Y[s:e], z0[p:], out=Db[:, p:q])
            if sw_sqrt is not None:
                Db[:, q] = sw_sqrt[s:e]
                Db[:, :q] *= sw_sqrt[s:e, None]
            gram += Db.T @ Db
        return gram, None

    if n_threads == 1 or n_tasks == 1:
        # one product at a time: BLAS threads it as configured (a 1 MB block
        # of digits' 1797x64 takes ~2x less on 2 threads)
        parts = [work(t) for t in range(n_tasks)]
    else:
        with single_threaded_blas(), ThreadPoolExecutor(max_workers=n_threads) as pool:
            parts = list(pool.map(work, range(n_tasks)))
    gram, vb = parts[0]
    for g, c in parts[1:]:
        gram += g
        if c is not None:
            vb += c
    if copy:
        return np.ascontiguousarray(gram[:q, :q]), gram[q, :q].copy()
    if not k:
        return gram, vb[0]
    Z = np.empty((q, q))
    Z[:p, :p] = gram
    Z[p:, :p] = vb[1:]
    Z[:p, p:] = vb[1:].T
    Z[p:, p:] = Y.T @ Y
    return Z, np.concatenate([vb[0], Y.sum(axis=0)])


def check_finite_from_sums(sums, X, estimator):
    """Raise scikit-learn's error if X has NaN or inf, given column sums from a pass over X.

    scikit-learn's own check first sums X and only scans it when the sum is
    not finite; this takes the sums the Gram pass produced anyway, so the
    common all-finite case costs no pass of its own. A non-finite value
    makes its column's sum NaN or inf; a false alarm (finite values whose
    sum overflows) goes to the full check, which then passes.
    """
    if not np.isfinite(sums).all():
        _assert_all_finite(X, input_name="X", estimator_name=type(estimator).__name__)
