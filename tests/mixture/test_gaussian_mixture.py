"""GaussianMixture: same parameters as scikit-learn's from the same start."""

import pickle
import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_limits
import sklearn.mixture
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastml.mixture import GaussianMixture
from fastml.utils._testing import sklearn_xfails


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # the scikit-learn references run BLAS on tiny matrices: with threads on a
    # busy shared machine they spend most of their time waking them
    with threadpool_limits(limits=1, user_api="blas"):
        yield


COV_TYPES = ["full", "tied", "diag", "spherical"]
ATTRS = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]


def _real(name):
    loader = {"iris": datasets.load_iris, "wine": datasets.load_wine,
              "breast_cancer": datasets.load_breast_cancer}[name]
    return StandardScaler().fit_transform(loader().data)


def _inits(X, k, covariance_type, seed):
    """Explicit starting parameters: means at random samples, unit-ish precisions."""
    rng = np.random.RandomState(seed)
    d = X.shape[1]
    means = X[rng.choice(len(X), k, replace=False)]
    weights = rng.dirichlet(np.ones(k) * 5)
    var = X.var(axis=0).mean()
    precisions = {
        "full": np.stack([np.eye(d) / var] * k),
        "tied": np.eye(d) / var,
        "diag": np.full((k, d), 1 / var),
        "spherical": np.full(k, 1 / var),
    }[covariance_type]
    return dict(means_init=means, weights_init=weights, precisions_init=precisions)


def _matched_to(ours, ref):
    """ours with its components put in ref's order (nearest means, one to one)."""
    order = np.argmin(((ref.means_[:, None] - ours.means_[None]) ** 2).sum(-1), axis=1)
    assert sorted(order) == list(range(len(order))), "components do not pair up"
    out = pickle.loads(pickle.dumps(ours))
    for attr in ATTRS:
        value = getattr(ours, attr)
        if attr in ("weights_", "means_") or ours.covariance_type != "tied":
            setattr(out, attr, value[order])
    return out


def _assert_same_fit(ours, ref, X, rtol=1e-6, atol=1e-6, tied_inits=False):
    """The same fitted mixture. ``tied_inits`` (n_init > 1): when two inits reach
    the same optimum with its components in another order, their lower bounds
    differ by rounding alone (1e-15) and either is scikit-learn's answer up to
    that rounding; the components are then compared in ref's order."""
    if tied_inits and not np.allclose(ours.means_, ref.means_, rtol=rtol, atol=atol):
        ours = _matched_to(ours, ref)
    for attr in ATTRS:
        assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=rtol, atol=atol,
                        err_msg=attr)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.converged_ == ref.converged_
    assert ours.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-9)
    assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-9, atol=1e-9)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-9)
    assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-9)
    assert ours.aic(X) == pytest.approx(ref.aic(X), rel=1e-9)
    return ours


@pytest.mark.parametrize(
    "name", ["iris", "wine", pytest.param("breast_cancer", marks=pytest.mark.slow)])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_same_inits_same_parameters(name, covariance_type, global_random_seed):
    X = _real(name)
    params = dict(n_components=3, covariance_type=covariance_type, max_iter=150,
                  tol=1e-6, reg_covar=1e-4,
                  **_inits(X, 3, covariance_type, global_random_seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = GaussianMixture(**params).fit(X)
        ref = sklearn.mixture.GaussianMixture(**params).fit(X)
    _assert_same_fit(ours, ref, X)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_every_init_matches_sklearn_for_the_same_seed(init_params, covariance_type,
                                                       global_random_seed):
    X = datasets.make_blobs(200, 3, centers=3, random_state=global_random_seed)[0]
    params = dict(n_components=3, covariance_type=covariance_type, n_init=2,
                  init_params=init_params, random_state=global_random_seed)
    ours = GaussianMixture(**params).fit(X)
    ref = sklearn.mixture.GaussianMixture(**params).fit(X)
    ours = _assert_same_fit(ours, ref, X, tied_inits=True)
    # sampling draws from the same generator
    Xs, ys = ours.sample(50)
    Xr, yr = ref.sample(50)
    assert_allclose(Xs, Xr, rtol=1e-6, atol=1e-6)
    assert_array_equal(ys, yr)
    assert Xs.dtype == Xr.dtype and ys.dtype == yr.dtype


def test_float32_and_warm_start():
    X = datasets.make_blobs(300, 3, centers=2, random_state=0)[0].astype(np.float32)
    for est in [GaussianMixture, sklearn.mixture.GaussianMixture]:
        assert est(2, random_state=0).fit(X).means_.dtype == np.float32
    ours = GaussianMixture(2, random_state=0, warm_start=True, max_iter=2)
    ref = sklearn.mixture.GaussianMixture(2, random_state=0, warm_start=True, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(3):
            ours.fit(X)
            ref.fit(X)
    assert_allclose(ours.means_, ref.means_, rtol=1e-5)
    assert ours.lower_bounds_ == pytest.approx(ref.lower_bounds_, rel=1e-6)


def test_fit_predict_equals_fit_then_predict():
    X = _real("wine")
    est = GaussianMixture(3, random_state=1, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = est.fit_predict(X)
    assert_array_equal(labels, est.predict(X))


def test_convergence_warning_like_sklearn():
    X = _real("iris")
    with pytest.warns(ConvergenceWarning):
        GaussianMixture(3, max_iter=1, random_state=0).fit(X)


@pytest.mark.parametrize(
    "params",
    [
        {"weights_init": [0.5, 0.6]},
        {"weights_init": [1.0]},
        {"weights_init": [-0.5, 1.5]},
        {"means_init": np.zeros((3, 2))},
        {"precisions_init": np.zeros((2, 2, 2))},
        {"covariance_type": "diag", "precisions_init": -np.ones((2, 2))},
        {"n_components": 50},
    ],
)
def test_bad_initial_parameters_raise_like_sklearn(params):
    X = np.random.RandomState(0).randn(20, 2)
    params = {"n_components": 2, **params}
    with pytest.raises(ValueError) as ref:
        sklearn.mixture.GaussianMixture(**params).fit(X)
    with pytest.raises(ValueError) as ours:
        GaussianMixture(**params).fit(X)
    assert str(ours.value) == str(ref.value)


def test_collapsed_component_raises_like_sklearn():
    X = np.vstack([np.zeros((10, 2)), np.ones((10, 2))])
    params = dict(n_components=2, reg_covar=0, means_init=[[0, 0], [1, 1]])
    with pytest.raises(ValueError) as ref:
        sklearn.mixture.GaussianMixture(**params).fit(X)
    with pytest.raises(ValueError) as ours:
        GaussianMixture(**params).fit(X)
    assert str(ours.value) == str(ref.value)


def test_pickle_roundtrip():
    X = _real("iris")
    est = GaussianMixture(3, random_state=0).fit(X)
    again = pickle.loads(pickle.dumps(est))
    assert_array_equal(again.predict_proba(X), est.predict_proba(X))


@parametrize_with_checks(
    [GaussianMixture(), GaussianMixture(covariance_type="diag", init_params="random")],
    expected_failed_checks=sklearn_xfails,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_compiled_full_iteration_equals_numpy_iteration(name, monkeypatch):
    # The compiled two-pass EM iteration (src_cy/_gmm_full.pyx) against the
    # NumPy/BLAS one (scikit-learn's formulas), same start: same fit to rounding.
    from fastml.mixture import _gaussian_mixture as gm

    X = _real(name)
    params = dict(n_components=3, max_iter=200, tol=1e-8, reg_covar=1e-4,
                  **_inits(X, 3, "full", 0))
    compiled = GaussianMixture(**params).fit(X)
    monkeypatch.setattr(gm, "_COMPILED_EM_MAX_FEATURES", 0)
    plain = GaussianMixture(**params).fit(X)
    for attr in ATTRS:
        assert_allclose(getattr(compiled, attr), getattr(plain, attr), rtol=1e-8, atol=1e-10)
    assert compiled.n_iter_ == plain.n_iter_
    assert compiled.lower_bound_ == pytest.approx(plain.lower_bound_, rel=1e-12)


def test_compiled_iteration_does_not_depend_on_threads_or_memory_order(monkeypatch):
    from fastml.mixture import _gaussian_mixture as gm

    X = datasets.make_blobs(3000, 5, centers=4, random_state=0)[0]
    params = dict(n_components=4, max_iter=30, tol=0, random_state=0)
    monkeypatch.setattr(gm, "_EM_WORK_PER_THREAD", 1)  # threads even for tiny work
    two = GaussianMixture(**params).fit(X)
    with threadpool_limits(limits=1, user_api="openmp"):
        one = GaussianMixture(**params).fit(X)
    fortran = GaussianMixture(**params).fit(np.asfortranarray(X))
    for attr in ATTRS:
        assert_array_equal(getattr(two, attr), getattr(one, attr))
        assert_array_equal(getattr(fortran, attr), getattr(one, attr))
