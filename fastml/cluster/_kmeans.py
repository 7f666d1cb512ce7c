"""K-means clustering with compiled Lloyd, Elkan and k-means++ kernels.

API, defaults, fitted attributes and results mirror
``sklearn.cluster.KMeans``; the estimator follows
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
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array

from fastml._cy._kmeans_common import (
    _distances_to_centers,
    _inertia_dense,
    _n_threads_for,
)
from fastml._cy._kmeans_common import _is_same_clustering
from fastml._cy._kmeans_elkan import elkan_fit
from fastml._cy._kmeans_lloyd import lloyd_fit, lloyd_labels
from fastml._cy._kmeans_plusplus import kmeans_plusplus_dense
from fastml._cy._kmeans_pruned import _column_mean, _prepare
from fastml.utils._sklearn import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    _is_arraylike_not_scalar,
    _openmp_effective_n_threads,
    check_is_fitted,
    check_random_state,
    validate_data,
    validate_params,
)
from fastml.utils._threads import single_threaded_blas

_SPARSE_MESSAGE = (
    "fastml's KMeans supports dense input only for now; convert with "
    "X.toarray() or use sklearn.cluster.KMeans for sparse data."
)


def _check_dense(X):
    """Sparse input is refused with a clear TypeError (before any conversion)."""
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(_SPARSE_MESSAGE)


def _tolerance(X, tol):
    """``tol`` relative to the mean feature variance, as scikit-learn."""
    if tol == 0:
        return 0
    return np.mean(np.var(X, axis=0)) * tol


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "sample_weight": ["array-like", None],
        "x_squared_norms": ["array-like", None],
        "random_state": ["random_state"],
        "n_local_trials": [Interval(Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def kmeans_plusplus(
    X,
    n_clusters,
    *,
    sample_weight=None,
    x_squared_norms=None,
    random_state=None,
    n_local_trials=None,
):
    """Init n_clusters seeds according to greedy k-means++ (compiled).

    Same signature and, for a given ``random_state``, the same draws as
    ``sklearn.cluster.kmeans_plusplus``: each new center is the best of
    ``n_local_trials`` (default ``2 + int(log(n_clusters))``) candidates
    sampled with probability proportional to the weighted squared distance
    to the closest chosen center.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data to pick seeds from (dense).
    n_clusters : int
        The number of centroids to initialize.
    sample_weight : array-like of shape (n_samples,), default=None
        The weights for each observation in `X`.
    x_squared_norms : array-like of shape (n_samples,), default=None
        Accepted for compatibility; the compiled kernel computes distances
        directly and does not need them.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for centroid initialization.
    n_local_trials : int, default=None
        The number of seeding trials for each center (except the first).

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The initial centers for k-means.
    indices : ndarray of shape (n_clusters,)
        The index location of the chosen centers in the data array X.

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.cluster import kmeans_plusplus
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [10, 2], [10, 4], [10, 0]])
    >>> centers, indices = kmeans_plusplus(X, n_clusters=2, random_state=0)
    >>> centers
    array([[10,  2],
           [ 1,  0]])
    >>> indices
    array([3, 2])
    """
    _check_dense(X)
    X_checked = check_array(X, dtype=[np.float64, np.float32], order="C")
    sample_weight = _check_sample_weight(sample_weight, X_checked, dtype=X_checked.dtype)
    if X_checked.shape[0] < n_clusters:
        raise ValueError(
            f"n_samples={X_checked.shape[0]} should be >= n_clusters={n_clusters}."
        )
    if x_squared_norms is not None:
        x_squared_norms = check_array(x_squared_norms, dtype=X_checked.dtype, ensure_2d=False)
        if x_squared_norms.shape[0] != X_checked.shape[0]:
            raise ValueError(
                f"The length of x_squared_norms {x_squared_norms.shape[0]} should "
                f"be equal to the length of n_samples {X_checked.shape[0]}."
            )
    random_state = check_random_state(random_state)
    _, indices = _kmeans_plusplus(
        X_checked, n_clusters, sample_weight, random_state, n_local_trials,
        _openmp_effective_n_threads(),
    )
    # as scikit-learn, the centers keep the dtype of the data given
    return np.asarray(X)[indices], indices


def _kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_local_trials,
                     n_threads):
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    return kmeans_plusplus_dense(
        X, sample_weight, n_clusters, random_state, n_local_trials, n_threads
    )


def _check_params_vs_input_common(est, X, default_n_init):
    """The checks KMeans and MiniBatchKMeans share: enough samples, the
    absolute tolerance, and the resolved number of inits ``est._n_init``
    ('auto' runs ``default_n_init`` inits for 'random' or a callable init,
    one for 'k-means++' or an array), as scikit-learn's _BaseKMeans does."""
    if X.shape[0] < est.n_clusters:
        raise ValueError(
            f"n_samples={X.shape[0]} should be >= n_clusters={est.n_clusters}."
        )
    est._tol = _tolerance(X, est.tol)

    if est.n_init == "auto":
        random_init = callable(est.init) or (
            isinstance(est.init, str) and est.init == "random")
        est._n_init = default_n_init if random_init else 1
    else:
        est._n_init = est.n_init

    if _is_arraylike_not_scalar(est.init) and est._n_init != 1:
        warnings.warn(
            (
                "Explicit initial center position passed: performing only"
                f" one init in {est.__class__.__name__} instead of "
                f"n_init={est._n_init}."
            ),
            RuntimeWarning,
            stacklevel=3,
        )
        est._n_init = 1


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """K-Means clustering, with compiled Lloyd/Elkan iterations and k-means++.

    A drop-in for ``sklearn.cluster.KMeans`` (same parameters, defaults,
    attributes and results): with the same ``init`` array the labels, number
    of iterations and centers are those of scikit-learn.  The whole iteration
    loop runs compiled, parallel over 256-sample chunks; on x86-64 CPUs with
    AVX2 the assignment step uses a register-blocked kernel instead of BLAS.

    Both algorithms are *exact accelerations*: triangle-inequality bounds
    (Hamerly's: one upper and one lower bound per sample) let an iteration
    skip the samples whose label provably cannot change, and only samples
    that change cluster update the running center sums.  The bounds are
    padded by the worst-case rounding of the distance arithmetic each
    algorithm uses (scikit-learn's GEMM surrogate for lloyd, its direct
    distances for elkan), so every iteration assigns exactly the labels the
    full computation gives: same iterates, ``labels_`` and ``n_iter_`` as
    scikit-learn, centers recomputed from scratch in scikit-learn's order at
    the end, ``inertia_`` computed exactly.  It is not an approximation.
    Dense input only: sparse input raises ``TypeError``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form as well as the number of centroids.
    init : {'k-means++', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        Method for initialization: greedy k-means++, random rows, explicit
        centers, or a callable ``init(X, n_clusters, random_state)``.
    n_init : 'auto' or int, default='auto'
        Number of runs with different seeds; the best inertia is kept.
        'auto' means 1 for 'k-means++' or an array, 10 for 'random' or a
        callable.
    max_iter : int, default=300
        Maximum number of iterations of a single run.
    tol : float, default=1e-4
        Relative tolerance with regards to the Frobenius norm of the center
        shift between two iterations, scaled by the mean feature variance.
    verbose : int, default=0
        Verbosity mode.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for centroid initialization.
    copy_x : bool, default=True
        If False, X is centered in place during fit and restored afterwards
        (up to floating point rounding).
    algorithm : {"lloyd", "elkan"}, default="lloyd"
        Whose iterates to reproduce: scikit-learn's "lloyd" (labels from the
        ``||c||^2 - 2 x.c`` surrogate, first closest) or "elkan" (direct
        distances; a sample keeps its label unless another center is strictly
        closer).  Both are pruned with the same exact bounds (see above).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of cluster centers.
    labels_ : ndarray of shape (n_samples,)
        Labels of each point.
    inertia_ : float
        Sum of squared distances of samples to their closest cluster center,
        weighted by the sample weights if provided.
    n_iter_ : int
        Number of iterations run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit (only when X has string feature names).

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.cluster import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0],
    ...               [10, 2], [10, 4], [10, 0]])
    >>> kmeans = KMeans(n_clusters=2, random_state=0, n_init="auto").fit(X)
    >>> kmeans.labels_
    array([1, 1, 1, 0, 0, 0], dtype=int32)
    >>> kmeans.predict([[0, 0], [12, 3]])
    array([1, 0], dtype=int32)
    >>> kmeans.cluster_centers_
    array([[10.,  2.],
           [ 1.,  2.]])
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
        "copy_x": ["boolean"],
        "algorithm": [StrOptions({"lloyd", "elkan"})],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm

    # -- validation helpers (scikit-learn's _BaseKMeans) ---------------------

    def _check_params_vs_input(self, X, default_n_init=10):
        _check_params_vs_input_common(self, X, default_n_init)

        self._algorithm = self.algorithm
        if self._algorithm == "elkan" and self.n_clusters == 1:
            warnings.warn(
                (
                    "algorithm='elkan' doesn't make sense for a single "
                    "cluster. Using 'lloyd' instead."
                ),
                RuntimeWarning,
            )
            self._algorithm = "lloyd"

    def _validate_center_shape(self, X, centers):
        if centers.shape[0] != self.n_clusters:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not "
                f"match the number of clusters {self.n_clusters}."
            )
        if centers.shape[1] != X.shape[1]:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not "
                f"match the number of features of the data {X.shape[1]}."
            )

    def _check_test_data(self, X):
        _check_dense(X)
        return validate_data(
            self, X, reset=False, dtype=[np.float64, np.float32], order="C"
        )

    def _init_centroids(self, X, init, random_state, sample_weight):
        n_samples = X.shape[0]
        if isinstance(init, str) and init == "k-means++":
            centers, _ = _kmeans_plusplus(
                X, self.n_clusters, sample_weight, random_state, None, self._n_threads
            )
        elif isinstance(init, str) and init == "random":
            seeds = random_state.choice(
                n_samples,
                size=self.n_clusters,
                replace=False,
                p=sample_weight / sample_weight.sum(),
            )
            centers = X[seeds]
        elif _is_arraylike_not_scalar(self.init):
            centers = init
        elif callable(init):
            centers = init(X, self.n_clusters, random_state=random_state)
            centers = check_array(centers, dtype=X.dtype, copy=False, order="C")
            self._validate_center_shape(X, centers)
        return np.ascontiguousarray(centers, dtype=X.dtype)

    # -- fit ------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering.

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
            Fitted estimator.
        """
        _check_dense(X)
        # no copy here: centering writes the copy (see below)
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C")
        self._check_params_vs_input(X)

        random_state = check_random_state(self.random_state)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        self._n_threads = _openmp_effective_n_threads()

        init = self.init
        init_is_array_like = _is_arraylike_not_scalar(init)
        if init_is_array_like:
            init = check_array(init, dtype=X.dtype, copy=True, order="C")
            self._validate_center_shape(X, init)

        # subtract the mean of x for more accurate distance computations; the
        # same pass computes the squared norms and the float32 screen copy
        X_mean = _column_mean(X) if X.shape[1] > 1 else X.mean(axis=0)
        X, x_sq, Xs = _prepare(X, X_mean, self.copy_x or not X.flags.writeable,
                               self._n_threads)
        if init_is_array_like:
            init -= X_mean

        kmeans_single = elkan_fit if self._algorithm == "elkan" else lloyd_fit
        best_inertia, best_labels = None, None
        # the BLAS fallback of the kernels runs inside prange: 1 BLAS thread
        with single_threaded_blas():
            for _ in range(self._n_init):
                centers_init = self._init_centroids(X, init, random_state, sample_weight)
                if self.verbose:
                    print("Initialization complete")
                labels, inertia, centers, n_iter_ = kmeans_single(
                    X, sample_weight, centers_init, self.max_iter, self._tol,
                    self._n_threads, bool(self.verbose), x_sq=x_sq, Xs=Xs,
                )
                # a better inertia with the same clustering is rounding noise
                if best_inertia is None or (
                    inertia < best_inertia
                    and not _is_same_clustering(labels, best_labels, self.n_clusters)
                ):
                    best_labels = labels
                    best_centers = centers
                    best_inertia = inertia
                    best_n_iter = n_iter_

        if not self.copy_x:
            X += X_mean
        best_centers += X_mean

        distinct_clusters = np.count_nonzero(
            np.bincount(best_labels, minlength=self.n_clusters)
        )
        if distinct_clusters < self.n_clusters:
            warnings.warn(
                "Number of distinct clusters ({}) found smaller than "
                "n_clusters ({}). Possibly due to duplicate points "
                "in X.".format(distinct_clusters, self.n_clusters),
                ConvergenceWarning,
                stacklevel=2,
            )

        self.cluster_centers_ = best_centers
        self._n_features_out = self.cluster_centers_.shape[0]
        self.labels_ = best_labels
        self.inertia_ = best_inertia
        self.n_iter_ = best_n_iter
        return self

    # -- inference --------------------------------------------------------------

    def _labels(self, X):
        with single_threaded_blas():
            return lloyd_labels(X, self.cluster_centers_.astype(X.dtype, copy=False),
                                self._n_threads)

    def fit_predict(self, X, y=None, sample_weight=None):
        """Compute cluster centers and predict cluster index for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data to transform.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster each sample belongs to.
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def predict(self, X):
        """Predict the closest cluster each sample in X belongs to.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data to predict.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster each sample belongs to.
        """
        check_is_fitted(self)
        X = self._check_test_data(X)
        return self._labels(X)

    def fit_transform(self, X, y=None, sample_weight=None):
        """Compute clustering and transform X to cluster-distance space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data to transform.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            X transformed in the new space.
        """
        self.fit(X, sample_weight=sample_weight)
        return self._transform(self._check_test_data(X))

    def transform(self, X):
        """Transform X to a cluster-distance space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data to transform.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Euclidean distance of each sample to each center.
        """
        check_is_fitted(self)
        X = self._check_test_data(X)
        return self._transform(X)

    def _transform(self, X):
        centers = self.cluster_centers_.astype(X.dtype, copy=False)
        out = np.empty((X.shape[0], centers.shape[0]), dtype=X.dtype)
        _distances_to_centers(X, centers, out, _n_threads_for(X.shape[0], self._n_threads))
        return out

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the value of X on the K-means objective.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X.

        Returns
        -------
        score : float
            Opposite of the value of X on the K-means objective.
        """
        check_is_fitted(self)
        X = self._check_test_data(X)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        labels = self._labels(X)
        centers = self.cluster_centers_.astype(X.dtype, copy=False)
        n_threads = _n_threads_for(X.shape[0], self._n_threads)
        return -_inertia_dense(X, sample_weight, centers, labels, n_threads)
