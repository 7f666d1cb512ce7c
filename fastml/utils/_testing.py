"""Helpers for fastml's test-suite (kept in the package so every test can import them)."""

import importlib


def sklearn_counterpart(estimator):
    """The scikit-learn class with the same name as ``estimator``'s, or None."""
    import fastml

    name = type(estimator).__name__
    our_module = type(estimator).__module__.rsplit(".", 1)[0]
    their_module = fastml._SKLEARN_COUNTERPARTS.get(our_module)
    if their_module is None:
        return None
    return getattr(importlib.import_module(their_module), name, None)


def sklearn_xfails(estimator):
    """The checks scikit-learn itself marks xfail for ``estimator``'s counterpart.

    Only the counterpart's own entries of ``PER_ESTIMATOR_XFAIL_CHECKS`` are
    returned: fastml may not fail a check that scikit-learn passes.
    """
    from sklearn.utils._test_common.instance_generator import (
        PER_ESTIMATOR_XFAIL_CHECKS,
    )

    counterpart = sklearn_counterpart(estimator)
    return dict(PER_ESTIMATOR_XFAIL_CHECKS.get(counterpart, {}))


__all__ = ["sklearn_counterpart", "sklearn_xfails"]
