"""LinearSVC on fastml's compiled dual coordinate descent (liblinear's algorithm)."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from fastml._cy._svm_l1r_cd import l1r_l2_svc
from fastml._cy._svm_linear_cd import dual_cd_svc
from fastml.utils._sklearn import (
    Interval,
    LinearClassifierMixin,
    SparseCoefMixin,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    check_random_state,
    validate_data,
)


class LinearSVC(LinearClassifierMixin, SparseCoefMixin, BaseEstimator):
    """Linear Support Vector Classification, as scikit-learn's ``LinearSVC``.

    Solved by liblinear's dual coordinate descent (Hsieh et al. 2008) with
    shrinking, compiled in Cython; one-vs-rest for more than two classes. The
    intercept is learned as the weight of a constant feature
    ``intercept_scaling`` (so it is regularised, as in liblinear).

    ``penalty='l1'`` (with squared hinge, ``dual=False``) uses liblinear's
    primal coordinate descent with Newton steps and line search (Yuan et al.
    2010), also compiled. For ``penalty='l2'`` the primal problem is strictly
    convex, so ``dual=False`` (scikit-learn's primal trust-region solver) has
    the same solution; fastml reaches it through the dual. ``multi_class=
    'crammer_singer'`` raises NotImplementedError.

    Parameters
    ----------
    penalty : {'l1', 'l2'}, default='l2'
    loss : {'hinge', 'squared_hinge'}, default='squared_hinge'
    dual : 'auto' or bool, default='auto'
    tol : float, default=1e-4
    C : float, default=1.0
    multi_class : {'ovr', 'crammer_singer'}, default='ovr'
    fit_intercept : bool, default=True
    intercept_scaling : float, default=1.0
    class_weight : dict or 'balanced', default=None
    verbose : int, default=0
    random_state : int, RandomState instance or None, default=None
        Seeds the order in which coordinates are visited.
    max_iter : int, default=1000

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    classes_ : ndarray of shape (n_classes,)
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastml.svm import LinearSVC
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LinearSVC(random_state=0).fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    >>> float(clf.score(X, y)) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l1", "l2"})],
        "loss": [StrOptions({"hinge", "squared_hinge"})],
        "dual": ["boolean", StrOptions({"auto"})],
        "tol": [Interval(Real, 0.0, None, closed="neither")],
        "C": [Interval(Real, 0.0, None, closed="neither")],
        "multi_class": [StrOptions({"ovr", "crammer_singer"})],
        "fit_intercept": ["boolean"],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [None, dict, StrOptions({"balanced"})],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        penalty="l2",
        loss="squared_hinge",
        *,
        dual="auto",
        tol=1e-4,
        C=1.0,
        multi_class="ovr",
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        verbose=0,
        random_state=None,
        max_iter=1000,
    ):
        self.penalty = penalty
        self.loss = loss
        self.dual = dual
        self.tol = tol
        self.C = C
        self.multi_class = multi_class
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.verbose = verbose
        self.random_state = random_state
        self.max_iter = max_iter

    def _check_combination(self):
        if self.multi_class == "crammer_singer":
            raise NotImplementedError("fastml's LinearSVC implements multi_class='ovr' only.")
        if self.penalty == "l1":
            if self.loss == "hinge":
                raise ValueError(
                    "Unsupported set of arguments: The combination of penalty='l1' "
                    "and loss='hinge' is not supported, Parameters: penalty='l1', "
                    "loss='hinge', dual=%s" % self.dual
                )
            if self.dual is True:
                raise ValueError(
                    "Unsupported set of arguments: The combination of penalty='l1' "
                    "and loss='squared_hinge' are not supported when dual=True, "
                    "Parameters: penalty='l1', loss='squared_hinge', dual=True"
                )
        if self.loss == "hinge" and self.dual is False:
            raise ValueError(
                "Unsupported set of arguments: The combination of penalty='l2' "
                "and loss='hinge' are not supported when dual=False, "
                "Parameters: penalty='l2', loss='hinge', dual=False"
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        X, y = validate_data(self, X, y, dtype=np.float64, order="C", accept_sparse=False)
        check_classification_targets(y)
        self._check_combination()
        self.classes_, y_ind = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes"
                " in the data, but the data contains only one"
                " class: %r" % self.classes_[0]
            )
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        cw = compute_class_weight(
            self.class_weight, classes=self.classes_, y=y, sample_weight=sample_weight
        )
        rnd = check_random_state(self.random_state)
        seed = int(rnd.randint(np.iinfo("i").max))
        bias = float(self.intercept_scaling) if self.fit_intercept else 0.0
        n_samples, n_features = X.shape
        # two classes: one model, classes_[1] positive; more: one-vs-rest
        targets = [1] if self.classes_.size == 2 else range(self.classes_.size)
        raw = np.empty((len(targets), n_features + 1))
        n_iter = []
        index = np.empty(n_samples, dtype=np.intc)
        alpha = np.empty(n_samples)
        for row, k in enumerate(targets):
            pos = y_ind == k
            ys = np.where(pos, 1.0, -1.0)
            if self.classes_.size == 2:
                C = self.C * sample_weight * np.where(pos, cw[1], cw[0])
            else:  # liblinear weights only the positive class in one-vs-rest
                C = self.C * sample_weight * np.where(pos, cw[k], 1.0)
            # zero-weight samples get an (unused) tiny box instead of 1/(2*0)
            C = np.maximum(C, np.finfo(np.float64).tiny)
            keep = sample_weight > 0
            Xs, ys, Cs = (X, ys, C) if keep.all() else (X[keep], ys[keep], C[keep])
            if self.penalty == "l1":
                n_iter.append(self._fit_l1(Xs, ys, Cs, bias, seed, raw[row]))
                continue
            n_iter.append(
                dual_cd_svc(
                    Xs, ys, Cs, bias, self.loss == "squared_hinge", float(self.tol),
                    int(self.max_iter), seed, raw[row], index[: Xs.shape[0]],
                    alpha[: Xs.shape[0]],
                )
            )
        self.n_iter_ = int(max(n_iter))
        if self.n_iter_ >= self.max_iter:
            warnings.warn(
                "Liblinear failed to converge, increase the number of iterations.",
                ConvergenceWarning,
            )
        self.coef_ = raw[:, :-1].copy()
        self.intercept_ = bias * raw[:, -1] if self.fit_intercept else 0.0
        return self

    def _fit_l1(self, X, y, C, bias, seed, w):
        # liblinear's primal L1 solver works on columns of y_i * [x_i, bias]
        n_cols = X.shape[1] + 1
        YX = np.empty((X.shape[0], n_cols), order="F")
        np.multiply(X, y[:, None], out=YX[:, :-1])
        YX[:, -1] = bias * y
        return l1r_l2_svc(
            YX, C, float(self.tol), int(self.max_iter), seed, w,
            np.empty(n_cols, dtype=np.intc), np.empty(X.shape[0]), np.empty(n_cols),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags
