"""AdaBoost: SAMME for classification, AdaBoost.R2 for regression.

Mirrors ``sklearn/ensemble/_weight_boosting.py`` (BSD-3, the scikit-learn
developers): the same weight updates, early stops and random draws, with
fastml's decision trees as the default weak learners.
"""

import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, is_classifier, is_regressor
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils.extmath import softmax
from sklearn.utils.validation import has_fit_parameter

from fastml.ensemble._base import BaseEnsemble, _default_tree
from fastml.utils._sklearn import (
    HasMethods,
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    _num_samples,
    _raise_for_unsupported_routing,
    _RoutingNotSupportedMixin,
    check_is_fitted,
    check_random_state,
    validate_data,
)

__all__ = ["AdaBoostClassifier", "AdaBoostRegressor"]


class BaseWeightBoosting(BaseEnsemble, metaclass=ABCMeta):
    """Base class for AdaBoost estimators."""

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    @abstractmethod
    def __init__(self, estimator=None, *, n_estimators=50, estimator_params=tuple(),
                 learning_rate=1.0, random_state=None):
        super().__init__(estimator=estimator, n_estimators=n_estimators,
                         estimator_params=estimator_params)
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _base_estimator(self):
        return self.estimator if self.estimator is not None else self._default_estimator()

    def _accept_sparse(self):
        est = self._base_estimator()
        return ["csr", "csc"] if get_tags(est).input_tags.sparse else False

    def _check_X(self, X):
        return validate_data(self, X, accept_sparse=self._accept_sparse(), ensure_2d=True,
                             allow_nd=True, dtype=None, reset=False)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Build a boosted ensemble from the training set (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Initial weights (uniform when None); must be non-negative.

        Returns
        -------
        self : object
        """
        _raise_for_unsupported_routing(self, "fit", sample_weight=sample_weight)
        X, y = validate_data(self, X, y, accept_sparse=self._accept_sparse(), ensure_2d=True,
                             allow_nd=True, dtype=None, y_numeric=is_regressor(self))
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, copy=True,
                                             ensure_non_negative=True)
        sample_weight /= sample_weight.sum()
        self._validate_estimator()
        self.estimators_ = []
        self.estimator_weights_ = np.zeros(self.n_estimators, dtype=np.float64)
        self.estimator_errors_ = np.ones(self.n_estimators, dtype=np.float64)
        random_state = check_random_state(self.random_state)
        epsilon = np.finfo(sample_weight.dtype).eps
        zero_weight_mask = sample_weight == 0.0
        for iboost in range(self.n_estimators):
            # tiny positive weights keep log(weight) finite; zero stays zero
            sample_weight = np.clip(sample_weight, a_min=epsilon, a_max=None)
            sample_weight[zero_weight_mask] = 0.0
            sample_weight, weight, error = self._boost(iboost, X, y, sample_weight, random_state)
            if sample_weight is None:  # learner worse than chance: stop
                break
            self.estimator_weights_[iboost] = weight
            self.estimator_errors_[iboost] = error
            if error == 0:  # perfect fit: stop
                break
            total = np.sum(sample_weight)
            if not np.isfinite(total):
                warnings.warn(
                    "Sample weights have reached infinite values, at iteration "
                    f"{iboost}, causing overflow. Iterations stopped. Try lowering the "
                    "learning rate.",
                    stacklevel=2,
                )
                break
            if total <= 0:
                break
            if iboost < self.n_estimators - 1:
                sample_weight /= total
        return self

    @abstractmethod
    def _boost(self, iboost, X, y, sample_weight, random_state):
        """One boosting step: (new sample_weight, estimator weight, error), or Nones to stop."""

    def staged_score(self, X, y, sample_weight=None):
        """Accuracy (classifier) or R2 (regressor) after each boosting iteration."""
        X = self._check_X(X)
        score = accuracy_score if is_classifier(self) else r2_score
        for y_pred in self.staged_predict(X):
            yield score(y, y_pred, sample_weight=sample_weight)

    @property
    def feature_importances_(self):
        """Weighted mean of the learners' impurity-based feature importances."""
        if self.estimators_ is None or len(self.estimators_) == 0:
            raise ValueError(
                "Estimator not fitted, call `fit` before `feature_importances_`."
            )
        try:
            norm = self.estimator_weights_.sum()
            return sum(
                w * clf.feature_importances_
                for w, clf in zip(self.estimator_weights_, self.estimators_)
            ) / norm
        except AttributeError as e:
            raise AttributeError(
                "Unable to compute feature importances since estimator does not have a "
                "feature_importances_ attribute"
            ) from e

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = bool(self._accept_sparse())
        return tags


class AdaBoostClassifier(_RoutingNotSupportedMixin, ClassifierMixin, BaseWeightBoosting):
    """An AdaBoost classifier (multi-class SAMME).

    Same parameters, attributes, errors and results as
    :class:`sklearn.ensemble.AdaBoostClassifier`; the default weak learner is
    ``fastml.tree.DecisionTreeClassifier(max_depth=1)``.

    Parameters
    ----------
    estimator : object, default=None
        Weak learner supporting ``sample_weight``.
    n_estimators : int, default=50
        Maximum number of learners (boosting stops early on a perfect fit).
    learning_rate : float, default=1.0
        Shrinks each learner's weight.
    random_state : int, RandomState instance or None, default=None
        Seeds the learners' ``random_state``.

    Attributes
    ----------
    estimator_ : estimator
    estimators_ : list of classifiers
    classes_ : ndarray of shape (n_classes,)
    n_classes_ : int
    estimator_weights_ : ndarray of floats
    estimator_errors_ : ndarray of floats
    feature_importances_ : ndarray of shape (n_features,)
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from fastml.ensemble import AdaBoostClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1),
    ...                          n_estimators=20, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    def __init__(self, estimator=None, *, n_estimators=50, learning_rate=1.0, random_state=None):
        super().__init__(estimator=estimator, n_estimators=n_estimators,
                         learning_rate=learning_rate, random_state=random_state)

    @staticmethod
    def _default_estimator():
        return _default_tree("classifier", max_depth=1)

    def _validate_estimator(self):
        super()._validate_estimator(default=self._base_estimator())
        if not has_fit_parameter(self.estimator_, "sample_weight"):
            raise ValueError(f"{self.estimator.__class__.__name__} doesn't support sample_weight.")

    def _boost(self, iboost, X, y, sample_weight, random_state):
        """One SAMME step."""
        estimator = self._make_estimator(random_state=random_state)
        estimator.fit(X, y, sample_weight=sample_weight)
        y_predict = estimator.predict(X)
        if iboost == 0:
            self.classes_ = getattr(estimator, "classes_", None)
            self.n_classes_ = len(self.classes_)
        incorrect = y_predict != y
        error = np.mean(np.average(incorrect, weights=sample_weight, axis=0))
        if error <= 0:
            return sample_weight, 1.0, 0.0
        n_classes = self.n_classes_
        if error >= 1.0 - 1.0 / n_classes:
            self.estimators_.pop(-1)
            if len(self.estimators_) == 0:
                raise ValueError(
                    "BaseClassifier in AdaBoostClassifier ensemble is worse than random, "
                    "ensemble can not be fit."
                )
            return None, None, None
        weight = self.learning_rate * (np.log((1.0 - error) / error) + np.log(n_classes - 1.0))
        if iboost != self.n_estimators - 1:
            sample_weight = np.exp(np.log(sample_weight) + weight * incorrect * (sample_weight > 0))
        return sample_weight, weight, error

    def predict(self, X):
        """Predict classes for X (weighted vote of the learners)."""
        pred = self.decision_function(X)
        if self.n_classes_ == 2:
            return self.classes_.take(pred > 0, axis=0)
        return self.classes_.take(np.argmax(pred, axis=1), axis=0)

    def staged_predict(self, X):
        """Predicted classes after each boosting iteration."""
        X = self._check_X(X)
        for pred in self.staged_decision_function(X):
            if self.n_classes_ == 2:
                yield np.array(self.classes_.take(pred > 0, axis=0))
            else:
                yield np.array(self.classes_.take(np.argmax(pred, axis=1), axis=0))

    def _vote(self, estimator, weight, X):
        """SAMME's symmetric coding: +w for the predicted class, -w/(K-1) elsewhere."""
        hits = estimator.predict(X)[:, np.newaxis] == self.classes_[np.newaxis, :]
        return np.where(hits, weight, -1.0 / (self.n_classes_ - 1) * weight)

    def decision_function(self, X):
        """Decision function of X: (n_samples,) for binary, (n_samples, n_classes) otherwise."""
        check_is_fitted(self)
        X = self._check_X(X)
        if self.n_classes_ == 1:
            return np.zeros_like(X, shape=(X.shape[0], 1))
        pred = sum(self._vote(e, w, X) for e, w in zip(self.estimators_, self.estimator_weights_))
        pred /= self.estimator_weights_.sum()
        if self.n_classes_ == 2:
            pred[:, 0] *= -1
            return pred.sum(axis=1)
        return pred

    def staged_decision_function(self, X):
        """Decision function after each boosting iteration."""
        check_is_fitted(self)
        X = self._check_X(X)
        pred, norm = None, 0.0
        for weight, estimator in zip(self.estimator_weights_, self.estimators_):
            norm += weight
            current = self._vote(estimator, weight, X)
            pred = current if pred is None else pred + current
            if self.n_classes_ == 2:
                tmp = np.copy(pred)
                tmp[:, 0] *= -1
                yield (tmp / norm).sum(axis=1)
            else:
                yield pred / norm

    @staticmethod
    def _compute_proba_from_decision(decision, n_classes):
        if n_classes == 2:
            decision = np.vstack([-decision, decision]).T / 2
        else:
            decision /= n_classes - 1
        return softmax(decision, copy=False)

    def predict_proba(self, X):
        """Class probabilities of X (softmax of the scaled decision function)."""
        check_is_fitted(self)
        if self.n_classes_ == 1:
            return np.ones((_num_samples(X), 1))
        return self._compute_proba_from_decision(self.decision_function(X), self.n_classes_)

    def staged_predict_proba(self, X):
        """Class probabilities after each boosting iteration."""
        for decision in self.staged_decision_function(X):
            yield self._compute_proba_from_decision(decision, self.n_classes_)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))


class AdaBoostRegressor(_RoutingNotSupportedMixin, RegressorMixin, BaseWeightBoosting):
    """An AdaBoost regressor (AdaBoost.R2, Drucker 1997).

    Same parameters, attributes, errors and results as
    :class:`sklearn.ensemble.AdaBoostRegressor`; the default weak learner is
    ``fastml.tree.DecisionTreeRegressor(max_depth=3)``.

    Parameters
    ----------
    estimator : object, default=None
    n_estimators : int, default=50
    learning_rate : float, default=1.0
    loss : {'linear', 'square', 'exponential'}, default='linear'
        How errors shrink the sample weights.
    random_state : int, RandomState instance or None, default=None
        Seeds the weighted bootstrap and the learners.

    Attributes
    ----------
    estimator_ : estimator
    estimators_ : list of regressors
    estimator_weights_ : ndarray of floats
    estimator_errors_ : ndarray of floats
    feature_importances_ : ndarray of shape (n_features,)
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from fastml.ensemble import AdaBoostRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = AdaBoostRegressor(DecisionTreeRegressor(max_depth=3), random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.5
    True
    """

    _parameter_constraints: dict = {
        **BaseWeightBoosting._parameter_constraints,
        "loss": [StrOptions({"linear", "square", "exponential"})],
    }

    def __init__(self, estimator=None, *, n_estimators=50, learning_rate=1.0, loss="linear",
                 random_state=None):
        super().__init__(estimator=estimator, n_estimators=n_estimators,
                         learning_rate=learning_rate, random_state=random_state)
        self.loss = loss

    @staticmethod
    def _default_estimator():
        return _default_tree("regressor", max_depth=3)

    def _validate_estimator(self):
        super()._validate_estimator(default=self._base_estimator())

    def _boost(self, iboost, X, y, sample_weight, random_state):
        """One AdaBoost.R2 step: fit on a weighted bootstrap, reweight by relative error."""
        estimator = self._make_estimator(random_state=random_state)
        n = _num_samples(X)
        idx = random_state.choice(np.arange(n), size=n, replace=True, p=sample_weight)
        estimator.fit(_safe_indexing(X, idx), _safe_indexing(y, idx))
        error_vect = np.abs(estimator.predict(X) - y)
        mask = sample_weight > 0
        masked_weight = sample_weight[mask]
        masked_error = error_vect[mask]
        error_max = masked_error.max()
        if error_max != 0:
            masked_error /= error_max
        if self.loss == "square":
            masked_error **= 2
        elif self.loss == "exponential":
            masked_error = 1.0 - np.exp(-masked_error)
        error = (masked_weight * masked_error).sum()
        if error <= 0:
            return sample_weight, 1.0, 0.0
        if error >= 0.5:
            if len(self.estimators_) > 1:
                self.estimators_.pop(-1)
            return None, None, None
        beta = error / (1.0 - error)
        weight = self.learning_rate * np.log(1.0 / beta)
        if iboost != self.n_estimators - 1:
            sample_weight[mask] *= np.power(beta, (1.0 - masked_error) * self.learning_rate)
        return sample_weight, weight, error

    def _get_median_predict(self, X, limit):
        """Weighted median of the first ``limit`` learners' predictions."""
        predictions = np.array([est.predict(X) for est in self.estimators_[:limit]]).T
        sorted_idx = np.argsort(predictions, axis=1)
        weight_cdf = np.cumsum(self.estimator_weights_[sorted_idx], axis=1)
        median_or_above = weight_cdf >= 0.5 * weight_cdf[:, -1][:, np.newaxis]
        median_idx = median_or_above.argmax(axis=1)
        rows = np.arange(_num_samples(X))
        return predictions[rows, sorted_idx[rows, median_idx]]

    def predict(self, X):
        """Weighted median prediction of the learners."""
        check_is_fitted(self)
        X = self._check_X(X)
        return self._get_median_predict(X, len(self.estimators_))

    def staged_predict(self, X):
        """Weighted median prediction after each boosting iteration."""
        check_is_fitted(self)
        X = self._check_X(X)
        for i in range(1, len(self.estimators_) + 1):
            yield self._get_median_predict(X, limit=i)
