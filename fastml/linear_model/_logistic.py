"""Logistic regression: L-BFGS on a compiled fused loss+gradient, or compiled SAGA."""

import warnings
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import numpy as np
from scipy import optimize
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from .._cy import _logistic_loss, _saga
from ..utils._sklearn import (
    Hidden,
    Interval,
    StrOptions,
    _assert_all_finite,
    _check_sample_weight,
    _fit_context,
    _openmp_effective_n_threads,
    check_is_fitted,
    check_random_state,
    validate_data,
)
from fastml.utils._threads import single_threaded_blas
from ._base import LinearClassifierMixin

_CONVERGENCE_MSG = (
    "Please also refer to the documentation for alternative solver options:\n"
    "    https://scikit-learn.org/stable/modules/linear_model.html"
    "#logistic-regression"
)


def _resolve_penalty(est):
    """scikit-learn 1.8+ semantics: the penalty follows l1_ratio and C."""
    if est.penalty == "deprecated":
        if est.l1_ratio == 0 or est.l1_ratio is None:
            penalty = "l2"
            if est.l1_ratio is None:
                warnings.warn(
                    "'l1_ratio=None' was deprecated in version 1.8 and will trigger an "
                    "error in 1.10. Use 0<=l1_ratio<=1 instead.",
                    FutureWarning,
                )
        elif est.l1_ratio == 1:
            penalty = "l1"
        else:
            penalty = "elasticnet"
        if est.C == np.inf:
            penalty = None
        return penalty
    warnings.warn(
        "'penalty' was deprecated in version 1.8 and will be removed in 1.10. To avoid "
        "this warning, leave 'penalty' set to its default value and use 'l1_ratio' or "
        "'C' instead. Use l1_ratio=0 instead of penalty='l2', l1_ratio=1 instead of "
        "penalty='l1', l1_ratio set to a float between 0 and 1 instead of "
        "penalty='elasticnet', and C=np.inf instead of penalty=None.",
        FutureWarning,
    )
    return est.penalty


def _encode_labels(y):
    """The classes and each sample's class index, as ``np.unique(y, return_inverse=True)``.

    Small non-negative integer labels (the usual case) by counting, in O(n):
    np.unique sorts (twice the time of the rest of a fit's overhead on 100k
    labels).
    """
    if y.dtype.kind in "iu" and y.size:
        lo, hi = int(y.min()), int(y.max())
        if lo >= 0 and hi < 4 * y.size + 1024:
            present = np.bincount(y.astype(np.intp, copy=False), minlength=hi + 1) > 0
            index = np.cumsum(present) - 1
            return np.flatnonzero(present).astype(y.dtype), index[y]
    return np.unique(y, return_inverse=True)


class LogisticRegression(LinearClassifierMixin, ClassifierMixin, BaseEstimator):
    """Logistic regression (binary or multinomial), as scikit-learn's.

    Minimises ``C * sum_i sw_i * loss_i + penalty(w)`` with ``loss`` the
    binomial (two classes) or multinomial (softmax) cross-entropy.

    * ``solver="lbfgs"`` (default; l2 or no penalty): scipy's L-BFGS-B with
      scikit-learn's options, on a compiled loss+gradient that reads each
      row of X once (scikit-learn reads X twice per evaluation), in parallel.
      Same objective, same optimiser, so the same iterates up to rounding.
    * ``solver="saga"`` (any penalty, required for l1 / elasticnet): compiled
      dense SAGA with scikit-learn's step size and stopping rule.

    scikit-learn's other solvers (liblinear, newton-cg, newton-cholesky, sag)
    are not provided; sparse X is not supported.

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet', None}, default='deprecated'
        Deprecated in scikit-learn 1.8: use ``l1_ratio`` and ``C``.
    C : float > 0, default=1.0
        Inverse regularisation strength; ``np.inf`` means no penalty.
    l1_ratio : float in [0, 1], default=0.0
        0 -> l2, 1 -> l1, in between -> elastic-net.
    dual : bool, default=False
        Only False is supported (as for scikit-learn's lbfgs/saga).
    tol : float, default=1e-4
    fit_intercept : bool, default=True
    intercept_scaling : float, default=1
        Unused (liblinear only in scikit-learn).
    class_weight : dict or 'balanced', default=None
    random_state : int, RandomState instance or None, default=None
        Sample order of SAGA.
    solver : {'lbfgs', 'saga'}, default='lbfgs'
    max_iter : int, default=100
    verbose : int, default=0
    warm_start : bool, default=False
    n_jobs : int, default=None
        No effect (deprecated in scikit-learn); threads follow OpenMP settings.

    Attributes
    ----------
    classes_, coef_ (1 or n_classes, n_features), intercept_, n_iter_ (1,),
    n_features_in_, feature_names_in_

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastml.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=1000).fit(X, y)
    >>> clf.predict(X[:2, :])
    array([0, 0])
    >>> round(clf.score(X, y), 2)
    0.97
    """

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), None, Hidden(StrOptions({"deprecated"}))],
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "dual": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "solver": [StrOptions({"lbfgs", "saga"})],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "n_jobs": [None, Integral],
    }

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False, tol=1e-4,
                 fit_intercept=True, intercept_scaling=1, class_weight=None,
                 random_state=None, solver="lbfgs", max_iter=100, verbose=0,
                 warm_start=False, n_jobs=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        penalty = _resolve_penalty(self)
        solver = self.solver
        if solver != "saga" and penalty not in ("l2", None):
            raise ValueError(
                f"Solver {solver} supports only 'l2' or None penalties, got {penalty} "
                "penalty."
            )
        if self.dual:
            raise ValueError(f"Solver {solver} supports only dual=False, got dual={self.dual}")
        if penalty != "elasticnet" and self.l1_ratio is not None and 0 < self.l1_ratio < 1:
            warnings.warn(
                "l1_ratio parameter is only used when penalty is 'elasticnet'. Got "
                "(penalty={})".format(penalty)
            )
        if penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
        C = self.C
        l1_ratio = {"l1": 1.0, "l2": 0.0, None: 0.0}.get(penalty, self.l1_ratio)
        if self.penalty is None:
            if self.C != 1.0:
                warnings.warn("Setting penalty=None will ignore the C and l1_ratio parameters")
            C = np.inf
        if penalty is None:
            C = np.inf
        if self.n_jobs is not None:
            warnings.warn(
                "'n_jobs' has no effect since 1.8 and will be removed in 1.10. "
                f"You provided 'n_jobs={self.n_jobs}', please leave it unspecified.",
                FutureWarning,
            )

        # lbfgs checks X's finiteness on its first loss evaluation (no pass
        # over X of its own, as scikit-learn's first check is a sum of X)
        X, y = validate_data(self, X, y, accept_sparse=False,
                             dtype=[np.float64, np.float32], order="C",
                             ensure_all_finite=False)
        if solver != "lbfgs":
            _assert_all_finite(X, input_name="X", estimator_name=type(self).__name__)
        if not (y.ndim == 1 and y.dtype.kind in "iu"):
            # 1-D integer labels are always "binary" or "multiclass": nothing to check
            check_classification_targets(y)
        self.classes_, y_enc = _encode_labels(y)
        n_classes = self.classes_.shape[0]
        if n_classes < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the "
                "data contains only one class: %r" % self.classes_[0]
            )
        n_samples, n_features = X.shape
        if sample_weight is not None or self.class_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype, copy=True)
        if self.class_weight is not None:
            cw = compute_class_weight(self.class_weight, classes=self.classes_, y=y,
                                      sample_weight=sample_weight)
            sample_weight *= cw[y_enc].astype(X.dtype)

        k = 1 if n_classes == 2 else n_classes
        n_dof = n_features + int(self.fit_intercept)
        W = np.zeros((k, n_dof))
        if self.warm_start and hasattr(self, "coef_"):
            prev = self.coef_
            if self.fit_intercept:
                prev = np.hstack([prev, np.asarray(self.intercept_)[:, None]])
            if prev.shape != W.shape:
                raise ValueError(
                    f"Initialization coef is of shape {prev.shape}, expected shape "
                    f"{W.shape}"
                )
            W[:] = prev
        target = y_enc.astype(X.dtype)

        if solver == "lbfgs":
            W, n_iter = self._fit_lbfgs(X, target, sample_weight, W, C)
        else:
            W, n_iter = self._fit_saga(X, target, sample_weight, W, C, l1_ratio)

        self.n_iter_ = np.asarray([n_iter], dtype=np.int32)
        W = W.astype(X.dtype, copy=False)
        if self.fit_intercept:
            self.coef_, self.intercept_ = W[:, :-1].copy(), W[:, -1].copy()
        else:
            self.coef_, self.intercept_ = W, np.zeros(k, dtype=X.dtype)
        return self

    def _fit_lbfgs(self, X, target, sample_weight, W0, C):
        sw_sum = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        l2 = 1.0 / (C * sw_sum)
        sw = np.empty(0, dtype=X.dtype) if sample_weight is None else sample_weight
        n_threads = _openmp_effective_n_threads()
        shape = W0.shape
        p = X.shape[1]
        grad = np.empty(shape)
        first = [True]

        def loss_gradient(w):
            Wm = w.reshape(shape)
            loss = _logistic_loss.loss_gradient(X, target, sw, Wm, grad, self.fit_intercept,
                                                n_threads, pool) / sw_sum
            if first[0]:
                # X's finite check (see fit): a NaN or inf in X makes the
                # gradient entries of its column NaN or inf (0 * inf is NaN)
                first[0] = False
                if not (np.isfinite(loss) and np.isfinite(grad).all()):
                    _assert_all_finite(X, input_name="X", estimator_name=type(self).__name__)
            g = grad / sw_sum
            coef = Wm[:, :p]
            loss += 0.5 * l2 * float(np.sum(coef * coef))
            g[:, :p] += l2 * coef
            return loss, g.ravel()

        options = {"maxiter": self.max_iter, "maxls": 50, "gtol": self.tol,
                   "ftol": 64 * np.finfo(float).eps}
        if self.verbose:  # scipy >= 1.15 deprecates iprint; pass it only when asked
            options["iprint"] = [-1, 50, 1, 100, 101][
                np.searchsorted(np.array([0, 1, 2, 3]), self.verbose)]
        # scipy's L-BFGS-B calls BLAS on vectors of n_dof: threads only cost
        # there. The loss's helper threads block between evaluations (see
        # _logistic_loss.loss_gradient).
        with single_threaded_blas(), ThreadPoolExecutor(max(n_threads - 1, 1)) as pool:
            res = optimize.minimize(
                loss_gradient, W0.ravel(), method="L-BFGS-B", jac=True,
                options=options,
            )
        n_iter = min(res.nit, self.max_iter)
        if res.status != 0:
            msg = (f"lbfgs failed to converge after {n_iter} iteration(s) "
                   f"(status={res.status}):\n{res.message}\n")
            if n_iter == self.max_iter:
                msg += ("\nIncrease the number of iterations to improve the convergence "
                        f"(max_iter={self.max_iter}).")
            warnings.warn(msg + "\n" + _CONVERGENCE_MSG, ConvergenceWarning, stacklevel=3)
        return res.x.reshape(shape), n_iter

    def _fit_saga(self, X, target, sample_weight, W0, C, l1_ratio):
        n_samples = X.shape[0]
        sw = np.ones(n_samples, dtype=X.dtype) if sample_weight is None else sample_weight
        inv_c = 0.0 if np.isinf(C) else 1.0 / C
        alpha = inv_c * (1 - l1_ratio) / n_samples
        beta = inv_c * l1_ratio / n_samples
        # scikit-learn's get_auto_step_size for the log loss with is_saga=True
        max_squared_sum = float(np.max(np.einsum("ij,ij->i", X, X)))
        L = 0.25 * (max_squared_sum + int(self.fit_intercept)) * float(np.max(sw)) + alpha
        mun = min(2 * n_samples * alpha, L)
        step = 1.0 / (2 * L + mun)
        W = np.ascontiguousarray(W0, dtype=np.float64)
        if not self.fit_intercept:
            W = np.hstack([W, np.zeros((W.shape[0], 1))])
        seed = check_random_state(self.random_state).randint(0, np.iinfo(np.int32).max)
        n_iter = _saga.saga(X, target, sw, W, alpha, beta, step, max(self.max_iter, 1),
                            self.tol, self.fit_intercept, seed)
        return (W if self.fit_intercept else W[:, :-1]), n_iter

    def predict_proba(self, X):
        """Class probabilities (expit for two classes, softmax otherwise).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        T : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        scores = self.decision_function(X)
        if scores.ndim == 1:
            prob = expit(scores)
            return np.vstack([1 - prob, prob]).T
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))
