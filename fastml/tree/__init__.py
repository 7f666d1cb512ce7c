"""Decision trees with compiled split search (scikit-learn's API)."""

from fastml.tree._classes import DecisionTreeClassifier, DecisionTreeRegressor

__all__ = ["DecisionTreeClassifier", "DecisionTreeRegressor"]
