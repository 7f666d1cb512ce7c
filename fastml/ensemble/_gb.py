"""Gradient boosting of regression trees on the negative gradient of a loss.

Mirrors ``sklearn/ensemble/_gb.py`` (BSD-3, the scikit-learn developers):
same parameters, stages, random draws (subsample masks, early-stopping
split), leaf updates and fitted attributes. Each stage's numerics (negative
gradient, Newton leaf values, raw-prediction update, loss value) run in the
compiled kernel ``fastml._cy._ensemble_gb``; the trees are fastml's
``DecisionTreeRegressor``. With ``max_bins`` set, X is binned once per fit and
every tree is grown by the histogram splitter.
"""

import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from time import time

import numpy as np
from scipy.special import expit, logit
from scipy.stats import gmean
from sklearn.base import ClassifierMixin, RegressorMixin, is_classifier
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_array, column_or_1d
from sklearn.utils.extmath import softmax
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.stats import _weighted_percentile

from fastml._cy import _ensemble_gb as _k
from fastml.ensemble._base import (
    _TREE_PARAM_CONSTRAINTS,
    BaseEnsemble,
    _default_tree,
    _apply,
    _mean_importances,
    _tree_threads,
    _TreeData,
    _TreeEnsembleMixin,
)
from fastml.utils._sklearn import (
    HasMethods,
    Hidden,
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    check_is_fitted,
    check_random_state,
    validate_data,
)

__all__ = ["GradientBoostingClassifier", "GradientBoostingRegressor"]

# train_score_ of these losses is reported as a deviance (twice the half loss)
_FACTOR_2 = {"squared_error", "binomial"}


class _Loss:
    """The loss of one fit: kernel code, link and closed-form helpers.

    ``param`` is the huber delta (re-estimated each stage) or the quantile.
    """

    def __init__(self, name, n_classes=1, quantile=0.9):
        self.name, self.n_classes, self.quantile = name, n_classes, quantile
        self.code = _k.LOSSES[name]
        # huber's delta starts at scikit-learn's 0.5 and is re-estimated each stage
        self.param = 0.5 if name == "huber" else quantile
        self.is_multiclass = name == "multinomial"
        self.factor = 2.0 if name in _FACTOR_2 else 1.0

    def __call__(self, y, raw, sample_weight):
        return _k.loss_value(self.code, y, raw, sample_weight, self.param)

    def link(self, p):
        """Raw score of a probability / prediction (the init estimator's output).

        scipy's logit / gmean, as scikit-learn's links use: bit-equal raw
        scores keep near-tied splits breaking the same way.
        """
        if self.name == "binomial":
            return logit(p)
        if self.name == "exponential":
            return 0.5 * logit(p)
        if self.name == "multinomial":
            return np.log(p / gmean(p, axis=1)[:, None])
        return p

    def predict_proba(self, raw):
        if self.name == "multinomial":
            return softmax(raw)
        scale = 2.0 if self.name == "exponential" else 1.0
        p1 = expit(scale * raw.ravel())
        return np.column_stack([1 - p1, p1])

    def fit_intercept_only(self, y, sample_weight):
        """Constant minimising the loss on (y, sample_weight): a leaf's line search."""
        if self.name == "absolute_error":
            return _weighted_percentile(y, sample_weight, 50)
        if self.name == "quantile":
            return _weighted_percentile(y, sample_weight, 100 * self.quantile)
        # huber: median plus the mean clipped residual
        median = _weighted_percentile(y, sample_weight, 50)
        diff = y - median
        term = np.sign(diff) * np.minimum(self.param, np.abs(diff))
        return median + np.average(term, weights=sample_weight)


def _init_raw_predictions(X, estimator, loss, use_predict_proba):
    if use_predict_proba:
        p = estimator.predict_proba(X)
        if not loss.is_multiclass:
            p = p[:, 1]
        eps = np.finfo(np.float64).eps
        p = np.clip(p, eps, 1 - eps, dtype=np.float64)
    else:
        p = estimator.predict(X).astype(np.float64)
    raw = loss.link(p)
    return np.ascontiguousarray(raw.reshape(-1, 1) if raw.ndim == 1 else raw, dtype=np.float64)


class VerboseReporter:
    """Prints the training progress, as scikit-learn's GB does."""

    def __init__(self, verbose):
        self.verbose = verbose

    def init(self, est, begin_at_stage=0):
        fields = ["Iter", "Train Loss"]
        fmt = ["{iter:>10d}", "{train_score:>16.4f}"]
        if est.subsample < 1:
            fields.append("OOB Improve")
            fmt.append("{oob_impr:>16.4f}")
        fields.append("Remaining Time")
        fmt.append("{remaining_time:>16s}")
        print(("%10s " + "%16s " * (len(fields) - 1)) % tuple(fields))
        self.verbose_fmt = " ".join(fmt)
        self.verbose_mod = 1
        self.start_time = time()
        self.begin_at_stage = begin_at_stage

    def update(self, j, est):
        i = j - self.begin_at_stage
        if (i + 1) % self.verbose_mod == 0:
            oob_impr = est.oob_improvement_[j] if est.subsample < 1 else 0
            remaining = (est.n_estimators - (j + 1)) * (time() - self.start_time) / float(i + 1)
            remaining = f"{remaining / 60.0:.2f}m" if remaining > 60 else f"{remaining:.2f}s"
            print(self.verbose_fmt.format(iter=j + 1, train_score=est.train_score_[j],
                                          oob_impr=oob_impr, remaining_time=remaining))
            if self.verbose == 1 and (i + 1) // (self.verbose_mod * 10) > 0:
                self.verbose_mod *= 10


class BaseGradientBoosting(_TreeEnsembleMixin, BaseEnsemble, metaclass=ABCMeta):
    """Base class for the gradient boosting estimators."""

    _parameter_constraints: dict = {
        **_TREE_PARAM_CONSTRAINTS,
        "learning_rate": [Interval(Real, 0.0, None, closed="left")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "criterion": [StrOptions({"squared_error"}), Hidden(StrOptions({"deprecated", "friedman_mse"}))],
        "subsample": [Interval(Real, 0.0, 1.0, closed="right")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "validation_fraction": [Interval(Real, 0.0, 1.0, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0.0, None, closed="left")],
    }

    @abstractmethod
    def __init__(self, *, loss, learning_rate, n_estimators, min_samples_split, min_samples_leaf,
                 min_weight_fraction_leaf, max_depth, min_impurity_decrease, init, subsample,
                 max_features, ccp_alpha, random_state, alpha=0.9, verbose=0,
                 max_leaf_nodes=None, warm_start=False, validation_fraction=0.1,
                 n_iter_no_change=None, tol=1e-4, criterion="deprecated", max_bins=None):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.loss = loss
        self.criterion = criterion
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.subsample = subsample
        self.max_features = max_features
        self.max_depth = max_depth
        self.min_impurity_decrease = min_impurity_decrease
        self.ccp_alpha = ccp_alpha
        self.init = init
        self.random_state = random_state
        self.alpha = alpha
        self.verbose = verbose
        self.max_leaf_nodes = max_leaf_nodes
        self.warm_start = warm_start
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.max_bins = max_bins

    @abstractmethod
    def _encode_y(self, y=None, sample_weight=None):
        """Encode y and set n_trees_per_iteration_ (and classes_)."""

    @abstractmethod
    def _get_loss(self, sample_weight):
        """The :class:`_Loss` of this fit."""

    def _new_tree(self, random_state):
        return _default_tree(
            "regressor",
            criterion="squared_error",
            max_depth=self.max_depth,
            min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf,
            min_weight_fraction_leaf=self.min_weight_fraction_leaf,
            min_impurity_decrease=self.min_impurity_decrease,
            max_features=self.max_features,
            max_leaf_nodes=self.max_leaf_nodes,
            random_state=random_state,
            ccp_alpha=self.ccp_alpha,
        )

    def _fit_stage(self, i, data, y, raw, sample_weight, sample_mask, random_state):
        """Fit the stage-``i`` trees (one per class for multinomial) and update ``raw``."""
        loss = self._loss
        if loss.name == "huber":
            abserr = np.abs(y - raw.ravel())
            loss.param = float(_weighted_percentile(abserr, sample_weight, 100 * loss.quantile))
        neg_g = np.empty_like(raw)
        _k.neg_gradient(loss.code, y, raw, neg_g, loss.param)
        if self.subsample < 1.0:
            sample_weight = sample_weight * sample_mask
        mask_u8 = sample_mask.view(np.uint8)
        for k in range(self.n_trees_per_iteration_):
            g_k = np.ascontiguousarray(neg_g[:, k])
            tree = self._new_tree(random_state)
            data.fit(tree, g_k, sample_weight)
            leaves = data.apply(tree)
            value = tree.tree_.value  # a view: leaf updates go into the tree
            if loss.name != "squared_error":
                if loss.name in ("absolute_error", "huber", "quantile"):
                    self._line_search_leaves(tree, leaves, y, raw[:, k], sample_weight, sample_mask)
                else:
                    col = np.ascontiguousarray(value[:, 0, 0], dtype=np.float64)
                    _k.newton_leaf_values(loss.code, leaves, y, g_k, sample_weight, mask_u8,
                                          col, k, loss.n_classes)
                    value[:, 0, 0] = col
            col = np.ascontiguousarray(value[:, 0, 0], dtype=np.float64)
            _k.add_leaf_values(raw, leaves, col, self.learning_rate, k)
            self.estimators_[i, k] = tree
        return raw

    def _line_search_leaves(self, tree, leaves, y, raw_k, sample_weight, sample_mask):
        """Per-leaf constant of the residual for the non-smooth losses (few leaves)."""
        residual = y - raw_k
        in_bag = np.flatnonzero(sample_mask)
        order = in_bag[np.argsort(leaves[in_bag], kind="stable")]
        sorted_leaves = leaves[order]
        bounds = np.flatnonzero(np.diff(sorted_leaves)) + 1
        for idx in np.split(order, bounds):
            if idx.size:
                tree.tree_.value[leaves[idx[0]], 0, 0] = self._loss.fit_intercept_only(
                    residual[idx], sample_weight[idx]
                )

    def _set_max_features(self):
        n = self.n_features_in_
        if isinstance(self.max_features, str):
            if self.max_features == "sqrt":
                max_features = max(1, int(np.sqrt(n)))
            else:
                max_features = max(1, int(np.log2(n)))
        elif self.max_features is None:
            max_features = n
        elif isinstance(self.max_features, Integral):
            max_features = self.max_features
        else:
            max_features = max(1, int(self.max_features * n))
        self.max_features_ = max_features

    def _init_state(self):
        self.init_ = self.init
        if self.init_ is None:
            if is_classifier(self):
                self.init_ = DummyClassifier(strategy="prior")
            elif self._loss.name in ("absolute_error", "huber"):
                self.init_ = DummyRegressor(strategy="quantile", quantile=0.5)
            elif self._loss.name == "quantile":
                self.init_ = DummyRegressor(strategy="quantile", quantile=self.alpha)
            else:
                self.init_ = DummyRegressor(strategy="mean")
        self.estimators_ = np.empty((self.n_estimators, self.n_trees_per_iteration_), dtype=object)
        self.train_score_ = np.zeros((self.n_estimators,), dtype=np.float64)
        if self.subsample < 1.0:
            self.oob_improvement_ = np.zeros(self.n_estimators, dtype=np.float64)
            self.oob_scores_ = np.zeros(self.n_estimators, dtype=np.float64)
            self.oob_score_ = np.nan

    def _clear_state(self):
        if hasattr(self, "estimators_"):
            self.estimators_ = np.empty((0, 0), dtype=object)
        for attr in ("train_score_", "oob_improvement_", "oob_scores_", "oob_score_", "init_",
                     "_rng"):
            if hasattr(self, attr):
                delattr(self, attr)

    def _resize_state(self):
        total = self.n_estimators
        if total < self.estimators_.shape[0]:
            raise ValueError(f"resize with smaller n_estimators {total} < {self.estimators_[0]}")
        self.estimators_ = np.resize(self.estimators_, (total, self.n_trees_per_iteration_))
        self.train_score_ = np.resize(self.train_score_, total)
        if self.subsample < 1 or hasattr(self, "oob_improvement_"):
            if hasattr(self, "oob_improvement_"):
                self.oob_improvement_ = np.resize(self.oob_improvement_, total)
                self.oob_scores_ = np.resize(self.oob_scores_, total)
            else:
                self.oob_improvement_ = np.zeros((total,), dtype=np.float64)
                self.oob_scores_ = np.zeros((total,), dtype=np.float64)
            self.oob_score_ = np.nan

    def _is_fitted(self):
        return len(getattr(self, "estimators_", [])) > 0

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, monitor=None):
        """Fit the gradient boosting model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        monitor : callable, default=None
            Called as ``monitor(i, self, locals())`` after each stage; a
            True return stops the fit.

        Returns
        -------
        self : object
        """
        if not self.warm_start:
            self._clear_state()
        if self.criterion != "deprecated":
            warnings.warn(
                "The parameter `criterion` is deprecated and will be removed in 1.11. It "
                "has no effect. Leave it to its default value to avoid this warning.",
                FutureWarning,
            )
        X, y = validate_data(self, X, y, dtype=np.float32, multi_output=True)
        sample_weight_is_none = sample_weight is None
        sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        y = self._encode_y(y=y, sample_weight=None if sample_weight_is_none else sample_weight)
        y = np.ascontiguousarray(column_or_1d(y, warn=True), dtype=np.float64)
        self._set_max_features()
        self._loss = self._get_loss(sample_weight=sample_weight)
        self._n_threads = _tree_threads(X.shape[0])

        if self.n_iter_no_change is not None:
            stratify = y if is_classifier(self) else None
            X_train, X_val, y_train, y_val, sw_train, sw_val = train_test_split(
                X, y, sample_weight, random_state=self.random_state,
                test_size=self.validation_fraction, stratify=stratify,
            )
            if is_classifier(self) and self.n_classes_ != np.unique(y_train).shape[0]:
                raise ValueError(
                    "The training data after the early stopping split is missing some "
                    "classes. Try using another random seed."
                )
        else:
            X_train, y_train, sw_train = X, y, sample_weight
            X_val = y_val = sw_val = None
        n_samples = X_train.shape[0]

        if not self._is_fitted():
            self._init_state()
            if self.init_ == "zero":
                raw = np.zeros((n_samples, self.n_trees_per_iteration_), dtype=np.float64)
            else:
                if sample_weight_is_none:
                    self.init_.fit(X_train, y_train)
                else:
                    msg = (f"The initial estimator {self.init_.__class__.__name__} does not "
                           "support sample weights.")
                    try:
                        self.init_.fit(X_train, y_train, sample_weight=sw_train)
                    except TypeError as e:
                        if "unexpected keyword argument 'sample_weight'" in str(e):
                            raise ValueError(msg) from e
                        raise
                    except ValueError as e:
                        if "pass parameters to specific steps of your pipeline" in str(e):
                            raise ValueError(msg) from e
                        raise
                raw = _init_raw_predictions(X_train, self.init_, self._loss, is_classifier(self))
            begin_at_stage = 0
            self._rng = check_random_state(self.random_state)
        else:
            if self.n_estimators < self.estimators_.shape[0]:
                raise ValueError(
                    f"n_estimators={self.n_estimators} must be larger or equal to "
                    f"estimators_.shape[0]={self.estimators_.shape[0]} when warm_start==True"
                )
            begin_at_stage = self.estimators_.shape[0]
            X_train = check_array(X_train, dtype=np.float32, order="C", ensure_all_finite=False)
            raw = self._raw_predict(X_train)
            self._resize_state()

        n_stages = self._fit_stages(X_train, y_train, raw, sw_train, self._rng, X_val, y_val,
                                    sw_val, begin_at_stage, monitor)
        if n_stages != self.estimators_.shape[0]:
            self.estimators_ = self.estimators_[:n_stages]
            self.train_score_ = self.train_score_[:n_stages]
            if hasattr(self, "oob_improvement_"):
                self.oob_improvement_ = self.oob_improvement_[:n_stages]
                self.oob_scores_ = self.oob_scores_[:n_stages]
                self.oob_score_ = self.oob_scores_[-1]
        self.n_estimators_ = n_stages
        return self

    def _fit_stages(self, X, y, raw, sample_weight, random_state, X_val, y_val, sample_weight_val,
                    begin_at_stage=0, monitor=None):
        n_samples = X.shape[0]
        do_oob = self.subsample < 1.0
        sample_mask = np.ones((n_samples,), dtype=bool)
        n_inbag = max(1, int(self.subsample * n_samples))
        loss = self._loss
        if self.verbose:
            reporter = VerboseReporter(verbose=self.verbose)
            reporter.init(self, begin_at_stage)
        # binned (hist) or sorted once here, shared by every stage's trees
        data = _TreeData(X, self.max_bins, n_threads=self._n_threads)
        if self.n_iter_no_change is not None:
            loss_history = np.full(self.n_iter_no_change, np.inf)
            y_val_pred_iter = self._staged_raw_predict(X_val, check_input=False)
        f = loss.factor
        i = begin_at_stage
        for i in range(begin_at_stage, self.n_estimators):
            if do_oob:
                sample_mask = _k.random_sample_mask(n_samples, n_inbag, random_state)
                oob = ~sample_mask
                y_oob, sw_oob = y[oob], sample_weight[oob]
                if i == 0:
                    initial_loss = f * loss(y_oob, np.ascontiguousarray(raw[oob]), sw_oob)
            raw = self._fit_stage(i, data, y, raw, sample_weight, sample_mask, random_state)
            if do_oob:
                self.train_score_[i] = f * loss(
                    y[sample_mask], np.ascontiguousarray(raw[sample_mask]), sample_weight[sample_mask]
                )
                self.oob_scores_[i] = f * loss(y_oob, np.ascontiguousarray(raw[oob]), sw_oob)
                previous = initial_loss if i == 0 else self.oob_scores_[i - 1]
                self.oob_improvement_[i] = previous - self.oob_scores_[i]
                self.oob_score_ = self.oob_scores_[-1]
            else:
                self.train_score_[i] = f * loss(y, raw, sample_weight)
            if self.verbose > 0:
                reporter.update(i, self)
            if monitor is not None and monitor(i, self, locals()):
                break
            if self.n_iter_no_change is not None:
                val_loss = f * loss(y_val, next(y_val_pred_iter), sample_weight_val)
                if np.any(val_loss + self.tol < loss_history):
                    loss_history[i % len(loss_history)] = val_loss
                else:
                    break
        return i + 1

    def _raw_predict_init(self, X):
        check_is_fitted(self)
        if self.init_ == "zero":
            return np.zeros((X.shape[0], self.n_trees_per_iteration_), dtype=np.float64)
        return _init_raw_predictions(X, self.init_, self._loss, is_classifier(self))

    def _add_stage(self, i, X, raw):
        for k in range(self.n_trees_per_iteration_):
            tree = self.estimators_[i, k]
            leaves = _apply(tree, X, self._n_threads)
            col = np.ascontiguousarray(tree.tree_.value[:, 0, 0], dtype=np.float64)
            _k.add_leaf_values(raw, leaves, col, self.learning_rate, k)

    def _raw_predict(self, X):
        raw = self._raw_predict_init(X)
        for i in range(self.estimators_.shape[0]):
            self._add_stage(i, X, raw)
        return raw

    def _staged_raw_predict(self, X, check_input=True):
        if check_input:
            X = validate_data(self, X, dtype=np.float32, order="C", reset=False)
        raw = self._raw_predict_init(X)
        for i in range(self.estimators_.shape[0]):
            self._add_stage(i, X, raw)
            yield raw.copy()

    @property
    def feature_importances_(self):
        """Impurity-based feature importances (mean over the non-trivial trees, normalised)."""
        check_is_fitted(self)
        trees = [t for stage in self.estimators_ for t in stage]
        return _mean_importances(trees, self.n_features_in_, normalize=False)

    def apply(self, X):
        """Leaf index of each sample in every tree, shape (n_samples, n_estimators, n_classes)."""
        X = self._validate_X_predict(X)
        n_estimators, n_classes = self.estimators_.shape
        leaves = np.zeros((X.shape[0], n_estimators, n_classes))
        for i in range(n_estimators):
            for j in range(n_classes):
                leaves[:, i, j] = self.estimators_[i, j].apply(X, check_input=False)
        return leaves


class GradientBoostingClassifier(ClassifierMixin, BaseGradientBoosting):
    """Gradient Boosting for classification.

    Same parameters, attributes and stage-wise results as
    :class:`sklearn.ensemble.GradientBoostingClassifier`, with trees from
    :mod:`fastml.tree` and compiled per-stage numerics.

    Parameters
    ----------
    loss : {'log_loss', 'exponential'}, default='log_loss'
    learning_rate : float, default=0.1
    n_estimators : int, default=100
    subsample : float, default=1.0
        Fraction of samples per stage (stochastic gradient boosting).
    criterion : 'squared_error', default='deprecated'
        Deprecated in scikit-learn 1.9; has no effect.
    min_samples_split, min_samples_leaf, min_weight_fraction_leaf, max_depth,
    min_impurity_decrease, max_features, max_leaf_nodes, ccp_alpha :
        Parameters of every regression tree (``max_depth=3``).
    init : estimator or 'zero', default=None
        Initial predictions (class prior when None).
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
    warm_start : bool, default=False
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=None
        Early stopping on a held-out ``validation_fraction``.
    tol : float, default=1e-4
    max_bins : int, default=None
        fastml addition: bin the features once into at most ``max_bins``
        (<= 255) bins and grow the trees with the histogram splitter. None
        (default) grows exact trees, as scikit-learn does.

    Attributes
    ----------
    n_estimators_ : int
    n_trees_per_iteration_ : int
    oob_improvement_, oob_scores_, oob_score_ : only when ``subsample < 1``
    train_score_ : ndarray of shape (n_estimators,)
    init_ : estimator
    estimators_ : ndarray of DecisionTreeRegressor of shape (n_estimators, n_trees_per_iteration_)
    classes_ : ndarray of shape (n_classes,)
    n_classes_ : int
    max_features_ : int
    feature_importances_ : ndarray of shape (n_features,)
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from fastml.ensemble import GradientBoostingClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **BaseGradientBoosting._parameter_constraints,
        "loss": [StrOptions({"log_loss", "exponential"})],
        "init": [StrOptions({"zero"}), None, HasMethods(["fit", "predict_proba"])],
    }

    def __init__(self, *, loss="log_loss", learning_rate=0.1, n_estimators=100, subsample=1.0,
                 criterion="deprecated", min_samples_split=2, min_samples_leaf=1,
                 min_weight_fraction_leaf=0.0, max_depth=3, min_impurity_decrease=0.0, init=None,
                 random_state=None, max_features=None, verbose=0, max_leaf_nodes=None,
                 warm_start=False, validation_fraction=0.1, n_iter_no_change=None, tol=1e-4,
                 ccp_alpha=0.0, max_bins=None):
        super().__init__(
            loss=loss, learning_rate=learning_rate, n_estimators=n_estimators,
            criterion=criterion, min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf, min_weight_fraction_leaf=min_weight_fraction_leaf,
            max_depth=max_depth, init=init, subsample=subsample, max_features=max_features,
            random_state=random_state, verbose=verbose, max_leaf_nodes=max_leaf_nodes,
            min_impurity_decrease=min_impurity_decrease, warm_start=warm_start,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            tol=tol, ccp_alpha=ccp_alpha, max_bins=max_bins,
        )

    def _encode_y(self, y, sample_weight):
        check_classification_targets(y)
        le = LabelEncoder()
        y_int = le.fit_transform(y)
        self.classes_ = le.classes_
        n_classes = self.classes_.shape[0]
        self.n_trees_per_iteration_ = 1 if n_classes <= 2 else n_classes
        self.n_classes_ = n_classes
        n_trim = n_classes if sample_weight is None else np.count_nonzero(np.bincount(y_int, sample_weight))
        if n_trim < 2:
            raise ValueError(
                f"y contains {n_trim} class after sample_weight trimmed classes with zero "
                "weights, while a minimum of 2 classes are required."
            )
        return y_int.astype(float, copy=False)

    def _get_loss(self, sample_weight):
        if self.loss == "log_loss":
            if self.n_classes_ == 2:
                return _Loss("binomial")
            return _Loss("multinomial", n_classes=self.n_classes_)
        if self.n_classes_ > 2:
            raise ValueError(
                f"loss='{self.loss}' is only suitable for a binary classification problem, "
                f"you have n_classes={self.n_classes_}. Please use loss='log_loss' instead."
            )
        return _Loss("exponential")

    def decision_function(self, X):
        """Raw scores of X: (n_samples,) for binary, (n_samples, n_classes) otherwise."""
        X = self._validate_X_predict(X)
        raw = self._raw_predict(X)
        return raw.ravel() if raw.shape[1] == 1 else raw

    def staged_decision_function(self, X):
        """Raw scores of X after each stage."""
        yield from self._staged_raw_predict(X)

    def predict(self, X):
        """Predict class for X."""
        raw = self.decision_function(X)
        encoded = (raw >= 0).astype(int) if raw.ndim == 1 else np.argmax(raw, axis=1)
        return self.classes_[encoded]

    def staged_predict(self, X):
        """Predicted classes after each stage."""
        for raw in self._staged_raw_predict(X):
            if self.n_classes_ == 2:
                yield self.classes_.take((raw.squeeze() >= 0).astype(int), axis=0)
            else:
                yield self.classes_.take(np.argmax(raw, axis=1), axis=0)

    def predict_proba(self, X):
        """Class probabilities of X."""
        raw = self.decision_function(X)
        return self._loss.predict_proba(raw.reshape(raw.shape[0], -1))

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))

    def staged_predict_proba(self, X):
        """Class probabilities after each stage."""
        for raw in self._staged_raw_predict(X):
            yield self._loss.predict_proba(raw)


class GradientBoostingRegressor(RegressorMixin, BaseGradientBoosting):
    """Gradient Boosting for regression.

    Same parameters, attributes and stage-wise results as
    :class:`sklearn.ensemble.GradientBoostingRegressor`, with trees from
    :mod:`fastml.tree` and compiled per-stage numerics. See
    :class:`GradientBoostingClassifier` for the shared parameters.

    Parameters
    ----------
    loss : {'squared_error', 'absolute_error', 'huber', 'quantile'}, default='squared_error'
    alpha : float, default=0.9
        Quantile of the huber and quantile losses.
    max_bins : int, default=None
        Histogram splitter with features binned once (None: exact trees).

    Attributes
    ----------
    n_estimators_ : int
    train_score_ : ndarray of shape (n_estimators,)
    init_ : estimator
    estimators_ : ndarray of DecisionTreeRegressor of shape (n_estimators, 1)
    max_features_ : int
    feature_importances_ : ndarray of shape (n_features,)
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from fastml.ensemble import GradientBoostingRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = GradientBoostingRegressor(random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.7
    True
    """

    _parameter_constraints: dict = {
        **BaseGradientBoosting._parameter_constraints,
        "loss": [StrOptions({"squared_error", "absolute_error", "huber", "quantile"})],
        "init": [StrOptions({"zero"}), None, HasMethods(["fit", "predict"])],
        "alpha": [Interval(Real, 0.0, 1.0, closed="neither")],
    }

    def __init__(self, *, loss="squared_error", learning_rate=0.1, n_estimators=100,
                 subsample=1.0, criterion="deprecated", min_samples_split=2, min_samples_leaf=1,
                 min_weight_fraction_leaf=0.0, max_depth=3, min_impurity_decrease=0.0, init=None,
                 random_state=None, max_features=None, alpha=0.9, verbose=0, max_leaf_nodes=None,
                 warm_start=False, validation_fraction=0.1, n_iter_no_change=None, tol=1e-4,
                 ccp_alpha=0.0, max_bins=None):
        super().__init__(
            loss=loss, learning_rate=learning_rate, n_estimators=n_estimators,
            criterion=criterion, min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf, min_weight_fraction_leaf=min_weight_fraction_leaf,
            max_depth=max_depth, init=init, subsample=subsample, max_features=max_features,
            min_impurity_decrease=min_impurity_decrease, random_state=random_state, alpha=alpha,
            verbose=verbose, max_leaf_nodes=max_leaf_nodes, warm_start=warm_start,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            tol=tol, ccp_alpha=ccp_alpha, max_bins=max_bins,
        )

    def _encode_y(self, y=None, sample_weight=None):
        self.n_trees_per_iteration_ = 1
        return y.astype(np.float64, copy=False)

    def _get_loss(self, sample_weight):
        return _Loss(self.loss, quantile=self.alpha)

    def predict(self, X):
        """Predict regression target for X."""
        X = self._validate_X_predict(X)
        return self._raw_predict(X).ravel()

    def staged_predict(self, X):
        """Predictions after each stage."""
        for raw in self._staged_raw_predict(X):
            yield raw.ravel()

    def apply(self, X):
        """Leaf index of each sample in every tree, shape (n_samples, n_estimators)."""
        leaves = super().apply(X)
        return leaves.reshape(X.shape[0], self.estimators_.shape[0])
