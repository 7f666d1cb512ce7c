"""Support vector machines on compiled solvers: SVC, SVR (SMO), LinearSVC (dual CD)."""

from fastml.svm._classes import SVC, SVR

__all__ = ["SVC", "SVR"]
