"""Voting ensembles: majority / probability-averaging classifier, averaging regressor.

Mirrors ``sklearn/ensemble/_voting.py`` (BSD-3, the scikit-learn developers);
hard votes are tallied with one vectorised scatter per estimator instead of a
per-sample ``bincount``.
"""

from abc import abstractmethod
from numbers import Integral

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import column_or_1d

from fastml.ensemble._base import _BaseHeterogeneousEnsemble, _fit_single_estimator
from fastml.utils._sklearn import (
    StrOptions,
    _check_feature_names_in,
    _fit_context,
    _manual_routing,
    _raise_for_params,
    _routing_enabled,
    check_is_fitted,
    process_routing,
)


class _BaseVoting(TransformerMixin, _BaseHeterogeneousEnsemble):
    _parameter_constraints: dict = {
        "estimators": [list],
        "weights": ["array-like", None],
        "n_jobs": [None, Integral],
        "verbose": ["verbose"],
    }

    def _log_message(self, name, idx, total):
        return f"({idx} of {total}) Processing {name}" if self.verbose else None

    @property
    def _weights_not_none(self):
        """The weights of the estimators that are not dropped."""
        if self.weights is None:
            return None
        return [w for est, w in zip(self.estimators, self.weights) if est[1] != "drop"]

    def _predict(self, X):
        return np.asarray([est.predict(X) for est in self.estimators_]).T

    @abstractmethod
    def fit(self, X, y, **fit_params):
        names, clfs = self._validate_estimators()
        if self.weights is not None and len(self.weights) != len(self.estimators):
            raise ValueError(
                "Number of `estimators` and weights must be equal; got "
                f"{len(self.weights)} weights, {len(self.estimators)} estimators"
            )
        if _routing_enabled():
            routed = process_routing(self, "fit", **fit_params)
        else:
            sw = {"sample_weight": fit_params["sample_weight"]} if "sample_weight" in fit_params else {}
            routed = _manual_routing({name: {"fit": sw} for name in names})
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_single_estimator)(
                clone(clf),
                X,
                y,
                fit_params=routed[name]["fit"],
                message_clsname="Voting",
                message=self._log_message(name, idx + 1, len(clfs)),
            )
            for idx, (name, clf) in enumerate(zip(names, clfs))
            if clf != "drop"
        )
        self.named_estimators_ = Bunch()
        fitted = iter(self.estimators_)
        for name, est in self.estimators:
            current = est if est == "drop" else next(fitted)
            self.named_estimators_[name] = current
            if hasattr(current, "feature_names_in_"):
                self.feature_names_in_ = current.feature_names_in_
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit the estimators and return their predictions for ``X``."""
        return super().fit_transform(X, y, **fit_params)

    @property
    def n_features_in_(self):
        """Number of features seen during :term:`fit`."""
        try:
            check_is_fitted(self)
        except NotFittedError as nfe:
            raise AttributeError(
                f"{self.__class__.__name__} object has no n_features_in_ attribute."
            ) from nfe
        return self.estimators_[0].n_features_in_

    def get_metadata_routing(self):
        """Route ``fit`` metadata to every sub-estimator."""
        router = MetadataRouter(owner=self)
        for name, estimator in self.estimators:
            router.add(
                **{name: estimator},
                method_mapping=MethodMapping().add(callee="fit", caller="fit"),
            )
        return router


class VotingClassifier(ClassifierMixin, _BaseVoting):
    """Soft Voting/Majority Rule classifier for unfitted estimators.

    Same parameters, attributes and behaviour as
    :class:`sklearn.ensemble.VotingClassifier`.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples
        The estimators to fit on clones; an entry may be ``'drop'``.
    voting : {'hard', 'soft'}, default='hard'
        ``'hard'``: weighted majority of predicted labels; ``'soft'``: argmax
        of the weighted average of predicted probabilities.
    weights : array-like of shape (n_classifiers,), default=None
        Weights of the votes / probabilities; uniform when None.
    n_jobs : int, default=None
        Number of jobs fitting the estimators in parallel (joblib).
    flatten_transform : bool, default=True
        With soft voting, ``transform`` returns (n_samples, n_classifiers *
        n_classes) when True, else (n_classifiers, n_samples, n_classes).
    verbose : bool, default=False
        Print the time elapsed fitting each estimator.

    Attributes
    ----------
    estimators_ : list of classifiers
        The fitted clones (without the dropped ones).
    named_estimators_ : Bunch
        Fitted sub-estimators by name.
    le_ : LabelEncoder
        Encoder of the labels.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from fastml.ensemble import VotingClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = VotingClassifier([("lr", LogisticRegression(max_iter=1000)),
    ...                         ("nb", GaussianNB())], voting="soft").fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    """

    _parameter_constraints: dict = {
        **_BaseVoting._parameter_constraints,
        "voting": [StrOptions({"hard", "soft"})],
        "flatten_transform": ["boolean"],
    }

    def __init__(self, estimators, *, voting="hard", weights=None, n_jobs=None,
                 flatten_transform=True, verbose=False):
        super().__init__(estimators=estimators)
        self.voting = voting
        self.weights = weights
        self.n_jobs = n_jobs
        self.flatten_transform = flatten_transform
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the estimators.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        **fit_params : dict
            ``sample_weight`` (or routed metadata) passed to every estimator.

        Returns
        -------
        self : object
        """
        _raise_for_params(fit_params, self, "fit", allow=["sample_weight"])
        y_type = type_of_target(y, input_name="y")
        if y_type in ("unknown", "continuous"):
            raise ValueError(
                f"Unknown label type: {y_type}. Maybe you are trying to fit a "
                "classifier, which expects discrete classes on a regression target "
                "with continuous values."
            )
        if y_type not in ("binary", "multiclass"):
            raise NotImplementedError(
                f"{self.__class__.__name__} only supports binary or multiclass "
                "classification. Multilabel and multi-output classification are not "
                "supported."
            )
        self.le_ = LabelEncoder().fit(y)
        self.classes_ = self.le_.classes_
        return super().fit(X, self.le_.transform(y), **fit_params)

    def predict(self, X):
        """Predict class labels for X.

        Returns
        -------
        maj : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if self.voting == "soft":
            maj = np.argmax(self.predict_proba(X), axis=1)
        else:
            predictions = self._predict(X)
            weights = self._weights_not_none
            votes = np.zeros((predictions.shape[0], len(self.classes_)))
            rows = np.arange(predictions.shape[0])
            for k in range(predictions.shape[1]):
                # bincount's argmax in scikit-learn breaks ties to the lowest class; so does this
                votes[rows, predictions[:, k]] += 1.0 if weights is None else weights[k]
            maj = np.argmax(votes, axis=1)
        return self.le_.inverse_transform(maj)

    def _collect_probas(self, X):
        return np.asarray([clf.predict_proba(X) for clf in self.estimators_])

    def _check_voting(self):
        if self.voting == "hard":
            raise AttributeError(f"predict_proba is not available when voting={self.voting!r}")
        return True

    @available_if(_check_voting)
    def predict_proba(self, X):
        """Weighted average of the estimators' class probabilities for X.

        Returns
        -------
        avg : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return np.average(self._collect_probas(X), axis=0, weights=self._weights_not_none)

    def transform(self, X):
        """Return the estimators' class labels (hard) or probabilities (soft) for X."""
        check_is_fitted(self)
        if self.voting == "soft":
            probas = self._collect_probas(X)
            return np.hstack(probas) if self.flatten_transform else probas
        return self._predict(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the transform's output columns."""
        check_is_fitted(self, "n_features_in_")
        if self.voting == "soft" and not self.flatten_transform:
            raise ValueError(
                "get_feature_names_out is not supported when `voting='soft'` and "
                "`flatten_transform=False`"
            )
        _check_feature_names_in(self, input_features, generate_names=False)
        class_name = self.__class__.__name__.lower()
        active = [name for name, est in self.estimators if est != "drop"]
        if self.voting == "hard":
            return np.asarray([f"{class_name}_{name}" for name in active], dtype=object)
        n_classes = len(self.classes_)
        return np.asarray(
            [f"{class_name}_{name}{i}" for name in active for i in range(n_classes)],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags


class VotingRegressor(RegressorMixin, _BaseVoting):
    """Prediction voting regressor: the (weighted) average of the estimators' predictions.

    Same parameters, attributes and behaviour as
    :class:`sklearn.ensemble.VotingRegressor`.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples
    weights : array-like of shape (n_regressors,), default=None
    n_jobs : int, default=None
    verbose : bool, default=False

    Attributes
    ----------
    estimators_ : list of regressors
    named_estimators_ : Bunch
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from fastml.ensemble import VotingRegressor
    >>> X = np.arange(8.0).reshape(-1, 1); y = 2 * X.ravel()
    >>> reg = VotingRegressor([("a", LinearRegression()), ("b", LinearRegression())]).fit(X, y)
    >>> reg.predict([[10.0]]).round(6)
    array([20.])
    """

    def __init__(self, estimators, *, weights=None, n_jobs=None, verbose=False):
        super().__init__(estimators=estimators)
        self.weights = weights
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the estimators.

        Returns
        -------
        self : object
        """
        _raise_for_params(fit_params, self, "fit", allow=["sample_weight"])
        y = column_or_1d(y, warn=True)
        return super().fit(X, y, **fit_params)

    def predict(self, X):
        """Weighted average of the estimators' predictions for X."""
        check_is_fitted(self)
        return np.average(self._predict(X), axis=1, weights=self._weights_not_none)

    def transform(self, X):
        """Return each estimator's predictions for X, shape (n_samples, n_regressors)."""
        check_is_fitted(self)
        return self._predict(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the transform's output columns."""
        check_is_fitted(self, "n_features_in_")
        _check_feature_names_in(self, input_features, generate_names=False)
        class_name = self.__class__.__name__.lower()
        return np.asarray(
            [f"{class_name}_{name}" for name, est in self.estimators if est != "drop"],
            dtype=object,
        )
