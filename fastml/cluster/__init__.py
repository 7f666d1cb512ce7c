"""Clustering: scikit-learn's sklearn.cluster estimators, compiled."""

from fastml.cluster._dbscan import DBSCAN, dbscan

__all__ = ["DBSCAN", "dbscan"]
