"""Clustering: scikit-learn's sklearn.cluster estimators with compiled kernels."""

from fastml.cluster._dbscan import DBSCAN, dbscan
from fastml.cluster._kmeans import KMeans, kmeans_plusplus

__all__ = [
    "DBSCAN",
    "KMeans",
    "dbscan",
    "kmeans_plusplus",
]
