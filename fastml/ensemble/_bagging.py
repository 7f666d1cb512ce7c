"""Bagging meta-estimators: bagging, pasting, random subspaces and random patches.

Mirrors ``sklearn/ensemble/_bagging.py`` (BSD-3, the scikit-learn developers):
the same seeds are drawn in the same order, so a given ``random_state`` draws
the same samples and features as scikit-learn. Base estimators that accept
``sample_weight`` see the bootstrap as integer weights on the full X (no row
copy); others get the drawn rows. Votes of label-only estimators are tallied
with vectorised scatters.
"""

import itertools
import numbers
from abc import ABCMeta, abstractmethod
from functools import partial
from numbers import Integral
from warnings import warn

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import _safe_indexing, column_or_1d, get_tags
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.random import sample_without_replacement
from sklearn.utils.validation import has_fit_parameter

from fastml.ensemble._base import (
    MAX_INT,
    BaseEnsemble,
    _default_tree,
    _get_n_samples_bootstrap,
    _n_new_estimators,
    _partition_estimators,
)
from fastml.utils._sklearn import (
    HasMethods,
    Interval,
    RealNotInt,
    _check_method_params,
    _check_sample_weight,
    _estimator_has,
    _fit_context,
    _manual_routing,
    _raise_for_params,
    _routing_enabled,
    check_is_fitted,
    check_random_state,
    get_routing_for_object,
    indices_to_mask,
    process_routing,
    validate_data,
)

__all__ = ["BaggingClassifier", "BaggingRegressor"]


def _generate_indices(random_state, bootstrap, n_population, n_samples):
    if bootstrap:
        return random_state.randint(0, n_population, n_samples)
    return sample_without_replacement(n_population, n_samples, random_state=random_state)


def _generate_bagging_indices(random_state, bootstrap_features, bootstrap_samples, n_features,
                              n_samples, max_features, max_samples, sample_weight):
    """Features then samples of one estimator, drawn from its own seed."""
    random_state = check_random_state(random_state)
    feature_indices = _generate_indices(random_state, bootstrap_features, n_features, max_features)
    if sample_weight is None:
        sample_indices = _generate_indices(random_state, bootstrap_samples, n_samples, max_samples)
    else:
        p = sample_weight / np.sum(sample_weight)
        sample_indices = random_state.choice(n_samples, max_samples, replace=bootstrap_samples, p=p)
    return feature_indices, sample_indices


def _consumes_sample_weight(estimator):
    if _routing_enabled():
        return get_routing_for_object(estimator).consumes("fit", ("sample_weight",))
    return has_fit_parameter(estimator, "sample_weight")


def _parallel_build_estimators(n_estimators, ensemble, X, y, sample_weight, seeds,
                               total_n_estimators, verbose, check_input, fit_params):
    """Fit ``n_estimators`` base estimators inside one joblib job."""
    n_samples, n_features = X.shape
    max_features, max_samples = ensemble._max_features, ensemble._max_samples
    has_check_input = has_fit_parameter(ensemble.estimator_, "check_input")
    requires_feature_indexing = ensemble.bootstrap_features or max_features != n_features
    consumes_sample_weight = _consumes_sample_weight(ensemble.estimator_)
    estimators, estimators_features = [], []
    for i in range(n_estimators):
        if verbose > 1:
            print(
                f"Building estimator {i + 1} of {n_estimators} for this parallel run "
                f"(total {total_n_estimators})..."
            )
        seed = seeds[i]
        estimator = ensemble._make_estimator(append=False, random_state=seed)
        fit = partial(estimator.fit, check_input=check_input) if has_check_input else estimator.fit
        features, indices = _generate_bagging_indices(
            seed, ensemble.bootstrap_features, ensemble.bootstrap, n_features, n_samples,
            max_features, max_samples, sample_weight,
        )
        params = fit_params.copy()
        if consumes_sample_weight:
            # draw counts as weights: same fit as on the drawn rows, without copying them
            params["sample_weight"] = np.bincount(indices, minlength=n_samples)
            fit(X[:, features] if requires_feature_indexing else X, y, **params)
        else:
            X_ = _safe_indexing(X, indices)
            params = _check_method_params(X, params=params, indices=indices)
            if requires_feature_indexing:
                X_ = X_[:, features]
            fit(X_, _safe_indexing(y, indices), **params)
        estimators.append(estimator)
        estimators_features.append(features)
    return estimators, estimators_features


def _add_votes(proba, labels, weight=1.0):
    proba[np.arange(labels.shape[0]), labels] += weight


def _parallel_predict_proba(estimators, estimators_features, X, n_classes,
                            predict_params=None, predict_proba_params=None):
    proba = np.zeros((X.shape[0], n_classes))
    for estimator, features in zip(estimators, estimators_features):
        if hasattr(estimator, "predict_proba"):
            p = estimator.predict_proba(X[:, features], **(predict_proba_params or {}))
            if n_classes == len(estimator.classes_):
                proba += p
            else:  # this estimator's bootstrap missed some classes
                proba[:, estimator.classes_] += p[:, range(len(estimator.classes_))]
        else:
            _add_votes(proba, estimator.predict(X[:, features], **(predict_params or {})))
    return proba


def _parallel_predict_log_proba(estimators, estimators_features, X, n_classes, params):
    log_proba = np.full((X.shape[0], n_classes), -np.inf)
    for estimator, features in zip(estimators, estimators_features):
        lp = estimator.predict_log_proba(X[:, features], **params)
        if n_classes == len(estimator.classes_):
            log_proba = np.logaddexp(log_proba, lp)
        else:
            cls = estimator.classes_
            log_proba[:, cls] = np.logaddexp(log_proba[:, cls], lp[:, range(len(cls))])
    return log_proba


def _parallel_decision_function(estimators, estimators_features, X, params):
    return sum(e.decision_function(X[:, f], **params) for e, f in zip(estimators, estimators_features))


def _parallel_predict_regression(estimators, estimators_features, X, params):
    return sum(e.predict(X[:, f], **params) for e, f in zip(estimators, estimators_features))


class BaseBagging(BaseEnsemble, metaclass=ABCMeta):
    """Base class for the bagging meta-estimators."""

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_samples": [
            None,
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "max_features": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "bootstrap": ["boolean"],
        "bootstrap_features": ["boolean"],
        "oob_score": ["boolean"],
        "warm_start": ["boolean"],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    @abstractmethod
    def __init__(self, estimator=None, n_estimators=10, *, max_samples=None, max_features=1.0,
                 bootstrap=True, bootstrap_features=False, oob_score=False, warm_start=False,
                 n_jobs=None, random_state=None, verbose=0):
        super().__init__(estimator=estimator, n_estimators=n_estimators)
        self.max_samples = max_samples
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.bootstrap_features = bootstrap_features
        self.oob_score = oob_score
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Build a bagging ensemble of estimators from the training set (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Used to draw the samples (with probability proportional to the
            weight), as in scikit-learn.
        **fit_params : dict
            Routed to the base estimator's fit (metadata routing).

        Returns
        -------
        self : object
        """
        _raise_for_params(fit_params, self, "fit")
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=None,
            ensure_all_finite=False, multi_output=True,
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=None,
                                                 ensure_non_negative=True)
            if not self.bootstrap:
                warn(
                    f"When fitting {self.__class__.__name__} with sample_weight it is "
                    f"recommended to use bootstrap=True, got {self.bootstrap}."
                )
        return self._fit(X, y, max_samples=self.max_samples, sample_weight=sample_weight, **fit_params)

    def _parallel_args(self):
        return {}

    def _fit(self, X, y, max_samples=None, max_depth=None, check_input=True,
             sample_weight=None, **fit_params):
        random_state = check_random_state(self.random_state)
        n_samples = X.shape[0]
        self._n_samples = n_samples
        y = self._validate_y(y)
        self._validate_estimator(self._get_estimator())
        if _routing_enabled():
            routed = process_routing(self, "fit", **fit_params)
        else:
            routed = _manual_routing({"estimator": {"fit": fit_params}})
        if max_depth is not None:
            self.estimator_.max_depth = max_depth

        max_samples = _get_n_samples_bootstrap(n_samples, max_samples, sample_weight)
        if not self.bootstrap and max_samples > n_samples:
            raise ValueError(
                f"Effective max_samples={max_samples} must be <= n_samples={n_samples} "
                "to be able to sample without replacement."
            )
        self._max_samples = max_samples

        if isinstance(self.max_features, numbers.Integral):
            max_features = self.max_features
        else:
            max_features = int(self.max_features * self.n_features_in_)
        if max_features > self.n_features_in_:
            raise ValueError("max_features must be <= n_features")
        self._max_features = max(1, int(max_features))
        self._sample_weight = sample_weight

        if not self.bootstrap and self.oob_score:
            raise ValueError("Out of bag estimation only available if bootstrap=True")
        if self.warm_start and self.oob_score:
            raise ValueError("Out of bag estimate only available if warm_start=False")
        if hasattr(self, "oob_score_") and self.warm_start:
            del self.oob_score_
        if not self.warm_start or not hasattr(self, "estimators_"):
            self.estimators_ = []
            self.estimators_features_ = []

        n_more = _n_new_estimators(self)
        if n_more == 0:
            return self

        n_jobs, n_per_job, starts = _partition_estimators(n_more, self.n_jobs)
        if self.warm_start and len(self.estimators_) > 0:
            # skip the seeds already used, so warm starting equals one big fit
            random_state.randint(MAX_INT, size=len(self.estimators_))
        seeds = random_state.randint(MAX_INT, size=n_more)
        # keep every estimator's seed so estimators_samples_ covers warm-started ones too
        old_seeds = self._seeds if len(self.estimators_) > 0 else seeds[:0]
        self._seeds = np.concatenate([old_seeds, seeds])

        results = Parallel(n_jobs=n_jobs, verbose=self.verbose, **self._parallel_args())(
            delayed(_parallel_build_estimators)(
                n_per_job[i], self, X, y, sample_weight, seeds[starts[i]:starts[i + 1]],
                sum(n_per_job), verbose=self.verbose, check_input=check_input,
                fit_params=routed.estimator.fit,
            )
            for i in range(n_jobs)
        )
        self.estimators_ += list(itertools.chain.from_iterable(r[0] for r in results))
        self.estimators_features_ += list(itertools.chain.from_iterable(r[1] for r in results))
        if self.oob_score:
            self._set_oob_score(X, y)
        return self

    @abstractmethod
    def _set_oob_score(self, X, y):
        """Compute the out-of-bag score and predictions."""

    def _validate_y(self, y):
        if len(y.shape) == 1 or y.shape[1] == 1:
            return column_or_1d(y, warn=True)
        return y

    def _get_estimators_indices(self):
        for seed in self._seeds:
            yield _generate_bagging_indices(
                seed, self.bootstrap_features, self.bootstrap, self.n_features_in_,
                self._n_samples, self._max_features, self._max_samples, self._sample_weight,
            )

    @property
    def estimators_samples_(self):
        """The subset of drawn samples (indices) for each base estimator."""
        return [sample_indices for _, sample_indices in self._get_estimators_indices()]

    def get_metadata_routing(self):
        """Route fit / predict metadata to the base estimator."""
        est = self._get_estimator()
        mapping = MethodMapping()
        mapping.add(caller="fit", callee="fit").add(
            caller="decision_function", callee="decision_function"
        )
        if hasattr(est, "predict_proba"):
            mapping.add(caller="predict", callee="predict_proba").add(
                caller="predict_proba", callee="predict_proba"
            )
        else:
            mapping.add(caller="predict", callee="predict").add(
                caller="predict_proba", callee="predict"
            )
        if hasattr(est, "predict_log_proba"):
            mapping.add(caller="predict_log_proba", callee="predict_log_proba")
        elif hasattr(est, "predict_proba"):
            mapping.add(caller="predict_log_proba", callee="predict_proba")
        else:
            mapping.add(caller="predict_log_proba", callee="predict")
        return MetadataRouter(owner=self).add(estimator=est, method_mapping=mapping)

    @abstractmethod
    def _get_estimator(self):
        """The base estimator, or fastml's default tree."""

    def _check_X_predict(self, X):
        check_is_fitted(self)
        return validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=None,
            ensure_all_finite=False, reset=False,
        )

    def _over_chunks(self, func, X, *args, parallel_args=None, **kwargs):
        """``func(estimators, features, X, *args, **kwargs)`` over contiguous
        chunks of the estimators, one per joblib job; the list of results."""
        n_jobs, _, starts = _partition_estimators(self.n_estimators, self.n_jobs)
        return Parallel(n_jobs=n_jobs, verbose=self.verbose, **(parallel_args or {}))(
            delayed(func)(
                self.estimators_[starts[i]:starts[i + 1]],
                self.estimators_features_[starts[i]:starts[i + 1]],
                X, *args, **kwargs,
            )
            for i in range(n_jobs)
        )

    def _routed_predict_params(self, method, params):
        if _routing_enabled():
            return process_routing(self, method, **params)
        return _manual_routing({"estimator": {}})

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est_tags = get_tags(self._get_estimator()).input_tags
        tags.input_tags.sparse = est_tags.sparse
        tags.input_tags.allow_nan = est_tags.allow_nan
        return tags


class BaggingClassifier(ClassifierMixin, BaseBagging):
    """A Bagging classifier: base classifiers fit on random subsets, predictions averaged.

    Bagging (``bootstrap=True``), pasting (``bootstrap=False``), random
    subspaces (``max_features < 1``) and random patches (both). Same
    parameters, attributes, random draws and errors as
    :class:`sklearn.ensemble.BaggingClassifier`; the default base estimator is
    :class:`fastml.tree.DecisionTreeClassifier`.

    Parameters
    ----------
    estimator : object, default=None
        The base estimator; fastml's ``DecisionTreeClassifier`` when None.
    n_estimators : int, default=10
    max_samples : int or float, default=None
        Samples drawn per estimator (all when None; a fraction when float).
    max_features : int or float, default=1.0
        Features drawn per estimator.
    bootstrap : bool, default=True
        Draw samples with replacement.
    bootstrap_features : bool, default=False
        Draw features with replacement.
    oob_score : bool, default=False
        Estimate the generalisation accuracy on out-of-bag samples.
    warm_start : bool, default=False
        Add estimators to the previous fit.
    n_jobs : int, default=None
        joblib jobs for fit and predict.
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0

    Attributes
    ----------
    estimator_ : estimator
    estimators_ : list of estimators
    estimators_samples_ : list of arrays
    estimators_features_ : list of arrays
    classes_ : ndarray of shape (n_classes,)
    n_classes_ : int
    oob_score_ : float
    oob_decision_function_ : ndarray of shape (n_samples, n_classes)
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from fastml.ensemble import BaggingClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = BaggingClassifier(GaussianNB(), n_estimators=5, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    def __init__(self, estimator=None, n_estimators=10, *, max_samples=None, max_features=1.0,
                 bootstrap=True, bootstrap_features=False, oob_score=False, warm_start=False,
                 n_jobs=None, random_state=None, verbose=0):
        super().__init__(
            estimator=estimator, n_estimators=n_estimators, max_samples=max_samples,
            max_features=max_features, bootstrap=bootstrap,
            bootstrap_features=bootstrap_features, oob_score=oob_score,
            warm_start=warm_start, n_jobs=n_jobs, random_state=random_state, verbose=verbose,
        )

    def _get_estimator(self):
        return _default_tree("classifier") if self.estimator is None else self.estimator

    def _set_oob_score(self, X, y):
        n_samples = y.shape[0]
        predictions = np.zeros((n_samples, self.n_classes_))
        for estimator, samples, features in zip(
            self.estimators_, self.estimators_samples_, self.estimators_features_
        ):
            mask = ~indices_to_mask(samples, n_samples)
            if hasattr(estimator, "predict_proba"):
                predictions[mask, :] += estimator.predict_proba(X[mask, :][:, features])
            else:
                rows = np.flatnonzero(mask)
                predictions[rows, estimator.predict(X[mask, :][:, features])] += 1
        if (predictions.sum(axis=1) == 0).any():
            warn(
                "Some inputs do not have OOB scores. This probably means too few "
                "estimators were used to compute any reliable oob estimates."
            )
        self.oob_decision_function_ = predictions / predictions.sum(axis=1)[:, np.newaxis]
        self.oob_score_ = accuracy_score(y, np.argmax(predictions, axis=1))

    def _validate_y(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, y = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        return y

    def predict(self, X, **params):
        """Class with the highest mean predicted probability (or vote)."""
        _raise_for_params(params, self, "predict")
        proba = self.predict_proba(X, **params)
        return self.classes_.take(np.argmax(proba, axis=1), axis=0)

    def predict_proba(self, X, **params):
        """Mean of the base estimators' class probabilities (or vote fractions)."""
        _raise_for_params(params, self, "predict_proba")
        X = self._check_X_predict(X)
        routed = self._routed_predict_params("predict_proba", params)
        all_proba = self._over_chunks(
            _parallel_predict_proba, X, self.n_classes_,
            parallel_args=self._parallel_args(),
            predict_params=routed.estimator.get("predict", None),
            predict_proba_params=routed.estimator.get("predict_proba", None),
        )
        return sum(all_proba) / self.n_estimators

    def predict_log_proba(self, X, **params):
        """Log of the mean predicted class probabilities."""
        _raise_for_params(params, self, "predict_log_proba")
        check_is_fitted(self)
        if not hasattr(self.estimator_, "predict_log_proba"):
            return np.log(self.predict_proba(X, **params))
        X = self._check_X_predict(X)
        routed = self._routed_predict_params("predict_log_proba", params)
        parts = self._over_chunks(_parallel_predict_log_proba, X, self.n_classes_,
                                  params=routed.estimator.get("predict_log_proba", {}))
        log_proba = parts[0]
        for part in parts[1:]:
            log_proba = np.logaddexp(log_proba, part)
        return log_proba - np.log(self.n_estimators)

    @available_if(_estimator_has("decision_function", delegates=("estimators_", "estimator")))
    def decision_function(self, X, **params):
        """Mean of the base estimators' decision functions."""
        _raise_for_params(params, self, "decision_function")
        X = self._check_X_predict(X)
        routed = self._routed_predict_params("decision_function", params)
        parts = self._over_chunks(_parallel_decision_function, X,
                                  params=routed.estimator.get("decision_function", {}))
        return sum(parts) / self.n_estimators


class BaggingRegressor(RegressorMixin, BaseBagging):
    """A Bagging regressor: base regressors fit on random subsets, predictions averaged.

    Same parameters, attributes, random draws and errors as
    :class:`sklearn.ensemble.BaggingRegressor`; the default base estimator is
    :class:`fastml.tree.DecisionTreeRegressor`. See
    :class:`BaggingClassifier` for the parameters.

    Attributes
    ----------
    estimator_ : estimator
    estimators_ : list of estimators
    estimators_samples_ : list of arrays
    estimators_features_ : list of arrays
    oob_score_ : float
    oob_prediction_ : ndarray of shape (n_samples,)
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> from fastml.ensemble import BaggingRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = BaggingRegressor(LinearRegression(), random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.4
    True
    """

    def __init__(self, estimator=None, n_estimators=10, *, max_samples=None, max_features=1.0,
                 bootstrap=True, bootstrap_features=False, oob_score=False, warm_start=False,
                 n_jobs=None, random_state=None, verbose=0):
        super().__init__(
            estimator=estimator, n_estimators=n_estimators, max_samples=max_samples,
            max_features=max_features, bootstrap=bootstrap,
            bootstrap_features=bootstrap_features, oob_score=oob_score,
            warm_start=warm_start, n_jobs=n_jobs, random_state=random_state, verbose=verbose,
        )

    def predict(self, X, **params):
        """Mean of the base estimators' predictions."""
        _raise_for_params(params, self, "predict")
        X = self._check_X_predict(X)
        routed = self._routed_predict_params("predict", params)
        parts = self._over_chunks(_parallel_predict_regression, X,
                                  params=routed.estimator.get("predict", {}))
        return sum(parts) / self.n_estimators

    def _set_oob_score(self, X, y):
        n_samples = y.shape[0]
        predictions = np.zeros((n_samples,))
        n_predictions = np.zeros((n_samples,))
        for estimator, samples, features in zip(
            self.estimators_, self.estimators_samples_, self.estimators_features_
        ):
            mask = ~indices_to_mask(samples, n_samples)
            predictions[mask] += estimator.predict(X[mask, :][:, features])
            n_predictions[mask] += 1
        if (n_predictions == 0).any():
            warn(
                "Some inputs do not have OOB scores. This probably means too few "
                "estimators were used to compute any reliable oob estimates."
            )
            n_predictions[n_predictions == 0] = 1
        predictions /= n_predictions
        self.oob_prediction_ = predictions
        self.oob_score_ = r2_score(y, predictions)

    def _get_estimator(self):
        return _default_tree("regressor") if self.estimator is None else self.estimator
