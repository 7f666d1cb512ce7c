import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastml.neural_network import CNNClassifier
from fastml.utils._testing import sklearn_xfails

# A small network keeps the ~50 generic checks fast; the default architecture
# is exercised by the digits tests below. No check is expected to fail:
# scikit-learn has no CNN counterpart, so sklearn_xfails gives an empty dict.
_SMALL = dict(filters=(4,), hidden_layer_sizes=(16,), max_iter=15, learning_rate_init=0.01)


@parametrize_with_checks([CNNClassifier(**_SMALL, random_state=0)],
                         expected_failed_checks=sklearn_xfails)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split((X / 16).astype(np.float32), y, test_size=0.25, random_state=0,
                            stratify=y)


def test_cnn_learns_digits(digits):
    Xtr, Xte, ytr, yte = digits
    clf = CNNClassifier(input_shape=(1, 8, 8), max_iter=8, random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) > 0.93
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    proba = clf.predict_proba(Xte)
    assert proba.shape == (len(Xte), 10) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    # pickles to identical predictions
    assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(Xte), proba)


def test_cnn_accepts_4d_images(digits):
    Xtr, Xte, ytr, yte = digits
    clf = CNNClassifier(filters=(4,), max_iter=3, random_state=0)
    clf.fit(Xtr.reshape(-1, 1, 8, 8), ytr)
    flat = CNNClassifier(input_shape=(1, 8, 8), filters=(4,), max_iter=3, random_state=0)
    flat.fit(Xtr, ytr)
    assert_array_equal(clf.predict(Xte.reshape(-1, 1, 8, 8)), flat.predict(Xte))


def test_cnn_in_pipeline_and_grid_search():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), CNNClassifier(filters=(4,), max_iter=10,
                                                         random_state=0))
    grid = GridSearchCV(pipe, {"cnnclassifier__learning_rate_init": [0.003, 0.01]}, cv=2)
    grid.fit(X, y)
    assert grid.best_score_ > 0.8


def test_cnn_early_stopping_stops(digits):
    Xtr, _, ytr, _ = digits
    clf = CNNClassifier(input_shape=(1, 8, 8), filters=(4,), max_iter=200, early_stopping=True,
                        n_iter_no_change=2, learning_rate_init=0.05, random_state=0)
    clf.fit(Xtr, ytr)
    assert clf.n_iter_ < 200


def test_cnn_bad_input_shape():
    X = np.zeros((10, 12))
    y = np.arange(10) % 2
    with pytest.raises(ValueError, match="C\\*H\\*W"):
        CNNClassifier(input_shape=(1, 3, 3)).fit(X, y)
