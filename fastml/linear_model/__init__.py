"""Linear models (scikit-learn's ``sklearn.linear_model`` API) with compiled solvers."""

from ._base import LinearRegression
from ._coordinate_descent import ElasticNet, Lasso
from ._gd import GDRegressor
from ._logistic import LogisticRegression
from ._ridge import Ridge
from ._stochastic_gradient import Perceptron, SGDClassifier, SGDRegressor

__all__ = ["ElasticNet", "GDRegressor", "Lasso", "LinearRegression", "LogisticRegression",
           "Perceptron", "Ridge", "SGDClassifier", "SGDRegressor"]
