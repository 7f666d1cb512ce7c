"""Stacked generalisation: a final estimator fit on cross-validated predictions.

Mirrors ``sklearn/ensemble/_stacking.py`` (BSD-3, the scikit-learn developers).
"""

from abc import ABCMeta, abstractmethod
from copy import deepcopy
from numbers import Integral

import numpy as np
import scipy.sparse as sparse
from sklearn.base import (
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import column_or_1d

from fastml.ensemble._base import _BaseHeterogeneousEnsemble, _fit_single_estimator
from fastml.utils._sklearn import (
    HasMethods,
    StrOptions,
    _check_feature_names_in,
    _check_response_method,
    _estimator_has,
    _fit_context,
    _manual_routing,
    _raise_for_params,
    _routing_enabled,
    check_is_fitted,
    process_routing,
)




class _BaseStacking(TransformerMixin, _BaseHeterogeneousEnsemble, metaclass=ABCMeta):
    _parameter_constraints: dict = {
        "estimators": [list],
        "final_estimator": [None, HasMethods("fit")],
        "cv": ["cv_object", StrOptions({"prefit"})],
        "n_jobs": [None, Integral],
        "passthrough": ["boolean"],
        "verbose": ["verbose"],
    }

    @abstractmethod
    def __init__(self, estimators, final_estimator=None, *, cv=None, stack_method="auto",
                 n_jobs=None, verbose=0, passthrough=False):
        super().__init__(estimators=estimators)
        self.final_estimator = final_estimator
        self.cv = cv
        self.stack_method = stack_method
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.passthrough = passthrough

    def _clone_final_estimator(self, default):
        self.final_estimator_ = clone(
            self.final_estimator if self.final_estimator is not None else default
        )

    def _concatenate_predictions(self, X, predictions):
        """Stack the base predictions (and X when passthrough) into the meta-features.

        With binary probabilities the first column is dropped: it is
        collinear with the second.
        """
        X_meta = []
        for est_idx, preds in enumerate(predictions):
            if isinstance(preds, list):  # multilabel predict_proba
                X_meta.extend(pred[:, 1:] for pred in preds)
            elif preds.ndim == 1:
                X_meta.append(preds.reshape(-1, 1))
            elif self.stack_method_[est_idx] == "predict_proba" and len(self.classes_) == 2:
                X_meta.append(preds[:, 1:])
            else:
                X_meta.append(preds)
        self._n_feature_outs = [pred.shape[1] for pred in X_meta]
        if self.passthrough:
            X_meta.append(X)
            if sparse.issparse(X):
                return sparse.hstack(X_meta, format=X.format)
        return np.hstack(X_meta)

    @staticmethod
    def _method_name(name, estimator, method):
        if estimator == "drop":
            return None
        if method == "auto":
            method = ["predict_proba", "decision_function", "predict"]
        try:
            return _check_response_method(estimator, method).__name__
        except AttributeError as e:
            raise ValueError(
                f"Underlying estimator {name} does not implement the method {method}."
            ) from e

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        names, all_estimators = self._validate_estimators()
        self._validate_final_estimator()
        if _routing_enabled():
            routed = process_routing(self, "fit", **fit_params)
        else:
            sw = {"sample_weight": fit_params["sample_weight"]} if "sample_weight" in fit_params else {}
            routed = _manual_routing({name: {"fit": sw} for name in names})

        if self.cv == "prefit":
            self.estimators_ = []
            for estimator in all_estimators:
                if estimator != "drop":
                    check_is_fitted(estimator)
                    self.estimators_.append(estimator)
        else:
            # The base estimators are refit on all of X; the final estimator
            # learns from their out-of-fold predictions below.
            self.estimators_ = Parallel(n_jobs=self.n_jobs)(
                delayed(_fit_single_estimator)(clone(est), X, y, routed[name]["fit"])
                for name, est in zip(names, all_estimators)
                if est != "drop"
            )

        self.named_estimators_ = Bunch()
        fitted = iter(self.estimators_)
        for name, est in zip(names, all_estimators):
            if est == "drop":
                self.named_estimators_[name] = "drop"
                continue
            current = next(fitted)
            self.named_estimators_[name] = current
            if hasattr(current, "feature_names_in_"):
                self.feature_names_in_ = current.feature_names_in_

        self.stack_method_ = [
            self._method_name(name, est, self.stack_method)
            for name, est in zip(names, all_estimators)
        ]
        if self.cv == "prefit":
            predictions = [
                getattr(est, meth)(X)
                for est, meth in zip(all_estimators, self.stack_method_)
                if est != "drop"
            ]
        else:
            cv = check_cv(self.cv, y=y, classifier=is_classifier(self))
            if hasattr(cv, "random_state") and cv.random_state is None:
                # every base estimator must see the same folds
                cv.random_state = np.random.RandomState()
            predictions = Parallel(n_jobs=self.n_jobs)(
                delayed(cross_val_predict)(
                    clone(est),
                    X,
                    y,
                    cv=deepcopy(cv),
                    method=meth,
                    n_jobs=self.n_jobs,
                    params=routed[name]["fit"],
                    verbose=self.verbose,
                )
                for name, est, meth in zip(names, all_estimators, self.stack_method_)
                if est != "drop"
            )
        self.stack_method_ = [
            meth for meth, est in zip(self.stack_method_, all_estimators) if est != "drop"
        ]
        X_meta = self._concatenate_predictions(X, predictions)
        _fit_single_estimator(self.final_estimator_, X_meta, y, fit_params=fit_params)
        return self

    @property
    def n_features_in_(self):
        """Number of features seen during :term:`fit`."""
        try:
            check_is_fitted(self)
        except NotFittedError as nfe:
            raise AttributeError(
                f"{self.__class__.__name__} object has no attribute n_features_in_"
            ) from nfe
        return self.estimators_[0].n_features_in_

    def _transform(self, X):
        check_is_fitted(self)
        predictions = [
            getattr(est, meth)(X)
            for est, meth in zip(self.estimators_, self.stack_method_)
            if est != "drop"
        ]
        return self._concatenate_predictions(X, predictions)

    def get_feature_names_out(self, input_features=None):
        """Names of the meta-features (and of the passed-through features)."""
        check_is_fitted(self, "n_features_in_")
        input_features = _check_feature_names_in(
            self, input_features, generate_names=self.passthrough
        )
        class_name = self.__class__.__name__.lower()
        active = (name for name, est in self.estimators if est != "drop")
        meta_names = []
        for name, n_out in zip(active, self._n_feature_outs):
            if n_out == 1:
                meta_names.append(f"{class_name}_{name}")
            else:
                meta_names.extend(f"{class_name}_{name}{i}" for i in range(n_out))
        if self.passthrough:
            return np.concatenate((meta_names, input_features))
        return np.asarray(meta_names, dtype=object)

    @available_if(_estimator_has("predict", delegates=("final_estimator_", "final_estimator")))
    def predict(self, X, **predict_params):
        """Predict with the final estimator on the stacked predictions of X."""
        check_is_fitted(self)
        return self.final_estimator_.predict(self.transform(X), **predict_params)

    def get_metadata_routing(self):
        """Route ``fit`` metadata to the base estimators, ``predict`` metadata to the final one."""
        router = MetadataRouter(owner=self)
        for name, estimator in self.estimators:
            router.add(
                **{name: estimator},
                method_mapping=MethodMapping().add(callee="fit", caller="fit"),
            )
        final = getattr(self, "final_estimator_", self.final_estimator)
        router.add(
            final_estimator_=final,
            method_mapping=MethodMapping().add(caller="predict", callee="predict"),
        )
        return router


class StackingClassifier(ClassifierMixin, _BaseStacking):
    """Stack of estimators with a final classifier.

    The base estimators are fit on all of X; ``final_estimator`` is trained
    on their ``cross_val_predict`` outputs. Same parameters, attributes and
    behaviour as :class:`sklearn.ensemble.StackingClassifier`.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Base estimators; an entry may be ``'drop'``.
    final_estimator : estimator, default=None
        Classifier combining the base predictions; ``LogisticRegression()``
        when None.
    cv : int, cross-validation generator, iterable or "prefit", default=None
        Folds for the out-of-fold predictions (5-fold stratified when None);
        ``"prefit"`` uses the already-fitted estimators on X.
    stack_method : {'auto', 'predict_proba', 'decision_function', 'predict'}, default='auto'
        Method of each base estimator giving its meta-features; ``'auto'``
        tries them in that order.
    n_jobs : int, default=None
        Jobs for fitting the base estimators and the cross-validation.
    passthrough : bool, default=False
        Also feed the original features to the final estimator.
    verbose : int, default=0

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    estimators_ : list of estimators
    named_estimators_ : Bunch
    n_features_in_ : int
    final_estimator_ : estimator
    stack_method_ : list of str

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from fastml.ensemble import StackingClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = StackingClassifier([("nb", GaussianNB())],
    ...                          final_estimator=LogisticRegression()).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **_BaseStacking._parameter_constraints,
        "stack_method": [StrOptions({"auto", "predict_proba", "decision_function", "predict"})],
    }

    def __init__(self, estimators, final_estimator=None, *, cv=None, stack_method="auto",
                 n_jobs=None, passthrough=False, verbose=0):
        super().__init__(
            estimators=estimators, final_estimator=final_estimator, cv=cv,
            stack_method=stack_method, n_jobs=n_jobs, passthrough=passthrough,
            verbose=verbose,
        )

    def _validate_final_estimator(self):
        self._clone_final_estimator(default=LogisticRegression())
        if not is_classifier(self.final_estimator_):
            raise ValueError(
                "'final_estimator' parameter should be a classifier. Got "
                f"{self.final_estimator_}"
            )

    def _validate_estimators(self):
        # Unlike voting, stacking accepts any estimator with a usable stack method.
        return super()._validate_estimators(lenient=True)

    def fit(self, X, y, **fit_params):
        """Fit the base estimators and the final estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        **fit_params : dict
            ``sample_weight`` (or routed metadata).

        Returns
        -------
        self : object
        """
        _raise_for_params(fit_params, self, "fit", allow=["sample_weight"])
        check_classification_targets(y)
        if type_of_target(y) == "multilabel-indicator":
            self._label_encoder = [LabelEncoder().fit(yk) for yk in y.T]
            self.classes_ = [le.classes_ for le in self._label_encoder]
            y_encoded = np.array(
                [le.transform(target) for le, target in zip(self._label_encoder, y.T)]
            ).T
        else:
            self._label_encoder = LabelEncoder().fit(y)
            self.classes_ = self._label_encoder.classes_
            y_encoded = self._label_encoder.transform(y)
        return super().fit(X, y_encoded, **fit_params)

    @available_if(_estimator_has("predict", delegates=("final_estimator_", "final_estimator")))
    def predict(self, X, **predict_params):
        """Predict target for X with the final estimator."""
        if _routing_enabled():
            routed = process_routing(self, "predict", **predict_params)
        else:
            routed = _manual_routing({"final_estimator_": {"predict": predict_params}})
        y_pred = super().predict(X, **routed.final_estimator_["predict"])
        if isinstance(self._label_encoder, list):
            return np.array(
                [le.inverse_transform(t) for le, t in zip(self._label_encoder, y_pred.T)]
            ).T
        return self._label_encoder.inverse_transform(y_pred)

    @available_if(_estimator_has("predict_proba", delegates=("final_estimator_", "final_estimator")))
    def predict_proba(self, X):
        """Class probabilities of the final estimator for X."""
        check_is_fitted(self)
        y_pred = self.final_estimator_.predict_proba(self.transform(X))
        if isinstance(self._label_encoder, list):
            y_pred = np.array([preds[:, 0] for preds in y_pred]).T
        return y_pred

    @available_if(_estimator_has("decision_function", delegates=("final_estimator_", "final_estimator")))
    def decision_function(self, X):
        """Decision function of the final estimator for X."""
        check_is_fitted(self)
        return self.final_estimator_.decision_function(self.transform(X))

    def transform(self, X):
        """Return the base estimators' predictions (the meta-features) for X."""
        return self._transform(X)


class StackingRegressor(RegressorMixin, _BaseStacking):
    """Stack of estimators with a final regressor.

    Same parameters, attributes and behaviour as
    :class:`sklearn.ensemble.StackingRegressor`; the final estimator defaults
    to ``RidgeCV()``.

    Parameters
    ----------
    estimators : list of (str, estimator)
    final_estimator : estimator, default=None
    cv : int, cross-validation generator, iterable or "prefit", default=None
    n_jobs : int, default=None
    passthrough : bool, default=False
    verbose : int, default=0

    Attributes
    ----------
    estimators_ : list of estimators
    named_estimators_ : Bunch
    n_features_in_ : int
    final_estimator_ : estimator
    stack_method_ : list of str

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression, RidgeCV
    >>> from fastml.ensemble import StackingRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = StackingRegressor([("lr", LinearRegression())],
    ...                         final_estimator=RidgeCV()).fit(X, y)
    >>> reg.score(X, y) > 0.4
    True
    """

    def __init__(self, estimators, final_estimator=None, *, cv=None, n_jobs=None,
                 passthrough=False, verbose=0):
        super().__init__(
            estimators=estimators, final_estimator=final_estimator, cv=cv,
            stack_method="predict", n_jobs=n_jobs, passthrough=passthrough,
            verbose=verbose,
        )

    def _validate_final_estimator(self):
        self._clone_final_estimator(default=RidgeCV())
        if not is_regressor(self.final_estimator_):
            raise ValueError(
                "'final_estimator' parameter should be a regressor. Got "
                f"{self.final_estimator_}"
            )

    def fit(self, X, y, **fit_params):
        """Fit the base estimators and the final estimator.

        Returns
        -------
        self : object
        """
        _raise_for_params(fit_params, self, "fit", allow=["sample_weight"])
        y = column_or_1d(y, warn=True)
        return super().fit(X, y, **fit_params)

    def transform(self, X):
        """Return the base estimators' predictions (the meta-features) for X."""
        return self._transform(X)

    def fit_transform(self, X, y, **fit_params):
        """Fit, then return the meta-features of X."""
        _raise_for_params(fit_params, self, "fit", allow=["sample_weight"])
        return super().fit_transform(X, y, **fit_params)

    @available_if(_estimator_has("predict", delegates=("final_estimator_", "final_estimator")))
    def predict(self, X, **predict_params):
        """Predict target for X with the final estimator."""
        if _routing_enabled():
            routed = process_routing(self, "predict", **predict_params)
        else:
            routed = _manual_routing({"final_estimator_": {"predict": predict_params}})
        return super().predict(X, **routed.final_estimator_["predict"])
