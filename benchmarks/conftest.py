"""Benchmarks run fastml beside its peers in one process; they never assert on time."""

import os

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.benchmark)


@pytest.fixture(scope="session", autouse=True)
def _warn_about_slow_blas_settings():
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if os.environ.get(var):
            print(f"\nwarning: {var} is set and may slow BLAS; unset it for benchmarks")
    yield
