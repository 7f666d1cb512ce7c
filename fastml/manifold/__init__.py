"""Manifold learning: LocallyLinearEmbedding (standard)."""

from fastml.manifold._locally_linear import LocallyLinearEmbedding

__all__ = ["LocallyLinearEmbedding"]
