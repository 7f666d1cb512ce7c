"""fastml.tree against sklearn.tree: same trees, same predictions, same errors."""

import pickle

import numpy as np
import pytest
import sklearn.tree as skt
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_regression,
)
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastml.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)
from fastml.tree._binning import bin_features
from fastml.utils._testing import sklearn_xfails

CLF_DATA = {
    "iris": load_iris(return_X_y=True),
    "wine": load_wine(return_X_y=True),
    "breast_cancer": load_breast_cancer(return_X_y=True),
    "digits": load_digits(return_X_y=True),
    "generated": make_classification(600, 12, n_informative=6, n_classes=3, random_state=0),
}
REG_DATA = {
    "diabetes": load_diabetes(return_X_y=True),
    "generated": make_regression(500, 8, noise=5.0, random_state=0),
}


def assert_same_tree(ours, theirs, rtol=1e-7):
    a, b = ours.tree_, theirs.tree_
    assert a.node_count == b.node_count
    assert a.max_depth == b.max_depth
    assert_array_equal(a.children_left, b.children_left)
    assert_array_equal(a.children_right, b.children_right)
    assert_array_equal(a.feature, b.feature)
    assert_array_equal(a.threshold, b.threshold)
    assert_array_equal(a.n_node_samples, b.n_node_samples)
    assert_allclose(a.weighted_n_node_samples, b.weighted_n_node_samples, rtol=rtol)
    assert_allclose(a.value, b.value, rtol=rtol, atol=1e-12)
    assert_allclose(a.impurity, b.impurity, rtol=rtol, atol=1e-12)
    assert_array_equal(a.missing_go_to_left, b.missing_go_to_left)


CLF_PARAMS = [
    {},
    {"criterion": "entropy"},
    {"criterion": "log_loss", "max_depth": 4},
    {"splitter": "random"},
    {"max_features": "sqrt"},
    {"max_features": 0.5, "min_samples_leaf": 3},
    {"max_leaf_nodes": 15},
    {"min_samples_split": 0.05, "min_impurity_decrease": 0.001},
    {"min_weight_fraction_leaf": 0.02},
    {"class_weight": {0: 1, 1: 3}},
    {"ccp_alpha": 0.01},
]


@pytest.mark.parametrize("data", list(CLF_DATA))
@pytest.mark.parametrize("params", CLF_PARAMS, ids=str)
def test_classifier_grows_sklearns_tree(data, params, global_random_seed):
    X, y = CLF_DATA[data]
    kw = dict(params, random_state=global_random_seed)
    ours = DecisionTreeClassifier(**kw).fit(X, y)
    theirs = skt.DecisionTreeClassifier(**kw).fit(X, y)
    assert_same_tree(ours, theirs)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    assert_array_equal(ours.apply(X), theirs.apply(X))
    assert_allclose(ours.feature_importances_, theirs.feature_importances_, atol=1e-12)
    assert ours.get_depth() == theirs.get_depth()
    assert ours.get_n_leaves() == theirs.get_n_leaves()
    assert ours.max_features_ == theirs.max_features_


REG_PARAMS = [
    {},
    {"criterion": "absolute_error"},
    {"criterion": "absolute_error", "splitter": "random", "max_depth": 6},
    {"criterion": "absolute_error", "max_leaf_nodes": 12},
    {"splitter": "random"},
    {"max_features": 3, "min_samples_leaf": 2},
    {"max_leaf_nodes": 25},
    {"max_depth": 5, "min_impurity_decrease": 1.0},
    {"ccp_alpha": 5.0},
]


@pytest.mark.parametrize("data", list(REG_DATA))
@pytest.mark.parametrize("params", REG_PARAMS, ids=str)
def test_regressor_grows_sklearns_tree(data, params, global_random_seed):
    X, y = REG_DATA[data]
    kw = dict(params, random_state=global_random_seed)
    ours = DecisionTreeRegressor(**kw).fit(X, y)
    theirs = skt.DecisionTreeRegressor(**kw).fit(X, y)
    assert_same_tree(ours, theirs)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7)
    assert_allclose(ours.feature_importances_, theirs.feature_importances_, rtol=1e-6, atol=1e-12)


def test_friedman_mse_maps_to_squared_error_as_sklearn():
    X, y = REG_DATA["diabetes"]
    with pytest.warns(FutureWarning, match="friedman_mse"):
        ours = DecisionTreeRegressor(criterion="friedman_mse", random_state=0)
    assert ours.criterion == "squared_error"
    assert_same_tree(ours.fit(X, y), skt.DecisionTreeRegressor(random_state=0).fit(X, y))


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.parametrize("Est, SkEst, make", [
    (DecisionTreeClassifier, skt.DecisionTreeClassifier,
     lambda r: (r.rand(150, 4), r.randint(0, 3, (150, 3)))),
    (DecisionTreeRegressor, skt.DecisionTreeRegressor,
     lambda r: (r.rand(150, 4), r.rand(150, 2))),
])
@pytest.mark.parametrize("params", [{}, {"criterion": "absolute_error"}], ids=str)
def test_multi_output(Est, SkEst, make, params):
    if Est is DecisionTreeClassifier and params:
        params = {"criterion": "entropy"}
    X, y = make(np.random.RandomState(0))
    ours = Est(random_state=0, **params).fit(X, y)
    theirs = SkEst(random_state=0, **params).fit(X, y)
    assert_same_tree(ours, theirs)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    if Est is DecisionTreeClassifier:
        for p, q in zip(ours.predict_proba(X), theirs.predict_proba(X)):
            assert_allclose(p, q)
        for p, q in zip(ours.predict_log_proba(X), theirs.predict_log_proba(X)):
            assert_allclose(p, q)


@pytest.mark.parametrize("Est, SkEst, data", [
    (DecisionTreeClassifier, skt.DecisionTreeClassifier, CLF_DATA["wine"]),
    (DecisionTreeRegressor, skt.DecisionTreeRegressor, REG_DATA["diabetes"]),
])
def test_sample_weight_and_float32_input(Est, SkEst, data):
    X, y = data
    w = np.random.RandomState(0).randint(0, 4, X.shape[0]).astype(float)
    ours = Est(random_state=0).fit(X.astype(np.float32), y, sample_weight=w)
    theirs = SkEst(random_state=0).fit(X, y, sample_weight=w)
    assert_same_tree(ours, theirs)
    # zero weight rows take no part: same as dropping them
    assert ours.tree_.n_node_samples[0] == np.count_nonzero(w)


@pytest.mark.parametrize("data", ["wine", "breast_cancer"])
def test_balanced_class_weight_predicts_as_sklearn(data):
    # Non-integer weights: sums round in sample order, which differs from
    # sklearn's (it re-sorts every node), so sklearn may split a node whose
    # impurity is rounding noise (~1e-16): predictions stay the same.
    X, y = CLF_DATA[data]
    ours = DecisionTreeClassifier(class_weight="balanced", random_state=0).fit(X, y)
    theirs = skt.DecisionTreeClassifier(class_weight="balanced", random_state=0).fit(X, y)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    assert_array_equal(ours.tree_.feature[:5], theirs.tree_.feature[:5])


def test_negative_sample_weights_accepted_as_sklearn():
    X, y = CLF_DATA["iris"]
    w = -np.ones(X.shape[0])
    ours = DecisionTreeClassifier(random_state=0).fit(X, y, sample_weight=w)
    theirs = skt.DecisionTreeClassifier(random_state=0).fit(X, y, sample_weight=w)
    assert_same_tree(ours, theirs)


def test_awkward_shapes():
    rng = np.random.RandomState(0)
    # duplicated rows, constant columns, tiny and wide
    X = np.repeat(rng.rand(20, 5), 3, axis=0)
    X[:, 2] = 1.0
    y = rng.randint(0, 2, X.shape[0])
    for Xi, yi in [(X, y), (rng.rand(3, 50), [0, 1, 1]), (rng.rand(1, 2), [4])]:
        ours = DecisionTreeClassifier(random_state=0).fit(Xi, yi)
        theirs = skt.DecisionTreeClassifier(random_state=0).fit(Xi, yi)
        assert_same_tree(ours, theirs)


def test_decision_path_matches_sklearn():
    X, y = CLF_DATA["breast_cancer"]
    ours = DecisionTreeClassifier(random_state=0).fit(X, y)
    theirs = skt.DecisionTreeClassifier(random_state=0).fit(X, y)
    assert_array_equal(ours.decision_path(X).toarray(), theirs.decision_path(X).toarray())
    assert_array_equal(ours.tree_.compute_node_depths(), theirs.tree_.compute_node_depths())


@pytest.mark.parametrize("Est, SkEst, data", [
    (DecisionTreeClassifier, skt.DecisionTreeClassifier, CLF_DATA["breast_cancer"]),
    (DecisionTreeRegressor, skt.DecisionTreeRegressor, REG_DATA["diabetes"]),
])
def test_cost_complexity_pruning_path(Est, SkEst, data):
    X, y = data
    ours = Est(random_state=0).cost_complexity_pruning_path(X, y)
    theirs = SkEst(random_state=0).cost_complexity_pruning_path(X, y)
    assert_allclose(ours.ccp_alphas, theirs.ccp_alphas, rtol=1e-7, atol=1e-14)
    assert_allclose(ours.impurities, theirs.impurities, rtol=1e-7, atol=1e-14)
    alpha = ours.ccp_alphas[len(ours.ccp_alphas) // 2]
    assert_same_tree(Est(random_state=0, ccp_alpha=alpha).fit(X, y),
                     SkEst(random_state=0, ccp_alpha=alpha).fit(X, y))


def test_export_text_and_plot_tree_read_our_tree():
    X, y = CLF_DATA["iris"]
    names = list(load_iris().feature_names)
    for Est, SkEst, yy in [(DecisionTreeClassifier, skt.DecisionTreeClassifier, y),
                           (DecisionTreeRegressor, skt.DecisionTreeRegressor, y * 1.5)]:
        ours = Est(max_depth=3, random_state=0).fit(X, yy)
        theirs = SkEst(max_depth=3, random_state=0).fit(X, yy)
        assert skt.export_text(ours, feature_names=names, show_weights=True) == \
            skt.export_text(theirs, feature_names=names, show_weights=True)
        assert skt.export_graphviz(ours) == skt.export_graphviz(theirs)
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    texts = [a.get_text() for a in skt.plot_tree(ours, ax=ax)]
    plt.close(fig)
    fig, ax = plt.subplots()
    ref = [a.get_text() for a in skt.plot_tree(theirs, ax=ax)]
    plt.close(fig)
    assert texts == ref


@pytest.mark.parametrize("splitter", ["best", "random", "hist"])
@pytest.mark.parametrize("Est, SkEst, data, metric", [
    (DecisionTreeClassifier, skt.DecisionTreeClassifier, "breast_cancer", "accuracy"),
    (DecisionTreeClassifier, skt.DecisionTreeClassifier, "digits", "accuracy"),
    (DecisionTreeRegressor, skt.DecisionTreeRegressor, "diabetes", "r2"),
])
def test_random_features_quality_within_one_percent(splitter, Est, SkEst, data, metric):
    X, y = (CLF_DATA if data in CLF_DATA else REG_DATA)[data]
    ours_scores, their_scores = [], []
    for seed in range(10):
        Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=seed)
        kw = dict(max_features="sqrt", random_state=seed,
                  max_depth=4 if metric == "r2" else None)
        ours_scores.append(Est(splitter=splitter, **kw).fit(Xtr, ytr).score(Xte, yte))
        their_scores.append(SkEst(splitter="random" if splitter == "random" else "best",
                                  **kw).fit(Xtr, ytr).score(Xte, yte))
    # hist is compared with sklearn's exact splitter (sklearn has no hist tree)
    assert np.mean(ours_scores) >= np.mean(their_scores) - 0.01 * abs(np.mean(their_scores))


def test_hist_splitter_equals_exact_when_features_fit_in_bins():
    # digits has <= 17 distinct values per feature: one bin per value, and
    # bin edges are the exact splitter's midpoints, so the trees coincide.
    X, y = CLF_DATA["digits"]
    ours = DecisionTreeClassifier(splitter="hist", random_state=0).fit(X, y)
    exact = DecisionTreeClassifier(random_state=0).fit(X, y)
    assert_same_tree(ours, exact)
    Xr, yr = REG_DATA["diabetes"]
    Xr = np.round(Xr, 2)  # <= 255 distinct values per feature
    ours = DecisionTreeRegressor(splitter="hist", random_state=0, max_depth=6).fit(Xr, yr)
    exact = DecisionTreeRegressor(random_state=0, max_depth=6).fit(Xr, yr)
    assert_same_tree(ours, exact, rtol=1e-6)


def test_hist_splitter_fits_training_data_on_many_distinct_values():
    X, y = make_classification(3000, 10, random_state=0)
    clf = DecisionTreeClassifier(splitter="hist", random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.97
    assert clf.tree_.threshold[clf.tree_.children_left > 0].size > 0


def test_bin_features():
    rng = np.random.RandomState(0)
    X = np.c_[rng.rand(1000), rng.randint(0, 5, 1000), np.ones(1000)].astype(np.float32)
    b = bin_features(X, max_bins=16)
    assert b.codes.shape == (3, 1000) and b.codes.dtype == np.uint8
    assert_array_equal(b.n_bins, [16, 5, 1])
    for f in range(3):
        thr = b.thresholds[f]
        codes = b.codes[f].astype(int)
        # x <= thresholds[code] and x > thresholds[code - 1]
        assert np.all(X[:, f] <= thr[codes])
        assert np.all((codes == 0) | (X[:, f] > thr[np.maximum(codes - 1, 0)]))
    with pytest.raises(ValueError, match="max_bins"):
        bin_features(X, max_bins=256)


def test_internal_api_for_ensembles_gives_the_same_tree():
    X, y = make_classification(400, 6, random_state=0)
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    w = np.random.RandomState(1).poisson(1.0, X.shape[0]).astype(float)  # a bootstrap
    ref = DecisionTreeClassifier(max_features=2, random_state=3).fit(X, y, sample_weight=w)
    order = np.argsort(X32.T, axis=1, kind="stable").astype(np.int32)
    t = DecisionTreeClassifier(max_features=2, random_state=3)._fit(
        X32, y.astype(np.float64), w, check_input=False, order=order, n_threads=1)
    assert_same_tree(t, ref)
    binned = bin_features(X32)
    h1 = DecisionTreeClassifier(splitter="hist", random_state=3).fit(X, y, sample_weight=w)
    h2 = DecisionTreeClassifier(splitter="hist", random_state=3)._fit(
        X32, y, w, check_input=False, binned=binned, n_threads=1)
    assert_same_tree(h1, h2)


@pytest.mark.parametrize("splitter", ["best", "random", "hist"])
def test_pickle_round_trip(splitter):
    X, y = CLF_DATA["wine"]
    clf = DecisionTreeClassifier(splitter=splitter, random_state=0).fit(X, y)
    clf2 = pickle.loads(pickle.dumps(clf))
    assert_array_equal(clf.predict_proba(X), clf2.predict_proba(X))
    assert_array_equal(clf.apply(X), clf2.apply(X))


def test_threads_do_not_change_the_tree():
    X, y = make_classification(20000, 8, random_state=0)
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    for splitter in ["best", "hist"]:
        a = DecisionTreeClassifier(splitter=splitter, random_state=0)._fit(X32, y, n_threads=1)
        b = DecisionTreeClassifier(splitter=splitter, random_state=0)._fit(X32, y, n_threads=2)
        assert_same_tree(a, b)


def test_bad_input_raises_sklearns_errors():
    X, y = CLF_DATA["iris"]
    clf = DecisionTreeClassifier()
    with pytest.raises(NotFittedError):
        clf.predict(X)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN.*splitter='hist'"):
        DecisionTreeClassifier(splitter="hist").fit(Xn, y)
    with pytest.raises(ValueError, match="inf"):
        clf.fit(np.where(Xn != Xn, np.inf, Xn), y)
    with pytest.raises(ValueError, match="2D array"):
        clf.fit(X[:, 0], y)
    with pytest.raises(ValueError, match="Number of labels"):
        clf.fit(X, y[:-1])
    with pytest.raises(ValueError, match="0 sample"):
        clf.fit(X[:0], y[:0])
    with pytest.raises(InvalidParameterError, match="criterion"):
        DecisionTreeClassifier(criterion="squared_error").fit(X, y)
    with pytest.raises(InvalidParameterError, match="criterion"):
        DecisionTreeRegressor(criterion="gini").fit(X, y)
    with pytest.raises(InvalidParameterError, match="max_depth"):
        DecisionTreeClassifier(max_depth=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="splitter"):
        DecisionTreeClassifier(splitter="fast").fit(X, y)
    with pytest.raises(ValueError, match="non-zero"):
        clf.fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, y + 0.5)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="inf"):
        clf.predict(np.where(Xn != Xn, np.inf, Xn))
    with pytest.raises(ValueError, match="NaN"):
        DecisionTreeClassifier(splitter="hist").fit(X, y).predict(Xn)
    with pytest.raises(NotImplementedError, match="hist"):
        DecisionTreeRegressor(criterion="absolute_error", splitter="hist").fit(X, y)
    with pytest.raises(TypeError, match="[Ss]parse"):
        import scipy.sparse as sp
        clf.fit(sp.csr_matrix(X), y)


@parametrize_with_checks(
    [DecisionTreeClassifier(), DecisionTreeRegressor(),
     DecisionTreeClassifier(splitter="hist"), DecisionTreeRegressor(splitter="random"),
     ExtraTreeClassifier(), ExtraTreeRegressor()],
    expected_failed_checks=sklearn_xfails,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 40),
    d=st.integers(1, 5),
    classification=st.booleans(),
    splitter=st.sampled_from(["best", "random"]),
    max_features=st.sampled_from([None, 1, "sqrt"]),
    seed=st.integers(0, 2**31 - 2),
)
def test_any_small_input_grows_sklearns_tree(data, n, d, classification, splitter,
                                             max_features, seed):
    # Few distinct values: duplicated rows and tied candidates everywhere.
    X = data.draw(arrays(np.float64, (n, d), elements=st.sampled_from([-1.5, 0.0, 0.25, 3.0])))
    y = data.draw(arrays(np.int64, n, elements=st.integers(0, 2)))
    w = data.draw(arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0, 2.0, 5.0])))
    if not w.any():
        w[0] = 1.0
    kw = dict(splitter=splitter, max_features=max_features, random_state=seed)
    Est, SkEst = ((DecisionTreeClassifier, skt.DecisionTreeClassifier) if classification
                  else (DecisionTreeRegressor, skt.DecisionTreeRegressor))
    ours = Est(**kw).fit(X, y, sample_weight=w)
    theirs = SkEst(**kw).fit(X, y, sample_weight=w)
    assert_same_tree(ours, theirs)
    hist = Est(splitter="hist", random_state=seed).fit(X, y, sample_weight=w)
    assert_array_equal(hist.apply(X) >= 0, True)  # any input: a valid tree


# ---------------------------------------------------------------- missing values
# NaN in X as scikit-learn 1.9: the same trees (node for node, thresholds,
# missing_go_to_left) with the exact and the random splitter, the same routing
# at predict time; tests after sklearn/tree/tests/test_tree.py's test_missing_*.

def _with_nan(X, frac, seed):
    X = np.array(X, dtype=np.float64)
    X[np.random.RandomState(seed).rand(*X.shape) < frac] = np.nan
    return X


def assert_same_predictions(ours, theirs, X):
    assert_array_equal(ours.apply(X), theirs.apply(X))
    assert_array_equal((ours.decision_path(X) != theirs.decision_path(X)).nnz, 0)
    if hasattr(theirs, "predict_proba"):
        assert_array_equal(ours.predict(X), theirs.predict(X))
        assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    else:
        assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7)


NAN_CLF_PARAMS = [
    {},
    {"criterion": "entropy", "max_depth": 5},
    {"splitter": "random"},
    {"max_features": "sqrt"},
    {"max_leaf_nodes": 15},
    {"min_samples_leaf": 3, "class_weight": "balanced"},
    {"ccp_alpha": 0.01},
]
NAN_REG_PARAMS = [
    {},
    {"criterion": "absolute_error"},
    {"criterion": "absolute_error", "splitter": "random", "max_depth": 6},
    {"splitter": "random"},
    {"max_features": 3, "min_samples_leaf": 2},
    {"max_leaf_nodes": 25},
]


@pytest.mark.parametrize("frac", [0.1, 0.3])
@pytest.mark.parametrize("data", ["iris", "wine", "breast_cancer", "generated"])
@pytest.mark.parametrize("params", NAN_CLF_PARAMS, ids=str)
def test_classifier_with_nan_grows_sklearns_tree(data, params, frac, global_random_seed):
    X, y = CLF_DATA[data]
    X = _with_nan(X, frac, global_random_seed)
    kw = dict(params, random_state=global_random_seed)
    ours = DecisionTreeClassifier(**kw).fit(X, y)
    theirs = skt.DecisionTreeClassifier(**kw).fit(X, y)
    assert_same_tree(ours, theirs)
    assert_same_predictions(ours, theirs, X)


@pytest.mark.parametrize("frac", [0.1, 0.3])
@pytest.mark.parametrize("data", list(REG_DATA))
@pytest.mark.parametrize("params", NAN_REG_PARAMS, ids=str)
def test_regressor_with_nan_grows_sklearns_tree(data, params, frac, global_random_seed):
    X, y = REG_DATA[data]
    X = _with_nan(X, frac, global_random_seed)
    kw = dict(params, random_state=global_random_seed)
    ours = DecisionTreeRegressor(**kw).fit(X, y)
    theirs = skt.DecisionTreeRegressor(**kw).fit(X, y)
    assert_same_tree(ours, theirs)
    assert_same_predictions(ours, theirs, X)


@pytest.mark.parametrize("splitter", ["best", "random"])
def test_nan_in_awkward_features_as_sklearn(splitter, global_random_seed):
    # an all-NaN feature, a constant feature with NaN (split on missingness
    # only), NaN only in one class, float32 X, weights with zeros, multi-output
    X, y = CLF_DATA["wine"]
    rng = np.random.RandomState(global_random_seed)
    X = _with_nan(X, 0.15, global_random_seed).astype(np.float32)
    X[:, 0] = np.nan
    X[:, 1] = 1.0
    X[rng.rand(len(y)) < 0.4, 1] = np.nan
    X[y == 2, 2] = np.nan
    w = rng.choice([0.0, 1.0, 2.5], size=len(y))
    kw = dict(splitter=splitter, random_state=global_random_seed)
    ours = DecisionTreeClassifier(**kw).fit(X, y, sample_weight=w)
    theirs = skt.DecisionTreeClassifier(**kw).fit(X, y, sample_weight=w)
    assert_same_tree(ours, theirs)
    assert_same_predictions(ours, theirs, X)
    Y = np.column_stack([y, X[:, 3] > 2.5])
    Yr = np.column_stack([y * 1.5, np.nan_to_num(X[:, 4])])
    for Est, SkEst, target in [(DecisionTreeClassifier, skt.DecisionTreeClassifier, Y),
                               (DecisionTreeRegressor, skt.DecisionTreeRegressor, Yr)]:
        ours, theirs = Est(**kw).fit(X, target), SkEst(**kw).fit(X, target)
        assert_same_tree(ours, theirs)
        assert_allclose(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("splitter", ["best", "random"])
def test_nan_only_at_predict_time_goes_as_sklearn(splitter):
    # a node that saw no NaN sends them to its larger child
    for (X, y), Est, SkEst in [
        (CLF_DATA["breast_cancer"], DecisionTreeClassifier, skt.DecisionTreeClassifier),
        (REG_DATA["diabetes"], DecisionTreeRegressor, skt.DecisionTreeRegressor),
    ]:
        ours = Est(splitter=splitter, random_state=0).fit(X, y)
        theirs = SkEst(splitter=splitter, random_state=0).fit(X, y)
        assert_same_tree(ours, theirs)
        assert_same_predictions(ours, theirs, _with_nan(X, 0.3, 0))


def test_extra_trees_match_sklearns_with_nan(global_random_seed):
    X, y = CLF_DATA["breast_cancer"]
    X = _with_nan(X, 0.2, global_random_seed)
    kw = dict(random_state=global_random_seed)
    ours, theirs = ExtraTreeClassifier(**kw).fit(X, y), skt.ExtraTreeClassifier(**kw).fit(X, y)
    assert_same_tree(ours, theirs)
    assert_same_predictions(ours, theirs, X)
    X, y = REG_DATA["diabetes"]
    X = _with_nan(X, 0.2, global_random_seed)
    ours, theirs = ExtraTreeRegressor(**kw).fit(X, y), skt.ExtraTreeRegressor(**kw).fit(X, y)
    assert_same_tree(ours, theirs)
    assert ours.max_features_ == theirs.max_features_
    # sklearn's tags: ExtraTree* take NaN with the random splitter only
    with pytest.raises(ValueError, match="NaN"):
        ExtraTreeRegressor(splitter="best").fit(X, y)
    ExtraTreeRegressor(splitter="best").fit(np.nan_to_num(X), y)


def test_nan_tree_exports_pickles_and_threads_as_sklearn():
    X, y = CLF_DATA["iris"]
    X = _with_nan(X, 0.3, 0)
    ours = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    theirs = skt.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    assert skt.export_text(ours) == skt.export_text(theirs)
    again = pickle.loads(pickle.dumps(ours))
    assert_array_equal(again.predict_proba(X), ours.predict_proba(X))
    Xg, yg = make_classification(20000, 8, n_informative=5, random_state=0)
    Xg = _with_nan(Xg, 0.2, 0).astype(np.float32)
    for splitter in ["best", "random"]:
        a = DecisionTreeClassifier(splitter=splitter, random_state=0)._fit(Xg, yg, n_threads=1)
        b = DecisionTreeClassifier(splitter=splitter, random_state=0)._fit(Xg, yg, n_threads=2)
        assert_same_tree(a, b)


@pytest.mark.parametrize("criterion", ["squared_error", "absolute_error"])
def test_missing_values_on_equal_nodes_no_missing(criterion):
    # sklearn's test_missing_values_best_splitter_on_equal_nodes_no_missing
    X = np.array([[0, 1, 2, 3, 8, 9, 11, 12, 15]]).T
    y = np.array([0.1, 0.2, 0.3, 0.2, 1.4, 1.4, 1.5, 1.6, 2.6])
    node_value = np.median if criterion == "absolute_error" else np.mean
    reg = DecisionTreeRegressor(random_state=42, max_depth=1, criterion=criterion).fit(X, y)
    assert_allclose(reg.predict([[np.nan]]), [node_value(y[-5:])])
    reg.fit(X[:-1], y[:-1])  # equal children: missing_go_to_left = n_left > n_right
    assert_allclose(reg.predict([[np.nan]]), [node_value(y[:-1][-4:])])
    for seed in range(3):  # ..._random_splitter_on_equal_nodes_no_missing
        etr = ExtraTreeRegressor(random_state=seed, max_depth=1, criterion=criterion).fit(X, y)
        left, right = etr.tree_.children_left[0], etr.tree_.children_right[0]
        n = etr.tree_.weighted_n_node_samples
        larger = left if n[left] > n[right] else right
        assert_allclose(etr.predict([[np.nan]]), etr.tree_.value[larger][0])


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_missing_values_best_splitter_toys(criterion):
    # sklearn's test_missing_values_best_splitter_{three_classes, to_left,
    # to_right, missing_both_classes_has_nan}
    cases = [
        (np.array([np.nan] * 4 + [0, 1, 2, 3, 8, 9, 11, 12]), [0] * 4 + [1] * 4 + [2] * 4,
         2, [np.nan, 3, 12], [0, 1, 2]),
        (np.array([np.nan] * 4 + [0, 1, 2, 3, 4, 5]), [0] * 4 + [1] * 6,
         2, [np.nan, 5, np.nan], [0, 1, 0]),
        (np.array([np.nan] * 4 + [0, 1, 2, 3, 4, 5]), [1] * 4 + [0] * 4 + [1] * 2,
         2, [np.nan, 1.2, 4.8], [1, 0, 1]),
        (np.array([1, 2, 3, 5, np.nan, 10, 20, 30, 60, np.nan]), [0] * 5 + [1] * 5,
         1, [np.nan, 2.3, 34.2], [1, 0, 1]),
    ]
    for X, y, depth, X_test, expected in cases:
        clf = DecisionTreeClassifier(random_state=42, max_depth=depth, criterion=criterion)
        clf.fit(X.reshape(-1, 1), y)
        assert_array_equal(clf.predict(np.reshape(X_test, (-1, 1))), expected)


@pytest.mark.parametrize("Tree", [DecisionTreeRegressor, ExtraTreeRegressor])
@pytest.mark.parametrize("x", [
    [np.nan, 2, np.nan, 4, 5, 6], [np.nan, np.nan, 3, 4, 5, 6],
    [1, 2, 3, 4, np.nan, np.nan], [1, 2, 3, np.nan, 6, np.nan],
])
@pytest.mark.parametrize("criterion", ["squared_error", "absolute_error"])
def test_regression_tree_missing_values_toy(Tree, x, criterion, global_random_seed):
    X, y = np.reshape(x, (-1, 1)), np.arange(1, 7)
    tree = Tree(criterion=criterion, random_state=global_random_seed).fit(X, y)
    assert (tree.tree_.impurity >= 0).all()
    if Tree is DecisionTreeRegressor:
        ref = Tree(criterion=criterion, random_state=global_random_seed).fit(y.reshape(-1, 1), y)
        assert_allclose(tree.tree_.impurity[:2], ref.tree_.impurity[:2])
    single = (tree.tree_.children_left == -1) & (tree.tree_.n_node_samples == 1)
    assert_allclose(tree.tree_.impurity[single], 0.0)


def test_missing_values_splitting_and_constant_toys():
    # sklearn's test_splitting_with_missing_values, ..._and_constant_toy and
    # test_random_splitter_missing_values_uses_non_missing_min_max
    X = np.vstack([[0, 0, 0, 0, 1, 2, 3, 4], [1, 2, 1, 2, 1, 2, 1, 2]]).T.astype(float)
    X[X == 0] = np.nan
    for i in range(20):
        tree = DecisionTreeRegressor(max_depth=1, random_state=i).fit(X, [0] * 4 + [1] * 4)
        assert_array_equal(tree.tree_.impurity, [0.25, 0.0, 0.0])
    X = np.array([[0, 0, 0, np.nan, np.nan]]).T
    clf = DecisionTreeClassifier().fit(X, [0, 0, 0, 1, 1])
    assert_array_equal(clf.predict(X), [0, 0, 0, 1, 1])
    assert clf.tree_.node_count == 3
    for X, y in [(np.array([[np.nan], [0.0], [1.0], [2.0]]), [0.0, 1.0, 2.0, 3.0]),
                 (np.array([[np.nan], [1.0], [np.nan]]), [0.0, 1.0, 0.0])]:
        tree = ExtraTreeRegressor(max_depth=1, random_state=0).fit(X, y)
        assert tree.tree_.children_left[0] != -1
        assert np.nanmin(X) <= tree.tree_.threshold[0] <= np.nanmax(X)


@pytest.mark.parametrize("Tree, expected_score", [
    (DecisionTreeClassifier, 0.85), (ExtraTreeClassifier, 0.53)])
def test_missing_value_is_predictive(Tree, expected_score, global_random_seed):
    from sklearn.model_selection import cross_val_score
    rng = np.random.RandomState(0)
    n_samples = 500
    X = rng.standard_normal(size=(n_samples, 20))
    y = np.concatenate([np.zeros(n_samples // 2), np.ones(n_samples // 2)])
    flip = rng.choice([False, True], size=n_samples, p=[0.95, 0.05])
    y_mask = y.astype(bool)
    y_mask[flip] = ~y_mask[flip]
    X[:, 5] = rng.standard_normal(size=n_samples)
    X[y_mask, 5] = np.nan
    score = cross_val_score(Tree(random_state=global_random_seed), X, y, cv=5).mean()
    assert score >= expected_score


@pytest.mark.parametrize("make_data, Tree, tolerance", [
    ("regression", DecisionTreeRegressor, 0), ("regression", ExtraTreeRegressor, 0.07),
    ("classification", DecisionTreeClassifier, 0.03),
    ("classification", ExtraTreeClassifier, 0.12),
])
def test_missing_values_is_resilience(make_data, Tree, tolerance, global_random_seed):
    # sklearn's test: native NaN handling about as good as mean imputation
    from sklearn.datasets import make_friedman1
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    X, y = make_friedman1(n_samples=5000, n_features=10, noise=1.0,
                          random_state=global_random_seed)
    if make_data == "classification":
        y = y > 14
    rng = np.random.RandomState(global_random_seed)
    X[rng.choice([False, True], size=X.shape, p=[0.9, 0.1])] = np.nan
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=global_random_seed)
    native = Tree(max_depth=10, random_state=global_random_seed).fit(Xtr, ytr)
    imputed = make_pipeline(SimpleImputer(), Tree(max_depth=10, random_state=global_random_seed))
    assert native.score(Xte, yte) + tolerance > imputed.fit(Xtr, ytr).score(Xte, yte)


@pytest.mark.parametrize("Tree", [DecisionTreeClassifier, DecisionTreeRegressor])
def test_missing_values_sample_weight_zero_is_dropping(Tree):
    # sklearn's test_sample_weight_non_uniform
    rng = np.random.RandomState(0)
    make = make_classification if Tree is DecisionTreeClassifier else make_regression
    X, y = make(n_samples=1000, n_features=10, random_state=rng)
    X[rng.choice([False, True], size=X.shape, p=[0.9, 0.1])] = np.nan
    w = np.ones(X.shape[0])
    w[::2] = 0.0
    with_w = Tree(random_state=0).fit(X, y, sample_weight=w)
    assert_allclose(Tree(random_state=0).fit(X[1::2], y[1::2]).predict(X), with_w.predict(X))


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 40),
    d=st.integers(1, 4),
    classification=st.booleans(),
    splitter=st.sampled_from(["best", "random"]),
    max_features=st.sampled_from([None, 1]),
    seed=st.integers(0, 2**31 - 2),
)
def test_any_small_input_with_nan_grows_sklearns_tree(data, n, d, classification, splitter,
                                                      max_features, seed):
    X = data.draw(arrays(np.float64, (n, d),
                         elements=st.sampled_from([np.nan, -1.5, 0.0, 0.25, 3.0])))
    y = data.draw(arrays(np.int64, n, elements=st.integers(0, 2)))
    w = data.draw(arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0, 2.0])))
    if not w.any():
        w[0] = 1.0
    kw = dict(splitter=splitter, max_features=max_features, random_state=seed)
    Est, SkEst = ((DecisionTreeClassifier, skt.DecisionTreeClassifier) if classification
                  else (DecisionTreeRegressor, skt.DecisionTreeRegressor))
    ours = Est(**kw).fit(X, y, sample_weight=w)
    theirs = SkEst(**kw).fit(X, y, sample_weight=w)
    assert_same_tree(ours, theirs)
    assert_array_equal(ours.apply(X), theirs.apply(X))
