"""Ensemble methods: forests, bagging, boosting, voting and stacking.

Drop-in replacements for :mod:`sklearn.ensemble`'s estimators of the same
names; the tree-based ones are built on :mod:`fastml.tree`'s compiled trees.
"""

from fastml.ensemble._bagging import BaggingClassifier, BaggingRegressor
from fastml.ensemble._forest import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from fastml.ensemble._gb import GradientBoostingClassifier, GradientBoostingRegressor
from fastml.ensemble._stacking import StackingClassifier, StackingRegressor
from fastml.ensemble._voting import VotingClassifier, VotingRegressor
from fastml.ensemble._weight_boosting import AdaBoostClassifier, AdaBoostRegressor

__all__ = [
    "AdaBoostClassifier",
    "AdaBoostRegressor",
    "BaggingClassifier",
    "BaggingRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "StackingClassifier",
    "StackingRegressor",
    "VotingClassifier",
    "VotingRegressor",
]
