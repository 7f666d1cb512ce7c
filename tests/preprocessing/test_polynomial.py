"""PolynomialFeatures: same columns, order, names and powers as scikit-learn."""

import pickle

import numpy as np
import pytest
import sklearn.preprocessing as skp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastml.preprocessing import PolynomialFeatures
from fastml.utils._testing import sklearn_xfails

PARAMS = [
    dict(degree=2), dict(degree=3, include_bias=False), dict(degree=3, interaction_only=True),
    dict(degree=(2, 3)), dict(degree=(0, 2), include_bias=False), dict(degree=(3, 3)),
    dict(degree=0), dict(degree=1, order="F"), dict(degree=4, interaction_only=True,
                                                  include_bias=False),
]


@pytest.mark.parametrize("params", PARAMS, ids=str)
@pytest.mark.parametrize("shape", [(5, 1), (7, 3), (20, 5)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn(params, shape, dtype):
    X = np.random.RandomState(0).normal(size=shape).astype(dtype)
    ours, theirs = PolynomialFeatures(**params).fit(X), skp.PolynomialFeatures(**params).fit(X)
    out, ref = ours.transform(X), theirs.transform(X)
    assert out.dtype == ref.dtype
    assert out.flags.c_contiguous == ref.flags.c_contiguous
    assert_allclose(out, ref, rtol=1e-6 if dtype == np.float32 else 1e-14)
    assert_array_equal(ours.powers_, theirs.powers_)
    assert ours.n_output_features_ == theirs.n_output_features_
    names = [f"f{i}" for i in range(shape[1])]
    assert_array_equal(ours.get_feature_names_out(names), theirs.get_feature_names_out(names))
    assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())


def test_real_data_names_and_errors():
    data = load_diabetes()
    X, names = data.data, data.feature_names
    ours, theirs = PolynomialFeatures(2).fit(X), skp.PolynomialFeatures(2).fit(X)
    assert_array_equal(ours.get_feature_names_out(names), theirs.get_feature_names_out(names))
    assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-14)
    for bad in [dict(degree=-1), dict(degree=(3, 2)), dict(degree=0, include_bias=False),
                dict(degree=(0, 0), include_bias=False), dict(degree=2.5)]:
        with pytest.raises(ValueError):
            PolynomialFeatures(**bad).fit(X)
        with pytest.raises(ValueError):
            skp.PolynomialFeatures(**bad).fit(X)
    est = PolynomialFeatures(3).fit(X)
    with pytest.raises(ValueError):
        est.transform(X[:, :3])
    assert_array_equal(pickle.loads(pickle.dumps(est)).transform(X), est.transform(X))


@parametrize_with_checks([PolynomialFeatures()], expected_failed_checks=sklearn_xfails)
def test_sklearn_compatible(estimator, check):
    check(estimator)
