"""Mini-batch k-means with a compiled center update and fastml's lloyd E-step.

API, defaults, fitted attributes, random draws and results mirror
``sklearn.cluster.MiniBatchKMeans``; the estimator follows
``sklearn/cluster/_kmeans.py`` (BSD-3-Clause, The scikit-learn developers).
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils import check_array

from fastml._cy._kmeans_common import _inertia_dense, _n_threads_for
from fastml._cy._kmeans_lloyd import lloyd_labels
from fastml._cy._kmeans_minibatch import _minibatch_update_dense, _sample_from_cdf
from fastml.cluster._kmeans import (
    KMeans,
    _check_dense,
    _check_params_vs_input_common,
    _kmeans_plusplus,
)
from fastml.utils._sklearn import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    _is_arraylike_not_scalar,
    _openmp_effective_n_threads,
    check_random_state,
    validate_data,
)
from fastml.utils._threads import single_threaded_blas

# below this many init rows the k-means++ seeding runs on one thread
_MIN_PARALLEL_SEEDING_ROWS = 32768


def _labels_inertia(X, sample_weight, centers, n_threads):
    """E-step: closest center of each sample and the weighted inertia.

    Callers limit BLAS to one thread: the kernels' BLAS fallback runs inside
    prange.
    """
    # a mini-batch is small: a fork/join would cost more than it saves
    n_threads = _n_threads_for(X.shape[0], n_threads)
    labels = lloyd_labels(X, centers, n_threads)
    return labels, _inertia_dense(X, sample_weight, centers, labels, n_threads)


def _mini_batch_step(X, sample_weight, centers, centers_new, weight_sums, random_state,
                     random_reassign, reassignment_ratio, verbose, n_threads):
    """One mini-batch update, as scikit-learn's ``_mini_batch_step``.

    Assigns the batch, moves the centers (in ``centers_new``, which may be
    ``centers``), then, if asked, moves the centers of very low weight onto
    random batch samples (the same draws as scikit-learn).  Returns the batch
    inertia computed before the update.
    """
    labels, inertia = _labels_inertia(X, sample_weight, centers, n_threads)
    _minibatch_update_dense(X, sample_weight, centers, centers_new, weight_sums, labels,
                            _n_threads_for(X.shape[0], n_threads))

    if random_reassign and reassignment_ratio > 0:
        to_reassign = weight_sums < reassignment_ratio * weight_sums.max()
        # pick at most .5 * batch_size samples as new centers
        if to_reassign.sum() > 0.5 * X.shape[0]:
            indices_dont_reassign = np.argsort(weight_sums)[int(0.5 * X.shape[0]):]
            to_reassign[indices_dont_reassign] = False
        n_reassigns = to_reassign.sum()
        if n_reassigns:
            new_centers = random_state.choice(X.shape[0], replace=False, size=n_reassigns)
            if verbose:
                print(f"[MiniBatchKMeans] Reassigning {n_reassigns} cluster centers.")
            centers_new[to_reassign] = X[new_centers]
        # reset the counts of reassigned centers, but not too small, to avoid
        # an instant reassignment (scikit-learn's heuristic; it also changes
        # the learning rates)
        weight_sums[to_reassign] = np.min(weight_sums[~to_reassign])
    return inertia


class MiniBatchKMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin,
                      BaseEstimator):
    """Mini-Batch K-Means clustering, with a compiled mini-batch step.

    A drop-in for ``sklearn.cluster.MiniBatchKMeans`` (same parameters,
    defaults, attributes, random draws and results): for a given
    ``random_state`` the same mini-batches are drawn, and each step assigns
    the batch with fastml's lloyd kernel and moves the centers with a
    compiled, parallel (over centers) update.  The weighted batch sampling
    precomputes its cumulative distribution once instead of once per step.
    Dense input only: sparse input raises ``TypeError``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form as well as the number of centroids.
    init : {'k-means++', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        Method for initialization: greedy k-means++, random rows, explicit
        centers, or a callable ``init(X, n_clusters, random_state)``.
    max_iter : int, default=100
        Maximum number of iterations over the complete dataset before
        stopping independently of any early stopping criterion heuristics.
    batch_size : int, default=1024
        Size of the mini batches.
    verbose : int, default=0
        Verbosity mode.
    compute_labels : bool, default=True
        Compute label assignment and inertia for the complete dataset once
        the minibatch optimization has converged in fit.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for centroid initialization and
        random reassignment.
    tol : float, default=0.0
        Early stopping on the (variance-normalized) squared change of the
        centers between two steps; 0 disables it.
    max_no_improvement : int, default=10
        Early stopping after this many consecutive mini-batches without
        improvement of the smoothed inertia; None disables it.
    init_size : int, default=None
        Number of samples drawn at random to run the initialization on;
        None means ``3 * batch_size`` (at least ``3 * n_clusters``).
    n_init : 'auto' or int, default="auto"
        Number of random initializations tried; the best on a validation
        subset is kept.  'auto' means 3 for 'random' or a callable, 1 for
        'k-means++' or an array.
    reassignment_ratio : float, default=0.01
        Centers whose accumulated weight is below this fraction of the
        largest are moved onto random batch samples.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of cluster centers.
    labels_ : ndarray of shape (n_samples,)
        Labels of each point (if compute_labels is set to True).
    inertia_ : float
        The inertia of the chosen partition if compute_labels is True, else
        an exponentially weighted average of the batch inertias.
    n_iter_ : int
        Number of iterations over the full dataset.
    n_steps_ : int
        Number of minibatches processed.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit (only when X has string feature names).

    Examples
    --------
    >>> from fastml.cluster import MiniBatchKMeans
    >>> import numpy as np
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [4, 2], [4, 0], [4, 4],
    ...               [4, 5], [0, 1], [2, 2],
    ...               [3, 2], [5, 5], [1, -1]])
    >>> kmeans = MiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6)
    >>> kmeans = kmeans.partial_fit(X[0:6, :])
    >>> kmeans = kmeans.partial_fit(X[6:12, :])
    >>> kmeans.cluster_centers_
    array([[3.375, 3.   ],
           [0.75 , 0.5  ]])
    >>> kmeans.predict([[0, 0], [4, 4]])
    array([1, 0], dtype=int32)
    >>> kmeans = MiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6,
    ...                          max_iter=10).fit(X)
    >>> kmeans.cluster_centers_
    array([[3.20967742, 3.56451613],
           [1.32758621, 0.77586207]])
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), callable, "array-like"],
        "n_init": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "compute_labels": ["boolean"],
        "max_no_improvement": [Interval(Integral, 0, None, closed="left"), None],
        "init_size": [Interval(Integral, 1, None, closed="left"), None],
        "reassignment_ratio": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        max_iter=100,
        batch_size=1024,
        verbose=0,
        compute_labels=True,
        random_state=None,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.verbose = verbose
        self.random_state = random_state
        self.max_no_improvement = max_no_improvement
        self.batch_size = batch_size
        self.compute_labels = compute_labels
        self.init_size = init_size
        self.reassignment_ratio = reassignment_ratio

    # Validation and inference are KMeans's (scikit-learn shares them through
    # _BaseKMeans): one implementation, borrowed rather than inherited so that
    # a MiniBatchKMeans is not a KMeans, as in scikit-learn.
    _validate_center_shape = KMeans._validate_center_shape
    _check_test_data = KMeans._check_test_data
    _labels = KMeans._labels
    _transform = KMeans._transform
    fit_predict = KMeans.fit_predict
    predict = KMeans.predict
    fit_transform = KMeans.fit_transform
    transform = KMeans.transform
    score = KMeans.score

    def _check_params_vs_input(self, X):
        _check_params_vs_input_common(self, X, default_n_init=3)

        self._batch_size = min(self.batch_size, X.shape[0])
        self._init_size = self.init_size
        if self._init_size is None:
            self._init_size = 3 * self._batch_size
            if self._init_size < self.n_clusters:
                self._init_size = 3 * self.n_clusters
        elif self._init_size < self.n_clusters:
            warnings.warn(
                f"init_size={self._init_size} should be larger than "
                f"n_clusters={self.n_clusters}. Setting it to "
                "min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=2,
            )
            self._init_size = 3 * self.n_clusters
        self._init_size = min(self._init_size, X.shape[0])

    def _validated_init(self, X):
        """``init`` as a C-ordered copy in X's dtype if it is an array."""
        init = self.init
        if _is_arraylike_not_scalar(init):
            init = check_array(init, dtype=X.dtype, copy=True, order="C")
            self._validate_center_shape(X, init)
        return init

    def _init_centroids(self, X, init, random_state, sample_weight, init_size=None):
        """Initial centers, computed on ``init_size`` random rows of X."""
        n_samples = X.shape[0]
        if init_size is not None and init_size < n_samples:
            init_indices = random_state.randint(0, n_samples, init_size)
            X = X[init_indices]
            sample_weight = sample_weight[init_indices]
            n_samples = X.shape[0]

        if isinstance(init, str) and init == "k-means++":
            # the seeding makes two parallel passes per center over the init
            # rows; on a few thousand rows (the default init_size) a fork/join
            # costs more than it saves, and stalls for long on a busy machine
            n_threads = self._n_threads if n_samples >= _MIN_PARALLEL_SEEDING_ROWS else 1
            centers, _ = _kmeans_plusplus(X, self.n_clusters, sample_weight, random_state,
                                          None, n_threads)
        elif isinstance(init, str) and init == "random":
            seeds = random_state.choice(
                n_samples,
                size=self.n_clusters,
                replace=False,
                p=sample_weight / sample_weight.sum(),
            )
            centers = X[seeds]
        elif _is_arraylike_not_scalar(init):
            centers = init
        else:  # callable
            centers = init(X, self.n_clusters, random_state=random_state)
            centers = check_array(centers, dtype=X.dtype, copy=False, order="C")
            self._validate_center_shape(X, centers)
        return np.ascontiguousarray(centers, dtype=X.dtype)

    def _mini_batch_convergence(self, step, n_steps, n_samples, centers_squared_diff,
                                batch_inertia):
        """Early stopping, as scikit-learn: center change or smoothed inertia."""
        # normalized to compare values when batch_size changes
        batch_inertia /= self._batch_size
        step = step + 1  # from 1, for the verbose messages

        # the first step's inertia is that of the initialization
        if step == 1:
            if self.verbose:
                print(f"Minibatch step {step}/{n_steps}: mean batch inertia: "
                      f"{batch_inertia}")
            return False

        # exponentially weighted average of the inertia, to discard the
        # mini-batch-local noise
        if self._ewa_inertia is None:
            self._ewa_inertia = batch_inertia
        else:
            alpha = min(self._batch_size * 2.0 / (n_samples + 1), 1)
            self._ewa_inertia = self._ewa_inertia * (1 - alpha) + batch_inertia * alpha

        if self.verbose:
            print(f"Minibatch step {step}/{n_steps}: mean batch inertia: "
                  f"{batch_inertia}, ewa inertia: {self._ewa_inertia}")

        if self._tol > 0.0 and centers_squared_diff <= self._tol:
            if self.verbose:
                print(f"Converged (small centers change) at step {step}/{n_steps}")
            return True

        if self._ewa_inertia_min is None or self._ewa_inertia < self._ewa_inertia_min:
            self._no_improvement = 0
            self._ewa_inertia_min = self._ewa_inertia
        else:
            self._no_improvement += 1

        if (self.max_no_improvement is not None
                and self._no_improvement >= self.max_no_improvement):
            if self.verbose:
                print("Converged (lack of improvement in inertia) at step "
                      f"{step}/{n_steps}")
            return True
        return False

    def _random_reassign(self):
        """Reassign each time 10 * n_clusters samples were seen, or if a center is empty."""
        self._n_since_last_reassign += self._batch_size
        if (self._counts == 0).any() or self._n_since_last_reassign >= (
                10 * self.n_clusters):
            self._n_since_last_reassign = 0
            return True
        return False

    def _validate_X(self, X, reset):
        _check_dense(X)
        return validate_data(self, X, dtype=[np.float64, np.float32], order="C",
                             reset=reset)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute the centroids on X by chunking it into mini-batches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training instances to cluster (dense; converted to C order).
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X (they set the probability
            of drawing a sample into a batch). `sample_weight` is not used
            during initialization if `init` is a callable or an array.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X = self._validate_X(X, reset=True)
        self._check_params_vs_input(X)
        random_state = check_random_state(self.random_state)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        # batches are drawn with probabilities sample_weight / its sum: refuse
        # what scikit-learn's RandomState.choice refuses (ValueError), upfront
        with np.errstate(all="ignore"):
            p = sample_weight / np.sum(sample_weight)
        if not (np.all(np.isfinite(p)) and np.all(p >= 0)):
            raise ValueError(
                "MiniBatchKMeans.fit draws mini-batches with probabilities "
                "sample_weight / sample_weight.sum(), which must be finite and "
                "non-negative."
            )
        self._n_threads = _openmp_effective_n_threads()
        n_samples = X.shape[0]
        init = self._validated_init(X)

        # the BLAS fallback of the lloyd kernels runs inside prange
        with single_threaded_blas():
            # validation set for the choice among the n_init initializations
            validation_indices = random_state.randint(0, n_samples, self._init_size)
            X_valid = X[validation_indices]
            sample_weight_valid = sample_weight[validation_indices]

            best_inertia = None
            for init_idx in range(self._n_init):
                if self.verbose:
                    print(f"Init {init_idx + 1}/{self._n_init} with method {init}")
                cluster_centers = self._init_centroids(
                    X, init, random_state, sample_weight, init_size=self._init_size)
                _, inertia = _labels_inertia(X_valid, sample_weight_valid,
                                             cluster_centers, self._n_threads)
                if self.verbose:
                    print(f"Inertia for init {init_idx + 1}/{self._n_init}: {inertia}")
                if best_inertia is None or inertia < best_inertia:
                    init_centers = cluster_centers
                    best_inertia = inertia

            centers = init_centers
            centers_new = np.empty_like(centers)
            self._counts = np.zeros(self.n_clusters, dtype=X.dtype)
            self._ewa_inertia = None
            self._ewa_inertia_min = None
            self._no_improvement = 0
            self._n_since_last_reassign = 0

            sum_of_weights = np.sum(sample_weight)
            n_steps = (self.max_iter * n_samples) // self._batch_size
            # RandomState.choice(n, size, p=p) draws searchsorted(cdf, uniform,
            # 'right') with cdf = cumsum(float64(p)) / its last value; computing
            # the cdf once (not per step) keeps the same batches at O(batch) a step.
            cdf = np.asarray(sample_weight / sum_of_weights, dtype=np.float64).cumsum()
            cdf /= cdf[-1]
            minibatch_indices = np.empty(self._batch_size, dtype=np.intp)
            # the sampling is weight-aware, so the batch gets unit weights
            unit_sample_weight = np.ones(self._batch_size, dtype=X.dtype)

            for i in range(n_steps):
                _sample_from_cdf(cdf, random_state.random_sample(self._batch_size),
                                 minibatch_indices)
                batch_inertia = _mini_batch_step(
                    # take: ~10x faster than fancy indexing for a row gather
                    X.take(minibatch_indices, axis=0), unit_sample_weight, centers, centers_new,
                    self._counts, random_state, self._random_reassign(),
                    self.reassignment_ratio, self.verbose, self._n_threads,
                )
                if self._tol > 0.0:
                    centers_squared_diff = np.sum((centers_new - centers) ** 2)
                else:
                    centers_squared_diff = 0
                centers, centers_new = centers_new, centers

                if self._mini_batch_convergence(i, n_steps, n_samples,
                                                centers_squared_diff, batch_inertia):
                    break

            self.cluster_centers_ = centers
            self._n_features_out = self.cluster_centers_.shape[0]
            self.n_steps_ = i + 1
            self.n_iter_ = int(np.ceil(((i + 1) * self._batch_size) / n_samples))

            if self.compute_labels:
                self.labels_, self.inertia_ = _labels_inertia(
                    X, sample_weight, self.cluster_centers_, self._n_threads)
            else:
                self.inertia_ = self._ewa_inertia * sum_of_weights
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Update k means estimate on a single mini-batch X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training instances to cluster (dense; converted to C order).
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X. `sample_weight` is not used
            during initialization if `init` is a callable or an array.

        Returns
        -------
        self : object
            Return updated estimator.
        """
        has_centers = hasattr(self, "cluster_centers_")
        X = self._validate_X(X, reset=not has_centers)
        if not hasattr(self, "_random_state"):  # seeding a RandomState costs ~ms
            self._random_state = check_random_state(self.random_state)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        self.n_steps_ = getattr(self, "n_steps_", 0)

        with single_threaded_blas():
            if not has_centers:
                # first call (not fitted by fit or partial_fit yet)
                self._check_params_vs_input(X)
                self._n_threads = _openmp_effective_n_threads()
                init = self._validated_init(X)
                self.cluster_centers_ = self._init_centroids(
                    X, init, self._random_state, sample_weight, init_size=self._init_size)
                self._counts = np.zeros(self.n_clusters, dtype=X.dtype)
                self._n_since_last_reassign = 0

            _mini_batch_step(
                X, sample_weight, self.cluster_centers_, self.cluster_centers_,
                self._counts, self._random_state, self._random_reassign(),
                self.reassignment_ratio, self.verbose, self._n_threads,
            )
            if self.compute_labels:
                self.labels_, self.inertia_ = _labels_inertia(
                    X, sample_weight, self.cluster_centers_, self._n_threads)

        self.n_steps_ += 1
        self._n_features_out = self.cluster_centers_.shape[0]
        return self
