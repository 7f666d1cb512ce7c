"""Shared dense linear-algebra numerics for decomposition estimators.

Adapted from scikit-learn (sklearn/utils/extmath.py, sklearn/decomposition/_pca.py,
BSD-3-Clause): the same algorithms, NumPy/LAPACK only, so results match
scikit-learn's given the same random state.
"""

from functools import partial
from math import lgamma, log

import numpy as np
from scipy import linalg

from fastml.utils._threads import single_threaded_blas


def svd_flip_v(u, v):
    """Make the largest-magnitude entry of each row of ``v`` positive (in place).

    scikit-learn's ``svd_flip(u, v, u_based_decision=False)``: the sign
    convention that makes components deterministic across solvers.
    """
    idx = np.argmax(np.abs(v), axis=1)
    signs = np.sign(v[np.arange(v.shape[0]), idx])
    if u is not None:
        u *= signs[np.newaxis, :]
    v *= signs[:, np.newaxis]
    return u, v


def randomized_range_finder(A, size, n_iter, normalizer, random_state, n_threads=1):
    """Orthonormal basis of an approximation of A's range (Halko et al., alg. 4.3/4.4).

    Draws its Gaussian test matrix exactly as scikit-learn does, so a shared
    ``random_state`` gives the same subspace. The products with the tall A
    run on row blocks (threaded_matmul / threaded_tmatmul).
    """
    Q = random_state.normal(size=(A.shape[1], size))
    if A.dtype == np.float32:
        Q = Q.astype(np.float32, copy=False)
    if normalizer == "auto":
        normalizer = "none" if n_iter <= 2 else "LU"
    qr = partial(linalg.qr, mode="economic", check_finite=False)
    if normalizer == "QR":
        norm = qr
    elif normalizer == "LU":
        norm = partial(linalg.lu, permute_l=True, check_finite=False)
    else:
        norm = lambda x: (x, None)  # noqa: E731
    for _ in range(n_iter):
        Q, _ = norm(threaded_matmul(A, Q, n_threads))
        Q, _ = norm(threaded_tmatmul(A, Q, n_threads))
    Q, _ = qr(threaded_matmul(A, Q, n_threads))
    return Q


def randomized_svd(M, n_components, n_oversamples, n_iter, normalizer, random_state,
                   n_threads=1):
    """Truncated SVD by random projection; no sign flip (callers apply theirs)."""
    if n_iter == "auto":
        n_iter = 7 if n_components < 0.1 * min(M.shape) else 4
    transpose = M.shape[0] < M.shape[1]
    if transpose:
        M = M.T
    Q = randomized_range_finder(
        M, n_components + n_oversamples, n_iter, normalizer, random_state, n_threads
    )
    B = threaded_tmatmul(Q, M, n_threads)  # Q.T @ M, reduced over M's rows
    Uhat, s, Vt = linalg.svd(B, full_matrices=False, lapack_driver="gesdd")
    U = threaded_matmul(Q, Uhat, n_threads)
    if transpose:
        return Vt[:n_components].T, s[:n_components], U[:, :n_components].T
    return U[:, :n_components], s[:n_components], Vt[:n_components]


def _assess_dimension(spectrum, rank, n_samples):
    """Log-likelihood of a rank under Minka's PPCA evidence (as scikit-learn)."""
    n_features = spectrum.shape[0]
    eps = 1e-15
    if spectrum[rank - 1] < eps:
        return -np.inf
    pu = -rank * log(2.0)
    for i in range(1, rank + 1):
        pu += lgamma((n_features - i + 1) / 2.0) - log(np.pi) * (n_features - i + 1) / 2.0
    pl = -np.sum(np.log(spectrum[:rank])) * n_samples / 2.0
    v = max(eps, np.sum(spectrum[rank:]) / (n_features - rank))
    pv = -log(v) * n_samples * (n_features - rank) / 2.0
    m = n_features * rank - rank * (rank + 1.0) / 2.0
    pp = log(2.0 * np.pi) * (m + rank) / 2.0
    spectrum_ = spectrum.copy()
    spectrum_[rank:] = v
    # the pairwise sum, vectorised per i (same terms, same order of magnitude)
    pa = 0.0
    for i in range(rank):
        d = (spectrum[i] - spectrum[i + 1 :]) * (1.0 / spectrum_[i + 1 :] - 1.0 / spectrum_[i])
        pa += float(np.sum(np.log(d))) + log(n_samples) * d.shape[0]
    return pu + pl + pv + pp - pa / 2.0 - rank * log(n_samples) / 2.0


def infer_dimension(spectrum, n_samples):
    """The rank maximising Minka's MLE criterion (``n_components='mle'``)."""
    ll = np.empty_like(spectrum)
    ll[0] = -np.inf
    for rank in range(1, spectrum.shape[0]):
        ll[rank] = _assess_dimension(spectrum, rank, n_samples)
    return int(np.argmax(ll))


# rows per task for the threaded products below: 8192 x 100 float64 is 6.5 MB
_ROW_CHUNK = 8192


def _row_chunks(n, n_threads, step=None):
    if step is None:
        step = max(_ROW_CHUNK, -(-n // (4 * max(n_threads, 1))))
    return [slice(s, min(s + step, n)) for s in range(0, n, step)]


def threaded_matmul(X, B, n_threads):
    """X @ B for tall X, row blocks on ``n_threads`` threads (BLAS single-threaded per block)."""
    from concurrent.futures import ThreadPoolExecutor

    out = np.empty((X.shape[0], B.shape[1]), dtype=np.result_type(X, B))
    chunks = _row_chunks(X.shape[0], n_threads)

    def work(sl):
        np.matmul(X[sl], B, out=out[sl])

    with single_threaded_blas():
        if n_threads <= 1 or len(chunks) == 1:
            work(slice(None))
        else:
            with ThreadPoolExecutor(max_workers=n_threads) as pool:
                list(pool.map(work, chunks))
    return out


def threaded_tmatmul(A, B, n_threads):
    """A.T @ B for tall A and B (same rows): partial products of row blocks, summed."""
    from concurrent.futures import ThreadPoolExecutor

    chunks = _row_chunks(A.shape[0], n_threads)
    with single_threaded_blas():
        if n_threads <= 1 or len(chunks) == 1:
            return A.T @ B
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            parts = list(pool.map(lambda sl: A[sl].T @ B[sl], chunks))
    return np.sum(parts, axis=0)
