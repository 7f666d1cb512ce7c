"""Preprocessing (scikit-learn's ``sklearn.preprocessing`` API)."""

from ._polynomial import PolynomialFeatures

__all__ = ["PolynomialFeatures"]
