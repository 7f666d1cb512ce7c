"""Shared machinery of the kernel SVMs: parameters, kernel evaluation, SMO drivers.

The one-vs-one bookkeeping (support-vector layout, dual_coef_ rows, sign
conventions) follows scikit-learn's libsvm wrapper (sklearn/svm/_base.py and
libsvm's svm_train, BSD-3-Clause) so fitted attributes compare one to one.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import column_or_1d

from fastml._cy import _svm_predict, _svm_smo
from fastml.utils._sklearn import (
    Interval,
    StrOptions,
    _openmp_effective_n_threads,
    check_is_fitted,
    validate_data,
)
from fastml.utils._threads import single_threaded_blas

# the codes of _svm_kernel.pxd's kernel enum
_KERNELS = {"linear": 0, "poly": 1, "rbf": 2, "sigmoid": 3, "precomputed": 4}
# rows of X whose kernel block against the support vectors is formed at once
_PREDICT_CHUNK_ELEMS = 1 << 21
# multiply-adds above which one kernel column is split over OpenMP threads
# (measured: a 10000 x 20 rbf column is faster on one thread on 2 shared cores)
PARALLEL_MIN_WORK = float(1 << 21)
# the same for a block of prediction rows: a fork/join on a loaded machine can
# cost milliseconds, so only blocks of several milliseconds' work are split
PREDICT_PARALLEL_MIN_WORK = float(1 << 24)


def kernel_matrix(X, Y, kernel, gamma, coef0, degree, Y_sq=None):
    """K(X, Y) for the named kernels, by one GEMM (libsvm's formulas)."""
    K = X @ Y.T
    if kernel == "linear":
        return K
    if kernel == "rbf":
        X_sq = np.einsum("ij,ij->i", X, X)
        Y_sq = np.einsum("ij,ij->i", Y, Y) if Y_sq is None else Y_sq
        K *= -2.0
        K += X_sq[:, None]
        K += Y_sq[None, :]
        K *= -gamma
        return np.exp(K, out=K)
    K *= gamma
    K += coef0
    if kernel == "poly":
        return K**degree
    return np.tanh(K, out=K)


def resolve_gamma(gamma, X, kernel):
    """scikit-learn's numeric gamma for 'scale' / 'auto' / a float."""
    if kernel == "precomputed":
        return 0.0
    if gamma == "scale":
        X_var = X.var()
        return 1.0 / (X.shape[1] * X_var) if X_var != 0 else 1.0
    if gamma == "auto":
        return 1.0 / X.shape[1]
    return float(gamma)


class BaseLibSVM(BaseEstimator):
    """Parameters, validation and prediction shared by SVC and SVR."""

    _parameter_constraints: dict = {
        "kernel": [StrOptions({"linear", "poly", "rbf", "sigmoid", "precomputed"}), callable],
        "degree": [Interval(Integral, 0, None, closed="left")],
        "gamma": [StrOptions({"scale", "auto"}), Interval(Real, 0.0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
        "tol": [Interval(Real, 0.0, None, closed="neither")],
        "C": [Interval(Real, 0.0, None, closed="right")],
        "shrinking": ["boolean"],
        "cache_size": [Interval(Real, 0, None, closed="neither")],
        "verbose": ["verbose"],
        "max_iter": [Interval(Integral, -1, None, closed="left")],
    }

    def _kernel_name(self):
        return "precomputed" if callable(self.kernel) else self.kernel

    def _validate_X_y(self, X, y):
        if callable(self.kernel):
            # the user's kernel sees X as given; we train on its Gram matrix
            X, y = validate_data(self, X, y, dtype=None, ensure_2d=False, accept_sparse=False)
            self._X_fit = X
            K = np.asarray(self.kernel(X, X), dtype=np.float64)
            return np.ascontiguousarray(K), y
        X, y = validate_data(self, X, y, dtype=np.float64, order="C", accept_sparse=False)
        if self.kernel == "precomputed" and X.shape[0] != X.shape[1]:
            raise ValueError(
                "Precomputed matrix must be a square matrix."
                f" Input is a {X.shape[0]}x{X.shape[1]} matrix."
            )
        return X, y

    def _prepare_fit(self, X, y, sample_weight):
        X, y = self._validate_X_y(X, y)
        y = self._validate_targets(y)
        n_samples = X.shape[0]
        if sample_weight is None:
            sample_weight = np.ones(n_samples)
        else:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if sample_weight.ndim != 1 or sample_weight.shape[0] != n_samples:
                raise ValueError(
                    "sample_weight and X have incompatible shapes: "
                    f"{sample_weight.shape!r} vs {X.shape!r}"
                )
        kernel = self._kernel_name()
        self._gamma = resolve_gamma(self.gamma, X, kernel)
        self.shape_fit_ = X.shape
        return X, y, sample_weight, kernel

    def _solver_args(self, kernel):
        return dict(
            kind=_KERNELS[kernel],
            gamma=self._gamma,
            coef0=float(self.coef0),
            degree=int(self.degree),
            tol=float(self.tol),
            shrinking=bool(self.shrinking),
            cache_size=float(self.cache_size),
            max_iter=int(self.max_iter),
            n_threads=_openmp_effective_n_threads(),
            parallel_min_work=PARALLEL_MIN_WORK,
        )

    def _warn_from_fit_status(self):
        if self.fit_status_ == 1:
            warnings.warn(
                f"Solver terminated early (max_iter={self.max_iter})."
                "  Consider pre-processing your data with"
                " StandardScaler or MinMaxScaler.",
                ConvergenceWarning,
            )

    def _check_finite_solution(self):
        if not (np.isfinite(self._intercept_).all() and np.isfinite(self._dual_coef_).all()):
            raise ValueError(
                "The dual coefficients or intercepts are not finite."
                " The input data may contain large values and need to be"
                " preprocessed."
            )

    def _validate_for_predict(self, X):
        check_is_fitted(self)
        if callable(self.kernel):
            X = validate_data(self, X, dtype=None, ensure_2d=False, reset=False)
            return np.asarray(self.kernel(X, self._X_fit), dtype=np.float64)
        X = validate_data(self, X, dtype=np.float64, order="C", reset=False)
        if self.kernel == "precomputed" and X.shape[1] != self.shape_fit_[0]:
            raise ValueError(
                "X.shape[1] = %d should be equal to %d, "
                "the number of samples at training time" % (X.shape[1], self.shape_fit_[0])
            )
        sv = self.support_vectors_
        if sv.size > 0 and self.n_support_.sum() != sv.shape[0]:
            raise ValueError(f"The internal representation of {type(self).__name__} was altered")
        return X

    def _kernel_rows(self, X):
        """Yield (row slice, K(X[slice], support vectors)) in bounded-memory chunks."""
        kernel = self._kernel_name()
        n_sv = max(self.support_.shape[0], 1)
        step = max(1, _PREDICT_CHUNK_ELEMS // n_sv)
        sv = self.support_vectors_
        sv_sq = np.einsum("ij,ij->i", sv, sv) if kernel == "rbf" else None
        # RBF: the solver's fused AVX2 kernel, test rows over threads (one
        # thread for small blocks, where a fork costs more than it saves)
        fused = kernel == "rbf" and sv.shape[0] > 0 and _svm_smo.simd_enabled()
        if fused:
            sv = np.ascontiguousarray(sv, dtype=np.float64)
        for start in range(0, X.shape[0], step):
            sl = slice(start, min(start + step, X.shape[0]))
            if kernel == "precomputed":
                yield sl, X[sl][:, self.support_]
            elif fused:
                n_threads = (
                    _openmp_effective_n_threads()
                    if (sl.stop - sl.start) * sv.shape[0] * (sv.shape[1] + 16)
                    > PREDICT_PARALLEL_MIN_WORK
                    else 1
                )
                yield sl, _svm_predict.rbf_kernel_rows(X[sl], sv, sv_sq, self._gamma, n_threads)
            else:
                yield sl, kernel_matrix(
                    X[sl], sv, kernel, self._gamma, self.coef0, self.degree, sv_sq
                )

    def _raw_decision(self, X):
        """libsvm's decision values: one column per (one-vs-one) model, minus rho."""
        X = self._validate_for_predict(X)
        n_models = self._intercept_.shape[0]
        out = np.empty((X.shape[0], n_models))
        coef, bounds = self._dual_coef_, np.concatenate([[0], np.cumsum(self._n_support)])
        n_class = self._n_support.shape[0] if n_models > 1 else 2
        for sl, K in self._kernel_rows(X):
            if n_models == 1:
                out[sl, 0] = K @ coef[0]
            else:
                p = 0
                for i in range(n_class):
                    si = slice(bounds[i], bounds[i + 1])
                    for j in range(i + 1, n_class):
                        sj = slice(bounds[j], bounds[j + 1])
                        out[sl, p] = K[:, si] @ coef[j - 1, si] + K[:, sj] @ coef[i, sj]
                        p += 1
        out += self._intercept_
        return out

    @property
    def coef_(self):
        """Primal weights, only for ``kernel='linear'``."""
        if self.kernel != "linear":
            raise AttributeError("coef_ is only available when using a linear kernel")
        coef = self._get_coef()
        coef.flags.writeable = False
        return coef

    def _get_coef(self):
        return self._dual_coef_ @ self.support_vectors_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.kernel == "precomputed"
        tags.input_tags.sparse = False
        return tags


def _one_vs_one_coef(dual_coef, n_support, support_vectors):
    """Primal weights of each one-vs-one linear model (scikit-learn's layout)."""
    n_class = dual_coef.shape[0] + 1
    locs = np.concatenate([[0], np.cumsum(n_support)])
    coef = []
    for c1 in range(n_class):
        sv1 = support_vectors[locs[c1] : locs[c1 + 1]]
        for c2 in range(c1 + 1, n_class):
            sv2 = support_vectors[locs[c2] : locs[c2 + 1]]
            a1 = dual_coef[c2 - 1, locs[c1] : locs[c1 + 1]]
            a2 = dual_coef[c1, locs[c2] : locs[c2 + 1]]
            coef.append(a1 @ sv1 + a2 @ sv2)
    return np.array(coef)


def drop_nonpositive_weights(X, y, sample_weight, precomputed, classification):
    """libsvm (as vendored by scikit-learn) trains on positive-weight samples only.

    Like scikit-learn, the fitted ``support_`` then indexes this reduced set.
    """
    keep = sample_weight > 0
    if not keep.any():
        raise ValueError("Invalid input - all samples have zero or negative weights.")
    if classification and np.unique(y[keep]).size < 2:
        raise ValueError(
            "Invalid input - all samples with positive weights belong to the same class."
        )
    if keep.all():
        return X, y, sample_weight
    idx = np.flatnonzero(keep)
    Xk = X[np.ix_(idx, idx)] if precomputed else X[idx]
    return Xk, y[idx], sample_weight[idx]


def train_ovo(X, y_enc, n_class, C_per_class, sample_weight, args):
    """libsvm's svm_train for C-SVC: one binary SMO per class pair.

    Returns (support_, n_support, dual_coef (n_class-1, n_SV), intercept (-rho),
    fit_status, n_iter per pair).
    """
    precomputed = args["kind"] == _KERNELS["precomputed"]
    groups = [np.flatnonzero(y_enc == c) for c in range(n_class)]
    nonzero = np.zeros(X.shape[0], dtype=bool)
    models = []
    status = 0
    n_iters = []
    with single_threaded_blas():
        for i in range(n_class):
            for j in range(i + 1, n_class):
                gi, gj = groups[i], groups[j]
                idx = np.concatenate([gi, gj])
                Xs = X[np.ix_(idx, idx)] if precomputed else X[idx]
                ys = np.concatenate([np.ones(gi.size), -np.ones(gj.size)])
                Cs = np.concatenate(
                    [C_per_class[i] * sample_weight[gi], C_per_class[j] * sample_weight[gj]]
                )
                alpha, rho, st, it = _svm_smo.svc_binary(Xs, ys, Cs, **args)
                nonzero[idx[alpha != 0]] = True
                models.append((i, j, idx, alpha, rho))
                status = max(status, st)
                n_iters.append(it)
    sv_per_class = [g[nonzero[g]] for g in groups]
    n_support = np.array([s.size for s in sv_per_class], dtype=np.int32)
    support = np.concatenate(sv_per_class).astype(np.int32)
    position = np.full(X.shape[0], -1)
    position[support] = np.arange(support.size)
    dual_coef = np.zeros((n_class - 1, support.size))
    intercept = np.empty(len(models))
    for p, (i, j, idx, alpha, rho) in enumerate(models):
        ni = groups[i].size
        for rows, a, row in ((idx[:ni], alpha[:ni], j - 1), (idx[ni:], alpha[ni:], i)):
            keep = nonzero[rows]
            dual_coef[row, position[rows[keep]]] = a[keep]
        intercept[p] = -rho
    return support, n_support, dual_coef, intercept, status, np.array(n_iters, dtype=np.int32)


def train_svr(X, y, C, sample_weight, epsilon, args):
    """libsvm's epsilon-SVR."""
    with single_threaded_blas():
        beta, rho, status, n_iter = _svm_smo.epsilon_svr(
            X, y, C * sample_weight, float(epsilon), **args
        )
    nz = beta != 0
    support = np.flatnonzero(nz).astype(np.int32)
    return support, beta[nz][None, :], np.array([-rho]), status, int(n_iter)


def targets_1d(y):
    return column_or_1d(y, warn=True)


__all__ = [
    "BaseLibSVM",
    "drop_nonpositive_weights",
    "kernel_matrix",
    "resolve_gamma",
    "train_ovo",
    "train_svr",
]
