"""GaussianMixture beside scikit-learn from the same initial means."""

import numpy as np
import pytest
import sklearn.mixture
from sklearn.datasets import make_blobs

import fastml.mixture


@pytest.mark.parametrize("impl", ["fastml", "sklearn"])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_bench_gaussian_mixture(benchmark, covariance_type, impl):
    X = make_blobs(20000, 16, centers=8, random_state=0)[0]
    means = X[np.random.RandomState(0).choice(len(X), 8, replace=False)]
    GM = {"fastml": fastml.mixture.GaussianMixture,
          "sklearn": sklearn.mixture.GaussianMixture}[impl]
    benchmark.group = f"gmm 20000x16 {covariance_type}"
    est = GM(8, covariance_type=covariance_type, means_init=means, tol=1e-6, max_iter=100,
             random_state=0)
    benchmark.pedantic(est.fit, args=(X,), rounds=1, iterations=1)
