"""The pruned lloyd/elkan iterations give scikit-learn's iterates exactly.

fastml skips the samples whose triangle-inequality bounds prove that their
label cannot change and moves only changed samples between the cluster sums.
These tests target the cases where that could go wrong: long runs (bounds
decayed over many versions), exact and near ties, duplicate points and
centers, empty clusters, zero weights, float32, and every single E-step
compared with a full recomputation.
"""

import warnings

import numpy as np
import pytest
import sklearn.cluster
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from fastml._cy import _kmeans_common, _kmeans_elkan, _kmeans_lloyd
from fastml.cluster import KMeans


def _compare(X, init, algorithm, sample_weight=None, rtol=1e-7, **params):
    kw = dict(n_clusters=len(init), init=init, n_init=1, algorithm=algorithm, **params)
    ours = KMeans(**kw).fit(X, sample_weight=sample_weight)
    ref = sklearn.cluster.KMeans(**kw).fit(X, sample_weight=sample_weight)
    assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_
    assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=rtol,
                    atol=rtol * np.abs(ref.cluster_centers_).max())
    assert_allclose(ours.inertia_, ref.inertia_, rtol=rtol)
    return ours, ref


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("tol", [0, 1e-4])
def test_long_runs_match_sklearn(algorithm, tol, global_random_seed):
    # hundreds of iterations: bounds carried over many center versions
    rng = np.random.RandomState(global_random_seed)
    X = rng.uniform(size=(3000, 6))
    init = X[:20].copy()
    ours, _ = _compare(X, init, algorithm, max_iter=400, tol=tol)
    if tol == 0:
        assert ours.n_iter_ > 30


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_exact_ties_on_a_grid_match_sklearn(algorithm):
    # integer grid, centers placed symmetrically: many samples are exactly
    # equidistant from two centers at the start (first argmin / keep label)
    g = np.arange(21, dtype=np.float64)
    X = np.array([[a, b] for a in g for b in g])
    X = np.vstack([X, X[::3]])  # duplicates too
    init = np.array([[5.0, 10.0], [15.0, 10.0], [10.0, 5.0], [10.0, 15.0], [10.0, 10.0]])
    _compare(X, init, algorithm, tol=0)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-7), (np.float32, 1e-4)])
def test_near_ties_match_sklearn(algorithm, dtype, rtol, global_random_seed):
    # pairs of points mirrored across the bisector of two centers, shifted by
    # a few ulps: the decisions the bounds must leave to the exact arithmetic
    rng = np.random.RandomState(global_random_seed)
    base = rng.normal(size=(1500, 4))
    base[:, 0] = np.abs(base[:, 0]) * 1e-12
    X = np.vstack([base, base * [-1, 1, 1, 1], rng.normal(size=(1000, 4)) * 3])
    X = X.astype(dtype)
    init = np.array([[-1, 0, 0, 0], [1, 0, 0, 0], [0, 3, 0, 0], [0, -3, 0, 0],
                     [0, 0, 3, 0]], dtype=dtype)
    _compare(X, init, algorithm, rtol=rtol, tol=0, max_iter=60)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_duplicate_points_and_centers_match_sklearn(algorithm, global_random_seed):
    # few distinct rows: duplicate centers (exact ties everywhere) and
    # clusters emptied and relocated along the way
    rng = np.random.RandomState(global_random_seed)
    X = rng.randint(0, 4, size=(4000, 3)).astype(np.float64)
    init = X[:10].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # both warn alike
        _compare(X, init, algorithm, tol=0)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_empty_clusters_and_zero_weights_match_sklearn(algorithm, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    X = rng.normal(size=(2500, 5))
    w = rng.uniform(0.5, 2.0, len(X))
    w[rng.rand(len(X)) < 0.2] = 0  # zero weights: a cluster can weigh 0
    init = X[:8].copy()
    init[3] = 50.0  # empty after the first E-step: relocated
    _compare(X, init, algorithm, sample_weight=w, tol=0)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_float32_long_run_matches_sklearn(algorithm, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    X = rng.uniform(size=(2000, 8)).astype(np.float32)
    _compare(X, X[:12].copy(), algorithm, rtol=1e-4, tol=0, max_iter=100)


def _brute_labels(X, centers, labels_before, algorithm):
    """The label every sample must get from a full, unpruned E-step."""
    if algorithm == "lloyd":
        return _kmeans_common._labels_pass(X, centers, 1)
    # scikit-learn's elkan rule with its distance formula: keep the label
    # unless another center is strictly closer, then the first closest
    D = np.empty((len(X), len(centers)), dtype=X.dtype)
    _kmeans_common._distances_to_centers(X, centers, D, 1)  # the scalar formula
    best = D.min(axis=1)
    first = D.argmin(axis=1)
    keep = (labels_before >= 0) & (D[np.arange(len(X)), np.maximum(labels_before, 0)] == best)
    return np.where(keep, labels_before, first).astype(np.int32)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_every_pruned_estep_equals_a_full_estep(algorithm):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(2000, 5))
    X -= X.mean(axis=0)
    w = np.ones(len(X))
    n_threads = 2
    make = _kmeans_lloyd._LloydStep if algorithm == "lloyd" else _kmeans_elkan._ElkanStep
    step = make(X, w, n_threads)
    skipped = []

    def checked(centers, labels, st, version, full, update):
        before = labels.copy()
        bounds = step.upper.copy(), step.lower.copy()
        expected = _brute_labels(X, centers, before, algorithm)
        n_changed = step(centers, labels, st, version, full, update)
        assert_array_equal(labels, expected)
        assert n_changed == np.count_nonzero(labels != before)
        # a skipped sample's stored bounds are not rewritten
        skipped.append(np.count_nonzero((step.upper == bounds[0]) & (step.lower == bounds[1])))
        return n_changed

    _kmeans_common._kmeans_run(checked, X, w, X[:12].copy(), 60, 0.0, n_threads, False)
    # the test must exercise pruning: most samples are skipped late in the run
    assert max(skipped) > len(X) // 2


# -- the float32 screen (fastml._cy._kmeans_pruned) ----------------------------

from fastml._cy import _kmeans_pruned  # noqa: E402


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("scale", [1e-20, 1e20])
def test_screen_off_outside_float32_range_matches_sklearn(algorithm, scale):
    # norms a float32 copy cannot hold accurately: every listed sample takes
    # the exact path (no screen), still scikit-learn's iterates
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(1500, 6)) * scale
    make = _kmeans_lloyd._LloydStep if algorithm == "lloyd" else _kmeans_elkan._ElkanStep
    assert not make(X, np.ones(len(X)), 1).screen
    _compare(X, X[:7].copy(), algorithm, tol=0, max_iter=40)


@pytest.mark.skipif(not _kmeans_common.HAS_AVX2_FMA, reason="the screen needs AVX2+FMA")
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_screen_bounds_valid_and_near_ties_exact(algorithm, dtype):
    # rows whose two best centers are within the screen's error take the
    # exact path: labels checked against a full unpruned E-step, bounds
    # against the true distances
    rng = np.random.RandomState(0)
    base = rng.normal(size=(600, 3))
    base[:, 0] = np.abs(base[:, 0]) * 1e-9  # ~1e-9 from the bisector x0 = 0
    X = np.vstack([base, base * [-1, 1, 1], rng.normal(size=(600, 3)) * 3]).astype(dtype)
    centers = np.array([[-1, 0, 0], [1, 0, 0], [0, 4, 0]], dtype=dtype)
    make = _kmeans_lloyd._LloydStep if algorithm == "lloyd" else _kmeans_elkan._ElkanStep
    step = make(X, np.ones(len(X), dtype=dtype), 1)
    assert step.screen
    st = _kmeans_common._Iterates(3, 3, 2, 1)
    _kmeans_common._half_distances(centers, st.half_min)
    labels = np.full(len(X), -1, dtype=np.int32)
    step(centers, labels, st, 0, True, True)
    assert_array_equal(labels, _brute_labels(X, centers, np.full(len(X), -1), algorithm))
    # every bound is valid: upper >= distance to the own center, lower <=
    # distance to every other one
    D = np.sqrt(((X[:, None, :].astype(np.float64) - centers[None].astype(np.float64)) ** 2)
                .sum(-1))
    own = D[np.arange(len(X)), labels]
    D[np.arange(len(X)), labels] = np.inf
    assert np.all(step.upper >= own * (1 - 1e-6))
    assert np.all(step.lower <= D.min(1) * (1 + 1e-6))


def test_prepare_centers_as_sklearn_in_one_pass():
    rng = np.random.RandomState(0)
    for dtype in (np.float64, np.float32):
        X = rng.normal(size=(1000, 17)).astype(dtype)
        X0 = X.copy()
        mean = X.mean(axis=0)
        out, x_sq, Xs = _kmeans_pruned._prepare(X, mean, True, 2)
        assert_array_equal(X, X0)  # copy: the input is untouched
        ref = X0 - mean
        assert_array_equal(out, ref)  # bit for bit scikit-learn's X -= X_mean
        assert_allclose(x_sq, np.einsum("ij,ij->i", ref, ref, dtype=np.float64), rtol=1e-12)
        if _kmeans_common.HAS_AVX2_FMA:
            assert_array_equal(Xs, ref.astype(np.float32))
        out2, _, _ = _kmeans_pruned._prepare(X, mean, False, 2)
        assert out2 is X
        assert_array_equal(X, ref)  # in place


@pytest.mark.skipif(not _kmeans_common.HAS_AVX2_FMA, reason="the AVX2 bounds test")
@pytest.mark.parametrize("n_clusters", [3, 16, 40])  # tables in registers, gathered
@pytest.mark.parametrize("gamma, err25", [(0.0, 0.0), (0.0, 1e-9), (1e-6, 0.0)])
def test_float32_bounds_test_never_keeps_what_the_exact_test_lists(n_clusters, gamma, err25):
    # the float32 test may list more than the exact one, never keep more:
    # check every kept sample in exact rational arithmetic, on bounds built
    # at the threshold (relative gaps 1e-9 .. 1e-3, several magnitudes)
    from fractions import Fraction

    rng = np.random.RandomState(n_clusters)
    n = 4099  # a tail of 3 samples after the 8-wide loop
    labels = rng.randint(n_clusters, size=n).astype(np.int32)
    tu = rng.uniform(0, 2, n_clusters)
    tl = rng.uniform(0, 2, n_clusters)
    hm = rng.uniform(0, 4, n_clusters)
    u = rng.uniform(0.5, 1.5, n) * 10.0 ** rng.uniform(-6, 6, n)
    gap = 10.0 ** rng.uniform(-9, -3, n) * rng.choice([-1, 1], n)
    low = u * (1 + gamma) / (1 - gamma) * (1 + gap) + np.sqrt(err25)
    upper = (u - tu[labels]).astype(np.float32)
    lower = (low + tl[labels]).astype(np.float32)
    listed = set(_kmeans_pruned._bounds_test_py(
        labels, upper, lower, tu, tl, hm, gamma, err25).tolist())

    g, e25, margin = Fraction(gamma), Fraction(err25), Fraction(1, 10**4)
    n_kept = n_missed = 0
    for i in range(n):
        a = labels[i]
        uu = Fraction(float(upper[i])) + Fraction(tu[a])
        lo = max(Fraction(float(lower[i])) - Fraction(tl[a]), Fraction(hm[a]) - uu)
        if i not in listed:
            n_kept += 1
            assert lo * (1 - g) > uu * (1 + g) and (lo - uu) * (lo + uu) > e25, i
        elif lo * (1 - g) > uu * (1 + g) * (1 + margin) + margin * abs(uu) and (
                (lo - uu) * (lo + uu) > 2 * e25):
            n_missed += 1  # listed although the exact test keeps it clearly
    assert n // 4 < n_kept < n  # both sides of the threshold are exercised
    assert n_missed == 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_features", [2, 3, 16, 33])
@pytest.mark.parametrize("n_samples", [1, 7, 5003])
def test_column_mean_is_numpys_bit_for_bit(dtype, n_features, n_samples):
    # the mean decides every centered value: it must be numpy's exactly
    rng = np.random.RandomState(n_samples * n_features)
    scales = 10.0 ** rng.uniform(-3, 3, size=(n_samples, 1))
    X = (rng.uniform(-1, 2, size=(n_samples, n_features)) * scales).astype(dtype)
    mean = _kmeans_pruned._column_mean(X)
    assert mean.dtype == X.dtype
    assert_array_equal(mean, X.mean(axis=0))


@pytest.mark.parametrize("copy_x", [True, False])
def test_copy_x_keeps_or_restores_input(copy_x):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(2000, 5)) + 10
    X0 = X.copy()
    KMeans(6, init=X[:6].copy(), n_init=1, copy_x=copy_x).fit(X)
    if copy_x:
        assert_array_equal(X, X0)
    else:
        assert_allclose(X, X0, rtol=1e-12)
    X.setflags(write=False)  # read-only input with copy_x=False: centered in a copy
    KMeans(6, init=X0[:6].copy(), n_init=1, copy_x=False).fit(X)
    assert_array_equal(X, X0) if copy_x else None
