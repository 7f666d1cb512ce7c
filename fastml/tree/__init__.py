"""Decision trees with compiled split search (scikit-learn's API)."""

from fastml.tree._classes import DecisionTreeClassifier, DecisionTreeRegressor
from fastml.tree._classes import ExtraTreeClassifier, ExtraTreeRegressor

__all__ = [
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "ExtraTreeClassifier",
    "ExtraTreeRegressor",
]
