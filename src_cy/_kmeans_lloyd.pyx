# K-means Lloyd with exact pruning: each iteration's labels are those of
# scikit-learn's lloyd (its GEMM distance surrogate, first argmin), but a
# sample whose Hamerly bounds prove its label cannot change is not visited,
# and the others are first scored in float32 (see _kmeans_pruned).
# Adapted from scikit-learn (sklearn/cluster/_k_means_lloyd.pyx and
# _kmeans.py::_kmeans_single_lloyd, BSD-3-Clause, The scikit-learn developers).

from fastml._cy._kmeans_common import _n_threads_for, _kmeans_run, _labels_pass
from fastml._cy._kmeans_pruned import _PrunedStep


class _LloydStep(_PrunedStep):
    """The E-step handed to ``_kmeans_run``: scikit-learn's lloyd labels."""

    elkan = False


def lloyd_fit(
        X,                 # (n_samples, n_features) float32/64, C order
        sample_weight,     # (n_samples,)
        centers_init,      # (n_clusters, n_features)
        int max_iter,
        double tol,
        int n_threads,
        bint verbose=False,
        x_sq=None,
        Xs=None):
    """A single run of k-means lloyd, all iterations compiled.

    Same semantics and iterates as scikit-learn's ``_kmeans_single_lloyd``
    (see ``_kmeans_run``); the E-step skips the samples whose bounds settle
    their label.

    ``x_sq`` and ``Xs`` (squared row norms, float32 screen copy) may come
    precomputed from ``_kmeans_pruned._prepare``.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
    inertia : float
    centers : ndarray of shape (n_clusters, n_features)
    n_iter : int
    """
    n_threads = _n_threads_for(X.shape[0], n_threads)
    estep = _LloydStep(X, sample_weight, n_threads, x_sq, Xs)
    return _kmeans_run(estep, X, sample_weight, centers_init, max_iter, tol,
                       n_threads, verbose)


def lloyd_labels(X, centers, int n_threads):
    """E-step only: the closest center of every sample (``predict``)."""
    return _labels_pass(X, centers, _n_threads_for(X.shape[0], n_threads))
