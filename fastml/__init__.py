"""fastml: scikit-learn estimators with compiled kernels, tested for parity.

Swap ``from sklearn.cluster import KMeans`` for ``from fastml.cluster import
KMeans``, or call :func:`patch_sklearn` to make scikit-learn's own modules
hand out fastml's classes and functions.
"""

import importlib

__version__ = "0.1.0"

# fastml submodule -> the scikit-learn module whose names it mirrors
_SKLEARN_COUNTERPARTS = {
    "fastml.metrics": "sklearn.metrics",
    "fastml.cluster": "sklearn.cluster",
    "fastml.mixture": "sklearn.mixture",
    "fastml.tree": "sklearn.tree",
    "fastml.ensemble": "sklearn.ensemble",
    "fastml.linear_model": "sklearn.linear_model",
    "fastml.svm": "sklearn.svm",
    "fastml.decomposition": "sklearn.decomposition",
    "fastml.manifold": "sklearn.manifold",
    "fastml.preprocessing": "sklearn.preprocessing",
    "fastml.neural_network": "sklearn.neural_network",
}

_originals = {}  # (sklearn module, name) -> scikit-learn's object, while patched


def _patchable():
    """Yield (sklearn_module, name, fastml_object) for every mirrored public name."""
    for ours, theirs in _SKLEARN_COUNTERPARTS.items():
        try:
            our_mod = importlib.import_module(ours)
        except ImportError:  # a family not built yet
            continue
        their_mod = importlib.import_module(theirs)
        for name in getattr(our_mod, "__all__", ()):
            if hasattr(their_mod, name):
                yield their_mod, name, getattr(our_mod, name)


def patch_sklearn(names=None):
    """Make scikit-learn's modules hand out fastml's implementations.

    Parameters
    ----------
    names : iterable of str, default=None
        Only patch these public names (e.g. ``["KMeans"]``); all when None.

    Returns
    -------
    patched : list of str
        The dotted scikit-learn names now served by fastml.

    Examples
    --------
    >>> import fastml
    >>> patched = fastml.patch_sklearn(["KMeans"])
    >>> from sklearn.cluster import KMeans
    >>> KMeans.__module__.startswith("fastml")
    True
    >>> fastml.unpatch_sklearn()
    """
    wanted = None if names is None else set(names)
    patched = []
    for mod, name, obj in _patchable():
        if wanted is not None and name not in wanted:
            continue
        _originals.setdefault((mod, name), getattr(mod, name))
        setattr(mod, name, obj)
        patched.append(f"{mod.__name__}.{name}")
    return patched


def unpatch_sklearn():
    """Restore every scikit-learn name that :func:`patch_sklearn` replaced."""
    for (mod, name), original in _originals.items():
        setattr(mod, name, original)
    _originals.clear()


__all__ = ["patch_sklearn", "unpatch_sklearn", "__version__"]
