"""Activation functions: forward value and the backward vector-Jacobian product.

Element-wise NumPy: each is one or two memory passes, already bandwidth-bound,
so a compiled kernel would not pay for its compile time. Every backward takes
(x, y, dy) with y = f(x) so that it can reuse whichever is cheaper.
"""

import math

import numpy as np
from scipy.special import erf, expit

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def _relu(x):
    return np.maximum(x, 0)


def _relu_grad(x, y, dy):
    return dy * (x > 0)


def _leaky_relu(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x)


def _leaky_relu_grad(x, y, dy, alpha=0.01):
    return np.where(x > 0, dy, alpha * dy)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _elu_grad(x, y, dy, alpha=1.0):
    return np.where(x > 0, dy, dy * (y + alpha))


def _selu(x):
    return _SELU_SCALE * _elu(x, _SELU_ALPHA)


def _selu_grad(x, y, dy):
    return np.where(x > 0, _SELU_SCALE * dy, dy * (y + _SELU_SCALE * _SELU_ALPHA))


# Python-float constants keep float32 arrays float32 (NumPy 2 promotion rules).


def _gelu(x):
    # exact (erf) GELU, Keras' and torch's default
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def _gelu_grad(x, y, dy):
    cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return dy * (cdf + x * pdf)


def _tanh(x):
    return np.tanh(x)


def _tanh_grad(x, y, dy):
    return dy * (1 - y * y)


def _sigmoid(x):
    return expit(x)


def _sigmoid_grad(x, y, dy):
    return dy * y * (1 - y)


def _softmax(x):
    # over axis 1: classes for (N, K), channels for (N, C, H, W)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_grad(x, y, dy):
    return y * (dy - (dy * y).sum(axis=1, keepdims=True))


def _swish(x):
    return x * expit(x)


def _swish_grad(x, y, dy):
    s = expit(x)
    return dy * (s + x * s * (1 - s))


def _mish(x):
    return x * np.tanh(np.logaddexp(0, x))


def _mish_grad(x, y, dy):
    t = np.tanh(np.logaddexp(0, x))
    return dy * (t + x * (1 - t * t) * expit(x))


def _linear(x):
    return x


def _linear_grad(x, y, dy):
    return dy


ACTIVATIONS = {
    "linear": (_linear, _linear_grad),
    "relu": (_relu, _relu_grad),
    "leaky_relu": (_leaky_relu, _leaky_relu_grad),
    "elu": (_elu, _elu_grad),
    "selu": (_selu, _selu_grad),
    "gelu": (_gelu, _gelu_grad),
    "tanh": (_tanh, _tanh_grad),
    "sigmoid": (_sigmoid, _sigmoid_grad),
    "softmax": (_softmax, _softmax_grad),
    "swish": (_swish, _swish_grad),
    "mish": (_mish, _mish_grad),
}


def get_activation(name):
    """(forward, backward) for an activation name; None means linear."""
    name = "linear" if name is None else name
    if name not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]
