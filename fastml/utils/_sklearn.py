"""The one place fastml imports scikit-learn's private helpers.

scikit-learn moves its private helpers between releases; keeping every such
import here means a new scikit-learn release is fixed in one file.
"""

from sklearn.base import _fit_context
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    Options,
    StrOptions,
    validate_params,
)
# metrics: target validation shared with scikit-learn (never its computations)
from sklearn.metrics._classification import (
    _check_set_wise_labels,
    _check_targets,
    _check_zero_division,
    _validate_multiclass_probabilistic_prediction,
)
from sklearn.metrics._regression import _check_reg_targets
from sklearn.utils._array_api import _find_matching_floating_dtype
from sklearn.utils._encode import _encode, _unique
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import _check_pos_label_consistency
from sklearn.utils.validation import (
    _check_sample_weight,
    _is_arraylike_not_scalar,
    check_is_fitted,
    check_random_state,
    validate_data,
)

__all__ = [
    "_find_matching_floating_dtype",
    "_check_pos_label_consistency",
    "_check_reg_targets",
    "_check_set_wise_labels",
    "_check_targets",
    "_check_zero_division",
    "_encode",
    "_unique",
    "_validate_multiclass_probabilistic_prediction",
    "type_of_target",
    "unique_labels",
    "Hidden",
    "Interval",
    "Options",
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
