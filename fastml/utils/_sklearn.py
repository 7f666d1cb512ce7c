"""The one place fastml imports scikit-learn's private helpers.

scikit-learn moves its private helpers between releases; keeping every such
import here means a new scikit-learn release is fixed in one file.
"""

from sklearn.base import _fit_context
from sklearn.metrics._pairwise_distances_reduction import ArgKmin
from sklearn.metrics.pairwise import _VALID_METRICS
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
    "ArgKmin",
    "_VALID_METRICS",
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

# --- used by fastml.ensemble (meta-estimators, routing, validation) ---
from sklearn.utils._mask import indices_to_mask  # noqa: E402
from sklearn.utils._param_validation import HasMethods, RealNotInt  # noqa: E402
from sklearn.utils._user_interface import _print_elapsed_time  # noqa: E402
from sklearn.utils.metadata_routing import (  # noqa: E402
    _manual_routing,
    _raise_for_params,
    _raise_for_unsupported_routing,
    _routing_enabled,
    _RoutingNotSupportedMixin,
    get_routing_for_object,
    process_routing,
)
from sklearn.utils.metaestimators import _BaseComposition  # noqa: E402
from sklearn.utils.validation import (  # noqa: E402
    _check_feature_names_in,
    _check_method_params,
    _check_response_method,
    _estimator_has,
    _num_samples,
)

__all__ += [
    "HasMethods",
    "RealNotInt",
    "_BaseComposition",
    "_RoutingNotSupportedMixin",
    "_check_feature_names_in",
    "_check_method_params",
    "_check_response_method",
    "_estimator_has",
    "_manual_routing",
    "_num_samples",
    "_print_elapsed_time",
    "_raise_for_params",
    "_raise_for_unsupported_routing",
    "_routing_enabled",
    "get_routing_for_object",
    "indices_to_mask",
    "process_routing",
]
# DBSCAN: precomputed-matrix checks as NearestNeighbors does them.
from sklearn.neighbors._base import _check_precomputed  # noqa: E402

__all__ += ["_check_precomputed"]

# silhouette: sklearn's own check of the number of labels.
from sklearn.metrics.cluster._unsupervised import check_number_of_labels  # noqa: E402

__all__ += ["check_number_of_labels"]

# --- used by fastml.linear_model and MiniBatchKMeans: one cached controller
# (building one per fit scans the loaded libraries, ~5 ms) ---
from sklearn.utils.parallel import _get_threadpool_controller  # noqa: E402
from sklearn.utils.validation import _assert_all_finite  # noqa: E402

__all__ += ["_assert_all_finite", "_get_threadpool_controller"]
