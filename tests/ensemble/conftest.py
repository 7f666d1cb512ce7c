"""Fixtures of the ensemble tests."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_thread_per_kernel():
    # Ensembles fit small data hundreds of times; on a shared 2-core machine
    # OpenMP / BLAS thread start-up would dominate the run time. Parallelism
    # is exercised by the n_jobs tests and by the benchmarks.
    with threadpool_limits(1):
        yield
