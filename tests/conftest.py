"""Shared fixtures. ``global_random_seed`` follows sklearn/conftest.py.

Set ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED`` to "all" (0-99), a range "a-b", or a
single integer; by default every seeded test runs once with seed 42.
"""

import os

import numpy as np
import pytest


def _seeds():
    spec = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42")
    if spec == "all":
        return list(range(100))
    if "-" in spec:
        lo, hi = map(int, spec.split("-"))
        return list(range(lo, hi + 1))
    return [int(spec)]


def pytest_generate_tests(metafunc):
    if "global_random_seed" in metafunc.fixturenames:
        metafunc.parametrize("global_random_seed", _seeds())


@pytest.fixture(autouse=True)
def _numpy_errors_are_loud():
    # A kernel that silently produces inf/NaN should show up as a warning.
    with np.errstate(all="warn"):
        yield
