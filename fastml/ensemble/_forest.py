"""Forests of randomized trees: random forests and extremely randomized trees.

Mirrors ``sklearn/ensemble/_forest.py`` (BSD-3, the scikit-learn developers):
the same seeds, bootstraps, class weights, OOB estimates and attributes, on
fastml's compiled trees. What differs is the data path: the training X is
prepared ONCE per forest and shared by every tree (its per-feature sort order
for the exact splitter, or its bins for the histogram splitter when
``max_bins`` is set), bootstraps are sample weights on that shared X, and the
trees grow in joblib threads with the GIL released. Predictions gather the
trees' leaf values through the compiled traversal.
"""

import threading
from abc import ABCMeta, abstractmethod
from numbers import Integral
from warnings import warn

import numpy as np
from joblib import effective_n_jobs
from scipy.sparse import hstack as sparse_hstack
from scipy.sparse import issparse
from sklearn.base import ClassifierMixin, MultiOutputMixin, RegressorMixin, is_classifier
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import compute_class_weight, compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.parallel import Parallel, delayed

from fastml.ensemble._base import (
    _TREE_PARAM_CONSTRAINTS,
    MAX_INT,
    BaseEnsemble,
    _apply,
    _default_tree,
    _get_n_samples_bootstrap,
    _mean_importances,
    _n_new_estimators,
    _partition_estimators,
    _tree_threads,
    _TreeData,
    _TreeEnsembleMixin,
)
from fastml.tree._classes import _reject_nan
from fastml.utils._sklearn import (
    Interval,
    RealNotInt,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    check_is_fitted,
    check_random_state,
    validate_data,
)

__all__ = [
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
]

_TREE_PARAMS = (
    "criterion", "max_depth", "min_samples_split", "min_samples_leaf",
    "min_weight_fraction_leaf", "max_features", "max_leaf_nodes",
    "min_impurity_decrease", "random_state", "ccp_alpha", "monotonic_cst",
)


_thread_rng = threading.local()


def _seeded_rng(random_state):
    """``check_random_state(random_state)``, but an int seed reseeds this
    thread's RandomState instead of building one: construction first draws
    OS entropy (~0.1 ms with the GIL held, twice a tree), reseeding does not,
    and both leave the generator in the same state."""
    if not isinstance(random_state, Integral):
        return check_random_state(random_state)
    rng = getattr(_thread_rng, "rng", None)
    if rng is None:
        rng = _thread_rng.rng = np.random.RandomState()
    rng.seed(random_state)
    return rng


def _generate_sample_indices(random_state, n_samples, n_samples_bootstrap, sample_weight):
    """The bootstrap of one tree, drawn from its seed exactly as scikit-learn draws it."""
    rng = _seeded_rng(random_state)
    if sample_weight is None:
        indices = rng.randint(0, n_samples, n_samples_bootstrap)
    else:
        p = sample_weight / np.sum(sample_weight)
        indices = rng.choice(n_samples, n_samples_bootstrap, replace=True, p=p)
    return indices.astype(np.int32)


def _generate_unsampled_indices(random_state, n_samples, n_samples_bootstrap, sample_weight):
    indices = _generate_sample_indices(random_state, n_samples, n_samples_bootstrap, sample_weight)
    return np.flatnonzero(np.bincount(indices, minlength=n_samples) == 0)


def _build_tree(tree, data, bootstrap, y, sample_weight, tree_idx, n_trees, verbose=0,
                class_weight=None, n_samples_bootstrap=None, classes=None):
    """Grow one tree of the forest on the shared ``data`` (in a joblib thread)."""
    if verbose > 1:
        print(f"building tree {tree_idx + 1} of {n_trees}")
    weights = sample_weight
    seed = tree.random_state
    if bootstrap:
        n_samples = y.shape[0]
        indices = _generate_sample_indices(seed, n_samples, n_samples_bootstrap, sample_weight)
        # the bootstrap as counts on the shared X: no row copy, order/bins stay valid
        weights = np.bincount(indices, minlength=n_samples).astype(np.float64)
        if class_weight == "balanced_subsample":
            weights *= compute_sample_weight("balanced", y, indices=indices)
    # the tree draws its builder's seed from RandomState(seed): hand it the
    # reseeded thread generator, then give it back its int seed (as sklearn's)
    tree.random_state = _seeded_rng(seed)
    try:
        return data.fit(tree, y, weights, classes)
    finally:
        tree.random_state = seed


def _leaf_values(tree, X, n_threads=1):
    """Each row's leaf value (n_samples, n_outputs, max_n_classes): class fractions or means."""
    return tree.tree_.value[_apply(tree, X, n_threads)]


def _accumulate(tree, X, out, lock):
    v = _leaf_values(tree, X)
    with lock:
        out += v


class BaseForest(MultiOutputMixin, _TreeEnsembleMixin, BaseEnsemble, metaclass=ABCMeta):
    """Base class for forests of trees."""

    _parameter_constraints: dict = {
        **_TREE_PARAM_CONSTRAINTS,
        "monotonic_cst": ["array-like", None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "bootstrap": ["boolean"],
        "oob_score": ["boolean", callable],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "max_samples": [
            None,
            Interval(RealNotInt, 0.0, None, closed="neither"),
            Interval(Integral, 1, None, closed="left"),
        ],
    }

    @abstractmethod
    def __init__(self, estimator, n_estimators=100, *, estimator_params=tuple(), bootstrap=False,
                 oob_score=False, n_jobs=None, random_state=None, verbose=0, warm_start=False,
                 class_weight=None, max_samples=None):
        super().__init__(estimator=estimator, n_estimators=n_estimators,
                         estimator_params=estimator_params)
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.max_samples = max_samples

    # the splitter of every tree when max_bins is None ("best" or "random")
    _splitter = "best"

    def _validate_estimator(self, default=None):
        kind = "classifier" if is_classifier(self) else "regressor"
        splitter = "hist" if self._get_max_bins() is not None else self._splitter
        self.estimator_ = _default_tree(kind, splitter=splitter)

    def _make_trees(self, n, random_state):
        """``n`` new trees seeded as ``_make_estimator`` seeds them (one
        ``randint(MAX_INT)`` a tree), built directly from the prototype's
        parameters instead of clone + set_params (which cost more than a
        small tree's growth)."""
        params = self.estimator_.get_params(deep=False)
        params.update({p: getattr(self, p) for p in self.estimator_params})
        cls = type(self.estimator_)
        return [cls(**{**params, "random_state": random_state.randint(MAX_INT)})
                for _ in range(n)]

    def _get_max_bins(self):
        return getattr(self, "max_bins", None)

    def _compute_missing_values_in_feature_mask(self, X):
        """Which features of X hold NaN (None if none), or sklearn's ValueError
        for inf, and for NaN with ``max_bins`` (the histograms have no
        missing-value bin)."""
        name = type(self).__name__
        if self._get_max_bins() is not None:
            _reject_nan(X, name, f"max_bins={self._get_max_bins()}", "max_bins=None")
        kind = "classifier" if is_classifier(self) else "regressor"
        tree = _default_tree(kind, splitter=self._splitter)
        return tree._compute_missing_values_in_feature_mask(X, estimator_name=name)

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        allow_nan = self.__sklearn_tags__().input_tags.allow_nan
        return validate_data(self, X, dtype=np.float32, order="C", reset=False,
                             ensure_all_finite="allow-nan" if allow_nan else True)

    def apply(self, X):
        """Leaf index of every sample in every tree, shape (n_samples, n_estimators)."""
        X = self._validate_X_predict(X)
        leaves = Parallel(n_jobs=self.n_jobs, verbose=self.verbose, prefer="threads")(
            delayed(_apply)(tree, X, 1) for tree in self.estimators_
        )
        return np.array(leaves).T

    def decision_path(self, X):
        """Node indicator of every tree, stacked: (indicator, n_nodes_ptr)."""
        X = self._validate_X_predict(X)
        indicators = Parallel(n_jobs=self.n_jobs, verbose=self.verbose, prefer="threads")(
            delayed(tree.decision_path)(X, check_input=False) for tree in self.estimators_
        )
        n_nodes = [0] + [i.shape[1] for i in indicators]
        return sparse_hstack(indicators).tocsr(), np.array(n_nodes).cumsum()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Build a forest of trees from the training set (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Converted to float32, as scikit-learn's forests do.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        if issparse(y):
            raise ValueError("sparse multilabel-indicator for y is not supported.")
        X, y = validate_data(self, X, y, multi_output=True, dtype=np.float32, order="C",
                             ensure_all_finite=False)
        missing = self._compute_missing_values_in_feature_mask(X)
        if missing is None:  # known NaN-free: the trees need not look
            missing = np.zeros(X.shape[1], dtype=bool)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        y = np.atleast_1d(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warn(
                "A column-vector y was passed when a 1d array was expected. Please change "
                "the shape of y to (n_samples,), for example using ravel().",
                DataConversionWarning,
                stacklevel=2,
            )
        if y.ndim == 1:
            y = np.reshape(y, (-1, 1))
        if getattr(self, "criterion", None) == "poisson":
            if np.any(y < 0):
                raise ValueError(
                    "Some value(s) of y are negative which is not allowed for Poisson "
                    "regression."
                )
            if np.sum(y) <= 0:
                raise ValueError(
                    "Sum of y is not strictly positive which is necessary for Poisson "
                    "regression."
                )
        self._n_samples, self.n_outputs_ = y.shape
        y, expanded_class_weight = self._validate_y_class_weight(y, sample_weight)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if sample_weight is None:
            _sample_weight = expanded_class_weight
        elif expanded_class_weight is None:
            _sample_weight = sample_weight
        else:
            _sample_weight = sample_weight * expanded_class_weight
        self._sample_weight = _sample_weight

        if not self.bootstrap and self.max_samples is not None:
            raise ValueError(
                "`max_sample` cannot be set if `bootstrap=False`. Either switch to "
                "`bootstrap=True` or set `max_sample=None`."
            )
        n_samples_bootstrap = (
            _get_n_samples_bootstrap(X.shape[0], self.max_samples, _sample_weight)
            if self.bootstrap else None
        )
        self._n_samples_bootstrap = n_samples_bootstrap
        self._validate_estimator()
        if not self.bootstrap and self.oob_score:
            raise ValueError("Out of bag estimation only available if bootstrap=True")

        random_state = check_random_state(self.random_state)
        if not self.warm_start or not hasattr(self, "estimators_"):
            self.estimators_ = []
        n_more = _n_new_estimators(self)
        if n_more > 0:
            if self.warm_start and len(self.estimators_) > 0:
                # skip the seeds already used, so warm starting equals one big fit
                random_state.randint(MAX_INT, size=len(self.estimators_))
            trees = self._make_trees(n_more, random_state)
            # Trees grown in parallel threads each run single-threaded.
            n_threads = 1 if min(effective_n_jobs(self.n_jobs), n_more) > 1 else _tree_threads(X.shape[0])
            data = _TreeData(X, self._get_max_bins(), self._splitter, n_threads=n_threads,
                             missing=missing)
            # y holds class indices: the trees need not encode it again
            classes = ([np.arange(k, dtype=np.float64) for k in self.n_classes_]
                       if is_classifier(self) else None)
            trees = Parallel(n_jobs=self.n_jobs, verbose=self.verbose, prefer="threads")(
                delayed(_build_tree)(
                    t, data, self.bootstrap, y, _sample_weight, i, len(trees),
                    verbose=self.verbose, class_weight=self.class_weight,
                    n_samples_bootstrap=n_samples_bootstrap, classes=classes,
                )
                for i, t in enumerate(trees)
            )
            self.estimators_.extend(trees)

        if self.oob_score and (n_more > 0 or not hasattr(self, "oob_score_")):
            y_type = type_of_target(y)
            if y_type == "unknown" or (is_classifier(self) and y_type == "multiclass-multioutput"):
                raise ValueError(
                    "The type of target cannot be used to compute OOB estimates. Got "
                    f"{y_type} while only the following are supported: continuous, "
                    "continuous-multioutput, binary, multiclass, multilabel-indicator."
                )
            scoring = self.oob_score if callable(self.oob_score) else None
            self._set_oob_score_and_attributes(X, y, scoring_function=scoring)

        if hasattr(self, "classes_") and self.n_outputs_ == 1:
            self.n_classes_ = self.n_classes_[0]
            self.classes_ = self.classes_[0]
        return self

    @abstractmethod
    def _set_oob_score_and_attributes(self, X, y, scoring_function=None):
        """Compute and set the OOB score and predictions."""

    def _compute_oob_predictions(self, X, y):
        """Mean leaf value over the trees for which each sample is out of bag."""
        n_samples, n_outputs = y.shape[0], self.n_outputs_
        if is_classifier(self) and hasattr(self, "n_classes_"):
            width = self.n_classes_[0]
        else:
            width = 1
        oob_pred = np.zeros((n_samples, width, n_outputs), dtype=np.float64)
        n_oob_pred = np.zeros((n_samples, n_outputs), dtype=np.int64)
        for tree in self.estimators_:
            unsampled = _generate_unsampled_indices(
                tree.random_state, n_samples, self._n_samples_bootstrap, self._sample_weight
            )
            oob_pred[unsampled, ...] += self._get_oob_predictions(tree, X[unsampled, :])
            n_oob_pred[unsampled, :] += 1
        if (n_oob_pred == 0).any():
            warn(
                "Some inputs do not have OOB scores. This probably means too few trees were "
                "used to compute any reliable OOB estimates.",
                UserWarning,
            )
            n_oob_pred[n_oob_pred == 0] = 1
        for k in range(n_outputs):
            oob_pred[..., k] /= n_oob_pred[..., [k]]
        return oob_pred

    def _validate_y_class_weight(self, y, sample_weight):
        return y, None

    @property
    def feature_importances_(self):
        """Impurity-based feature importances (mean over the non-trivial trees, normalised)."""
        check_is_fitted(self)
        return _mean_importances(self.estimators_, self.n_features_in_, normalize=True)

    def _get_estimators_indices(self):
        for tree in self.estimators_:
            if not self.bootstrap:
                yield np.arange(self._n_samples, dtype=np.int32)
            else:
                yield _generate_sample_indices(tree.random_state, self._n_samples,
                                               self._n_samples_bootstrap, self._sample_weight)

    @property
    def estimators_samples_(self):
        """The subset of drawn samples (indices) for each tree."""
        return list(self._get_estimators_indices())

    def _sum_leaf_values(self, X):
        """Sum over the trees of each row's leaf value, in joblib threads."""
        check_is_fitted(self)
        X = self._validate_X_predict(X)
        n_jobs, _, _ = _partition_estimators(self.n_estimators, self.n_jobs)
        first = self.estimators_[0].tree_.value
        out = np.zeros((X.shape[0],) + first.shape[1:], dtype=np.float64)
        lock = threading.Lock()
        Parallel(n_jobs=n_jobs, verbose=self.verbose, require="sharedmem")(
            delayed(_accumulate)(t, X, out, lock) for t in self.estimators_
        )
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # the trees' tag: NaN (dense X) for the exact / random splitters, as
        # sklearn's forests; none in the histograms of max_bins
        tags.input_tags.allow_nan = self._get_max_bins() is None
        tags.input_tags.sparse = False
        return tags


class ForestClassifier(ClassifierMixin, BaseForest, metaclass=ABCMeta):
    """Base class for forest classifiers."""

    @staticmethod
    def _get_oob_predictions(tree, X):
        # (n, n_outputs, n_classes) -> (n, n_classes, n_outputs)
        return np.swapaxes(_leaf_values(tree, np.ascontiguousarray(X)), 1, 2)

    def _set_oob_score_and_attributes(self, X, y, scoring_function=None):
        self.oob_decision_function_ = self._compute_oob_predictions(X, y)
        if self.oob_decision_function_.shape[-1] == 1:
            self.oob_decision_function_ = self.oob_decision_function_.squeeze(axis=-1)
        scoring_function = scoring_function or accuracy_score
        self.oob_score_ = scoring_function(y, np.argmax(self.oob_decision_function_, axis=1))

    def _validate_y_class_weight(self, y, sample_weight):
        check_classification_targets(y)
        y_original = np.copy(y)
        self.classes_, self.n_classes_ = [], []
        y_encoded = np.zeros(y.shape, dtype=int)
        for k in range(self.n_outputs_):
            classes_k, y_encoded[:, k] = np.unique(y[:, k], return_inverse=True)
            self.classes_.append(classes_k)
            self.n_classes_.append(classes_k.shape[0])
        y = y_encoded
        if self.class_weight is None:
            return y, None
        if isinstance(self.class_weight, (dict, list)):
            return y, compute_sample_weight(self.class_weight, y_original)
        if self.warm_start:
            warn(
                'class_weight presets "balanced" or "balanced_subsample" are not '
                "recommended for warm_start if the fitted data differs from the full "
                'dataset. In order to use "balanced" weights, use compute_class_weight '
                '("balanced", classes, y). In place of y you can use a large enough sample '
                "of the full training set target to properly estimate the class frequency "
                "distributions. Pass the resulting weights as the class_weight parameter."
            )
        if self.class_weight == "balanced_subsample" and self.bootstrap:
            return y, None  # computed per bootstrap in _build_tree
        class_weight = []
        for k in range(self.n_outputs_):
            w = compute_class_weight("balanced", classes=self.classes_[k], y=y_original[:, k],
                                     sample_weight=sample_weight)
            class_weight.append(dict(zip(self.classes_[k], w)))
        if self.n_outputs_ == 1:
            class_weight = class_weight[0]
        return y, compute_sample_weight(class_weight, y_original)

    def predict(self, X):
        """Class with the highest mean probability over the trees."""
        proba = self.predict_proba(X)
        if self.n_outputs_ == 1:
            return self.classes_.take(np.argmax(proba, axis=1), axis=0)
        predictions = np.empty((proba[0].shape[0], self.n_outputs_), dtype=self.classes_[0].dtype)
        for k in range(self.n_outputs_):
            predictions[:, k] = self.classes_[k].take(np.argmax(proba[k], axis=1), axis=0)
        return predictions

    def predict_proba(self, X):
        """Mean over the trees of the class fractions of each sample's leaf."""
        total = self._sum_leaf_values(X) / len(self.estimators_)
        n_classes = np.atleast_1d(self.n_classes_)
        all_proba = [np.ascontiguousarray(total[:, k, :n_classes[k]]) for k in range(self.n_outputs_)]
        return all_proba[0] if len(all_proba) == 1 else all_proba

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`."""
        proba = self.predict_proba(X)
        if self.n_outputs_ == 1:
            return np.log(proba)
        return [np.log(p) for p in proba]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class ForestRegressor(RegressorMixin, BaseForest, metaclass=ABCMeta):
    """Base class for forest regressors."""

    def predict(self, X):
        """Mean over the trees of each sample's leaf value."""
        y_hat = self._sum_leaf_values(X)[:, :, 0] / len(self.estimators_)
        return y_hat[:, 0] if self.n_outputs_ == 1 else y_hat

    @staticmethod
    def _get_oob_predictions(tree, X):
        # (n, n_outputs, 1) -> (n, 1, n_outputs)
        return np.swapaxes(_leaf_values(tree, np.ascontiguousarray(X)), 1, 2)

    def _set_oob_score_and_attributes(self, X, y, scoring_function=None):
        self.oob_prediction_ = self._compute_oob_predictions(X, y).squeeze(axis=1)
        if self.oob_prediction_.shape[-1] == 1:
            self.oob_prediction_ = self.oob_prediction_.squeeze(axis=-1)
        scoring_function = scoring_function or r2_score
        self.oob_score_ = scoring_function(y, self.oob_prediction_)


_CLF_CRITERIA = {"criterion": [StrOptions({"gini", "entropy", "log_loss"})]}
_REG_CRITERIA = {
    "criterion": [StrOptions({"squared_error", "absolute_error", "friedman_mse", "poisson"})]
}
_CLASS_WEIGHT = {"class_weight": [StrOptions({"balanced_subsample", "balanced"}), dict, list, None]}


def _friedman_mse_deprecated(criterion):
    if isinstance(criterion, str) and criterion == "friedman_mse":
        warn(
            'Value `"friedman_mse"` for `criterion` is deprecated and will be removed in '
            '1.11. It maps to `"squared_error"` as both were always equivalent. Use '
            '`criterion="squared_error"` to remove this warning.',
            FutureWarning,
        )
        return "squared_error"
    return criterion


class _TreeParamsMixin:
    """Stores the tree parameters shared by all four forests."""

    def _set_tree_params(self, criterion, max_depth, min_samples_split, min_samples_leaf,
                         min_weight_fraction_leaf, max_features, max_leaf_nodes,
                         min_impurity_decrease, ccp_alpha, monotonic_cst):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst


class RandomForestClassifier(_TreeParamsMixin, ForestClassifier):
    """A random forest classifier on fastml's compiled trees.

    Same parameters, defaults, attributes, random draws and errors as
    :class:`sklearn.ensemble.RandomForestClassifier`, plus ``max_bins``.

    Parameters
    ----------
    n_estimators : int, default=100
    criterion : {"gini", "entropy", "log_loss"}, default="gini"
    max_depth, min_samples_split, min_samples_leaf, min_weight_fraction_leaf,
    max_leaf_nodes, min_impurity_decrease, ccp_alpha :
        Tree parameters, as in scikit-learn.
    max_features : {"sqrt", "log2", None}, int or float, default="sqrt"
    bootstrap : bool, default=True
    oob_score : bool or callable, default=False
    n_jobs : int, default=None
        Trees grow in joblib threads (the tree builder releases the GIL); a
        ``joblib.parallel_backend`` context (dask, ray) distributes them.
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
    warm_start : bool, default=False
    class_weight : {"balanced", "balanced_subsample"}, dict or list of dicts, default=None
    max_samples : int or float, default=None
    monotonic_cst : None
        Not supported by fastml's trees (a non-None value raises NotImplementedError).
    max_bins : int in [2, 255], default=None
        fastml addition. None (default): exact trees, as scikit-learn grows
        them, from a per-feature sort order computed once per forest. An
        int: the features are binned once per forest into at most
        ``max_bins`` bins and every tree grows with the histogram splitter
        (much faster on large data; thresholds are bin edges).

    Attributes
    ----------
    estimator_ : DecisionTreeClassifier
    estimators_ : list of DecisionTreeClassifier
    classes_ : ndarray of shape (n_classes,) or list
    n_classes_ : int or list
    n_features_in_ : int
    n_outputs_ : int
    feature_importances_ : ndarray of shape (n_features,)
    oob_score_ : float
    oob_decision_function_ : ndarray of shape (n_samples, n_classes)
    estimators_samples_ : list of arrays

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastml.ensemble import RandomForestClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> clf.predict(X[:2])
    array([0, 0])
    """

    _parameter_constraints: dict = {
        **ForestClassifier._parameter_constraints, **_CLF_CRITERIA, **_CLASS_WEIGHT,
    }

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, min_weight_fraction_leaf=0.0, max_features="sqrt",
                 max_leaf_nodes=None, min_impurity_decrease=0.0, bootstrap=True, oob_score=False,
                 n_jobs=None, random_state=None, verbose=0, warm_start=False, class_weight=None,
                 ccp_alpha=0.0, max_samples=None, monotonic_cst=None, max_bins=None):
        super().__init__(
            estimator=None, n_estimators=n_estimators, estimator_params=_TREE_PARAMS,
            bootstrap=bootstrap, oob_score=oob_score, n_jobs=n_jobs, random_state=random_state,
            verbose=verbose, warm_start=warm_start, class_weight=class_weight,
            max_samples=max_samples,
        )
        self._set_tree_params(criterion, max_depth, min_samples_split, min_samples_leaf,
                              min_weight_fraction_leaf, max_features, max_leaf_nodes,
                              min_impurity_decrease, ccp_alpha, monotonic_cst)
        self.max_bins = max_bins


class RandomForestRegressor(_TreeParamsMixin, ForestRegressor):
    """A random forest regressor on fastml's compiled trees.

    Same parameters, defaults, attributes, random draws and errors as
    :class:`sklearn.ensemble.RandomForestRegressor`, plus ``max_bins`` (see
    :class:`RandomForestClassifier`).

    Parameters
    ----------
    n_estimators : int, default=100
    criterion : {"squared_error", "absolute_error", "friedman_mse"}, default="squared_error"
        ("poisson" is not supported by fastml's trees.)
    max_features : {"sqrt", "log2", None}, int or float, default=1.0
    bootstrap, oob_score, n_jobs, random_state, verbose, warm_start, max_samples,
    max_bins, and the tree parameters : as in :class:`RandomForestClassifier`.

    Attributes
    ----------
    estimators_ : list of DecisionTreeRegressor
    n_features_in_ : int
    n_outputs_ : int
    feature_importances_ : ndarray of shape (n_features,)
    oob_score_ : float
    oob_prediction_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from fastml.ensemble import RandomForestRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.8
    True
    """

    _parameter_constraints: dict = {**ForestRegressor._parameter_constraints, **_REG_CRITERIA}

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None, verbose=0,
                 warm_start=False, ccp_alpha=0.0, max_samples=None, monotonic_cst=None,
                 max_bins=None):
        super().__init__(
            estimator=None, n_estimators=n_estimators, estimator_params=_TREE_PARAMS,
            bootstrap=bootstrap, oob_score=oob_score, n_jobs=n_jobs, random_state=random_state,
            verbose=verbose, warm_start=warm_start, max_samples=max_samples,
        )
        self._set_tree_params(_friedman_mse_deprecated(criterion), max_depth, min_samples_split,
                              min_samples_leaf, min_weight_fraction_leaf, max_features,
                              max_leaf_nodes, min_impurity_decrease, ccp_alpha, monotonic_cst)
        self.max_bins = max_bins


class ExtraTreesClassifier(_TreeParamsMixin, ForestClassifier):
    """An extra-trees classifier: random thresholds, no bootstrap by default.

    Same parameters, defaults, attributes and errors as
    :class:`sklearn.ensemble.ExtraTreesClassifier`; every tree is a fastml
    ``DecisionTreeClassifier(splitter="random")`` (scikit-learn's
    ExtraTreeClassifier algorithm). There is no ``max_bins``: the random
    splitter never sorts, so binning would not speed it up.

    Parameters
    ----------
    n_estimators : int, default=100
    criterion : {"gini", "entropy", "log_loss"}, default="gini"
    bootstrap : bool, default=False
    (others as in :class:`RandomForestClassifier`)

    Attributes
    ----------
    estimators_ : list of DecisionTreeClassifier
    classes_, n_classes_, n_features_in_, n_outputs_, feature_importances_,
    oob_score_, oob_decision_function_ : as in :class:`RandomForestClassifier`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastml.ensemble import ExtraTreesClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ExtraTreesClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> clf.score(X, y)
    1.0
    """

    _parameter_constraints: dict = {
        **ForestClassifier._parameter_constraints, **_CLF_CRITERIA, **_CLASS_WEIGHT,
    }
    _parameter_constraints.pop("max_bins")
    _splitter = "random"

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, min_weight_fraction_leaf=0.0, max_features="sqrt",
                 max_leaf_nodes=None, min_impurity_decrease=0.0, bootstrap=False, oob_score=False,
                 n_jobs=None, random_state=None, verbose=0, warm_start=False, class_weight=None,
                 ccp_alpha=0.0, max_samples=None, monotonic_cst=None):
        super().__init__(
            estimator=None, n_estimators=n_estimators, estimator_params=_TREE_PARAMS,
            bootstrap=bootstrap, oob_score=oob_score, n_jobs=n_jobs, random_state=random_state,
            verbose=verbose, warm_start=warm_start, class_weight=class_weight,
            max_samples=max_samples,
        )
        self._set_tree_params(criterion, max_depth, min_samples_split, min_samples_leaf,
                              min_weight_fraction_leaf, max_features, max_leaf_nodes,
                              min_impurity_decrease, ccp_alpha, monotonic_cst)


class ExtraTreesRegressor(_TreeParamsMixin, ForestRegressor):
    """An extra-trees regressor: random thresholds, no bootstrap by default.

    Same parameters, defaults, attributes and errors as
    :class:`sklearn.ensemble.ExtraTreesRegressor`, on fastml
    ``DecisionTreeRegressor(splitter="random")`` trees.

    Parameters
    ----------
    n_estimators : int, default=100
    criterion : {"squared_error", "absolute_error", "friedman_mse"}, default="squared_error"
    max_features : {"sqrt", "log2", None}, int or float, default=1.0
    bootstrap : bool, default=False
    (others as in :class:`RandomForestRegressor`)

    Attributes
    ----------
    estimators_ : list of DecisionTreeRegressor
    n_features_in_, n_outputs_, feature_importances_, oob_score_, oob_prediction_ :
        as in :class:`RandomForestRegressor`.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from fastml.ensemble import ExtraTreesRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = ExtraTreesRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {**ForestRegressor._parameter_constraints, **_REG_CRITERIA}
    _parameter_constraints.pop("max_bins")
    _splitter = "random"

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=False, oob_score=False, n_jobs=None, random_state=None, verbose=0,
                 warm_start=False, ccp_alpha=0.0, max_samples=None, monotonic_cst=None):
        super().__init__(
            estimator=None, n_estimators=n_estimators, estimator_params=_TREE_PARAMS,
            bootstrap=bootstrap, oob_score=oob_score, n_jobs=n_jobs, random_state=random_state,
            verbose=verbose, warm_start=warm_start, max_samples=max_samples,
        )
        self._set_tree_params(_friedman_mse_deprecated(criterion), max_depth, min_samples_split,
                              min_samples_leaf, min_weight_fraction_leaf, max_features,
                              max_leaf_nodes, min_impurity_decrease, ccp_alpha, monotonic_cst)
