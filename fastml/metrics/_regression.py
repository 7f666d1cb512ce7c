"""Regression losses: MSE, RMSE, MAE, R^2 and the Huber loss (fastml extension).

Inputs are validated with scikit-learn's own target checks; the reductions are
plain vectorised NumPy (one pass each), so results equal scikit-learn's to
rounding.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

from ..utils._sklearn import (
    Interval,
    StrOptions,
    _check_reg_targets,
    _find_matching_floating_dtype,
    validate_params,
)

_MULTIOUTPUT = [StrOptions({"raw_values", "uniform_average"}), "array-like"]


def _check(y_true, y_pred, sample_weight, multioutput):
    dtype = _find_matching_floating_dtype(y_true, y_pred, sample_weight, xp=np)
    _, y_true, y_pred, sample_weight, multioutput = _check_reg_targets(
        y_true, y_pred, sample_weight, multioutput, dtype=dtype
    )
    return y_true, y_pred, sample_weight, multioutput


def _reduce_outputs(output_errors, multioutput):
    """Average per-output errors as ``multioutput`` says (or return them raw)."""
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return output_errors
        multioutput = None  # uniform_average
    return float(np.average(output_errors, weights=multioutput))


def _column_mean(values, sample_weight):
    return np.average(values, axis=0, weights=sample_weight)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "sample_weight": ["array-like", None],
        "multioutput": _MULTIOUTPUT,
    },
    prefer_skip_nested_validation=True,
)
def mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean squared error (L2 loss), as :func:`sklearn.metrics.mean_squared_error`.

    Examples
    --------
    >>> from fastml.metrics import mean_squared_error
    >>> mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.375
    """
    y_true, y_pred, sample_weight, multioutput = _check(
        y_true, y_pred, sample_weight, multioutput
    )
    errors = _column_mean((y_true - y_pred) ** 2, sample_weight)
    return _reduce_outputs(errors, multioutput)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "sample_weight": ["array-like", None],
        "multioutput": _MULTIOUTPUT,
    },
    prefer_skip_nested_validation=True,
)
def root_mean_squared_error(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    """Root mean squared error, as :func:`sklearn.metrics.root_mean_squared_error`.

    The square root is taken per output before averaging outputs.

    Examples
    --------
    >>> from fastml.metrics import root_mean_squared_error
    >>> root_mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.612...
    """
    errors = np.sqrt(
        mean_squared_error(
            y_true, y_pred, sample_weight=sample_weight, multioutput="raw_values"
        )
    )
    if not isinstance(multioutput, str):
        multioutput = np.asarray(multioutput)
    return _reduce_outputs(errors, multioutput)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "sample_weight": ["array-like", None],
        "multioutput": _MULTIOUTPUT,
    },
    prefer_skip_nested_validation=True,
)
def mean_absolute_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean absolute error (L1 loss), as :func:`sklearn.metrics.mean_absolute_error`.

    Examples
    --------
    >>> from fastml.metrics import mean_absolute_error
    >>> mean_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
    0.5
    """
    y_true, y_pred, sample_weight, multioutput = _check(
        y_true, y_pred, sample_weight, multioutput
    )
    errors = _column_mean(np.abs(y_pred - y_true), sample_weight)
    return _reduce_outputs(errors, multioutput)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "sample_weight": ["array-like", None],
        "multioutput": [
            StrOptions({"raw_values", "uniform_average", "variance_weighted"}),
            "array-like",
            None,
        ],
        "force_finite": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def r2_score(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average", force_finite=True
):
    """Coefficient of determination R^2, as :func:`sklearn.metrics.r2_score`.

    Examples
    --------
    >>> from fastml.metrics import r2_score
    >>> round(r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]), 4)
    0.9486
    """
    y_true, y_pred, sample_weight, multioutput = _check(
        y_true, y_pred, sample_weight, multioutput
    )
    if y_pred.shape[0] < 2:
        warnings.warn(
            "R^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
        )
        return float("nan")
    weight = 1.0 if sample_weight is None else sample_weight[:, None]
    numerator = np.sum(weight * (y_true - y_pred) ** 2, axis=0)
    denominator = np.sum(
        weight * (y_true - _column_mean(y_true, sample_weight)) ** 2, axis=0
    )
    nonzero_den = denominator != 0
    if not force_finite:
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = 1 - numerator / denominator
    else:
        nonzero_num = numerator != 0
        scores = np.ones(y_true.shape[1], dtype=numerator.dtype)
        valid = nonzero_den & nonzero_num
        scores[valid] = 1 - numerator[valid] / denominator[valid]
        scores[nonzero_num & ~nonzero_den] = 0.0
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return scores
        if multioutput == "uniform_average":
            multioutput = None
        else:  # variance_weighted
            multioutput = denominator if np.any(nonzero_den) else None
    return float(np.average(scores, weights=multioutput))


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "delta": [Interval(Real, 0, None, closed="neither")],
        "sample_weight": ["array-like", None],
        "multioutput": _MULTIOUTPUT,
    },
    prefer_skip_nested_validation=True,
)
def huber_loss(
    y_true, y_pred, *, delta=1.0, sample_weight=None, multioutput="uniform_average"
):
    """Mean Huber loss: quadratic for small residuals, linear for large ones.

    fastml extension (scikit-learn has the Huber loss only inside estimators).
    With residual ``r = y_true - y_pred``::

        L_delta(r) = r**2 / 2                   if |r| <= delta
                     delta * (|r| - delta / 2)  otherwise

    which is the convention of ``HuberRegressor``, ``SGDRegressor(loss="huber")``
    and ``torch.nn.HuberLoss``: MSE/2 near zero, MAE-like (robust to outliers)
    far from it.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    delta : float > 0, default=1.0
        Where the loss switches from quadratic to linear.
    sample_weight : array-like of shape (n_samples,), default=None
    multioutput : {'raw_values', 'uniform_average'} or array-like of weights

    Returns
    -------
    loss : float or ndarray of shape (n_outputs,)

    Examples
    --------
    >>> from fastml.metrics import huber_loss
    >>> huber_loss([0.0, 0.0], [0.5, 3.0], delta=1.0)
    1.3125
    """
    y_true, y_pred, sample_weight, multioutput = _check(
        y_true, y_pred, sample_weight, multioutput
    )
    abs_r = np.abs(y_true - y_pred)
    loss = np.where(abs_r <= delta, 0.5 * abs_r**2, delta * (abs_r - 0.5 * delta))
    return _reduce_outputs(_column_mean(loss, sample_weight), multioutput)
