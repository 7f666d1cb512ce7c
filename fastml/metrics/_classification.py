"""Classification metrics: accuracy, confusion matrices, precision/recall/F, log loss.

Targets are validated with scikit-learn's own checks (``_check_targets``,
``_check_set_wise_labels``), so errors and label handling match it exactly.
Counting is vectorised: labels are encoded once to 0..k-1 (``np.unique`` with
``return_inverse``, O(n log n)) and every count is one ``np.bincount``, instead
of scikit-learn's per-sample dict look-ups and sparse COO assembly.
"""

import warnings
from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.exceptions import UndefinedMetricWarning

from ..utils._sklearn import (
    Interval,
    Options,
    StrOptions,
    _check_set_wise_labels,
    _check_targets,
    _check_zero_division,
    _validate_multiclass_probabilistic_prediction,
    validate_params,
)

_ZERO_DIVISION = [Options(Real, {0.0, 1.0}), "nan", StrOptions({"warn"})]
_AVERAGE = [StrOptions({"micro", "macro", "samples", "weighted", "binary"}), None]


def _weights_or_ones(sample_weight, n):
    return np.ones(n, dtype=np.int64) if sample_weight is None else np.asarray(sample_weight)


def _encode_against(labels, *ys):
    """Map each y to indices into sorted ``labels``; values not in labels -> len(labels)."""
    order = np.argsort(labels, kind="mergesort")
    sorted_labels = labels[order]
    out = []
    for y in ys:
        pos = np.searchsorted(sorted_labels, y)
        pos_c = np.minimum(pos, len(labels) - 1)
        found = sorted_labels[pos_c] == y
        out.append(np.where(found, order[pos_c], len(labels)))
    return out


@validate_params(
    {
        "y_true": ["array-like", "sparse matrix"],
        "y_pred": ["array-like", "sparse matrix"],
        "normalize": ["boolean"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None):
    """Fraction (or count) of exactly-correct predictions, as scikit-learn's.

    Examples
    --------
    >>> from fastml.metrics import accuracy_score
    >>> accuracy_score([0, 1, 2, 3], [0, 2, 1, 3])
    0.5
    """
    y_type, _, y_true, y_pred, sample_weight = _check_targets(y_true, y_pred, sample_weight)
    if y_type.startswith("multilabel"):
        differing = np.asarray((y_true != y_pred).sum(axis=1)).ravel()
        score = differing == 0
    else:
        score = y_true == y_pred
    if normalize:
        return float(np.average(score, weights=sample_weight))
    if sample_weight is not None:
        return float(np.dot(score, sample_weight))
    return float(score.sum())


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "labels": ["array-like", None],
        "sample_weight": ["array-like", None],
        "normalize": [StrOptions({"true", "pred", "all"}), None],
    },
    prefer_skip_nested_validation=True,
)
def confusion_matrix(y_true, y_pred, *, labels=None, sample_weight=None, normalize=None):
    """Confusion matrix ``C[i, j]`` = (weighted) count of true i predicted j.

    Examples
    --------
    >>> from fastml.metrics import confusion_matrix
    >>> confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
    array([[2, 0, 0],
           [0, 0, 1],
           [1, 0, 2]])
    """
    y_type, present, y_true, y_pred, sample_weight = _check_targets(
        y_true, y_pred, sample_weight
    )
    if y_type not in ("binary", "multiclass"):
        raise ValueError("%s is not supported" % y_type)
    if labels is None:
        labels = present
    else:
        labels = np.asarray(labels)
        if labels.size == 0:
            raise ValueError("'labels' should contain at least one label.")
        if y_true.size == 0:
            return np.zeros((labels.size, labels.size), dtype=int)
        if len(np.intersect1d(y_true, labels)) == 0:
            raise ValueError("At least one label specified must be in y_true")
    sample_weight = _weights_or_ones(sample_weight, y_true.shape[0])
    k = labels.size
    t, p = _encode_against(labels, y_true, y_pred)
    keep = (t < k) & (p < k)
    if not np.all(keep):
        t, p, sample_weight = t[keep], p[keep], sample_weight[keep]
    # scikit-learn keeps integer weights' counts integral, float weights float64
    cm = np.bincount(t * k + p, weights=sample_weight, minlength=k * k).reshape(k, k)
    cm = cm.astype(np.int64 if sample_weight.dtype.kind in "iub" else np.float64)
    with np.errstate(all="ignore"):
        if normalize == "true":
            cm = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            cm = cm / cm.sum(axis=0, keepdims=True)
        elif normalize == "all":
            cm = cm / cm.sum()
        cm = np.nan_to_num(cm)
    if cm.shape == (1, 1):
        warnings.warn(
            "A single label was found in 'y_true' and 'y_pred'. For the confusion "
            "matrix to have the correct shape, use the 'labels' parameter to pass "
            "all known labels.",
            UserWarning,
        )
    return cm


@validate_params(
    {
        "y_true": ["array-like", "sparse matrix"],
        "y_pred": ["array-like", "sparse matrix"],
        "sample_weight": ["array-like", None],
        "labels": ["array-like", None],
        "samplewise": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def multilabel_confusion_matrix(
    y_true, y_pred, *, sample_weight=None, labels=None, samplewise=False
):
    """One 2x2 matrix ``[[tn, fp], [fn, tp]]`` per class (or per sample).

    Examples
    --------
    >>> from fastml.metrics import multilabel_confusion_matrix
    >>> multilabel_confusion_matrix([1, 0, 1], [1, 1, 1])[1]
    array([[0, 1],
           [0, 2]])
    """
    y_type, present, y_true, y_pred, sample_weight = _check_targets(
        y_true, y_pred, sample_weight
    )
    if labels is None:
        labels = present
        n_labels = None
    else:
        labels = np.asarray(labels)
        n_labels = labels.shape[0]
        labels = np.hstack([labels, np.setdiff1d(present, labels, assume_unique=True)])

    if y_true.ndim == 1:
        if samplewise:
            raise ValueError(
                "Samplewise metrics are not available outside of "
                "multilabel classification."
            )
        k = labels.shape[0]
        t, p = _encode_against(labels, y_true, y_pred)
        if np.any(t == k) or np.any(p == k):
            bad = np.setdiff1d(np.hstack([y_true[t == k], y_pred[p == k]]), labels)
            raise ValueError(f"y contains previously unseen labels: {bad.tolist()}")
        w = None if sample_weight is None else np.asarray(sample_weight)
        hit = t == p
        tp_sum = np.bincount(t[hit], weights=None if w is None else w[hit], minlength=k)
        pred_sum = np.bincount(p, weights=w, minlength=k)
        true_sum = np.bincount(t, weights=w, minlength=k)
        sel = slice(None) if n_labels is None else slice(0, n_labels)
        tp_sum, pred_sum, true_sum = tp_sum[sel], pred_sum[sel], true_sum[sel]
        n_total = y_true.shape[0] if w is None else w.sum()
    else:
        if labels.shape != present.shape or np.any(labels != present):
            if np.max(labels) > np.max(present):
                raise ValueError(
                    "All labels must be in [0, n labels) for multilabel targets. "
                    "Got %d > %d" % (np.max(labels), np.max(present))
                )
            if np.min(labels) < 0:
                raise ValueError(
                    "All labels must be in [0, n labels) for multilabel targets. "
                    "Got %d < 0" % np.min(labels)
                )
        if n_labels is not None:
            y_true = y_true[:, labels[:n_labels]]
            y_pred = y_pred[:, labels[:n_labels]]
        yt = sparse.csr_matrix(y_true).astype(bool).astype(np.int64)
        yp = sparse.csr_matrix(y_pred).astype(bool).astype(np.int64)
        both = yt.multiply(yp).tocsr()
        axis = 1 if samplewise else 0

        def count(m):
            if sample_weight is None:
                return np.asarray(m.sum(axis=axis)).ravel()
            w = np.asarray(sample_weight)
            if samplewise:
                return np.asarray(m.sum(axis=1)).ravel() * w
            return np.asarray(m.T @ w).ravel()

        tp_sum, pred_sum, true_sum = count(both), count(yp), count(yt)
        if samplewise:
            n_total = y_true.shape[1] if sample_weight is None else (
                np.asarray(sample_weight) * y_true.shape[1])
        else:
            n_total = y_true.shape[0] if sample_weight is None else np.sum(sample_weight)
    fp = pred_sum - tp_sum
    fn = true_sum - tp_sum
    tn = n_total - tp_sum - fp - fn
    return np.stack([tn, fp, fn, tp_sum]).T.reshape(-1, 2, 2)


def _prf_divide(numerator, denominator, metric, modifier, average, warn_for, zero_division):
    """numerator / denominator with ``zero_division`` where denominator == 0 (+ warning)."""
    mask = denominator == 0
    denominator = np.asarray(denominator, dtype=np.float64).copy()
    denominator[mask] = 1
    result = np.asarray(numerator, dtype=np.float64) / denominator
    if not np.any(mask):
        return result
    result[mask] = _check_zero_division(zero_division)
    if zero_division != "warn" or metric not in warn_for:
        return result
    axis0, axis1 = ("label", "sample") if average == "samples" else ("sample", "label")
    msg = (
        f"{metric.capitalize()} is ill-defined and being set to 0.0 {{0}} no "
        f"{modifier} {axis0}s. Use `zero_division` parameter to control this behavior."
    )
    where = "due to" if result.shape[0] == 1 else f"in {axis1}s with"
    warnings.warn(msg.format(where), UndefinedMetricWarning, stacklevel=3)
    return result


def _nanaverage(a, weights=None):
    """Average ignoring NaN; NaN if everything is NaN (as scikit-learn's)."""
    if len(a) == 0:
        return np.nan
    mask = np.isnan(a)
    if mask.all():
        return np.nan
    if weights is None:
        return np.average(a[~mask])
    weights = np.asarray(weights, dtype=np.float64)[~mask]
    if weights.sum() == 0:
        return np.average(a[~mask])  # scikit-learn falls back to the plain mean
    return np.average(a[~mask], weights=weights)


@validate_params(
    {
        "y_true": ["array-like", "sparse matrix"],
        "y_pred": ["array-like", "sparse matrix"],
        "beta": [Interval(Real, 0.0, None, closed="both")],
        "labels": ["array-like", None],
        "pos_label": [Real, str, "boolean", None],
        "average": _AVERAGE,
        "warn_for": [list, tuple, set],
        "sample_weight": ["array-like", None],
        "zero_division": _ZERO_DIVISION,
    },
    prefer_skip_nested_validation=True,
)
def precision_recall_fscore_support(
    y_true,
    y_pred,
    *,
    beta=1.0,
    labels=None,
    pos_label=1,
    average=None,
    warn_for=("precision", "recall", "f-score"),
    sample_weight=None,
    zero_division="warn",
):
    """Precision, recall, F-beta and support per class or averaged, as scikit-learn's.

    Examples
    --------
    >>> from fastml.metrics import precision_recall_fscore_support
    >>> p, r, f, s = precision_recall_fscore_support([0, 1, 1, 0], [0, 1, 0, 0])
    >>> p, r, s
    (array([0.66666667, 1.        ]), array([1. , 0.5]), array([2, 2]))
    """
    _check_zero_division(zero_division)
    labels = _check_set_wise_labels(y_true, y_pred, average, labels, pos_label)
    samplewise = average == "samples"
    mcm = multilabel_confusion_matrix(
        y_true, y_pred, sample_weight=sample_weight, labels=labels, samplewise=samplewise
    )
    tp_sum = mcm[:, 1, 1]
    pred_sum = tp_sum + mcm[:, 0, 1]
    true_sum = tp_sum + mcm[:, 1, 0]
    if average == "micro":
        tp_sum, pred_sum, true_sum = (np.array([x.sum()]) for x in (tp_sum, pred_sum, true_sum))
    beta2 = beta**2
    precision = _prf_divide(
        tp_sum, pred_sum, "precision", "predicted", average, warn_for, zero_division
    )
    recall = _prf_divide(tp_sum, true_sum, "recall", "true", average, warn_for, zero_division)
    if np.isposinf(beta):
        f_score = recall
    elif beta == 0:
        f_score = precision
    else:
        denom = beta2 * true_sum.astype(np.float64) + pred_sum.astype(np.float64)
        f_score = _prf_divide(
            (1 + beta2) * tp_sum.astype(np.float64), denom, "f-score",
            "true nor predicted", average, warn_for, zero_division,
        )
    if average is None:
        return precision, recall, f_score, true_sum
    weights = true_sum if average == "weighted" else (
        sample_weight if average == "samples" else None)
    return (
        float(_nanaverage(precision, weights)),
        float(_nanaverage(recall, weights)),
        float(_nanaverage(f_score, weights)),
        None,
    )


_PRF_PARAMS = {
    "y_true": ["array-like", "sparse matrix"],
    "y_pred": ["array-like", "sparse matrix"],
    "labels": ["array-like", None],
    "pos_label": [Real, str, "boolean", None],
    "average": _AVERAGE,
    "sample_weight": ["array-like", None],
    "zero_division": _ZERO_DIVISION,
}


@validate_params(
    {**_PRF_PARAMS, "beta": [Interval(Real, 0.0, None, closed="both")]},
    prefer_skip_nested_validation=True,
)
def fbeta_score(
    y_true, y_pred, *, beta, labels=None, pos_label=1, average="binary",
    sample_weight=None, zero_division="warn",
):
    """F-beta score: weighted harmonic mean of precision and recall.

    Examples
    --------
    >>> from fastml.metrics import fbeta_score
    >>> round(fbeta_score([0, 1, 1, 0], [0, 1, 0, 0], beta=0.5), 4)
    0.8333
    """
    _, _, f, _ = precision_recall_fscore_support(
        y_true, y_pred, beta=beta, labels=labels, pos_label=pos_label,
        average=average, warn_for=("f-score",), sample_weight=sample_weight,
        zero_division=zero_division,
    )
    return f


@validate_params(_PRF_PARAMS, prefer_skip_nested_validation=True)
def f1_score(
    y_true, y_pred, *, labels=None, pos_label=1, average="binary",
    sample_weight=None, zero_division="warn",
):
    """F1 score, the harmonic mean of precision and recall.

    Examples
    --------
    >>> from fastml.metrics import f1_score
    >>> round(f1_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average="macro"), 4)
    0.2667
    """
    return fbeta_score(
        y_true, y_pred, beta=1, labels=labels, pos_label=pos_label, average=average,
        sample_weight=sample_weight, zero_division=zero_division,
    )


@validate_params(_PRF_PARAMS, prefer_skip_nested_validation=True)
def precision_score(
    y_true, y_pred, *, labels=None, pos_label=1, average="binary",
    sample_weight=None, zero_division="warn",
):
    """Precision tp / (tp + fp).

    Examples
    --------
    >>> from fastml.metrics import precision_score
    >>> round(precision_score([0, 1, 1, 0], [1, 1, 0, 0]), 2)
    0.5
    """
    p, _, _, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        warn_for=("precision",), sample_weight=sample_weight, zero_division=zero_division,
    )
    return p


@validate_params(_PRF_PARAMS, prefer_skip_nested_validation=True)
def recall_score(
    y_true, y_pred, *, labels=None, pos_label=1, average="binary",
    sample_weight=None, zero_division="warn",
):
    """Recall tp / (tp + fn).

    Examples
    --------
    >>> from fastml.metrics import recall_score
    >>> round(recall_score([0, 1, 1, 0], [1, 1, 0, 0]), 2)
    0.5
    """
    _, r, _, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        warn_for=("recall",), sample_weight=sample_weight, zero_division=zero_division,
    )
    return r


@validate_params(
    {
        "y_true": ["array-like"],
        "y_proba": ["array-like", None],
        "normalize": ["boolean"],
        "sample_weight": ["array-like", None],
        "labels": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def log_loss(y_true, y_proba, *, normalize=True, sample_weight=None, labels=None):
    """Cross-entropy (log loss) of predicted probabilities, binary or multiclass.

    ``y_proba`` of shape (n_samples,) is the positive-class probability;
    (n_samples, n_classes) columns follow the sorted labels. Probabilities are
    clipped to [eps, 1 - eps] of their dtype, as scikit-learn does.

    Examples
    --------
    >>> from fastml.metrics import log_loss
    >>> round(log_loss(["spam", "ham", "ham", "spam"],
    ...                [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), 5)
    0.21616
    """
    from sklearn.utils import check_array

    y_proba = check_array(y_proba, ensure_2d=False, dtype=[np.float64, np.float32])
    onehot, y_proba = _validate_multiclass_probabilistic_prediction(
        y_true, y_proba, sample_weight, labels
    )
    eps = np.finfo(y_proba.dtype).eps
    y_proba = np.clip(y_proba, eps, 1 - eps)
    # one-hot rows pick exactly one log-probability per sample
    picked = np.log(y_proba[onehot.astype(bool)]) if onehot.sum(axis=1).max() == 1 else None
    if picked is not None and picked.shape[0] == y_proba.shape[0]:
        loss = -picked
    else:
        onehot = onehot.astype(y_proba.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = -np.sum(np.where(onehot != 0, onehot * np.log(y_proba), 0), axis=1)
    if normalize:
        return float(np.average(loss, weights=sample_weight))
    if sample_weight is not None:
        return float(np.dot(loss, sample_weight))
    return float(loss.sum())
