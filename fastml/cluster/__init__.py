"""Clustering: scikit-learn's estimators with compiled kernels."""

from fastml.cluster._kmeans import KMeans, kmeans_plusplus

__all__ = [
    "KMeans",
    "kmeans_plusplus",
]
