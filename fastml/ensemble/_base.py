"""Shared machinery of fastml's ensembles: seeding, job partitioning, base classes.

Follows the structure of scikit-learn's ``sklearn/ensemble/_base.py``
(BSD-3, the scikit-learn developers) so that the fitted attributes, errors and
``random_state`` streams match scikit-learn's ensembles.
"""

from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from warnings import warn

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.utils import Bunch, get_tags

from fastml._cy._tree_predict import apply as _tree_apply
from fastml.tree import DecisionTreeClassifier, DecisionTreeRegressor
from fastml.tree._binning import bin_features
from fastml.utils._sklearn import (
    Interval,
    RealNotInt,
    StrOptions,
    _BaseComposition,
    _openmp_effective_n_threads,
    _print_elapsed_time,
    _routing_enabled,
    check_is_fitted,
    check_random_state,
    validate_data,
)

MAX_INT = np.iinfo(np.int32).max


def _default_tree(kind, **params):
    """fastml's decision tree (``"classifier"`` or ``"regressor"``), the default base learner."""
    cls = DecisionTreeClassifier if kind == "classifier" else DecisionTreeRegressor
    return cls(**params)


def _fit_single_estimator(estimator, X, y, fit_params, message_clsname=None, message=None):
    """Fit ``estimator`` (inside a joblib job), naming it when it rejects sample_weight."""
    if not _routing_enabled() and "sample_weight" in fit_params:
        try:
            with _print_elapsed_time(message_clsname, message):
                estimator.fit(X, y, sample_weight=fit_params["sample_weight"])
        except TypeError as exc:
            if "unexpected keyword argument 'sample_weight'" in str(exc):
                raise TypeError(
                    f"Underlying estimator {estimator.__class__.__name__} does not "
                    "support sample weights."
                ) from exc
            raise
    else:
        with _print_elapsed_time(message_clsname, message):
            estimator.fit(X, y, **fit_params)
    return estimator


def _set_random_states(estimator, random_state=None):
    """Set every ``*random_state`` parameter of ``estimator`` to an int drawn from ``random_state``.

    Drawn in sorted parameter order, as scikit-learn does, so that the same
    seed gives sub-estimators the same seeds as in scikit-learn.
    """
    random_state = check_random_state(random_state)
    to_set = {}
    for key in sorted(estimator.get_params(deep=True)):
        if key == "random_state" or key.endswith("__random_state"):
            to_set[key] = random_state.randint(MAX_INT)
    if to_set:
        estimator.set_params(**to_set)


def _partition_estimators(n_estimators, n_jobs):
    """Split ``n_estimators`` into contiguous, near-equal chunks, one per job."""
    n_jobs = min(effective_n_jobs(n_jobs), n_estimators)
    per_job = np.full(n_jobs, n_estimators // n_jobs, dtype=int)
    per_job[: n_estimators % n_jobs] += 1
    starts = np.cumsum(per_job)
    return n_jobs, per_job.tolist(), [0] + starts.tolist()


class BaseEnsemble(MetaEstimatorMixin, BaseEstimator, metaclass=ABCMeta):
    """Base of the homogeneous ensembles (bagging, boosting, forests).

    ``estimator_params`` names attributes of the ensemble that are copied onto
    every new sub-estimator (forests pass ``max_depth`` etc. this way).
    """

    @abstractmethod
    def __init__(self, estimator=None, *, n_estimators=10, estimator_params=tuple()):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.estimator_params = estimator_params

    def _validate_estimator(self, default=None):
        self.estimator_ = self.estimator if self.estimator is not None else default

    def _make_estimator(self, append=True, random_state=None):
        estimator = clone(self.estimator_)
        estimator.set_params(**{p: getattr(self, p) for p in self.estimator_params})
        if random_state is not None:
            _set_random_states(estimator, random_state)
        if append:
            self.estimators_.append(estimator)
        return estimator

    def __len__(self):
        """Return the number of estimators in the ensemble."""
        return len(self.estimators_)

    def __getitem__(self, index):
        """Return the index'th estimator in the ensemble."""
        return self.estimators_[index]

    def __iter__(self):
        """Return iterator over estimators in the ensemble."""
        return iter(self.estimators_)


class _BaseHeterogeneousEnsemble(MetaEstimatorMixin, _BaseComposition, metaclass=ABCMeta):
    """Base of voting and stacking: a list of ``(name, estimator)`` pairs."""

    @property
    def named_estimators(self):
        """Dictionary to access any fitted sub-estimators by name."""
        return Bunch(**dict(self.estimators))

    @abstractmethod
    def __init__(self, estimators):
        self.estimators = estimators

    def _validate_estimators(self, lenient=False):
        """(names, estimators), checked; ``lenient`` (stacking, as sklearn's)
        only asks for a non-empty list and accepts estimators of any kind."""
        if len(self.estimators) == 0 or not lenient and not all(
            isinstance(item, (tuple, list)) and isinstance(item[0], str)
            for item in self.estimators
        ):
            raise ValueError(
                "Invalid 'estimators' attribute, 'estimators' should be a "
                "non-empty list of (string, estimator) tuples."
            )
        names, estimators = zip(*self.estimators)
        self._validate_names(names)
        if not any(est != "drop" for est in estimators):
            raise ValueError(
                "All estimators are dropped. At least one is required to be an estimator."
            )
        if lenient:
            return names, estimators
        is_type = is_classifier if is_classifier(self) else is_regressor
        for est in estimators:
            if est != "drop" and not is_type(est):
                raise ValueError(
                    f"The estimator {est.__class__.__name__} should be a "
                    f"{is_type.__name__[3:]}."
                )
        return names, estimators

    def set_params(self, **params):
        """Set parameters, including those of the sub-estimators (``name__param``) or ``name='drop'``."""
        super()._set_params("estimators", **params)
        return self

    def get_params(self, deep=True):
        """Get parameters, including those of the sub-estimators when ``deep``."""
        return super()._get_params("estimators", deep=deep)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            active = [est for _, est in self.estimators if est != "drop"]
            tags.input_tags.allow_nan = all(get_tags(e).input_tags.allow_nan for e in active)
            tags.input_tags.sparse = all(get_tags(e).input_tags.sparse for e in active)
        except Exception:  # malformed `estimators`: fit will say what is wrong
            pass
        return tags


def _n_new_estimators(ensemble):
    """How many estimators a (warm-started) fit adds to ``ensemble.estimators_``;
    scikit-learn's error when that is negative, its warning when zero."""
    n_more = ensemble.n_estimators - len(ensemble.estimators_)
    if n_more < 0:
        raise ValueError(
            f"n_estimators={ensemble.n_estimators} must be larger or equal to "
            f"len(estimators_)={len(ensemble.estimators_)} when warm_start==True"
        )
    if n_more == 0:
        warn("Warm-start fitting without increasing n_estimators does not fit new trees.")
    return n_more


def _get_n_samples_bootstrap(n_samples, max_samples, sample_weight):
    """Number of samples drawn per estimator (``max_samples`` resolved as scikit-learn does).

    A float is a fraction of ``n_samples``, or of the total sample weight
    when weights are given (so integer weights behave like repeated rows).
    """
    if max_samples is None:
        return n_samples
    if isinstance(max_samples, Integral):
        return max_samples
    if sample_weight is None:
        weighted = n_samples
        what = f"the number of samples is {weighted} "
    else:
        weighted = sample_weight.sum()
        what = f"the total sum of sample weights is {weighted} "
    n_bootstrap = max(int(max_samples * weighted), 1)
    if n_bootstrap < max(10, n_samples ** (1 / 3)):
        warn(
            f"Using the fractional value {max_samples=} when {what}"
            f"results in a low number ({n_bootstrap}) of bootstrap samples. "
            "We recommend passing `max_samples` as an integer instead."
        )
    return n_bootstrap


# Parameter constraints of the decision-tree parameters forests and gradient
# boosting forward to their trees (scikit-learn's DecisionTree* constraints).
_TREE_PARAM_CONSTRAINTS = {
    "max_depth": [Interval(Integral, 1, None, closed="left"), None],
    "min_samples_split": [
        Interval(Integral, 2, None, closed="left"),
        Interval(RealNotInt, 0.0, 1.0, closed="right"),
    ],
    "min_samples_leaf": [
        Interval(Integral, 1, None, closed="left"),
        Interval(RealNotInt, 0.0, 1.0, closed="neither"),
    ],
    "min_weight_fraction_leaf": [Interval(Real, 0.0, 0.5, closed="both")],
    "max_features": [
        Interval(Integral, 1, None, closed="left"),
        Interval(RealNotInt, 0.0, 1.0, closed="right"),
        StrOptions({"sqrt", "log2"}),
        None,
    ],
    "random_state": ["random_state"],
    "max_leaf_nodes": [Interval(Integral, 2, None, closed="left"), None],
    "min_impurity_decrease": [Interval(Real, 0.0, None, closed="left")],
    "ccp_alpha": [Interval(Real, 0.0, None, closed="left")],
    # fastml addition: bin features into at most max_bins (<= 255) bins once
    # per ensemble and grow every tree with the histogram splitter
    "max_bins": [Interval(Integral, 2, 255, closed="both"), None],
}


# Below this many rows a tree's OpenMP regions cost more than they save (and
# far more on a loaded machine): sequential ensembles then grow and apply
# their trees single-threaded.
_PARALLEL_TREE_MIN_SAMPLES = 100_000


def _tree_threads(n_samples):
    """OpenMP threads for one tree of a sequential ensemble (boosting)."""
    if n_samples < _PARALLEL_TREE_MIN_SAMPLES:
        return 1
    return _openmp_effective_n_threads()


class _TreeEnsembleMixin:
    """What forests and gradient boosting share: float32 X for the compiled
    traversal, and impurity-based importances averaged over the trees."""

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float32, order="C", reset=False)


def _mean_importances(trees, n_features, normalize):
    """Impurity-based importances: the mean over the non-trivial ``trees`` of
    each tree's (``normalize``d or raw) importances, normalised to sum to 1."""
    imps = [t.tree_.compute_feature_importances(normalize=normalize) for t in trees
            if t.tree_.node_count > 1]
    if not imps:
        return np.zeros(n_features, dtype=np.float64)
    mean = np.mean(imps, axis=0, dtype=np.float64)
    return mean / np.sum(mean)


def _apply(tree, X, n_threads):
    """Leaf index of each row of validated float32 X, with ``n_threads`` threads."""
    t = tree.tree_
    return _tree_apply(X, t.children_left, t.children_right, t.feature, t.threshold,
                       t.missing_go_to_left, n_threads)


class _TreeData:
    """The training X of an ensemble, prepared once and shared by all its trees.

    ``max_bins=None``: X's per-feature sort order is computed once and every
    tree grows with the exact ("best") splitter from it (or "random", which
    needs no order). Otherwise X is binned once into at most ``max_bins``
    bins and every tree grows with the histogram splitter on the shared bins.
    Bootstraps and subsamples are passed as sample weights, so X (and the
    order / bins) stay valid for every tree.
    """

    def __init__(self, X, max_bins=None, splitter="best", n_threads=None, missing=None):
        self.X = np.ascontiguousarray(X, dtype=np.float32)
        self.n_threads = n_threads
        # which features hold NaN, found once for all the trees (forests pass it)
        self.missing = np.isnan(self.X.sum(axis=0)) if missing is None else missing
        self.order = self.binned = None
        if max_bins is not None:
            self.splitter = "hist"
            self.binned = bin_features(self.X, max_bins)
        else:
            self.splitter = splitter
            if splitter == "best":
                self.order = np.argsort(self.X.T, axis=1, kind="stable").astype(np.int32)

    def fit(self, tree, y, sample_weight, classes=None):
        """Grow ``tree`` (its ``splitter`` is set here) on the shared data.

        ``classes``: per output, the classes when ``y`` already holds their
        indices (a classifier ensemble encodes y once, not once per tree).
        """
        tree.splitter = self.splitter  # a valid option: no need for set_params
        return tree._fit(self.X, y, sample_weight=sample_weight, check_input=False,
                         binned=self.binned, order=self.order, n_threads=self.n_threads,
                         classes=classes, missing=self.missing)

    def apply(self, tree):
        return _apply(tree, self.X, 1 if self.n_threads is None else self.n_threads)
