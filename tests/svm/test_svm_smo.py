"""The compiled SMO's AVX2 paths: fused RBF columns and working-set scans."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, make_classification
from sklearn.preprocessing import StandardScaler

from fastml._cy import _svm_smo
from fastml.svm import SVC, SVR
from fastml.svm._base import _KERNELS

RBF = _KERNELS["rbf"]


@pytest.fixture
def scalar_and_simd():
    """Yield a function fitting an estimator with the AVX2 paths on, then off."""
    previous = _svm_smo.set_simd(True)

    def fit_both(make, X, y):
        _svm_smo.set_simd(True)
        a = make().fit(X, y)
        _svm_smo.set_simd(False)
        b = make().fit(X, y)
        _svm_smo.set_simd(True)
        return a, b

    yield fit_both
    _svm_smo.set_simd(previous)


def _assert_same_model(a, b):
    assert_array_equal(a.support_, b.support_)
    assert_array_equal(a.dual_coef_, b.dual_coef_)
    assert_array_equal(a.intercept_, b.intercept_)
    assert_array_equal(a.n_iter_, b.n_iter_)


@pytest.mark.parametrize("kernel", ["rbf", "poly", "linear", "sigmoid"])
@pytest.mark.parametrize("dataset", ["breast_cancer", "digits", "awkward"])
def test_simd_and_scalar_paths_give_the_same_svc(scalar_and_simd, kernel, dataset):
    # the working-set scans are exact; the RBF exp is within 2 ulp of libm's,
    # below what the float32 kernel cache stores, so the SMO path is the same
    if dataset == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
        X = StandardScaler().fit_transform(X)
    elif dataset == "digits":
        X, y = load_digits(return_X_y=True)
        X, y = X[:500] / 16.0, y[:500]
    else:  # odd n_features (masked tail) and active sets not a multiple of 4
        X, y = make_classification(603, 7, n_informative=4, n_classes=3, random_state=0)
    a, b = scalar_and_simd(lambda: SVC(kernel=kernel, gamma="scale"), X, y)
    _assert_same_model(a, b)


def test_simd_and_scalar_paths_give_the_same_svr(scalar_and_simd):
    X, y = load_diabetes(return_X_y=True)
    a, b = scalar_and_simd(lambda: SVR(C=50.0, epsilon=5.0), X, y)
    _assert_same_model(a, b)


@pytest.mark.parametrize("gamma", [1e-3, 0.37, 1.0, 7.0])
def test_rbf_column_exp_within_two_ulp(gamma):
    # dyadic points: norms, dot products and distances are exact, so the
    # column differs from exp(-gamma * x**2) only by the exp itself
    X = (np.arange(-4000, 4001) / 64.0)[:, None]
    col = _svm_smo.kernel_column(X, 4000, RBF, gamma)
    with np.errstate(under="ignore"):
        ref = np.exp(-gamma * X[:, 0] ** 2)
    normal = -gamma * X[:, 0] ** 2 >= -708.0
    ulps = np.abs(col[normal] - ref[normal]) / np.spacing(ref[normal])
    assert ulps.max() <= 2.0
    # below exp(-708) the value is subnormal or zero; it is stored as float32 0
    assert np.all(col[~normal].astype(np.float32) == 0.0)
    assert np.all(col >= 0.0) and np.all(col <= 1.0)


@pytest.mark.parametrize("n_features", [1, 3, 4, 5, 20, 67])
@pytest.mark.parametrize("n_samples", [1, 2, 3, 5, 257])
def test_rbf_column_shapes(n_samples, n_features):
    # every length of the 4-row groups' tail and of the feature tail
    rng = np.random.RandomState(n_samples * 100 + n_features)
    X = rng.randn(n_samples, n_features)
    i = n_samples // 2
    ref = np.exp(-0.3 * ((X - X[i]) ** 2).sum(axis=1))
    for on in (True, False):
        previous = _svm_smo.set_simd(on)
        try:
            col = _svm_smo.kernel_column(X, i, RBF, 0.3)
        finally:
            _svm_smo.set_simd(previous)
        np.testing.assert_allclose(col, ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (300, 21)])
def test_rbf_kernel_rows_match_numpy(shape, n_threads):
    if not _svm_smo.simd_enabled():
        pytest.skip("the fused prediction kernel needs AVX2+FMA")
    from fastml._cy import _svm_predict
    from fastml.svm._base import kernel_matrix

    rng = np.random.RandomState(0)
    X = rng.randn(*shape)
    SV = rng.randn(shape[0] + 5, shape[1])
    sv_sq = np.einsum("ij,ij->i", SV, SV)
    K = _svm_predict.rbf_kernel_rows(X, SV, sv_sq, 0.2, n_threads)
    np.testing.assert_allclose(K, kernel_matrix(X, SV, "rbf", 0.2, 0.0, 3), rtol=1e-12, atol=1e-15)
    assert _svm_predict.rbf_kernel_rows(X[:0], SV, sv_sq, 0.2, n_threads).shape == (0, SV.shape[0])


def test_fused_prediction_equals_numpy_prediction():
    X, y = load_digits(return_X_y=True)
    X, y = X[:400] / 16.0, y[:400]
    model = SVC(decision_function_shape="ovo").fit(X, y)
    fused = model.decision_function(X)
    previous = _svm_smo.set_simd(False)
    try:
        plain = model.decision_function(X)
    finally:
        _svm_smo.set_simd(previous)
    np.testing.assert_allclose(fused, plain, rtol=1e-12, atol=1e-12)
