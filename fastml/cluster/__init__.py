"""Clustering: scikit-learn's sklearn.cluster estimators with compiled kernels."""

from fastml.cluster._dbscan import DBSCAN, dbscan
from fastml.cluster._kmeans import KMeans, kmeans_plusplus
from fastml.cluster._minibatch_kmeans import MiniBatchKMeans

__all__ = [
    "DBSCAN",
    "KMeans",
    "MiniBatchKMeans",
    "dbscan",
    "kmeans_plusplus",
]
