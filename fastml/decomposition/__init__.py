"""Matrix decomposition: PCA."""

from fastml.decomposition._pca import PCA

__all__ = ["PCA"]
