"""Classification and ranking metrics equal scikit-learn's (1e-12) on the same inputs."""

import warnings
from functools import lru_cache

import numpy as np
import pytest
import sklearn.metrics as skm
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression as SkLogReg
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import fastml.metrics as fm

RTOL = 1e-12


def _same(ours, theirs):
    if theirs is None:
        assert ours is None
    elif isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert_allclose(ours, theirs, rtol=RTOL, atol=1e-15)
        assert np.shape(ours) == np.shape(theirs)


def _both(name, *args, **kwargs):
    with warnings.catch_warnings(record=True) as w_sk:
        warnings.simplefilter("always")
        theirs = getattr(skm, name)(*args, **kwargs)
    with warnings.catch_warnings(record=True) as w_fm:
        warnings.simplefilter("always")
        ours = getattr(fm, name)(*args, **kwargs)
    assert [type(w.message) for w in w_fm] == [type(w.message) for w in w_sk]
    _same(ours, theirs)
    return ours


@lru_cache(maxsize=None)
def _fitted_predictions(loader, seed=0):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.RandomState(seed)
    X = X + rng.normal(scale=2.0, size=X.shape)  # imperfect predictions on purpose
    with threadpool_limits(limits=1, user_api="blas"):  # tiny fit: threads only cost
        clf = SkLogReg(max_iter=500).fit(X, y)
    return y, clf.predict(X), clf.predict_proba(X)


DATASETS = [load_iris, load_wine, load_breast_cancer, load_digits]


@pytest.mark.parametrize("loader", DATASETS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("weighted", [False, True])
def test_set_metrics_match_sklearn_on_real_data(loader, weighted):
    y, pred, proba = _fitted_predictions(loader)
    sw = np.random.RandomState(1).uniform(0.1, 2.0, y.shape[0]) if weighted else None
    binary = len(np.unique(y)) == 2
    averages = [None, "micro", "macro", "weighted"] + (["binary"] if binary else [])
    _both("accuracy_score", y, pred, sample_weight=sw)
    _both("accuracy_score", y, pred, sample_weight=sw, normalize=False)
    _both("confusion_matrix", y, pred, sample_weight=sw)
    for norm in ("true", "pred", "all"):
        _both("confusion_matrix", y, pred, sample_weight=sw, normalize=norm)
    _both("multilabel_confusion_matrix", y, pred, sample_weight=sw)
    for average in averages:
        for name in ("precision_score", "recall_score", "f1_score"):
            _both(name, y, pred, average=average, sample_weight=sw)
        _both("fbeta_score", y, pred, beta=0.5, average=average, sample_weight=sw)
        _both("precision_recall_fscore_support", y, pred, beta=2.0, average=average,
              sample_weight=sw)
    _both("log_loss", y, proba, sample_weight=sw)
    _both("log_loss", y, proba, sample_weight=sw, normalize=False)
    if binary:
        _both("roc_auc_score", y, proba[:, 1], sample_weight=sw)
        _both("roc_auc_score", y, proba[:, 1], sample_weight=sw, max_fpr=0.3)
        _both("average_precision_score", y, proba[:, 1], sample_weight=sw)
        _both("roc_curve", y, proba[:, 1], sample_weight=sw)
        _both("roc_curve", y, proba[:, 1], sample_weight=sw, drop_intermediate=False)
        _both("precision_recall_curve", y, proba[:, 1], sample_weight=sw)
        _both("precision_recall_curve", y, proba[:, 1], sample_weight=sw,
              drop_intermediate=True)
        _both("log_loss", y, proba[:, 1], sample_weight=sw)
    else:
        for average in ("macro", "weighted", None, "micro"):
            _both("roc_auc_score", y, proba, multi_class="ovr", average=average,
                  sample_weight=sw)
            _both("average_precision_score", y, proba, average=average, sample_weight=sw)
        if not weighted:
            for average in ("macro", "weighted"):
                _both("roc_auc_score", y, proba, multi_class="ovo", average=average)


def test_labels_and_pos_label_string_targets():
    rng = np.random.RandomState(0)
    y = rng.choice(["cat", "dog", "eel"], 200)
    pred = np.where(rng.rand(200) < 0.7, y, rng.choice(["cat", "dog", "eel", "fox"], 200))
    for labels in (["dog", "cat"], ["eel", "fox", "cat"], ["fox", "dog", "eel", "cat"]):
        _both("confusion_matrix", y, pred, labels=labels)
        _both("multilabel_confusion_matrix", y, pred, labels=labels)
        for average in (None, "micro", "macro", "weighted"):
            _both("precision_recall_fscore_support", y, pred, labels=labels, average=average)
    yb, pb = y[y != "eel"], pred[y != "eel"]
    pb = np.where(pb == "dog", "dog", "cat")
    _both("f1_score", yb, pb, pos_label="dog")
    _both("precision_score", yb, pb, pos_label="cat")
    score = rng.rand(yb.shape[0])
    _both("roc_curve", yb, score, pos_label="dog")
    _both("precision_recall_curve", yb, score, pos_label="cat")
    _both("average_precision_score", yb, score, pos_label="dog")


def test_multilabel_indicator():
    rng = np.random.RandomState(3)
    y = rng.randint(0, 2, (100, 4))
    pred = np.where(rng.rand(100, 4) < 0.8, y, 1 - y)
    score = rng.rand(100, 4)
    sw = rng.rand(100)
    _both("accuracy_score", y, pred)
    _both("multilabel_confusion_matrix", y, pred, sample_weight=sw)
    _both("multilabel_confusion_matrix", y, pred, samplewise=True)
    for average in (None, "micro", "macro", "weighted", "samples"):
        _both("precision_recall_fscore_support", y, pred, average=average, sample_weight=sw)
        _both("roc_auc_score", y, score, average=average, sample_weight=sw)
        _both("average_precision_score", y, score, average=average)


def test_zero_division_and_ties():
    y = np.array([0, 0, 0, 1, 1, 2])
    pred = np.array([0, 0, 0, 0, 0, 0])
    for zd in ("warn", 0.0, 1.0, np.nan):
        _both("precision_recall_fscore_support", y, pred, average=None, zero_division=zd)
        _both("f1_score", y, pred, average="macro", zero_division=zd)
    scores = np.array([0.5, 0.5, 0.5, 0.2, 0.9, 0.2, 0.5])
    yt = np.array([0, 1, 1, 0, 1, 0, 0])
    _both("roc_curve", yt, scores)
    _both("roc_auc_score", yt, scores)
    _both("precision_recall_curve", yt, scores)
    _both("average_precision_score", yt, scores)
    # integer scores and integer sample weights
    _both("roc_curve", yt, (scores * 10).astype(int), sample_weight=[1, 2, 0, 1, 3, 1, 1])
    _both("confusion_matrix", yt, yt[::-1], sample_weight=[1, 2, 0, 1, 3, 1, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(6))
def test_unweighted_curves_equal_sklearn_exactly_with_ties(dtype, seed):
    # Unweighted curves come from two value sorts and a merge (not a stable
    # argsort): with many tied scores, +-0.0 and one class rare, every array
    # must still equal scikit-learn's bit for bit, dtype included.
    rng = np.random.RandomState(seed)
    n = rng.randint(2, 400)
    y = (rng.rand(n) < rng.choice([0.02, 0.5])).astype(int)
    y[:2] = [0, 1]
    scores = (rng.randint(-4, rng.randint(1, 9), n) * rng.choice([0.25, 1e-3])).astype(dtype)
    scores[rng.rand(n) < 0.2] = -0.0
    for name, kw in [("roc_curve", {}), ("roc_curve", {"drop_intermediate": False}),
                     ("precision_recall_curve", {})]:
        ours, theirs = getattr(fm, name)(y, scores, **kw), getattr(skm, name)(y, scores, **kw)
        for a, b in zip(ours, theirs):
            assert a.dtype == b.dtype
            assert_array_equal(a, b)
    assert fm.roc_auc_score(y, scores) == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-12)
    assert fm.average_precision_score(y, scores) == pytest.approx(
        skm.average_precision_score(y, scores), abs=1e-12)


def test_binary_roc_auc_label_checks_match_sklearn():
    # roc_auc_score reads 0/1 columns' classes from min/max: every other label
    # set must still take scikit-learn's route (warning, error or result)
    rng = np.random.RandomState(0)
    y, s = rng.randint(0, 2, 40), rng.rand(40)
    _both("roc_auc_score", y, s)
    _both("roc_auc_score", y + 1, s)
    _both("roc_auc_score", np.where(y, "b", "a"), s)
    _both("roc_auc_score", y.astype(bool), s)
    _both("roc_auc_score", np.zeros(40, dtype=int), s)
    _both("roc_auc_score", rng.randint(0, 2, (40, 3)), rng.rand(40, 3), average=None)
    for y_bad in (rng.randint(0, 2, (40, 3)) * 2,):
        with pytest.raises(ValueError):
            skm.roc_auc_score(y_bad, rng.rand(40, 3))
        with pytest.raises(ValueError):
            fm.roc_auc_score(y_bad, rng.rand(40, 3))


def test_degenerate_curves_warn_like_sklearn():
    _both("roc_curve", [1, 1, 1], [0.1, 0.5, 0.3])
    _both("precision_recall_curve", [0, 0, 0], [0.1, 0.5, 0.3], pos_label=1)
    _both("roc_auc_score", np.array([[1, 0], [1, 1], [1, 0]]), np.random.rand(3, 2))
    _both("confusion_matrix", [1, 1], [1, 1])


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.accuracy_score([0, 1], [0, 1, 1]),
        lambda m: m.accuracy_score([0.5, 1.2], [0, 1]),
        lambda m: m.accuracy_score([0, 1, 2], [[0, 1], [1, 0], [1, 1]]),
        lambda m: m.f1_score([0, 1, 2], [0, 1, 1]),
        lambda m: m.f1_score([0, 1, 1], [0, 1, 1], average="bogus"),
        lambda m: m.f1_score([0, 1, 1], [0, 1, 1], pos_label=3),
        lambda m: m.precision_score([0, 1], [0, 1], zero_division=2),
        lambda m: m.confusion_matrix([0, 1], [0, 1], labels=[]),
        lambda m: m.confusion_matrix([0, 1], [0, 1], labels=[5]),
        lambda m: m.log_loss([0, 1, 2], [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]),
        lambda m: m.log_loss([1, 1], [0.5, 0.5]),
        lambda m: m.log_loss([0, 1], [1.5, 0.5]),
        lambda m: m.roc_auc_score([0, 1, 2], np.full((3, 3), 1 / 3)),
        lambda m: m.roc_auc_score([0, 1, 2], np.full((3, 3), 1 / 3), multi_class="ovo",
                                  sample_weight=[1, 1, 1]),
        lambda m: m.roc_curve([0, 1, 2], [0.1, 0.2, 0.3]),
        lambda m: m.roc_curve([0, 1], [0.1, np.nan]),
        lambda m: m.average_precision_score([0, 1, 2], np.array([0.1, 0.2, 0.3])),
        lambda m: m.roc_auc_score([0, 1], [0.1, 0.2], max_fpr=0),
    ],
)
def test_bad_input_raises_sklearn_exception(call):
    with pytest.raises(Exception) as theirs:
        call(skm)
    with pytest.raises(type(theirs.value)):
        call(fm)


def test_confusion_matrix_hypothesis_like_random_labels(global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    for n, k in [(1, 1), (7, 3), (300, 12)]:
        y, p = rng.randint(-3, k, n), rng.randint(-3, k, n)
        sw = rng.randint(1, 4, n)
        _both("confusion_matrix", y, p)
        _both("confusion_matrix", y, p, sample_weight=sw)
        _both("confusion_matrix", y, p, labels=np.unique(y)[::-1])
