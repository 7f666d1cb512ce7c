"""DecisionTreeClassifier / DecisionTreeRegressor on compiled split search.

Estimator layer over ``fastml._cy._tree_build`` (growing), ``_tree_predict``
(traversal) and ``_tree_prune`` (cost-complexity pruning). Parameters,
defaults, attributes and errors are scikit-learn's; with the same
``random_state`` the exact splitter grows sklearn's tree (see the kernel's
header for how).

Internal API for fastml.ensemble (forests, bagging, boosting)
-------------------------------------------------------------
* ``tree._fit(X, y, sample_weight=None, check_input=False, binned=None,
  order=None, n_threads=None)`` — sklearn's private ``_fit`` plus:

  - ``X``: float32 C-contiguous (n_samples, n_features), already validated
    (no inf; NaN only for "best"/"random"); with ``check_input=False``
    nothing is re-validated.
  - ``y``: for classifiers, anything ``np.unique`` encodes (forests pass the
    float64 class indices, as sklearn's forests do); (n,) or (n, n_outputs).
  - ``sample_weight``: float64 (n,) or None. Bootstrap = counts as weights;
    zero-weight rows are dropped from the tree (as sklearn).
  - ``binned``: a :class:`fastml.tree._binning.BinnedData` from
    ``bin_features(X, max_bins)``, computed ONCE per forest; required
    reuse for ``splitter="hist"`` (else the tree bins X itself).
  - ``order``: int32 (n_features, n_samples), ``np.argsort(X.T, axis=1)``
    (any order among ties), computed ONCE per forest for ``splitter="best"``
    (else each tree sorts X itself). Not valid after row subsampling of X
    (use weights for bootstrap instead, so X stays the same).
  - ``n_threads``: OpenMP threads inside this tree (default: all allowed
    from 200000 samples on, else 1). Pass 1 when trees are grown in parallel
    threads (the builder releases the GIL, so a joblib threading backend
    scales).
  - ``missing``: optional bool (n_features,), which features hold NaN
    (sklearn's missing_values_in_feature_mask); found by the kernel if None.
  - ``max_features`` and ``random_state`` behave as in sklearn: the seed of
    the tree's XorShift RNG is ``check_random_state(random_state).randint(0,
    2**31 - 1)``, drawn at the start of ``_fit``.
* ``tree.tree_``: a :class:`Tree` (sklearn's arrays: ``children_left``,
  ``children_right``, ``feature``, ``threshold``, ``value``, ``impurity``,
  ``n_node_samples``, ``weighted_n_node_samples``...). ``tree.tree_.apply(X)``
  and ``tree.tree_.predict(X)`` (X float32 C-contiguous) run the compiled
  traversal; ``value`` holds class fractions for classifiers (sklearn >= 1.4).
* ``bin_features``, ``BinnedData`` live in ``fastml.tree._binning``.
"""

import numbers
import warnings
from math import ceil

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MultiOutputMixin,
    RegressorMixin,
    clone,
    is_classifier,
)
from sklearn.tree import DecisionTreeClassifier as _SkDecisionTreeClassifier
from sklearn.tree import DecisionTreeRegressor as _SkDecisionTreeRegressor
from sklearn.utils import Bunch, compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets

from fastml._cy import _tree_build, _tree_predict, _tree_prune
from fastml.tree._binning import MAX_BINS, bin_features
from fastml.utils._sklearn import (
    Hidden,
    Interval,
    RealNotInt,
    StrOptions,
    _assert_all_finite,
    _check_sample_weight,
    _fit_context,
    _openmp_effective_n_threads,
    check_is_fitted,
    check_random_state,
    validate_data,
)

__all__ = [
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "ExtraTreeClassifier",
    "ExtraTreeRegressor",
    "Tree",
]

TREE_LEAF = -1
TREE_UNDEFINED = -2
_RAND_R_MAX = 2147483647
# Below this many samples a tree grows / predicts serially by default: its
# parallel regions are short and, on busy cores, cost more than they save
# (measured on the shared 2-core build machine, see docs/tree.md).
_PARALLEL_MIN_SAMPLES = 200_000


def _reject_nan(X, estimator_name, setting, instead):
    """ValueError naming the histogram setting when X holds NaN: the bins have
    no missing-value bin (HistGradientBoosting's), so NaN are not supported."""
    if np.isnan(np.sum(X)) and np.isnan(X).any():
        raise ValueError(
            f"Input X contains NaN. {estimator_name} with {setting} does not support "
            f"missing values (its histograms have no missing-value bin): use {instead}, "
            "which handle NaN as scikit-learn does.")


def _n_threads(n_samples):
    return _openmp_effective_n_threads() if n_samples >= _PARALLEL_MIN_SAMPLES else 1


class Tree:
    """A fitted binary tree as parallel arrays, like ``sklearn.tree._tree.Tree``.

    Node ``i``: ``children_left[i]`` / ``children_right[i]`` (``-1`` for
    leaves), ``feature[i]`` and ``threshold[i]`` (samples with
    ``X[:, feature] <= threshold`` go left; ``-2`` on leaves), ``value[i]``
    of shape (n_outputs, max_n_classes), ``impurity[i]``,
    ``n_node_samples[i]``, ``weighted_n_node_samples[i]``,
    ``missing_go_to_left[i]`` (uint8: where NaN goes at a split node; the side
    the training NaN went, or the larger child if the node saw none). A plain
    object of NumPy arrays, so it pickles.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastml.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> tree = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y).tree_
    >>> tree.node_count, tree.feature[0], float(tree.threshold[0])
    (3, np.int64(3), 0.800000011920929)
    """

    def __init__(self, n_features, n_classes, n_outputs):
        self.n_features = int(n_features)
        self.n_classes = np.asarray(n_classes, dtype=np.intp)
        self.n_outputs = int(n_outputs)
        self.max_n_classes = int(self.n_classes.max())
        self.value_stride = self.n_outputs * self.max_n_classes
        self.max_depth = 0
        self._set_nodes(
            children_left=np.empty(0, np.intp), children_right=np.empty(0, np.intp),
            feature=np.empty(0, np.intp), threshold=np.empty(0),
            impurity=np.empty(0), n_node_samples=np.empty(0, np.intp),
            weighted_n_node_samples=np.empty(0),
            missing_go_to_left=np.empty(0, np.uint8),
            value=np.empty((0, self.n_outputs, self.max_n_classes)),
        )

    def _set_nodes(self, *, children_left, children_right, feature, threshold,
                   impurity, n_node_samples, weighted_n_node_samples,
                   missing_go_to_left, value, max_depth=None):
        self.children_left = children_left
        self.children_right = children_right
        self.feature = feature
        self.threshold = threshold
        self.impurity = impurity
        self.n_node_samples = n_node_samples
        self.weighted_n_node_samples = weighted_n_node_samples
        self.missing_go_to_left = missing_go_to_left
        self.value = value
        if max_depth is not None:
            self.max_depth = int(max_depth)
        return self

    @property
    def node_count(self):
        return self.children_left.shape[0]

    @property
    def capacity(self):
        return self.node_count

    @property
    def n_leaves(self):
        return int(np.sum(self.children_left == TREE_LEAF))

    def apply(self, X, may_have_nan=True):
        """Leaf index of each row of X (float32, C-contiguous). With
        ``may_have_nan=False`` (X known NaN-free) the walk skips NaN checks."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        return _tree_predict.apply(
            X, self.children_left, self.children_right, self.feature,
            self.threshold, self.missing_go_to_left, _n_threads(X.shape[0]),
            may_have_nan)

    def predict(self, X, may_have_nan=True):
        """``value`` of each row's leaf: (n, max_n_classes) if one output."""
        out = self.value.take(self.apply(X, may_have_nan), axis=0, mode="clip")
        if self.n_outputs == 1:
            out = out.reshape(out.shape[0], self.max_n_classes)
        return out

    def decision_path(self, X):
        """CSR indicator (n_samples, node_count) of the nodes each row visits."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        indptr, indices = _tree_predict.decision_path(
            X, self.children_left, self.children_right, self.feature,
            self.threshold, self.missing_go_to_left, _n_threads(X.shape[0]))
        data = np.ones(indices.shape[0], dtype=np.intp)
        return sp.csr_matrix((data, indices, indptr),
                             shape=(X.shape[0], self.node_count))

    def compute_node_depths(self):
        depths = np.zeros(self.node_count, dtype=np.int64)
        for i in range(self.node_count):  # children always follow their parent
            if self.children_left[i] != TREE_LEAF:
                depths[self.children_left[i]] = depths[i] + 1
                depths[self.children_right[i]] = depths[i] + 1
        return depths + 1

    def compute_feature_importances(self, normalize=True):
        """Mean decrease in impurity per feature (sklearn's Gini importance)."""
        importances = np.zeros(self.n_features)
        inner = np.flatnonzero(self.children_left != TREE_LEAF)
        if inner.size:
            wi = self.weighted_n_node_samples * self.impurity
            gain = (wi[inner] - wi[self.children_left[inner]]
                    - wi[self.children_right[inner]])
            np.add.at(importances, self.feature[inner], gain)
        importances /= self.weighted_n_node_samples[0]
        if normalize:
            normalizer = importances.sum()
            if normalizer > 0.0:
                importances /= normalizer
        return importances

    def _pruned(self, leaves_in_subtree):
        old, left, right, max_depth = _tree_prune.pruned_order(
            self.children_left, self.children_right, leaves_in_subtree)
        leaf = leaves_in_subtree[old].astype(bool)
        pruned = Tree(self.n_features, self.n_classes, self.n_outputs)
        feature = self.feature[old].copy()
        threshold = self.threshold[old].copy()
        missing_go_to_left = self.missing_go_to_left[old].copy()
        feature[leaf] = TREE_UNDEFINED
        threshold[leaf] = TREE_UNDEFINED
        missing_go_to_left[leaf] = 0  # sklearn's _add_node leaves it unset on leaves
        return pruned._set_nodes(
            children_left=left, children_right=right, feature=feature,
            threshold=threshold, impurity=self.impurity[old],
            n_node_samples=self.n_node_samples[old],
            weighted_n_node_samples=self.weighted_n_node_samples[old],
            missing_go_to_left=missing_go_to_left,
            value=self.value[old], max_depth=max_depth)

    def __repr__(self):
        return f"<fastml Tree: {self.node_count} nodes, max_depth={self.max_depth}>"


class BaseDecisionTree(MultiOutputMixin, BaseEstimator):
    """Shared fit / predict of the two trees. Do not use directly."""

    _parameter_constraints: dict = {
        "splitter": [StrOptions({"best", "random", "hist"})],
        "max_depth": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "min_samples_split": [
            Interval(numbers.Integral, 2, None, closed="left"),
            Interval(RealNotInt, 0.0, 1.0, closed="right"),
        ],
        "min_samples_leaf": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0.0, 1.0, closed="neither"),
        ],
        "min_weight_fraction_leaf": [Interval(numbers.Real, 0.0, 0.5, closed="both")],
        "max_features": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0.0, 1.0, closed="right"),
            StrOptions({"sqrt", "log2"}),
            None,
        ],
        "random_state": ["random_state"],
        "max_leaf_nodes": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "min_impurity_decrease": [Interval(numbers.Real, 0.0, None, closed="left")],
        "ccp_alpha": [Interval(numbers.Real, 0.0, None, closed="left")],
        "monotonic_cst": ["array-like", None],
    }

    def _check_X(self, X, reset):
        """Validated X and whether it may hold NaN.

        float32 like sklearn's trees: thresholds are midpoints of float32
        values, so the same data gives the same tree and the same predictions.
        NaN are checked as sklearn's "allow-nan" does (a sum first, element by
        element only if it is not finite), keeping the answer for the walk.
        """
        if not self._support_missing_values(X):
            return validate_data(self, X, dtype=np.float32, order="C", reset=reset), False
        X = validate_data(self, X, dtype=np.float32, order="C", reset=reset,
                          ensure_all_finite=False)
        with np.errstate(over="ignore"):
            if np.isfinite(np.sum(X)):
                return X, False
        _assert_all_finite(X, allow_nan=True, estimator_name=type(self).__name__,
                           input_name="X")
        return X, True

    def _support_missing_values(self, X):
        return not sp.issparse(X) and self.__sklearn_tags__().input_tags.allow_nan

    def _compute_missing_values_in_feature_mask(self, X, estimator_name=None):
        """Which features of X hold NaN (None if none does), as sklearn's.

        Raises sklearn's ValueError for inf, and for NaN when they are not
        supported (``splitter="hist"``: its bins have no missing-value bin).
        """
        estimator_name = estimator_name or type(self).__name__
        if not self._support_missing_values(X):
            if self.splitter == "hist" and not sp.issparse(X):
                _reject_nan(X, estimator_name, "splitter='hist'", "splitter='best' or 'random'")
            _assert_all_finite(X, allow_nan=False, estimator_name=estimator_name,
                               input_name="X")
            return None
        with np.errstate(over="ignore"):
            overall_sum = np.sum(X)
        if np.isfinite(overall_sum):
            return None
        _assert_all_finite(X, allow_nan=True, estimator_name=estimator_name, input_name="X")
        return np.isnan(X.sum(axis=0))

    def _fit(self, X, y, sample_weight=None, check_input=True, binned=None,
             order=None, n_threads=None, classes=None, missing=None):
        random_state = check_random_state(self.random_state)
        if check_input:
            X, y = validate_data(
                self, X, y,
                validate_separately=(dict(dtype=np.float32, order="C",
                                          ensure_all_finite=False),
                                     dict(ensure_2d=False, dtype=None)))
            missing = self._compute_missing_values_in_feature_mask(X)
            if missing is None:  # known NaN-free: the kernel need not look
                missing = np.zeros(X.shape[1], dtype=bool)
        else:
            X = np.ascontiguousarray(X, dtype=np.float32)
            self.n_features_in_ = X.shape[1]
        if self.monotonic_cst is not None:
            raise NotImplementedError("fastml trees do not support monotonic_cst yet.")
        if getattr(self, "criterion", None) in ("poisson",):
            raise NotImplementedError("fastml trees do not support criterion='poisson'.")
        n_samples, n_features = X.shape
        if n_samples >= 2**31 - 1:  # the kernels index samples with int32
            raise ValueError(f"fastml trees support fewer than 2**31 - 1 samples, got {n_samples}.")
        is_classification = is_classifier(self)
        y = np.atleast_1d(y)
        expanded_class_weight = None
        if y.ndim == 1:
            y = np.reshape(y, (-1, 1))
        self.n_outputs_ = y.shape[1]
        if is_classification and classes is not None:
            # y already holds class indices (an ensemble encoded it once)
            self.classes_ = list(classes)
            self.n_classes_ = [c.shape[0] for c in classes]
            y = np.ascontiguousarray(y, dtype=np.int32)
        elif is_classification:
            if check_input:
                check_classification_targets(y)
            y = np.copy(y)
            self.classes_, self.n_classes_ = [], []
            if self.class_weight is not None:
                y_original = np.copy(y)
            y_encoded = np.zeros(y.shape, dtype=np.int32)
            for k in range(self.n_outputs_):
                classes_k, y_encoded[:, k] = np.unique(y[:, k], return_inverse=True)
                self.classes_.append(classes_k)
                self.n_classes_.append(classes_k.shape[0])
            y = y_encoded
            if self.class_weight is not None:
                expanded_class_weight = compute_sample_weight(
                    self.class_weight, y_original if classes is None else y)
        if is_classification:
            self.n_classes_ = np.array(self.n_classes_, dtype=np.intp)
        else:
            y = np.ascontiguousarray(y, dtype=np.float64)
        if len(y) != n_samples:
            raise ValueError("Number of labels=%d does not match number of samples=%d"
                             % (len(y), n_samples))

        max_depth = np.iinfo(np.int32).max if self.max_depth is None else self.max_depth
        if isinstance(self.min_samples_leaf, numbers.Integral):
            min_samples_leaf = self.min_samples_leaf
        else:
            min_samples_leaf = ceil(self.min_samples_leaf * n_samples)
        if isinstance(self.min_samples_split, numbers.Integral):
            min_samples_split = self.min_samples_split
        else:
            min_samples_split = max(2, ceil(self.min_samples_split * n_samples))
        min_samples_split = max(min_samples_split, 2 * min_samples_leaf)
        if isinstance(self.max_features, str):
            if self.max_features == "sqrt":
                max_features = max(1, int(np.sqrt(n_features)))
            else:
                max_features = max(1, int(np.log2(n_features)))
        elif self.max_features is None:
            max_features = n_features
        elif isinstance(self.max_features, numbers.Integral):
            max_features = self.max_features
        else:
            max_features = max(1, int(self.max_features * n_features)) if self.max_features > 0.0 else 0
        self.max_features_ = max_features
        max_leaf_nodes = -1 if self.max_leaf_nodes is None else self.max_leaf_nodes

        if sample_weight is not None and check_input:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if expanded_class_weight is not None:
            sample_weight = (expanded_class_weight if sample_weight is None
                             else sample_weight * expanded_class_weight)
        if sample_weight is None:
            min_weight_leaf = self.min_weight_fraction_leaf * n_samples
            sample_weight = np.ones(n_samples)
        else:
            min_weight_leaf = self.min_weight_fraction_leaf * np.sum(sample_weight)
        sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)

        if self.splitter == "hist":
            if binned is None:
                binned = bin_features(X, MAX_BINS)
            Xt, thresholds, n_bins, values = binned
        else:
            Xt, thresholds, n_bins, values = np.ascontiguousarray(X.T), None, None, None
        n_classes = self.n_classes_ if is_classification else np.ones(self.n_outputs_, np.intp)
        seed = random_state.randint(0, _RAND_R_MAX)
        builder = _tree_build.TreeBuilder(
            self.criterion, self.splitter, Xt, np.ascontiguousarray(y), sample_weight,
            n_classes, max_features, min_samples_leaf, min_samples_split,
            min_weight_leaf, max_depth, max_leaf_nodes,
            float(self.min_impurity_decrease), seed,
            _n_threads(n_samples) if n_threads is None else int(n_threads),
            order=order, bin_thresholds=thresholds, n_bins=n_bins, bin_values=values,
            missing=missing)
        self.tree_ = Tree(n_features, n_classes, self.n_outputs_)._set_nodes(**builder.build())
        if self.n_outputs_ == 1 and is_classification:
            self.n_classes_ = self.n_classes_[0]
            self.classes_ = self.classes_[0]
        self._prune_tree()
        return self

    def _prune_tree(self):
        if self.ccp_alpha == 0.0:
            return
        t = self.tree_
        leaves, _, _ = _tree_prune.cost_complexity_prune(
            t.children_left, t.children_right, t.weighted_n_node_samples,
            t.impurity, float(self.ccp_alpha))
        self.tree_ = t._pruned(leaves)

    def _validate_X_predict(self, X, check_input):
        """X as the walk takes it, and whether it may hold NaN."""
        if check_input:
            return self._check_X(X, reset=False)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} "
                             f"is expecting {self.n_features_in_} features as input.")
        return np.ascontiguousarray(X, dtype=np.float32), True

    def get_depth(self):
        """The depth of the tree: the longest root-to-leaf path."""
        check_is_fitted(self)
        return self.tree_.max_depth

    def get_n_leaves(self):
        """The number of leaves of the tree."""
        check_is_fitted(self)
        return self.tree_.n_leaves

    def predict(self, X, check_input=True):
        """Predict class or regression value for X."""
        check_is_fitted(self)
        X, may_have_nan = self._validate_X_predict(X, check_input)
        proba = self.tree_.predict(X, may_have_nan)
        n_samples = X.shape[0]
        if is_classifier(self):
            if self.n_outputs_ == 1:
                return self.classes_.take(np.argmax(proba, axis=1), axis=0)
            predictions = np.zeros((n_samples, self.n_outputs_), dtype=self.classes_[0].dtype)
            for k in range(self.n_outputs_):
                predictions[:, k] = self.classes_[k].take(np.argmax(proba[:, k], axis=1), axis=0)
            return predictions
        if self.n_outputs_ == 1:
            return proba[:, 0]
        return proba[:, :, 0]

    def apply(self, X, check_input=True):
        """Index of the leaf each sample ends up in."""
        check_is_fitted(self)
        X, may_have_nan = self._validate_X_predict(X, check_input)
        return self.tree_.apply(X, may_have_nan)

    def decision_path(self, X, check_input=True):
        """Sparse (n_samples, n_nodes) indicator of the nodes each sample visits."""
        check_is_fitted(self)
        X, _ = self._validate_X_predict(X, check_input)
        return self.tree_.decision_path(X)

    def cost_complexity_pruning_path(self, X, y, sample_weight=None):
        """Effective alphas and total leaf impurities of minimal cost-complexity pruning."""
        est = clone(self).set_params(ccp_alpha=0.0)
        est.fit(X, y, sample_weight=sample_weight)
        t = est.tree_
        _, alphas, impurities = _tree_prune.cost_complexity_prune(
            t.children_left, t.children_right, t.weighted_n_node_samples,
            t.impurity, np.inf)
        return Bunch(ccp_alphas=alphas, impurities=impurities)

    @property
    def feature_importances_(self):
        """Normalized total impurity decrease brought by each feature."""
        check_is_fitted(self)
        return self.tree_.compute_feature_importances()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # NaN (dense X only) as sklearn's trees, except in the histograms
        tags.input_tags.allow_nan = self.splitter != "hist"
        tags.input_tags.sparse = False
        return tags


class DecisionTreeClassifier(ClassifierMixin, BaseDecisionTree):
    """A decision tree classifier (scikit-learn's, with a compiled splitter).

    Same parameters, attributes and results as
    ``sklearn.tree.DecisionTreeClassifier``. ``splitter`` also accepts
    ``"hist"``: features binned once into at most 255 bins, histograms
    scanned per node (faster on large data, approximate thresholds).
    Missing values (NaN, dense X) are supported as in scikit-learn: a split
    sends them to the side that fits best in training (the larger child at
    predict time if the node saw none); ``splitter="hist"`` rejects them.
    Differences: sparse X and ``monotonic_cst`` are rejected.

    Parameters
    ----------
    criterion : {"gini", "entropy", "log_loss"}, default="gini"
    splitter : {"best", "random", "hist"}, default="best"
    max_depth : int, default=None
    min_samples_split : int or float, default=2
    min_samples_leaf : int or float, default=1
    min_weight_fraction_leaf : float, default=0.0
    max_features : int, float, {"sqrt", "log2"} or None, default=None
    random_state : int, RandomState instance or None, default=None
    max_leaf_nodes : int, default=None
        Grow the tree best-first with at most this many leaves.
    min_impurity_decrease : float, default=0.0
    class_weight : dict, list of dict or "balanced", default=None
    ccp_alpha : non-negative float, default=0.0
    monotonic_cst : None, default=None
        Not supported yet (anything else raises NotImplementedError).

    Attributes
    ----------
    classes_, n_classes_, n_features_in_, feature_names_in_, n_outputs_,
    max_features_, tree_ (a :class:`Tree`), feature_importances_

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastml.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = DecisionTreeClassifier(random_state=0).fit(X, y)
    >>> clf.get_depth(), clf.get_n_leaves(), clf.score(X, y)
    (5, 9, 1.0)
    """

    _parameter_constraints: dict = {
        **BaseDecisionTree._parameter_constraints,
        "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
    }

    def __init__(self, *, criterion="gini", splitter="best", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1,
                 min_weight_fraction_leaf=0.0, max_features=None,
                 random_state=None, max_leaf_nodes=None,
                 min_impurity_decrease=0.0, class_weight=None, ccp_alpha=0.0,
                 monotonic_cst=None):
        self.criterion = criterion
        self.splitter = splitter
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.class_weight = class_weight
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, check_input=True):
        """Build a decision tree classifier from the training set (X, y)."""
        return self._fit(X, y, sample_weight=sample_weight, check_input=check_input)

    def predict_proba(self, X, check_input=True):
        """Class probabilities: the class fractions of each sample's leaf."""
        check_is_fitted(self)
        X, may_have_nan = self._validate_X_predict(X, check_input)
        proba = self.tree_.predict(X, may_have_nan)
        if self.n_outputs_ == 1:
            return proba[:, : self.n_classes_]
        return [proba[:, k, : self.n_classes_[k]] for k in range(self.n_outputs_)]

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


class DecisionTreeRegressor(RegressorMixin, BaseDecisionTree):
    """A decision tree regressor (scikit-learn's, with a compiled splitter).

    Same parameters, attributes and results as
    ``sklearn.tree.DecisionTreeRegressor``; ``splitter="hist"`` as in
    :class:`DecisionTreeClassifier`. ``criterion="friedman_mse"`` maps to
    ``"squared_error"`` with a FutureWarning, as in scikit-learn 1.9.
    NaN in X as in :class:`DecisionTreeClassifier`. Differences: sparse X,
    ``criterion="poisson"`` and ``monotonic_cst`` are rejected.

    Parameters
    ----------
    criterion : {"squared_error", "absolute_error"}, default="squared_error"
    splitter, max_depth, min_samples_split, min_samples_leaf,
    min_weight_fraction_leaf, max_features, random_state, max_leaf_nodes,
    min_impurity_decrease, ccp_alpha, monotonic_cst :
        as in :class:`DecisionTreeClassifier`.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from fastml.tree import DecisionTreeRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    >>> reg.get_n_leaves(), round(reg.score(X, y), 3)
    (8, 0.501)
    """

    _parameter_constraints: dict = {
        **BaseDecisionTree._parameter_constraints,
        "criterion": [StrOptions({"squared_error", "absolute_error", "poisson"}),
                      Hidden(StrOptions({"friedman_mse"}))],
    }

    def __init__(self, *, criterion="squared_error", splitter="best",
                 max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 min_weight_fraction_leaf=0.0, max_features=None,
                 random_state=None, max_leaf_nodes=None,
                 min_impurity_decrease=0.0, ccp_alpha=0.0, monotonic_cst=None):
        if isinstance(criterion, str) and criterion == "friedman_mse":
            # As scikit-learn 1.9 (TODO(1.11) there): both were always equivalent.
            criterion = "squared_error"
            warnings.warn(
                'Value `"friedman_mse"` for `criterion` is deprecated and will be '
                'removed in 1.11. It maps to `"squared_error"` as both '
                'were always equivalent. Use `criterion="squared_error"` '
                "to remove this warning.",
                FutureWarning,
            )
        self.criterion = criterion
        self.splitter = splitter
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.ccp_alpha = ccp_alpha
        self.monotonic_cst = monotonic_cst

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, check_input=True):
        """Build a decision tree regressor from the training set (X, y)."""
        return self._fit(X, y, sample_weight=sample_weight, check_input=check_input)


class ExtraTreeClassifier(DecisionTreeClassifier):
    """An extremely randomized tree classifier (scikit-learn's ExtraTreeClassifier).

    :class:`DecisionTreeClassifier` with scikit-learn's ExtraTree defaults,
    ``splitter="random"`` and ``max_features="sqrt"``: a random threshold per
    drawn feature, the best of those. Same trees as scikit-learn's with the
    same ``random_state``. NaN are accepted with ``splitter="random"`` only
    (scikit-learn's tag); each split sends them to a random side.

    Parameters
    ----------
    criterion, splitter, max_depth, min_samples_split, min_samples_leaf,
    min_weight_fraction_leaf, max_features, random_state, max_leaf_nodes,
    min_impurity_decrease, class_weight, ccp_alpha, monotonic_cst :
        as in :class:`DecisionTreeClassifier` (defaults ``splitter="random"``,
        ``max_features="sqrt"``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastml.tree import ExtraTreeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> ExtraTreeClassifier(random_state=0).fit(X, y).score(X, y)
    1.0
    """

    def __init__(self, *, criterion="gini", splitter="random", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1,
                 min_weight_fraction_leaf=0.0, max_features="sqrt",
                 random_state=None, max_leaf_nodes=None,
                 min_impurity_decrease=0.0, class_weight=None, ccp_alpha=0.0,
                 monotonic_cst=None):
        super().__init__(
            criterion=criterion, splitter=splitter, max_depth=max_depth,
            min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
            min_weight_fraction_leaf=min_weight_fraction_leaf,
            max_features=max_features, random_state=random_state,
            max_leaf_nodes=max_leaf_nodes, min_impurity_decrease=min_impurity_decrease,
            class_weight=class_weight, ccp_alpha=ccp_alpha, monotonic_cst=monotonic_cst)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.splitter == "random"  # as scikit-learn
        return tags


class ExtraTreeRegressor(DecisionTreeRegressor):
    """An extremely randomized tree regressor (scikit-learn's ExtraTreeRegressor).

    :class:`DecisionTreeRegressor` with scikit-learn's ExtraTree defaults,
    ``splitter="random"`` and ``max_features=1.0``; NaN as in
    :class:`ExtraTreeClassifier`.

    Parameters
    ----------
    criterion, splitter, max_depth, min_samples_split, min_samples_leaf,
    min_weight_fraction_leaf, max_features, random_state, max_leaf_nodes,
    min_impurity_decrease, ccp_alpha, monotonic_cst :
        as in :class:`DecisionTreeRegressor` (defaults ``splitter="random"``,
        ``max_features=1.0``).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from fastml.tree import ExtraTreeRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = ExtraTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    >>> reg.get_n_leaves()
    8
    """

    def __init__(self, *, criterion="squared_error", splitter="random",
                 max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 min_weight_fraction_leaf=0.0, max_features=1.0,
                 random_state=None, max_leaf_nodes=None,
                 min_impurity_decrease=0.0, ccp_alpha=0.0, monotonic_cst=None):
        super().__init__(
            criterion=criterion, splitter=splitter, max_depth=max_depth,
            min_samples_split=min_samples_split, min_samples_leaf=min_samples_leaf,
            min_weight_fraction_leaf=min_weight_fraction_leaf,
            max_features=max_features, random_state=random_state,
            max_leaf_nodes=max_leaf_nodes, min_impurity_decrease=min_impurity_decrease,
            ccp_alpha=ccp_alpha, monotonic_cst=monotonic_cst)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.splitter == "random"  # as scikit-learn
        return tags


# sklearn.tree.export_text accepts only instances of sklearn's own trees and
# formats class weights only for its DecisionTreeClassifier (both ABCs):
# registering ours as virtual subclasses makes export_text print the same text
# for both. Nothing else in sklearn checks these types.
_SkDecisionTreeClassifier.register(DecisionTreeClassifier)
_SkDecisionTreeRegressor.register(DecisionTreeRegressor)
