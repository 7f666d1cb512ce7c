"""SGDRegressor, SGDClassifier and Perceptron on the compiled epoch loop (_sgd_fast)."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets

from .._cy import _sgd_fast
from ..utils._sklearn import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    check_is_fitted,
    check_random_state,
    validate_data,
)
from ._base import LinearClassifierMixin, LinearModelMixin

MAX_INT = np.iinfo(np.int32).max
DEFAULT_EPSILON = 0.1
# codes of the compiled kernel; the value is (code, default parameter or "epsilon")
LOSSES = {
    "squared_error": (0, None),
    "huber": (1, "epsilon"),
    "epsilon_insensitive": (2, "epsilon"),
    "squared_epsilon_insensitive": (3, "epsilon"),
    "hinge": (4, 1.0),
    "perceptron": (4, 0.0),
    "squared_hinge": (5, 1.0),
    "log_loss": (6, None),
    "modified_huber": (7, None),
}
REGRESSION_LOSSES = ["squared_error", "huber", "epsilon_insensitive",
                     "squared_epsilon_insensitive"]
LEARNING_RATE_TYPES = {"constant": 1, "optimal": 2, "invscaling": 3, "adaptive": 4}
PENALTY_TYPES = {"none": 0, "l2": 2, "l1": 1, "elasticnet": 3}


class _ValidationScore:
    """Score of the held-out split, for early stopping (as scikit-learn's callback)."""

    def __init__(self, estimator, X_val, y_val, sw_val, classes=None):
        self.estimator = clone(estimator)
        self.estimator.t_ = 1
        if classes is not None:
            self.estimator.classes_ = classes
        self.estimator.n_features_in_ = X_val.shape[1]
        self.X_val, self.y_val, self.sw_val = X_val, y_val, sw_val

    def __call__(self, coef, intercept):
        est = self.estimator
        est.coef_ = coef.reshape(1, -1)
        est.intercept_ = np.atleast_1d(intercept)
        return est.score(self.X_val, self.y_val, self.sw_val)


class _BaseSGD(BaseEstimator):
    _parameter_constraints: dict = {
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "average": [Interval(Integral, 0, None, closed="neither"), "boolean"],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "power_t": [Interval(Real, None, None, closed="neither")],
        "learning_rate": [StrOptions(set(LEARNING_RATE_TYPES))],
        "epsilon": [Interval(Real, 0, None, closed="left")],
    }

    def _more_validate_params(self, for_partial_fit=False):
        if self.average:
            raise ValueError(
                "average=%r: averaged SGD is not implemented in fastml; use "
                "average=False." % (self.average,)
            )
        if self.early_stopping and for_partial_fit:
            raise ValueError("early_stopping should be False with partial_fit")
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError(
                "alpha must be > 0 since learning_rate is 'optimal'. alpha is used "
                "to compute the optimal learning rate."
            )
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be set when penalty is 'elasticnet'")

    def _loss_code(self):
        code, param = LOSSES[self.loss]
        return code, (self.epsilon if param == "epsilon" else (param or 0.0))

    def _make_validation_split(self, y, sample_mask):
        n_samples = y.shape[0]
        mask = np.zeros(n_samples, dtype=np.uint8)
        if not self.early_stopping:
            return mask
        splitter = StratifiedShuffleSplit if is_classifier(self) else ShuffleSplit
        cv = splitter(test_size=self.validation_fraction, random_state=self.random_state)
        idx_train, idx_val = next(cv.split(np.zeros((n_samples, 1)), y))
        if not np.any(sample_mask[idx_val]):
            raise ValueError(
                "The sample weights for validation set are all zero, consider using a"
                " different random state."
            )
        if idx_train.shape[0] == 0 or idx_val.shape[0] == 0:
            raise ValueError(
                "Splitting %d samples into a train set and a validation set with "
                "validation_fraction=%r led to an empty set (%d and %d samples). Please "
                "either change validation_fraction, increase number of samples, or "
                "disable early_stopping."
                % (n_samples, self.validation_fraction, idx_train.shape[0], idx_val.shape[0])
            )
        mask[idx_val] = 1
        return mask

    def _run(self, coef, intercept, X, y, sw, mask, score_cb, max_iter, seed,
             pos_weight=1.0, neg_weight=1.0):
        code, param = self._loss_code()
        penalty = PENALTY_TYPES[str(self.penalty).lower()]
        l1_ratio = 0.0 if self.l1_ratio is None else self.l1_ratio
        tol = self.tol if self.tol is not None else -np.inf
        return _sgd_fast.plain_sgd(
            coef, float(intercept), code, float(param), penalty, float(self.alpha),
            float(l1_ratio), X, y, sw, mask, bool(self.early_stopping), score_cb,
            int(self.n_iter_no_change), int(max_iter), float(tol), bool(self.fit_intercept),
            bool(self.shuffle), int(seed), float(pos_weight), float(neg_weight),
            LEARNING_RATE_TYPES[self.learning_rate], float(self.eta0), float(self.power_t),
            float(self.t_), 1.0,
        )

    def _warn_if_not_converged(self):
        if self.tol is not None and self.tol > -np.inf and self.n_iter_ == self.max_iter:
            warnings.warn(
                "Maximum number of iteration reached before convergence. Consider "
                "increasing max_iter to improve the fit.",
                ConvergenceWarning,
            )


class SGDRegressor(LinearModelMixin, RegressorMixin, _BaseSGD):
    """Linear regression by stochastic gradient descent, as scikit-learn's SGDRegressor.

    The epoch loop is compiled (``fastml._cy._sgd_fast``), adapted from
    scikit-learn's: same losses, penalties, schedules and shuffling, so the
    same ``random_state`` gives scikit-learn's coefficients. Averaged SGD
    (``average``) and the passive-aggressive rates ``pa1``/``pa2`` are not
    implemented; sparse X is not supported.

    Parameters
    ----------
    loss : {'squared_error', 'huber', 'epsilon_insensitive', \
            'squared_epsilon_insensitive'}, default='squared_error'
    penalty : {'l2', 'l1', 'elasticnet', None}, default='l2'
    alpha : float, default=1e-4
    l1_ratio : float, default=0.15
    fit_intercept : bool, default=True
    max_iter : int, default=1000
    tol : float or None, default=1e-3
    shuffle : bool, default=True
    verbose : int, default=0
    epsilon : float, default=0.1
    random_state : int, RandomState instance or None, default=None
    learning_rate : {'constant', 'optimal', 'invscaling', 'adaptive'}, default='invscaling'
    eta0 : float, default=0.01
    power_t : float, default=0.25
    early_stopping : bool, default=False
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    warm_start : bool, default=False
    average : bool or int, default=False
        Only False is supported.

    Attributes
    ----------
    coef_, intercept_, n_iter_, t_, n_features_in_

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.linear_model import SGDRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 3)
    >>> y = X @ [1.0, -2.0, 0.5] + 3
    >>> reg = SGDRegressor(random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 1)
    array([ 1. , -2. ,  0.5])
    """

    _parameter_constraints: dict = {
        **_BaseSGD._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
    }

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=0,
                 epsilon=DEFAULT_EPSILON, random_state=None, learning_rate="invscaling",
                 eta0=0.01, power_t=0.25, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, warm_start=False, average=False):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.average = average

    def _partial_fit(self, X, y, max_iter, sample_weight, coef_init, intercept_init, reset):
        first_call = getattr(self, "coef_", None) is None
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C",
                             reset=reset or first_call, y_numeric=True)
        y = y.astype(X.dtype, copy=False)
        n_samples, n_features = X.shape
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             allow_all_zero_weights=self.early_stopping)
        if first_call or coef_init is not None:
            coef = (np.zeros(n_features, dtype=X.dtype) if coef_init is None
                    else np.asarray(coef_init, dtype=X.dtype).ravel().copy())
            if coef.shape != (n_features,):
                raise ValueError("Provided coef_init does not match dataset.")
            intercept = (np.zeros(1, dtype=X.dtype) if intercept_init is None
                         else np.asarray(intercept_init, dtype=X.dtype).reshape(1))
            self.coef_, self.intercept_ = coef, intercept
        elif n_features != self.coef_.shape[-1]:
            raise ValueError(
                "Number of features %d does not match previous data %d."
                % (n_features, self.coef_.shape[-1])
            )
        if not hasattr(self, "t_"):
            self.t_ = 1.0
        mask = self._make_validation_split(y, sample_mask=sample_weight > 0)
        score_cb = None
        if self.early_stopping:
            score_cb = _ValidationScore(self, X[mask == 1], y[mask == 1],
                                        sample_weight[mask == 1])
        random_state = check_random_state(self.random_state)
        seed = random_state.randint(0, MAX_INT)
        random_state.randint(1, MAX_INT)  # the dataset's seed in scikit-learn: keep the stream
        coef = np.ascontiguousarray(self.coef_, dtype=X.dtype)
        coef, intercept, self.n_iter_ = self._run(
            coef, self.intercept_[0], X, y, sample_weight, mask, score_cb, max_iter, seed
        )
        self.t_ += self.n_iter_ * n_samples
        self.coef_ = coef
        self.intercept_ = np.atleast_1d(intercept).astype(X.dtype)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit by SGD for ``max_iter`` epochs at most.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init, intercept_init : array-like, default=None
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        self._more_validate_params()
        if self.warm_start and getattr(self, "coef_", None) is not None:
            coef_init = self.coef_ if coef_init is None else coef_init
            intercept_init = self.intercept_ if intercept_init is None else intercept_init
        else:
            self.coef_ = None
            self.intercept_ = None
        self.t_ = 1.0
        self._partial_fit(X, y, self.max_iter, sample_weight, coef_init, intercept_init,
                          reset=True)
        self._warn_if_not_converged()
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of SGD on the given samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        if not hasattr(self, "coef_"):
            self._more_validate_params(for_partial_fit=True)
        return self._partial_fit(X, y, 1, sample_weight, None, None, reset=False)


class _BaseSGDClassifier(LinearClassifierMixin, ClassifierMixin, _BaseSGD):
    """One-vs-rest binary SGD problems, as scikit-learn's BaseSGDClassifier."""

    def _partial_fit(self, X, y, max_iter, classes, sample_weight, coef_init,
                     intercept_init):
        first_call = not hasattr(self, "classes_")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C",
                             reset=first_call)
        check_classification_targets(y)
        n_samples, n_features = X.shape
        _check_partial_fit_first_call(self, classes)
        n_classes = self.classes_.shape[0]
        if n_classes < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got %d class"
                % n_classes
            )
        self._expanded_class_weight = compute_class_weight(
            self.class_weight, classes=self.classes_, y=y
        )
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             allow_all_zero_weights=self.early_stopping)
        k = n_classes if n_classes > 2 else 1
        if getattr(self, "coef_", None) is None or coef_init is not None:
            self.coef_ = (np.zeros((k, n_features), dtype=X.dtype) if coef_init is None
                          else np.array(coef_init, dtype=X.dtype).reshape(k, n_features))
            self.intercept_ = (np.zeros(k, dtype=X.dtype) if intercept_init is None
                               else np.array(intercept_init, dtype=X.dtype).reshape(k))
        elif n_features != self.coef_.shape[-1]:
            raise ValueError(
                "Number of features %d does not match previous data %d."
                % (n_features, self.coef_.shape[-1])
            )
        self.coef_ = np.ascontiguousarray(self.coef_, dtype=X.dtype)
        self.intercept_ = np.ascontiguousarray(self.intercept_, dtype=X.dtype)
        if not hasattr(self, "t_"):
            self.t_ = 1.0
        if n_classes == 2:
            rng_list = [self.random_state]
            targets = [1]
            weights = [(self._expanded_class_weight[1], self._expanded_class_weight[0])]
            mask = None
        else:
            mask = self._make_validation_split(y, sample_mask=sample_weight > 0)
            seeds = check_random_state(self.random_state).randint(MAX_INT, size=n_classes)
            rng_list = list(seeds)
            targets = list(range(n_classes))
            weights = [(self._expanded_class_weight[i], 1.0) for i in range(n_classes)]
        n_iter = 0
        log = self.loss == "log_loss"
        for row, (i, rs, (pos_w, neg_w)) in enumerate(zip(targets, rng_list, weights)):
            y_i = np.where(y == self.classes_[i], 1.0, 0.0 if log else -1.0).astype(X.dtype)
            random_state = check_random_state(rs)
            random_state.randint(1, MAX_INT)  # the dataset's seed in scikit-learn
            m = mask if mask is not None else self._make_validation_split(
                y_i, sample_mask=sample_weight > 0)
            score_cb = None
            if self.early_stopping:
                score_cb = _ValidationScore(self, X[m == 1], y_i[m == 1],
                                            sample_weight[m == 1],
                                            classes=np.array([-1, 1], dtype=y_i.dtype))
            seed = random_state.randint(MAX_INT)
            coef = self.coef_[row]  # updated in place by the kernel
            _, intercept, n_iter_i = self._run(coef, self.intercept_[row], X, y_i,
                                               sample_weight, m, score_cb, max_iter, seed,
                                               pos_w, neg_w)
            self.intercept_[row] = intercept
            n_iter = max(n_iter, n_iter_i)
        self.t_ += n_iter * n_samples
        self.n_iter_ = n_iter
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the linear classifier(s) by SGD (one-vs-rest for several classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init : array-like of shape (n_classes, n_features), default=None
        intercept_init : array-like of shape (n_classes,), default=None
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        self._more_validate_params()
        if hasattr(self, "classes_"):
            delattr(self, "classes_")
        y_checked = validate_data(self, y=y, reset=False) if y is not None else y
        classes = np.unique(y_checked)
        if self.warm_start and getattr(self, "coef_", None) is not None:
            coef_init = self.coef_ if coef_init is None else coef_init
            intercept_init = self.intercept_ if intercept_init is None else intercept_init
        else:
            self.coef_ = None
            self.intercept_ = None
        self.t_ = 1.0
        self._partial_fit(X, y, self.max_iter, classes, sample_weight, coef_init,
                          intercept_init)
        self._warn_if_not_converged()
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of SGD on the given samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        if not hasattr(self, "classes_"):
            self._more_validate_params(for_partial_fit=True)
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight '{0}' is not supported for partial_fit. In order to use"
                    " 'balanced' weights, use compute_class_weight('{0}', "
                    "classes=classes, y=y). In place of y you can use a large enough "
                    "sample of the full training set target to properly estimate the "
                    "class frequency distributions. Pass the resulting weights as the "
                    "class_weight parameter.".format(self.class_weight)
                )
        return self._partial_fit(X, y, 1, classes, sample_weight, None, None)


class SGDClassifier(_BaseSGDClassifier):
    """Linear classifiers by SGD, as :class:`sklearn.linear_model.SGDClassifier`.

    Binary problems train one compiled SGD run; several classes train one per
    class (one-vs-rest) with scikit-learn's per-class seeds, so for the same
    ``random_state`` the coefficients equal scikit-learn's. ``average`` and
    ``pa1``/``pa2`` are not implemented; sparse X is not supported.

    Parameters
    ----------
    loss : {'hinge', 'log_loss', 'modified_huber', 'squared_hinge', 'perceptron', \
            'squared_error', 'huber', 'epsilon_insensitive', \
            'squared_epsilon_insensitive'}, default='hinge'
    penalty : {'l2', 'l1', 'elasticnet', None}, default='l2'
    alpha, l1_ratio, fit_intercept, max_iter, tol, shuffle, verbose, epsilon,
    n_jobs, random_state, learning_rate, eta0, power_t, early_stopping,
    validation_fraction, n_iter_no_change, class_weight, warm_start, average :
        as scikit-learn (``learning_rate`` default 'optimal', ``power_t`` 0.5).

    Attributes
    ----------
    coef_, intercept_, n_iter_, classes_, t_, n_features_in_

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from fastml.linear_model import SGDClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = SGDClassifier(random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.8
    True
    """

    _parameter_constraints: dict = {
        **_BaseSGD._parameter_constraints,
        "loss": [StrOptions(set(LOSSES))],
        "n_jobs": [Integral, None],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(self, loss="hinge", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=0,
                 epsilon=DEFAULT_EPSILON, n_jobs=None, random_state=None,
                 learning_rate="optimal", eta0=0.01, power_t=0.5, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, class_weight=None,
                 warm_start=False, average=False):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.average = average

    def _check_proba(self):
        if self.loss not in ("log_loss", "modified_huber"):
            raise AttributeError(
                "probability estimates are not available for loss=%r" % self.loss
            )
        return True

    @property
    def predict_proba(self):
        """Probability estimates (loss='log_loss' or 'modified_huber' only)."""
        self._check_proba()
        return self._predict_proba

    def _predict_proba(self, X):
        check_is_fitted(self)
        scores = self.decision_function(X)
        if self.loss == "log_loss":
            from scipy.special import expit

            if scores.ndim == 1:
                p = expit(scores)
                return np.vstack([1 - p, p]).T
            prob = expit(scores)
            prob /= prob.sum(axis=1).reshape((prob.shape[0], -1))
            return prob
        binary = len(self.classes_) == 2
        if binary:
            prob2 = np.ones((scores.shape[0], 2))
            prob = prob2[:, 1]
        else:
            prob = scores
        np.clip(scores, -1, 1, prob)
        prob += 1.0
        prob /= 2.0
        if binary:
            prob2[:, 0] -= prob
            return prob2
        prob_sum = prob.sum(axis=1)
        all_zero = prob_sum == 0
        if np.any(all_zero):
            prob[all_zero, :] = 1
            prob_sum[all_zero] = len(self.classes_)
        prob /= prob_sum.reshape((prob.shape[0], -1))
        return prob

    @property
    def predict_log_proba(self):
        """Log of :meth:`predict_proba`."""
        self._check_proba()
        return lambda X: np.log(self._predict_proba(X))


class Perceptron(_BaseSGDClassifier):
    """The perceptron, as :class:`sklearn.linear_model.Perceptron`.

    SGD with the perceptron loss (hinge with threshold 0), constant learning
    rate ``eta0`` and no penalty by default, on the compiled epoch loop.

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet', None}, default=None
    alpha : float, default=1e-4
    l1_ratio : float, default=0.15
    fit_intercept : bool, default=True
    max_iter : int, default=1000
    tol : float or None, default=1e-3
    shuffle : bool, default=True
    verbose : int, default=0
    eta0 : float, default=1.0
    n_jobs : int, default=None
    random_state : int, RandomState instance or None, default=0
    early_stopping : bool, default=False
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    class_weight : dict or 'balanced', default=None
    warm_start : bool, default=False

    Attributes
    ----------
    coef_, intercept_, n_iter_, classes_, t_, n_features_in_

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastml.linear_model import Perceptron
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = Perceptron(tol=1e-3, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **_BaseSGD._parameter_constraints,
        "n_jobs": [Integral, None],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }
    for _k in ("average", "learning_rate", "power_t", "epsilon"):
        _parameter_constraints.pop(_k)
    del _k

    def __init__(self, *, penalty=None, alpha=0.0001, l1_ratio=0.15, fit_intercept=True,
                 max_iter=1000, tol=1e-3, shuffle=True, verbose=0, eta0=1.0, n_jobs=None,
                 random_state=0, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, class_weight=None, warm_start=False):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.eta0 = eta0
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start

    # fixed choices of the perceptron (not constructor parameters)
    loss = "perceptron"
    learning_rate = "constant"
    power_t = 0.5
    epsilon = DEFAULT_EPSILON
    average = False
