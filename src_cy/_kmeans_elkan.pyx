# K-means "elkan": scikit-learn's elkan iterates (direct Euclidean distances;
# a sample keeps its label unless another center is strictly closer, then the
# first closest in index order), computed only where bounds cannot settle them.
# Adapted from scikit-learn (sklearn/cluster/_k_means_elkan.pyx and
# _kmeans.py::_kmeans_single_elkan, BSD-3-Clause, The scikit-learn developers).
#
# The triangle-inequality bounds are Hamerly's (G. Hamerly, "Making k-means
# even faster", SDM 2010: one upper and one lower bound per sample, half the
# distance to the closest other center) rather than Elkan's n x k lower bounds
# (C. Elkan, ICML 2003): measured on 200000 x 16, k = 16, reading and updating
# the n x k bounds cost twice the time of simply scoring all 16 centers of a
# sample the 2-bound test cannot settle.  The labels are the same: a bound or
# the float32 screen decides a label only when the direct distances' own
# rounding could not change it (see _kmeans_pruned), otherwise the distances
# are computed as scikit-learn computes them.

from fastml._cy._kmeans_common import _n_threads_for, _kmeans_run
from fastml._cy._kmeans_pruned import _PrunedStep


class _ElkanStep(_PrunedStep):
    """The E-step handed to ``_kmeans_run``: scikit-learn's elkan labels."""

    elkan = True


def elkan_fit(
        X,                 # (n_samples, n_features) float32/64, C order
        sample_weight,     # (n_samples,)
        centers_init,      # (n_clusters, n_features)
        int max_iter,
        double tol,
        int n_threads,
        bint verbose=False,
        x_sq=None,
        Xs=None):
    """A single run of k-means elkan, all iterations compiled.

    Same semantics and iterates as scikit-learn's ``_kmeans_single_elkan``
    (see ``_kmeans_run``).

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
    estep = _ElkanStep(X, sample_weight, n_threads, x_sq, Xs)
    return _kmeans_run(estep, X, sample_weight, centers_init, max_iter, tol,
                       n_threads, verbose)
