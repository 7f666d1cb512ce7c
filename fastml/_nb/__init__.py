"""Numba kernels (``@njit(cache=True)``), one file per numeric topic."""
