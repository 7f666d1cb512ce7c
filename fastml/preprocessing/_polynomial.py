"""PolynomialFeatures with scikit-learn's column order and feature names."""

from itertools import chain, combinations, combinations_with_replacement
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import _check_feature_names_in

from ..utils._sklearn import (
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    validate_data,
)


def _combinations(n_features, min_degree, max_degree, interaction_only, include_bias):
    comb = combinations if interaction_only else combinations_with_replacement
    start = max(1, min_degree)
    iter_comb = chain.from_iterable(comb(range(n_features), i) for i in range(start, max_degree + 1))
    if include_bias:
        iter_comb = chain(comb(range(n_features), 0), iter_comb)
    return iter_comb


class PolynomialFeatures(TransformerMixin, BaseEstimator):
    """Polynomial and interaction features, as :class:`sklearn.preprocessing.PolynomialFeatures`.

    Columns come in scikit-learn's order: the bias, then degree 1, degree 2
    (``x0^2, x0 x1, ..., x1^2, ...``), and so on. Each degree's block is built
    from the previous one with one vectorised multiply per input feature
    (no per-sample loop), so the cost is one write per output value.

    Parameters
    ----------
    degree : int or tuple (min_degree, max_degree), default=2
    interaction_only : bool, default=False
    include_bias : bool, default=True
    order : {'C', 'F'}, default='C'

    Attributes
    ----------
    powers_ : ndarray of shape (n_output_features_, n_features_in_)
    n_features_in_, feature_names_in_, n_output_features_

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.preprocessing import PolynomialFeatures
    >>> X = np.arange(6).reshape(3, 2)
    >>> PolynomialFeatures(2).fit_transform(X)
    array([[ 1.,  0.,  1.,  0.,  0.,  1.],
           [ 1.,  2.,  3.,  4.,  6.,  9.],
           [ 1.,  4.,  5., 16., 20., 25.]])
    >>> PolynomialFeatures(2).fit(X).get_feature_names_out()
    array(['1', 'x0', 'x1', 'x0^2', 'x0 x1', 'x1^2'], dtype=object)
    """

    _parameter_constraints: dict = {
        "degree": [Interval(Integral, 0, None, closed="left"), "array-like"],
        "interaction_only": ["boolean"],
        "include_bias": ["boolean"],
        "order": [StrOptions({"C", "F"})],
    }

    def __init__(self, degree=2, *, interaction_only=False, include_bias=True, order="C"):
        self.degree = degree
        self.interaction_only = interaction_only
        self.include_bias = include_bias
        self.order = order

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the number of output features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None

        Returns
        -------
        self : object
        """
        _, n_features = validate_data(self, X, accept_sparse=False).shape
        if isinstance(self.degree, Integral):
            if self.degree == 0 and not self.include_bias:
                raise ValueError(
                    "Setting degree to zero and include_bias to False would result in"
                    " an empty output array."
                )
            self._min_degree, self._max_degree = 0, self.degree
        elif (isinstance(self.degree, (tuple, list)) and len(self.degree) == 2
              and all(isinstance(d, Integral) for d in self.degree)):
            self._min_degree, self._max_degree = self.degree
            if not (0 <= self._min_degree <= self._max_degree):
                raise ValueError(
                    "degree=(min_degree, max_degree) must be non-negative integers that "
                    "fulfil min_degree <= max_degree, got "
                    f"{self.degree}."
                )
            if self._max_degree == 0 and not self.include_bias:
                raise ValueError(
                    "Setting both min_degree and max_degree to zero and include_bias to"
                    " False would result in an empty output array."
                )
        else:
            raise ValueError(
                "degree must be a non-negative int or tuple (min_degree, max_degree), got "
                f"{self.degree}."
            )
        self._combos = [
            c for c in _combinations(n_features, self._min_degree, self._max_degree,
                                     self.interaction_only, self.include_bias)
        ]
        self.n_output_features_ = len(self._combos)
        return self

    @property
    def powers_(self):
        """Exponent of each input in each output feature."""
        check_is_fitted(self)
        return np.vstack([
            np.bincount(c, minlength=self.n_features_in_) for c in self._combos
        ]) if self._combos else np.empty((0, self.n_features_in_), dtype=int)

    def get_feature_names_out(self, input_features=None):
        """Output feature names, e.g. ``'x0^2 x1'``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        powers = self.powers_
        input_features = _check_feature_names_in(self, input_features)
        names = []
        for row in powers:
            inds = np.where(row)[0]
            if len(inds):
                name = " ".join(
                    "%s^%d" % (input_features[ind], exp) if exp != 1 else input_features[ind]
                    for ind, exp in zip(inds, row[inds])
                )
            else:
                name = "1"
            names.append(name)
        return np.asarray(names, dtype=object)

    def transform(self, X):
        """Transform X to polynomial features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        XP : ndarray of shape (n_samples, n_output_features_)
        """
        check_is_fitted(self)
        X = validate_data(self, X, order="F", dtype=[np.float64, np.float32],
                          reset=False, accept_sparse=False)
        n_samples, n_features = X.shape
        XP = np.empty((n_samples, self.n_output_features_), dtype=X.dtype, order=self.order)
        # Blocks of each degree are built from the previous degree's block:
        # index[j] is where the terms whose lowest feature is j start.
        col = 0
        if self.include_bias:
            XP[:, 0] = 1
            col = 1
        if self._max_degree == 0:
            return XP
        full = np.empty((n_samples, self._full_width(n_features)), dtype=X.dtype, order="F")
        full[:, :n_features] = X
        index = list(range(n_features + 1))
        cur = n_features
        for _ in range(2, self._max_degree + 1):
            new_index = []
            end = index[-1]
            for j in range(n_features):
                start = index[j]
                new_index.append(cur)
                if self.interaction_only:
                    start += index[j + 1] - index[j]
                nxt = cur + end - start
                if nxt <= cur:
                    break
                np.multiply(full[:, start:end], X[:, j:j + 1], out=full[:, cur:nxt])
                cur = nxt
            new_index.append(cur)
            index = new_index
        # drop the degrees below min_degree
        first = 0
        if self._min_degree > 1:
            n_low = sum(1 for _ in _combinations(n_features, 1, self._min_degree - 1,
                                                 self.interaction_only, False))
            first = n_low
        XP[:, col:] = full[:, first:cur]
        return XP

    def _full_width(self, n_features):
        return sum(1 for _ in _combinations(n_features, 1, self._max_degree,
                                            self.interaction_only, False))
