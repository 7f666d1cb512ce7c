"""The one place fastml imports scikit-learn's private helpers.

scikit-learn moves its private helpers between releases; keeping every such
import here means a new scikit-learn release is fixed in one file.
"""

from sklearn.base import _fit_context
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    Options,
    RealNotInt,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    _is_arraylike_not_scalar,
    check_is_fitted,
    check_random_state,
    validate_data,
)

__all__ = [
    "Hidden",
    "Interval",
    "LinearClassifierMixin",
    "Options",
    "RealNotInt",
    "SparseCoefMixin",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "_is_arraylike_not_scalar",
    "_openmp_effective_n_threads",
    "check_is_fitted",
    "check_random_state",
    "validate_data",
    "validate_params",
]
