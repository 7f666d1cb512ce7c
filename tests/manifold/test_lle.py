"""LocallyLinearEmbedding against scikit-learn: same embedding subspace on the swiss roll."""

import pickle

import numpy as np
import pytest
import sklearn.manifold as sk_manifold
from numpy.testing import assert_allclose
from scipy.linalg import subspace_angles
from sklearn.datasets import load_digits, make_swiss_roll
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from fastml.manifold import LocallyLinearEmbedding
from fastml.manifold._locally_linear import barycenter_weights
from fastml.utils._testing import sklearn_xfails


@pytest.fixture(autouse=True)
def _single_threaded_blas():
    # these matrices are small: BLAS threads only add contention on shared cores
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.mark.parametrize("eigen_solver, n", [("arpack", 1000), ("dense", 300)])
@pytest.mark.parametrize("reg", [1e-3, 1e-1])
def test_lle_matches_sklearn_on_swiss_roll(eigen_solver, n, reg, global_random_seed):
    X, _ = make_swiss_roll(n, random_state=global_random_seed)
    kw = dict(n_neighbors=12, n_components=2, reg=reg, eigen_solver=eigen_solver, random_state=0)
    ours = LocallyLinearEmbedding(**kw).fit(X)
    ref = sk_manifold.LocallyLinearEmbedding(**kw).fit(X)
    # equal up to sign/rotation: the spanned subspaces coincide
    assert np.rad2deg(subspace_angles(ours.embedding_, ref.embedding_)).max() < 1e-3
    assert_allclose(ours.reconstruction_error_, ref.reconstruction_error_, rtol=1e-4, atol=1e-12)
    # out-of-sample transform uses the same barycentre weights
    rot = np.linalg.lstsq(ours.embedding_, ref.embedding_, rcond=None)[0]
    assert_allclose(ours.transform(X[:30]) @ rot, ref.transform(X[:30]), atol=1e-6)


def test_lle_digits_three_components():
    # digits' integer pixels tie many distances; jitter so neighbours are unique
    X = load_digits().data[:250] + np.random.RandomState(0).uniform(0, 1e-3, (250, 64))
    kw = dict(n_neighbors=15, n_components=3, eigen_solver="dense")
    ours = LocallyLinearEmbedding(**kw).fit_transform(X)
    ref = sk_manifold.LocallyLinearEmbedding(**kw).fit_transform(X)
    assert np.rad2deg(subspace_angles(ours, ref)).max() < 1e-2


def test_barycenter_weights_match_sklearn():
    from sklearn.manifold._locally_linear import barycenter_weights as sk_weights

    rng = np.random.RandomState(0)
    Y = rng.randn(20, 3)
    X = rng.randn(5, 3)
    ind = np.array([rng.choice(20, 4, replace=False) for _ in range(5)])
    W = barycenter_weights(X, Y, ind, reg=1e-3)
    assert_allclose(W.sum(axis=1), 1.0)
    assert_allclose(W, sk_weights(X, Y, ind, reg=1e-3), rtol=1e-10)


def test_lle_bad_input():
    X, _ = make_swiss_roll(50, random_state=0)
    with pytest.raises(ValueError, match="n_neighbors < n_samples"):
        LocallyLinearEmbedding(n_neighbors=50).fit(X)
    with pytest.raises(ValueError, match="output dimension"):
        LocallyLinearEmbedding(n_components=4).fit(X)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError):
        LocallyLinearEmbedding().fit(X_nan)
    with pytest.raises(ValueError):
        LocallyLinearEmbedding(reg=-1.0).fit(X)
    with pytest.raises(NotFittedError):
        LocallyLinearEmbedding().transform(X)
    with pytest.raises(NotImplementedError):
        LocallyLinearEmbedding(method="hessian").fit(X)
    m = LocallyLinearEmbedding(n_neighbors=8).fit(X)
    with pytest.raises(ValueError, match="features"):
        m.transform(X[:, :2])
    assert_allclose(pickle.loads(pickle.dumps(m)).transform(X[:5]), m.transform(X[:5]))


@parametrize_with_checks([LocallyLinearEmbedding()], expected_failed_checks=sklearn_xfails)
def test_sklearn_compatible(estimator, check):
    check(estimator)
