"""Mixture models: scikit-learn's sklearn.mixture estimators."""

from fastml.mixture._gaussian_mixture import GaussianMixture

__all__ = ["GaussianMixture"]
