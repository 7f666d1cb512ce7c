"""Ranking metrics: ROC and precision-recall curves, ROC AUC, average precision.

One stable descending sort per curve, then cumulative sums at the distinct
thresholds (the O(n log n) sort dominates; everything else is a single
vectorised pass). Validation uses scikit-learn's own helpers so the same
inputs are accepted and rejected.
"""

import warnings
from functools import partial
from numbers import Real

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.preprocessing import label_binarize
from sklearn.utils import assert_all_finite, check_array, check_consistent_length, column_or_1d

from .._cy import _roc_counts
from ..utils._sklearn import (
    Interval,
    StrOptions,
    _check_pos_label_consistency,
    _check_sample_weight,
    _encode,
    _unique,
    type_of_target,
    validate_params,
)


def _binary_clf_curve(y_true, y_score, pos_label=None, sample_weight=None):
    """False/true positive (weighted) counts at each distinct score threshold."""
    y_type = type_of_target(y_true, input_name="y_true")
    if not (y_type == "binary" or (y_type == "multiclass" and pos_label is not None)):
        raise ValueError("{0} format is not supported".format(y_type))
    y_score = _checked_scores(y_true, y_score, sample_weight)
    y_true = column_or_1d(y_true)
    assert_all_finite(y_true)
    pos_label = _check_pos_label_consistency(pos_label, y_true)
    return _clf_counts(y_true == pos_label, y_score, sample_weight)


def _checked_scores(y_true, y_score, sample_weight):
    """y_score as a finite 1-D array of y_true's length (roc_curve's checks)."""
    check_consistent_length(y_true, y_score, sample_weight)
    y_score = column_or_1d(y_score)
    assert_all_finite(y_score)
    return y_score


def _clf_counts(is_pos, y_score, sample_weight):
    """(fps, tps, thresholds) of a validated 1-D boolean ``is_pos`` and finite ``y_score``."""
    if sample_weight is None and y_score.dtype in (np.float32, np.float64):
        return _unweighted_counts(is_pos, y_score)
    y_true = is_pos.astype(np.float64)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(column_or_1d(sample_weight), y_true)
        nonzero = sample_weight != 0
        y_true, y_score, sample_weight = y_true[nonzero], y_score[nonzero], sample_weight[nonzero]
    order = _stable_desc(y_score)
    y_score = y_score[order]
    y_true = y_true[order]
    distinct = np.flatnonzero(np.diff(y_score))
    idx = np.r_[distinct, y_true.size - 1]
    if sample_weight is None:
        tps = np.cumsum(y_true)[idx]
        fps = 1 + idx.astype(np.float64) - tps
    else:
        w = sample_weight[order].astype(np.float64)
        tps = np.cumsum(y_true * w)[idx]
        fps = np.cumsum((1 - y_true) * w)[idx]
    return fps, tps, y_score[idx]


def _unweighted_counts(is_pos, y_score):
    """(fps, tps, thresholds) of unweighted samples: two value sorts and a merge."""
    y_score = np.ascontiguousarray(y_score)
    pos = np.sort(y_score[is_pos])
    neg = np.sort(y_score[~is_pos])
    n = y_score.shape[0]
    fps, tps = np.empty(n), np.empty(n)
    thresholds = np.empty(n, dtype=y_score.dtype)
    n_out = _roc_counts.threshold_counts(pos, neg, fps, tps, thresholds)
    return fps[:n_out], tps[:n_out], thresholds[:n_out]


def _stable_desc(values):
    """Indices sorting ``values`` descending, ties kept in input order."""
    if values.dtype.kind == "f":
        return np.argsort(-values, kind="stable")
    _, inverse = np.unique(values, return_inverse=True)
    return np.argsort(-inverse.ravel(), kind="mergesort")


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "pos_label": [Real, str, "boolean", None],
        "sample_weight": ["array-like", None],
        "drop_intermediate": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def roc_curve(y_true, y_score, *, pos_label=None, sample_weight=None, drop_intermediate=True):
    """Receiver operating characteristic: (fpr, tpr, thresholds), as scikit-learn's.

    Examples
    --------
    >>> from fastml.metrics import roc_curve
    >>> fpr, tpr, thr = roc_curve([1, 1, 2, 2], [0.1, 0.4, 0.35, 0.8], pos_label=2)
    >>> fpr
    array([0. , 0. , 0.5, 0.5, 1. ])
    """
    fps, tps, thresholds = _binary_clf_curve(y_true, y_score, pos_label, sample_weight)
    return _roc_from_counts(fps, tps, thresholds, drop_intermediate)


def _roc_from_counts(fps, tps, thresholds, drop_intermediate):
    """roc_curve's (fpr, tpr, thresholds) from the counts at each threshold."""
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    tps = np.r_[0.0, tps]
    fps = np.r_[0.0, fps]
    thresholds = np.r_[np.inf, thresholds.astype(np.float64)]
    if fps[-1] <= 0:
        warnings.warn(
            "No negative samples in y_true, false positive value should be meaningless",
            UndefinedMetricWarning,
        )
        fpr = np.full(fps.shape, np.nan)
    else:
        fpr = fps / fps[-1]
    if tps[-1] <= 0:
        warnings.warn(
            "No positive samples in y_true, true positive value should be meaningless",
            UndefinedMetricWarning,
        )
        tpr = np.full(tps.shape, np.nan)
    else:
        tpr = tps / tps[-1]
    return fpr, tpr, thresholds


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "pos_label": [Real, str, "boolean", None],
        "sample_weight": ["array-like", None],
        "drop_intermediate": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def precision_recall_curve(
    y_true, y_score, *, pos_label=None, sample_weight=None, drop_intermediate=False
):
    """Precision-recall pairs for each threshold, as scikit-learn's.

    Examples
    --------
    >>> from fastml.metrics import precision_recall_curve
    >>> p, r, t = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> r
    array([1. , 1. , 0.5, 0.5, 0. ])
    """
    fps, tps, thresholds = _binary_clf_curve(y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    ps = tps + fps
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(ps != 0, tps / np.where(ps != 0, ps, 1), 0.0)
    if tps[-1] == 0:
        warnings.warn(
            "No positive class found in y_true, recall is set to one for all thresholds."
        )
        recall = np.ones_like(tps)
    else:
        recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def _auc(x, y):
    """Trapezoidal area under a monotone curve (direction detected as sklearn's auc)."""
    dx = np.diff(x)
    direction = 1
    if np.any(dx < 0):
        if np.all(dx <= 0):
            direction = -1
        else:
            raise ValueError("x is neither increasing nor decreasing : {}.".format(x))
    return float(direction * np.trapezoid(y, x))


def _average_binary_score(binary_metric, y_true, y_score, average, sample_weight=None):
    """Apply a binary metric per label column and average (as sklearn's _base helper)."""
    y_type = type_of_target(y_true)
    if y_type not in ("binary", "multilabel-indicator"):
        raise ValueError("{0} format is not supported".format(y_type))
    if y_type == "binary":
        return binary_metric(y_true, y_score, sample_weight=sample_weight)
    check_consistent_length(y_true, y_score, sample_weight)
    y_true = check_array(y_true)
    y_score = check_array(y_score)
    not_average_axis = 1
    score_weight = sample_weight
    average_weight = None
    if average == "micro":
        if score_weight is not None:
            score_weight = np.repeat(score_weight, y_true.shape[1])
        y_true = y_true.ravel()
        y_score = y_score.ravel()
    elif average == "weighted":
        if score_weight is not None:
            average_weight = np.sum(y_true * np.reshape(score_weight, (-1, 1)), axis=0)
        else:
            average_weight = np.sum(y_true, axis=0)
        if np.isclose(average_weight.sum(), 0.0):
            return 0
    elif average == "samples":
        average_weight = score_weight
        score_weight = None
        not_average_axis = 0
    if y_true.ndim == 1:
        y_true = y_true.reshape((-1, 1))
    if y_score.ndim == 1:
        y_score = y_score.reshape((-1, 1))
    n_classes = y_score.shape[not_average_axis]
    score = np.zeros((n_classes,))
    for c in range(n_classes):
        y_true_c = y_true.take([c], axis=not_average_axis).ravel()
        y_score_c = y_score.take([c], axis=not_average_axis).ravel()
        score[c] = binary_metric(y_true_c, y_score_c, sample_weight=score_weight)
    if average is not None:
        if average_weight is not None:
            average_weight = np.asarray(average_weight)
            score[average_weight == 0] = 0
        return float(np.average(score, weights=average_weight))
    return score


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "average": [StrOptions({"micro", "samples", "weighted", "macro"}), None],
        "pos_label": [Real, str, "boolean"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def average_precision_score(y_true, y_score, *, average="macro", pos_label=1, sample_weight=None):
    """Average precision: the step-wise area under the precision-recall curve.

    Examples
    --------
    >>> from fastml.metrics import average_precision_score
    >>> round(average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    if sample_weight is not None:
        sample_weight = column_or_1d(sample_weight)

    def _binary_ap(y_true, y_score, pos_label=1, sample_weight=None):
        precision, recall, _ = precision_recall_curve(
            y_true, y_score, pos_label=pos_label, sample_weight=sample_weight
        )
        return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))

    y_type = type_of_target(y_true, input_name="y_true")
    present = np.unique(np.asarray(y_true))
    if y_type == "binary":
        if present.shape[0] == 2 and pos_label not in present:
            raise ValueError(
                f"pos_label={pos_label} is not a valid label. It should be "
                f"one of {present}"
            )
    elif y_type == "multilabel-indicator" and pos_label != 1:
        raise ValueError(
            "Parameter pos_label is fixed to 1 for multilabel-indicator y_true. "
            "Do not set pos_label or set pos_label to 1."
        )
    elif y_type == "multiclass":
        if pos_label != 1:
            raise ValueError(
                "Parameter pos_label is fixed to 1 for multiclass y_true. "
                "Do not set pos_label or set pos_label to 1."
            )
        y_true = label_binarize(y_true, classes=present)
        if not np.shape(y_score) == y_true.shape:
            raise ValueError(
                "`y_score` needs to be of shape `(n_samples, n_classes)`, since "
                "`y_true` contains multiple classes. Got "
                f"`y_score.shape={np.shape(y_score)}`."
            )
    return _average_binary_score(
        partial(_binary_ap, pos_label=pos_label), y_true, y_score, average,
        sample_weight=sample_weight,
    )


def _binary_roc_auc(y_true, y_score, sample_weight=None, max_fpr=None):
    y_true = np.asarray(y_true)
    zero_one = y_true.ndim == 1 and y_true.size > 0 and y_true.dtype.kind in "biu"
    if zero_one:  # integer 0/1 columns: min and max tell the classes without a unique
        lo, hi = y_true.min(), y_true.max()
        zero_one = lo == hi or (lo == 0 and hi == 1)
    n_classes = (1 if lo == hi else 2) if zero_one else len(np.unique(y_true))
    if n_classes != 2:
        warnings.warn(
            "Only one class is present in y_true. ROC AUC score is not defined in that case.",
            UndefinedMetricWarning,
        )
        return np.nan
    if zero_one:  # the 0/1 columns roc_auc_score builds: their labels need no checks
        y_score = _checked_scores(y_true, y_score, sample_weight)
        counts = _clf_counts(y_true == 1, y_score, sample_weight)
        fpr, tpr, _ = _roc_from_counts(*counts, drop_intermediate=True)
    else:
        fpr, tpr, _ = roc_curve(y_true, y_score, sample_weight=sample_weight)
    if max_fpr is None or max_fpr == 1:
        return _auc(fpr, tpr)
    if max_fpr <= 0 or max_fpr > 1:
        raise ValueError("Expected max_fpr in range (0, 1], got: %r" % max_fpr)
    stop = np.searchsorted(fpr, max_fpr, "right")
    tpr = np.append(tpr[:stop], np.interp(max_fpr, fpr[stop - 1:stop + 1], tpr[stop - 1:stop + 1]))
    fpr = np.append(fpr[:stop], max_fpr)
    partial_auc = _auc(fpr, tpr)
    min_area = 0.5 * max_fpr**2  # McClish correction: 0.5 random, 1 perfect
    return 0.5 * (1 + (partial_auc - min_area) / (max_fpr - min_area))


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "average": [StrOptions({"micro", "macro", "samples", "weighted"}), None],
        "sample_weight": ["array-like", None],
        "max_fpr": [Interval(Real, 0.0, 1, closed="right"), None],
        "multi_class": [StrOptions({"raise", "ovr", "ovo"})],
        "labels": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def roc_auc_score(
    y_true, y_score, *, average="macro", sample_weight=None, max_fpr=None,
    multi_class="raise", labels=None,
):
    """Area under the ROC curve: binary, multilabel, multiclass (ovr / ovo).

    Examples
    --------
    >>> from fastml.metrics import roc_auc_score
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y_type = type_of_target(y_true, input_name="y_true")
    y_true = check_array(y_true, ensure_2d=False, dtype=None)
    y_score = check_array(y_score, ensure_2d=False)
    if sample_weight is not None:
        sample_weight = column_or_1d(sample_weight)
    if y_type == "multiclass" or (y_type == "binary" and y_score.ndim == 2 and y_score.shape[1] > 2):
        if max_fpr is not None and max_fpr != 1.0:
            raise ValueError(
                "Partial AUC computation not available in multiclass setting, "
                "'max_fpr' must be set to `None`, received `max_fpr={0}` "
                "instead".format(max_fpr)
            )
        if multi_class == "raise":
            raise ValueError("multi_class must be in ('ovo', 'ovr')")
        return _multiclass_roc_auc(y_true, y_score, labels, multi_class, average, sample_weight)
    binary = partial(_binary_roc_auc, max_fpr=max_fpr)
    if y_type == "binary":
        # label_binarize's binary column (1 for the larger class, all 0 for a
        # single class), without its sparse round trip
        y_true = column_or_1d(y_true)
        classes = np.unique(y_true)
        y_true = (y_true == classes[-1]).astype(int) if classes.shape[0] == 2 else (
            np.zeros(y_true.shape[0], dtype=int))
        return binary(y_true, y_score, sample_weight=sample_weight)
    return _average_binary_score(binary, y_true, y_score, average, sample_weight=sample_weight)


def _multiclass_roc_auc(y_true, y_score, labels, multi_class, average, sample_weight):
    if not y_score.ndim == 2:
        raise ValueError(
            "`y_score` needs to be of shape `(n_samples, n_classes)`, since "
            "`y_true` contains multiple classes. Got "
            f"`y_score.shape={y_score.shape}`."
        )
    if not np.allclose(1, y_score.sum(axis=1)):
        raise ValueError(
            "Target scores need to be probabilities for multiclass "
            "roc_auc, i.e. they should sum up to 1.0 over classes"
        )
    average_options = ("macro", "weighted", None)
    if multi_class == "ovr":
        average_options = ("micro",) + average_options
    if average not in average_options:
        raise ValueError(
            "average must be one of {0} for multiclass problems".format(average_options)
        )
    if average is None and multi_class == "ovo":
        raise NotImplementedError("average=None is not implemented for multi_class='ovo'.")
    if labels is not None:
        labels = column_or_1d(labels)
        classes = _unique(labels)
        if len(classes) != len(labels):
            raise ValueError("Parameter 'labels' must be unique")
        if not np.array_equal(classes, labels):
            raise ValueError("Parameter 'labels' must be ordered")
        if len(classes) != y_score.shape[1]:
            raise ValueError(
                "Number of given labels, {0}, not equal to the number "
                "of columns in 'y_score', {1}".format(len(classes), y_score.shape[1])
            )
        if len(np.setdiff1d(y_true, classes)):
            raise ValueError("'y_true' contains labels not in parameter 'labels'")
    else:
        classes = _unique(y_true)
        if len(classes) != y_score.shape[1]:
            raise ValueError(
                "Number of classes in y_true not equal to the number of "
                "columns in 'y_score'"
            )
    if multi_class == "ovr":
        y_true_multilabel = label_binarize(y_true, classes=classes)
        return _average_binary_score(
            _binary_roc_auc, y_true_multilabel, y_score, average, sample_weight=sample_weight
        )
    if sample_weight is not None:
        raise ValueError(
            "sample_weight is not supported for multiclass one-vs-one ROC AUC, "
            "'sample_weight' must be None in this case."
        )
    # Hand & Till (2001): mean over class pairs of the two one-vs-one AUCs
    y_enc = _encode(y_true, uniques=classes)
    n_classes = classes.shape[0]
    n_pairs = n_classes * (n_classes - 1) // 2
    pair_scores = np.empty(n_pairs)
    prevalence = np.empty(n_pairs)
    ix = 0
    for a in range(n_classes):
        for b in range(a + 1, n_classes):
            mask = np.logical_or(y_enc == a, y_enc == b)
            a_true = y_enc[mask] == a
            a_auc = _binary_roc_auc(a_true, y_score[mask, a])
            b_auc = _binary_roc_auc(~a_true, y_score[mask, b])
            pair_scores[ix] = (a_auc + b_auc) / 2
            prevalence[ix] = np.mean(mask)
            ix += 1
    return float(np.average(pair_scores, weights=prevalence if average == "weighted" else None))


__all__ = [
    "average_precision_score",
    "precision_recall_curve",
    "roc_auc_score",
    "roc_curve",
]
