"""Metrics with compiled kernels, mirroring ``sklearn.metrics``."""

from fastml.metrics._silhouette import silhouette_samples, silhouette_score
from fastml.metrics.pairwise import euclidean_distances, pairwise_distances
from fastml.metrics.pairwise import pairwise_distances_argmin, pairwise_distances_argmin_min

__all__ = [
    "euclidean_distances",
    "pairwise_distances",
    "pairwise_distances_argmin",
    "pairwise_distances_argmin_min",
    "silhouette_samples",
    "silhouette_score",
]
