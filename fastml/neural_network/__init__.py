"""Neural-network estimators with scikit-learn's API."""

from fastml.neural_network._cnn import CNNClassifier

__all__ = []
__all__ += ["CNNClassifier"]
