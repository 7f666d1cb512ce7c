"""SGD estimators: the same random_state gives scikit-learn's coefficients."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn.linear_model as sk
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler

import fastml.linear_model as fm


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _fit_both(name, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return getattr(fm, name)(**kw).fit(X, y), getattr(sk, name)(**kw).fit(X, y)


REG_PARAMS = [
    {}, dict(loss="huber", max_iter=50), dict(loss="epsilon_insensitive", penalty="l1",
                                             max_iter=50),
    dict(penalty="elasticnet", learning_rate="adaptive"), dict(early_stopping=True),
    dict(learning_rate="optimal"), dict(loss="squared_epsilon_insensitive",
                                        learning_rate="constant", penalty=None),
    dict(fit_intercept=False, shuffle=False),
]


@pytest.mark.parametrize("params", REG_PARAMS, ids=str)
def test_sgd_regressor_same_iterates(params):
    X, y = _scaled(load_diabetes)
    ours, theirs = _fit_both("SGDRegressor", X, y, random_state=0, **params)
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10, atol=1e-10)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-10, atol=1e-10)
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_


CLF_PARAMS = [
    {}, dict(loss="log_loss"), dict(loss="modified_huber", penalty="l1"),
    dict(class_weight="balanced", penalty="elasticnet"), dict(early_stopping=True),
    dict(loss="squared_hinge", learning_rate="invscaling", eta0=0.1),
]


@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer, load_digits],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("params", CLF_PARAMS, ids=str)
def test_sgd_classifier_identical_predictions(loader, params):
    X, y = _scaled(loader)
    ours, theirs = _fit_both("SGDClassifier", X, y, random_state=0, max_iter=200, **params)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10, atol=1e-10)
    assert ours.n_iter_ == theirs.n_iter_
    if params.get("loss") in ("log_loss", "modified_huber"):
        assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)
    else:
        assert not hasattr(ours, "predict_proba")


@pytest.mark.parametrize("loader", [load_iris, load_breast_cancer, load_digits],
                         ids=lambda f: f.__name__)
def test_perceptron_identical(loader):
    X, y = _scaled(loader)
    for params in ({}, dict(penalty="l2", alpha=1e-3), dict(early_stopping=True)):
        ours, theirs = _fit_both("Perceptron", X, y, **params)
        assert_array_equal(ours.predict(X), theirs.predict(X))
        assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10, atol=1e-10)


def test_partial_fit_and_warm_start_follow_sklearn():
    X, y = _scaled(load_iris)
    ours, theirs = fm.SGDClassifier(random_state=1), sk.SGDClassifier(random_state=1)
    for _ in range(3):
        ours.partial_fit(X, y, classes=np.unique(y))
        theirs.partial_fit(X, y, classes=np.unique(y))
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10)
    Xr, yr = _scaled(load_diabetes)
    ours, theirs = fm.SGDRegressor(random_state=1), sk.SGDRegressor(random_state=1)
    for i in range(0, 400, 100):
        ours.partial_fit(Xr[i:i + 100], yr[i:i + 100])
        theirs.partial_fit(Xr[i:i + 100], yr[i:i + 100])
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10)
    ours, theirs = _fit_both("SGDRegressor", Xr, yr, random_state=2, max_iter=3,
                             warm_start=True)
    ours.fit(Xr, yr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(Xr, yr)
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10)


def test_float32_and_errors():
    X, y = _scaled(load_breast_cancer)
    ours, theirs = _fit_both("SGDClassifier", X.astype(np.float32), y, random_state=0)
    assert ours.coef_.dtype == theirs.coef_.dtype == np.float32
    assert_array_equal(ours.predict(X), theirs.predict(X))
    with pytest.warns(ConvergenceWarning, match="Maximum number of iteration"):
        fm.SGDRegressor(max_iter=1).fit(X, y)
    for call in [
        lambda m: m.SGDClassifier().fit(X, np.zeros_like(y)),
        lambda m: m.SGDClassifier(alpha=-1).fit(X, y),
        lambda m: m.SGDClassifier(learning_rate="optimal", alpha=0).fit(X, y),
        lambda m: m.SGDRegressor(loss="hinge").fit(X, y),
        lambda m: m.SGDRegressor().fit(np.where(X > 1, np.nan, X), y),
        lambda m: m.SGDClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1]),
        lambda m: m.SGDClassifier().partial_fit(X, y),
        lambda m: m.SGDRegressor(eta0=1e10, learning_rate="constant").fit(X * 1e200, y),
    ]:
        with pytest.raises(Exception) as theirs_exc:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                call(sk)
        with pytest.raises(type(theirs_exc.value)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                call(fm)
    with pytest.raises(ValueError, match="averaged SGD"):
        fm.SGDRegressor(average=True).fit(X, y)
    with pytest.raises(NotFittedError):
        fm.Perceptron().predict(X)
    est = fm.SGDClassifier(random_state=0).fit(X, y)
    assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))
