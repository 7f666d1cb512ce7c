"""Support vector machines on compiled solvers: SVC, SVR (SMO), LinearSVC (dual CD)."""

from fastml.svm._classes import SVC, SVR
from fastml.svm._linear import LinearSVC

__all__ = ["LinearSVC", "SVC", "SVR"]
