"""PCA against scikit-learn: components equal up to sign (here: same sign convention)."""

import pickle

import numpy as np
import pytest
import sklearn.decomposition as sk_decomposition
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_digits, load_iris, load_wine
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from fastml.decomposition import PCA
from fastml.decomposition._linalg import infer_dimension
from fastml.utils._testing import sklearn_xfails


@pytest.fixture(autouse=True)
def _single_threaded_blas():
    # these matrices are small: BLAS threads only add contention on shared cores
    with threadpool_limits(limits=1, user_api="blas"):
        yield


DATASETS = {
    "iris": lambda: load_iris().data,
    "wine": lambda: load_wine().data,
    "digits": lambda: load_digits().data[:400],
    "diabetes": lambda: load_diabetes().data,
    "wide": lambda: np.random.RandomState(0).randn(40, 120),
}


def _compare(ours, ref, X, atol):
    assert ours.n_components_ == ref.n_components_
    assert_allclose(ours.components_, ref.components_, atol=atol)
    assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-7, atol=atol)
    assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, atol=atol)
    assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-7, atol=atol)
    assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-6, atol=atol)
    scale = np.abs(X).max()
    # an absolute floor: a centred column's mean (diabetes) is rounding noise
    assert_allclose(ours.mean_, ref.mean_, atol=1e-15 * scale)
    assert_allclose(ours.transform(X), ref.transform(X), atol=atol * scale * X.shape[1])


@pytest.mark.parametrize(
    "data, whiten",
    [("iris", False), ("wine", True), ("digits", False), ("diabetes", True), ("wide", False)],
)
@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "randomized", "arpack", "auto"])
def test_pca_matches_sklearn(data, solver, whiten):
    X = DATASETS[data]()
    n = 3 if solver == "arpack" else min(5, min(X.shape))
    if solver == "covariance_eigh" and X.shape[0] < X.shape[1]:
        n = 3
    kw = dict(n_components=n, svd_solver=solver, whiten=whiten, random_state=0)
    ours, ref = PCA(**kw).fit(X), sk_decomposition.PCA(**kw).fit(X)
    # only components with a well-separated eigenvalue are defined to 1e-8
    _compare(ours, ref, X, atol=1e-8)
    assert_allclose(ours.fit_transform(X), ref.fit_transform(X), atol=1e-6 * np.abs(X).max())
    assert_allclose(ours.inverse_transform(ours.transform(X)),
                    ref.inverse_transform(ref.transform(X)), atol=1e-6 * np.abs(X).max())
    assert_allclose(ours.score(X), ref.score(X), rtol=1e-6)
    assert_allclose(ours.score_samples(X[:10]), ref.score_samples(X[:10]), rtol=1e-6)


@pytest.mark.parametrize("n_components", [0.5, 0.9, 0.99, "mle", None])
@pytest.mark.parametrize("solver", ["full", "covariance_eigh"])
def test_pca_n_components_rules(n_components, solver):
    X = load_digits().data[:500]
    ours = PCA(n_components, svd_solver=solver).fit(X)
    ref = sk_decomposition.PCA(n_components, svd_solver=solver).fit(X)
    assert ours.n_components_ == ref.n_components_
    k = min(ours.n_components_, 20)
    assert_allclose(ours.components_[:k], ref.components_[:k], atol=1e-8)


def test_pca_float32_preserved():
    X = load_digits().data.astype(np.float32)
    ours, ref = PCA(8).fit(X), sk_decomposition.PCA(8).fit(X)
    assert ours.components_.dtype == np.float32
    assert ours.transform(X).dtype == np.float32
    assert_allclose(ours.components_, ref.components_, atol=1e-4)


def test_pca_randomized_power_normalizers():
    X = load_digits().data[:400]
    for norm in ["QR", "LU", "none"]:
        kw = dict(n_components=6, svd_solver="randomized", power_iteration_normalizer=norm,
                  iterated_power=3, random_state=1)
        _compare(PCA(**kw).fit(X), sk_decomposition.PCA(**kw).fit(X), X, atol=1e-8)


def test_infer_dimension_matches_sklearn():
    from sklearn.decomposition._pca import _infer_dimension

    rng = np.random.RandomState(0)
    spectrum = np.sort(rng.exponential(size=30))[::-1]
    assert infer_dimension(spectrum, 200) == int(_infer_dimension(spectrum, 200))


def test_pca_copy_false_and_covariance():
    X = load_iris().data
    ref = sk_decomposition.PCA(2, svd_solver="full").fit(X.copy())
    Xc = X.copy()
    ours = PCA(2, svd_solver="full", copy=False).fit(Xc)
    assert_allclose(ours.components_, ref.components_, atol=1e-10)
    assert_allclose(ours.get_covariance(), ref.get_covariance(), atol=1e-10)
    assert_allclose(ours.get_precision(), ref.get_precision(), rtol=1e-8)


def test_pca_bad_input():
    X = load_iris().data
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError):
        PCA(2).fit(X_nan)
    with pytest.raises(ValueError, match="must be between"):
        PCA(10, svd_solver="full").fit(X)
    with pytest.raises(ValueError, match="strictly less"):
        PCA(4, svd_solver="arpack").fit(X)
    with pytest.raises(ValueError, match="cannot be a string"):
        PCA("mle", svd_solver="randomized").fit(X)
    with pytest.raises(ValueError, match="only supported if n_samples >= n_features"):
        PCA("mle", svd_solver="full").fit(X[:3])
    with pytest.raises(ValueError):
        PCA(-1).fit(X)
    with pytest.raises(ValueError):
        PCA(2).fit(X[:, 0])
    with pytest.raises(NotFittedError):
        PCA(2).transform(X)
    m = PCA(2).fit(X)
    with pytest.raises(ValueError, match="features"):
        m.transform(X[:, :3])
    assert_array_equal(pickle.loads(pickle.dumps(m)).transform(X), m.transform(X))


@parametrize_with_checks(
    [
        PCA(),
        PCA(2, svd_solver="randomized", random_state=0),
        PCA(0.9, whiten=True, svd_solver="full"),
        PCA(2, svd_solver="covariance_eigh"),
    ],
    expected_failed_checks=sklearn_xfails,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["arpack", "covariance_eigh", "auto"])
def test_pca_sparse_matches_sklearn(fmt, solver):
    import scipy.sparse as sp

    X = load_digits().data[:400]
    Xs = sp.csr_array(X) if fmt == "csr" else sp.csc_array(X)
    kw = dict(n_components=5, svd_solver=solver, random_state=0)
    ours, ref = PCA(**kw).fit(Xs), sk_decomposition.PCA(**kw).fit(Xs)
    _compare(ours, ref, X, atol=1e-8)
    assert_allclose(ours.transform(Xs), ours.transform(X), atol=1e-8)
    assert_allclose(ours.fit_transform(Xs), ref.fit_transform(Xs), atol=1e-6)
    with pytest.raises(TypeError, match="sparse"):
        PCA(2, svd_solver="randomized").fit(Xs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("solver", ["auto", "covariance_eigh", "full", "randomized", "arpack"])
def test_non_finite_X_same_error_as_sklearn(bad, solver):
    # covariance_eigh checks X on the column sums of its Gram pass
    X = np.random.RandomState(0).randn(300, 6)
    X[11, 4] = bad
    with pytest.raises(ValueError) as theirs:
        sk_decomposition.PCA(2, svd_solver=solver, random_state=0).fit(X)
    with pytest.raises(ValueError) as ours:
        PCA(2, svd_solver=solver, random_state=0).fit(X)
    assert str(ours.value) == str(theirs.value)
