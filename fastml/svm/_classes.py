"""SVC and SVR: scikit-learn's kernel SVMs on fastml's compiled SMO solver."""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from fastml.svm._base import (
    BaseLibSVM,
    _one_vs_one_coef,
    drop_nonpositive_weights,
    targets_1d,
    train_ovo,
    train_svr,
)
from fastml.utils._sklearn import (
    Hidden,
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
)


def _ovr_decision_function(predictions, confidences, n_classes):
    """One-vs-one votes plus bounded confidences -> one-vs-rest scores (as sklearn)."""
    n_samples = predictions.shape[0]
    votes = np.zeros((n_samples, n_classes))
    conf = np.zeros((n_samples, n_classes))
    k = 0
    for i in range(n_classes):
        for j in range(i + 1, n_classes):
            conf[:, i] -= confidences[:, k]
            conf[:, j] += confidences[:, k]
            votes[predictions[:, k] == 0, i] += 1
            votes[predictions[:, k] == 1, j] += 1
            k += 1
    return votes + conf / (3 * (np.abs(conf) + 1))


class SVC(ClassifierMixin, BaseLibSVM):
    """C-Support Vector Classification, as scikit-learn's ``SVC``.

    The dual is solved by fastml's compiled SMO (libsvm's algorithm: WSS3
    second-order working-set selection, shrinking, an LRU cache of kernel
    columns bounded by ``cache_size`` MB); multiclass is one-vs-one, as
    libsvm. Kernel columns are computed with BLAS against precomputed squared
    norms and split over OpenMP threads. Dense input only; ``probability=True``
    is not supported (deprecated in scikit-learn 1.9).

    Parameters
    ----------
    C : float, default=1.0
    kernel : {'linear', 'poly', 'rbf', 'sigmoid', 'precomputed'} or callable, default='rbf'
    degree : int, default=3
    gamma : {'scale', 'auto'} or float, default='scale'
    coef0 : float, default=0.0
    shrinking : bool, default=True
    probability : bool, default='deprecated'
        Only False is supported.
    tol : float, default=1e-3
    cache_size : float, default=200
        Kernel cache size in MB.
    class_weight : dict or 'balanced', default=None
    verbose : bool, default=False
        Accepted for compatibility; fastml's solver prints nothing.
    max_iter : int, default=-1
        Iteration limit per binary problem, -1 for none.
    decision_function_shape : {'ovo', 'ovr'}, default='ovr'
    break_ties : bool, default=False
    random_state : int, RandomState instance or None, default=None
        Unused (only probability estimates are random in libsvm).

    Attributes
    ----------
    class_weight_, classes_, support_, support_vectors_, n_support_,
    dual_coef_, intercept_, fit_status_, n_iter_, shape_fit_, coef_ (linear),
    n_features_in_, feature_names_in_ : as scikit-learn's SVC.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastml.svm import SVC
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SVC(kernel="rbf", C=1.0).fit(X, y)
    >>> clf.n_support_
    array([ 7, 29, 24], dtype=int32)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    """

    _parameter_constraints: dict = {
        **BaseLibSVM._parameter_constraints,
        "probability": ["boolean", Hidden(StrOptions({"deprecated"}))],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "random_state": ["random_state"],
        "decision_function_shape": [StrOptions({"ovr", "ovo"})],
        "break_ties": ["boolean"],
    }

    def __init__(
        self,
        *,
        C=1.0,
        kernel="rbf",
        degree=3,
        gamma="scale",
        coef0=0.0,
        shrinking=True,
        probability="deprecated",
        tol=1e-3,
        cache_size=200,
        class_weight=None,
        verbose=False,
        max_iter=-1,
        decision_function_shape="ovr",
        break_ties=False,
        random_state=None,
    ):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.shrinking = shrinking
        self.probability = probability
        self.tol = tol
        self.cache_size = cache_size
        self.class_weight = class_weight
        self.verbose = verbose
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.break_ties = break_ties
        self.random_state = random_state

    def _validate_targets(self, y):
        y_ = targets_1d(y)
        check_classification_targets(y)
        cls, y_enc = np.unique(y_, return_inverse=True)
        self.class_weight_ = compute_class_weight(self.class_weight, classes=cls, y=y_)
        if len(cls) < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got %d class" % len(cls)
            )
        self.classes_ = cls
        return y_enc

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the SVM on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Rescale C per sample.

        Returns
        -------
        self : object
        """
        if self.probability is True:
            raise ValueError(
                "fastml's SVC does not implement probability=True (deprecated in "
                "scikit-learn 1.9); use CalibratedClassifierCV(SVC(), ensemble=False)."
            )
        X, y_enc, sw, kernel = self._prepare_fit(X, y, sample_weight)
        X, y_enc, sw = drop_nonpositive_weights(X, y_enc, sw, kernel == "precomputed", True)
        n_class = self.classes_.shape[0]
        C_per_class = self.C * self.class_weight_
        (
            self.support_,
            self._n_support,
            self._dual_coef_,
            self._intercept_,
            self.fit_status_,
            self.n_iter_,
        ) = train_ovo(X, y_enc, n_class, C_per_class, sw, self._solver_args(kernel))
        self.support_vectors_ = (
            np.empty((0, 0)) if kernel == "precomputed" else X[self.support_].copy()
        )
        self._check_finite_solution()
        # scikit-learn reports the binary model for classes_[1] as positive
        if n_class == 2:
            self.dual_coef_ = -self._dual_coef_
            self.intercept_ = -self._intercept_
        else:
            self.dual_coef_ = self._dual_coef_
            self.intercept_ = self._intercept_.copy()
        self._probA = self._probB = np.empty(0)
        self._warn_from_fit_status()
        return self

    @property
    def n_support_(self):
        """Number of support vectors per class."""
        check_is_fitted(self, "support_")
        return self._n_support

    @property
    def probA_(self):
        return self._probA

    @property
    def probB_(self):
        return self._probB

    def decision_function(self, X):
        """Decision values, shape (n_samples,) for two classes, else
        (n_samples, n_classes) ('ovr') or (n_samples, n_classes*(n_classes-1)/2) ('ovo').

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        dec : ndarray
        """
        dec = self._raw_decision(X)
        if self.classes_.shape[0] == 2:
            return -dec.ravel()
        if self.decision_function_shape == "ovr":
            return _ovr_decision_function(dec < 0, -dec, len(self.classes_))
        return dec

    def predict(self, X):
        """Class labels for X (libsvm's one-vs-one vote, ties to the lower class).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if self.break_ties and self.decision_function_shape == "ovo":
            raise ValueError("break_ties must be False when decision_function_shape is 'ovo'")
        n_class = self.classes_.shape[0]
        if self.break_ties and self.decision_function_shape == "ovr" and n_class > 2:
            return self.classes_.take(np.argmax(self.decision_function(X), axis=1))
        dec = self._raw_decision(X)
        votes = np.zeros((dec.shape[0], n_class), dtype=np.intp)
        p = 0
        for i in range(n_class):
            for j in range(i + 1, n_class):
                pos = dec[:, p] > 0
                votes[pos, i] += 1
                votes[~pos, j] += 1
                p += 1
        return self.classes_.take(np.argmax(votes, axis=1))

    def _get_coef(self):
        if self.dual_coef_.shape[0] == 1:
            return self.dual_coef_ @ self.support_vectors_
        return _one_vs_one_coef(self.dual_coef_, self._n_support, self.support_vectors_)



class SVR(RegressorMixin, BaseLibSVM):
    """Epsilon-Support Vector Regression, as scikit-learn's ``SVR``.

    Solved by fastml's compiled SMO over the 2n-variable epsilon-SVR dual
    (libsvm's formulation, WSS3, shrinking, bounded LRU kernel cache).

    Parameters
    ----------
    kernel : {'linear', 'poly', 'rbf', 'sigmoid', 'precomputed'} or callable, default='rbf'
    degree : int, default=3
    gamma : {'scale', 'auto'} or float, default='scale'
    coef0 : float, default=0.0
    tol : float, default=1e-3
    C : float, default=1.0
    epsilon : float, default=0.1
    shrinking : bool, default=True
    cache_size : float, default=200
    verbose : bool, default=False
    max_iter : int, default=-1

    Attributes
    ----------
    support_, support_vectors_, n_support_, dual_coef_, intercept_,
    fit_status_, n_iter_, shape_fit_, coef_ (linear), n_features_in_ :
    as scikit-learn's SVR.

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.svm import SVR
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(50, 3)
    >>> y = X @ [1.0, 2.0, 0.5]
    >>> reg = SVR(kernel="linear", C=10.0).fit(X, y)
    >>> round(float(reg.score(X, y)), 3)
    0.999
    """

    _parameter_constraints: dict = {
        **BaseLibSVM._parameter_constraints,
        "epsilon": [Interval(Real, 0.0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        kernel="rbf",
        degree=3,
        gamma="scale",
        coef0=0.0,
        tol=1e-3,
        C=1.0,
        epsilon=0.1,
        shrinking=True,
        cache_size=200,
        verbose=False,
        max_iter=-1,
    ):
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.C = C
        self.epsilon = epsilon
        self.shrinking = shrinking
        self.cache_size = cache_size
        self.verbose = verbose
        self.max_iter = max_iter

    def _validate_targets(self, y):
        return targets_1d(y).astype(np.float64, copy=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the SVR on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        X, y, sw, kernel = self._prepare_fit(X, y, sample_weight)
        X, y, sw = drop_nonpositive_weights(X, y, sw, kernel == "precomputed", False)
        (
            self.support_,
            self._dual_coef_,
            self._intercept_,
            self.fit_status_,
            self.n_iter_,
        ) = train_svr(X, y, float(self.C), sw, self.epsilon, self._solver_args(kernel))
        self._n_support = np.array([self.support_.size, self.support_.size], dtype=np.int32)
        self.support_vectors_ = (
            np.empty((0, 0)) if kernel == "precomputed" else X[self.support_].copy()
        )
        self._check_finite_solution()
        self.dual_coef_ = self._dual_coef_
        self.intercept_ = self._intercept_.copy()
        self._warn_from_fit_status()
        return self

    @property
    def n_support_(self):
        """Number of support vectors."""
        check_is_fitted(self, "support_")
        return np.array([self._n_support[0]], dtype=np.int32)

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._raw_decision(X).ravel()
