"""Keras-style neural-network layers (NCHW arrays, like torch) on Numba kernels."""
