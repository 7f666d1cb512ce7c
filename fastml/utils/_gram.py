"""One pass over a tall X for its Gram matrix and column sums (PCA, Lasso, ElasticNet).

The products run in NumPy's BLAS, which turns ``D.T @ D`` into a SYRK (half
the multiply-adds of a GEMM) and is the faster of the two OpenBLAS builds
loaded here (measured ~1.5x over SciPy's cython_blas dsyrk for these shapes).
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from fastml.utils._sklearn import _assert_all_finite
from fastml.utils._threads import single_threaded_blas

# bytes of X per block: the block stays in cache between its product and its sums
_BLOCK_BYTES = 1 << 20
# bytes of the float64 work buffer a block is copied to when it must be
# shifted, scaled or joined with Y: small enough to stay in a 512 KB L2
_BUFFER_BYTES = 1 << 18


def gram_and_column_sums(X, n_threads, Y=None, sample_weight=None, shift=False):
    """(Z' W Z, 1' W Z) for Z = [X | Y] - z0 and W = diag(sample_weight), in one pass.

    ``z0`` is Z's first row when ``shift`` (else 0): moments about a data row
    turn into moments about the weighted means (G - W m m', m = sums / sum(w))
    without cancellation, and a constant column gives exact zeros. Without Y,
    weights or shift, X's blocks go to BLAS as they are and the Gram matrix
    is in X's dtype (as scikit-learn's ``X.T @ X``); otherwise each block is
    copied to a float64 buffer first and everything is float64. Column sums
    are float64.

    Contiguous runs of blocks make up to 4 * n_threads tasks, on
    ``n_threads`` Python threads (BLAS held to one thread each): a late or
    descheduled thread delays only its task, where a multi-threaded BLAS call
    stalls at every barrier. Parts are summed in task order, so the result is
    deterministic for a given thread count.
    """
    n, p = X.shape
    k = 0 if Y is None else Y.shape[1]
    q = p + k
    copy = k > 0 or sample_weight is not None or shift
    dtype = np.float64 if copy else X.dtype
    sw_sqrt = None if sample_weight is None else np.sqrt(np.asarray(sample_weight, np.float64))
    z0x = X[0].astype(np.float64) if shift and n else np.zeros(p)
    z0y = Y[0].astype(np.float64) if shift and n and k else np.zeros(k)
    step = max(64, (_BUFFER_BYTES // (8 * q)) if copy else _BLOCK_BYTES // (p * X.itemsize))
    starts = range(0, n, step)
    n_threads = max(n_threads, 1)
    n_tasks = max(1, min(len(starts), 4 * n_threads))
    bounds = np.linspace(0, len(starts), n_tasks + 1).astype(int)

    def work(t):
        # the caller checks finiteness on the sums afterwards (inf - inf, overflow)
        with np.errstate(invalid="ignore", over="ignore"):
            return _work(t)

    def _work(t):
        gram = np.zeros((q, q), dtype=dtype)
        sums = np.zeros(q)
        buf = np.empty((step, q)) if copy else None
        for s in starts[bounds[t] : bounds[t + 1]]:
            e = min(s + step, n)
            if copy:
                D = buf[: e - s]
                np.subtract(X[s:e], z0x, out=D[:, :p])
                if k:
                    np.subtract(Y[s:e], z0y, out=D[:, p:])
                if sw_sqrt is None:
                    sums += D.sum(axis=0)
                else:
                    D *= sw_sqrt[s:e, None]
                    sums += sw_sqrt[s:e] @ D
            else:
                D = X[s:e]
                sums += D.sum(axis=0, dtype=np.float64)
            gram += D.T @ D  # NumPy calls SYRK for a matrix times its own transpose
        return gram, sums

    with single_threaded_blas():
        if n_threads == 1 or n_tasks == 1:
            parts = [work(t) for t in range(n_tasks)]
        else:
            with ThreadPoolExecutor(max_workers=n_threads) as pool:
                parts = list(pool.map(work, range(n_tasks)))
    gram, sums = parts[0]
    for g, c in parts[1:]:
        gram += g
        sums += c
    return gram, sums


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
