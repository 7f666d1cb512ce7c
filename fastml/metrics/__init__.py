"""Metrics: scikit-learn's sklearn.metrics functions, compiled."""

from fastml.metrics._silhouette import silhouette_samples, silhouette_score

__all__ = ["silhouette_samples", "silhouette_score"]
