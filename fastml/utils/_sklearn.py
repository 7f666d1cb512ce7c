"""The one place fastml imports scikit-learn's private helpers.

scikit-learn moves its private helpers between releases; keeping every such
import here means a new scikit-learn release is fixed in one file.

Each name is imported on first use (PEP 562 module ``__getattr__``), so that
``import fastml.cluster`` does not pay for ``sklearn.linear_model`` or
``sklearn.metrics``: the import cost is part of fastml's peak memory.
"""

import importlib

# name -> the scikit-learn module it lives in (sorted by module)
_SOURCES = {
    "_fit_context": "sklearn.base",
    "LinearClassifierMixin": "sklearn.linear_model._base",
    "SparseCoefMixin": "sklearn.linear_model._base",
    "_check_set_wise_labels": "sklearn.metrics._classification",
    "_check_targets": "sklearn.metrics._classification",
    "_check_zero_division": "sklearn.metrics._classification",
    "_validate_multiclass_probabilistic_prediction": "sklearn.metrics._classification",
    "ArgKmin": "sklearn.metrics._pairwise_distances_reduction",
    "_check_reg_targets": "sklearn.metrics._regression",
    "check_number_of_labels": "sklearn.metrics.cluster._unsupervised",
    "_VALID_METRICS": "sklearn.metrics.pairwise",
    "_check_precomputed": "sklearn.neighbors._base",
    "_find_matching_floating_dtype": "sklearn.utils._array_api",
    "_encode": "sklearn.utils._encode",
    "_unique": "sklearn.utils._encode",
    "indices_to_mask": "sklearn.utils._mask",
    "_openmp_effective_n_threads": "sklearn.utils._openmp_helpers",
    "HasMethods": "sklearn.utils._param_validation",
    "Hidden": "sklearn.utils._param_validation",
    "Interval": "sklearn.utils._param_validation",
    "Options": "sklearn.utils._param_validation",
    "RealNotInt": "sklearn.utils._param_validation",
    "StrOptions": "sklearn.utils._param_validation",
    "validate_params": "sklearn.utils._param_validation",
    "_print_elapsed_time": "sklearn.utils._user_interface",
    "_manual_routing": "sklearn.utils.metadata_routing",
    "_raise_for_params": "sklearn.utils.metadata_routing",
    "_raise_for_unsupported_routing": "sklearn.utils.metadata_routing",
    "_routing_enabled": "sklearn.utils.metadata_routing",
    "_RoutingNotSupportedMixin": "sklearn.utils.metadata_routing",
    "get_routing_for_object": "sklearn.utils.metadata_routing",
    "process_routing": "sklearn.utils.metadata_routing",
    "_BaseComposition": "sklearn.utils.metaestimators",
    "type_of_target": "sklearn.utils.multiclass",
    "unique_labels": "sklearn.utils.multiclass",
    "_get_threadpool_controller": "sklearn.utils.parallel",
    "_assert_all_finite": "sklearn.utils.validation",
    "_check_feature_names_in": "sklearn.utils.validation",
    "_check_method_params": "sklearn.utils.validation",
    "_check_pos_label_consistency": "sklearn.utils.validation",
    "_check_response_method": "sklearn.utils.validation",
    "_check_sample_weight": "sklearn.utils.validation",
    "_estimator_has": "sklearn.utils.validation",
    "_is_arraylike_not_scalar": "sklearn.utils.validation",
    "_num_samples": "sklearn.utils.validation",
    "check_is_fitted": "sklearn.utils.validation",
    "check_random_state": "sklearn.utils.validation",
    "validate_data": "sklearn.utils.validation",
}

__all__ = sorted(_SOURCES)


def __getattr__(name):
    try:
        module = _SOURCES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return __all__
