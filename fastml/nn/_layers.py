"""Keras-style layers on NCHW arrays (like torch).

A layer is built once for an input shape (without the batch axis) and a
dtype, then maps ``forward(x, training)`` -> y and ``backward(dy)`` -> dx,
leaving parameter gradients in ``self.grads`` (same keys as ``self.params``).
"""

import numpy as np

from fastml._nb import augment as _augment
from fastml.nn import _ops
from fastml.nn._activations import get_activation

_INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                 "lecun_normal", "zeros", "ones")


def initialize(name, shape, fan_in, fan_out, rng, dtype):
    """Glorot (Xavier), He and LeCun initialisers, Keras' definitions."""
    if name == "zeros":
        return np.zeros(shape, dtype)
    if name == "ones":
        return np.ones(shape, dtype)
    if name == "glorot_uniform":
        lim = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-lim, lim, shape).astype(dtype)
    if name == "he_uniform":
        lim = np.sqrt(6.0 / fan_in)
        return rng.uniform(-lim, lim, shape).astype(dtype)
    std = {"glorot_normal": np.sqrt(2.0 / (fan_in + fan_out)),
           "he_normal": np.sqrt(2.0 / fan_in),
           "lecun_normal": np.sqrt(1.0 / fan_in)}.get(name)
    if std is None:
        raise ValueError(f"Unknown initializer {name!r}; expected one of {_INITIALIZERS}")
    # Keras draws truncated normals: resample beyond two standard deviations
    w = rng.standard_normal(shape)
    bad = np.abs(w) > 2
    while bad.any():
        w[bad] = rng.standard_normal(bad.sum())
        bad = np.abs(w) > 2
    return (std / 0.87962566103423978 * w).astype(dtype)


class Layer:
    """Base class. Subclasses set ``_config_keys`` (their constructor arguments)."""

    _config_keys = ()
    _count = {}

    def __init__(self, name=None):
        cls = type(self).__name__
        if name is None:
            Layer._count[cls] = Layer._count.get(cls, 0) + 1
            name = f"{cls.lower()}_{Layer._count[cls]}"
        self.name = name
        self.params, self.grads = {}, {}
        self.built = False
        self.input_shape = None

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._config_keys)
        return f"{type(self).__name__}({args})"

    def get_config(self):
        cfg = {k: getattr(self, k) for k in self._config_keys}
        cfg["name"] = self.name
        return cfg

    def _error(self, what, shape):
        return ValueError(f"{type(self).__name__} layer '{self.name}': {what}; got input shape "
                          f"{tuple(shape)}")

    def build(self, input_shape, dtype, rng):
        self.input_shape = tuple(input_shape)
        self.dtype = np.dtype(dtype)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def check_input(self, x):
        if self.input_shape is not None and x.shape[1:] != self.input_shape:
            raise self._error(f"expected (batch,) + {self.input_shape}", x.shape)

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dy, need_dx=True):
        raise NotImplementedError


class Activation(Layer):
    """An activation as a layer: relu, leaky_relu, elu, selu, gelu, tanh,
    sigmoid, softmax (over axis 1), swish, mish or linear."""

    _config_keys = ("activation",)

    def __init__(self, activation, name=None):
        super().__init__(name)
        self.activation = activation
        self._f, self._df = get_activation(activation)

    def forward(self, x, training=False):
        self._x = x
        self._y = self._f(x)
        return self._y

    def backward(self, dy, need_dx=True):
        return self._df(self._x, self._y, dy)


class _WithActivation(Layer):
    """Dense and Conv2D apply an optional activation after the affine map."""

    def _activate(self, z):
        self._z = z
        self._a = self._f(z)
        return self._a

    def _deactivate(self, dy):
        return self._df(self._z, self._a, dy)


class Dense(_WithActivation):
    """Fully connected layer: y = activation(x @ kernel + bias), kernel (in, units).

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.nn import Dense, Sequential
    >>> model = Sequential([Dense(3, activation="relu")], random_state=0)
    >>> model.build((4,))
    >>> model.predict(np.ones((2, 4), np.float32)).shape
    (2, 3)
    """

    _config_keys = ("units", "activation", "use_bias", "kernel_initializer", "bias_initializer")

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name=None):
        super().__init__(name)
        self.units, self.activation, self.use_bias = int(units), activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self._f, self._df = get_activation(activation)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise self._error("expected 2-D input (batch, features); add a Flatten layer first",
                              (None,) + tuple(input_shape))
        return (self.units,)

    def build(self, input_shape, dtype, rng):
        super().build(input_shape, dtype, rng)
        fan_in = input_shape[0]
        self.params["kernel"] = initialize(self.kernel_initializer, (fan_in, self.units), fan_in,
                                           self.units, rng, dtype)
        if self.use_bias:
            self.params["bias"] = initialize(self.bias_initializer, (self.units,), fan_in,
                                             self.units, rng, dtype)

    def check_input(self, x):
        if x.ndim != 2:
            raise self._error("expected 2-D input (batch, features)", x.shape)
        super().check_input(x)

    def forward(self, x, training=False):
        self._x = x
        z = x @ self.params["kernel"]
        if self.use_bias:
            z += self.params["bias"]
        return self._activate(z)

    def backward(self, dy, need_dx=True):
        dz = self._deactivate(dy)
        self.grads["kernel"] = self._x.T @ dz
        if self.use_bias:
            self.grads["bias"] = dz.sum(axis=0)
        return dz @ self.params["kernel"].T if need_dx else None


class Conv2D(_WithActivation):
    """2-D convolution (cross-correlation) on NCHW input, kernel (filters, C, KH, KW).

    ``padding`` is "valid", "same" (Keras' rule: output = ceil(input / stride))
    or an int / pair of symmetric paddings (torch's convention).

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.nn import Conv2D, Sequential
    >>> model = Sequential([Conv2D(4, 3, padding="same")], random_state=0)
    >>> model.build((1, 8, 8))
    >>> model.predict(np.zeros((2, 1, 8, 8), np.float32)).shape
    (2, 4, 8, 8)
    """

    _config_keys = ("filters", "kernel_size", "strides", "padding", "dilation_rate", "activation",
                    "use_bias", "kernel_initializer", "bias_initializer")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name=None):
        super().__init__(name)
        self.filters = int(filters)
        self.kernel_size = _ops._pair(kernel_size, "kernel_size")
        self.strides = _ops._pair(strides, "strides")
        self.dilation_rate = _ops._pair(dilation_rate, "dilation_rate")
        if isinstance(padding, str) and padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid', 'same', an int or a pair; got {padding!r}")
        self.padding = padding if isinstance(padding, str) else _ops._pair(padding, "padding")
        if min(self.kernel_size + self.strides + self.dilation_rate) < 1 or self.filters < 1:
            raise ValueError(f"Conv2D '{self.name}': filters, kernel_size, strides and "
                             "dilation_rate must be positive")
        self.activation, self.use_bias = activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self._f, self._df = get_activation(activation)

    def _geometry(self, input_shape):
        if len(input_shape) != 3:
            raise self._error("expected 4-D input (batch, channels, height, width)",
                              (None,) + tuple(input_shape))
        pads, out = _ops.resolve_padding(self.padding, input_shape[1:], self.kernel_size,
                                         self.strides, self.dilation_rate)
        for axis, name in ((0, "height"), (1, "width")):
            ext = (self.kernel_size[axis] - 1) * self.dilation_rate[axis] + 1
            padded = input_shape[1 + axis] + pads[2 * axis] + pads[2 * axis + 1]
            if ext > padded:
                raise self._error(f"the dilated kernel {name} {ext} is larger than the padded "
                                  f"input {name} {padded}", (None,) + tuple(input_shape))
        return pads, out

    def compute_output_shape(self, input_shape):
        return (self.filters,) + self._geometry(input_shape)[1]

    def build(self, input_shape, dtype, rng):
        super().build(input_shape, dtype, rng)
        self._pads = self._geometry(input_shape)[0]
        c = input_shape[0]
        kh, kw = self.kernel_size
        shape = (self.filters, c, kh, kw)
        self.params["kernel"] = initialize(self.kernel_initializer, shape, c * kh * kw,
                                           self.filters * kh * kw, rng, dtype)
        if self.use_bias:
            self.params["bias"] = initialize(self.bias_initializer, (self.filters,), c * kh * kw,
                                             self.filters * kh * kw, rng, dtype)

    def check_input(self, x):
        if x.ndim != 4:
            raise self._error("expected 4-D input (batch, channels, height, width)", x.shape)
        if x.shape[1] != self.input_shape[0]:
            raise self._error(f"channel mismatch: the kernel expects {self.input_shape[0]} "
                              f"input channels, got {x.shape[1]}", x.shape)
        super().check_input(x)

    def _bias(self):
        if self.use_bias:
            return self.params["bias"]
        return np.zeros(self.filters, self.params["kernel"].dtype)

    def forward(self, x, training=False):
        self._x = x
        z = _ops.conv2d(x, self.params["kernel"], self._bias(), self.strides, self._pads,
                        self.dilation_rate)
        return self._activate(z)

    def backward(self, dy, need_dx=True):
        dz = self._deactivate(dy)
        dx, dw, db = _ops.conv2d_backward(self._x, self.params["kernel"], dz, self.strides,
                                          self._pads, self.dilation_rate, need_dx=need_dx)
        self.grads["kernel"] = dw
        if self.use_bias:
            self.grads["bias"] = db
        return dx


class _Pool2D(Layer):
    _config_keys = ("pool_size", "strides", "padding")

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None):
        super().__init__(name)
        self.pool_size = _ops._pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _ops._pair(strides, "strides")
        if isinstance(padding, str) and padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid', 'same', an int or a pair; got {padding!r}")
        self.padding = padding if isinstance(padding, str) else _ops._pair(padding, "padding")

    def _geometry(self, input_shape):
        if len(input_shape) != 3:
            raise self._error("expected 4-D input (batch, channels, height, width)",
                              (None,) + tuple(input_shape))
        pads, out = _ops.resolve_padding(self.padding, input_shape[1:], self.pool_size,
                                         self.strides, (1, 1))
        if min(out) < 1:
            raise self._error(f"pool size {self.pool_size} is larger than the padded input",
                              (None,) + tuple(input_shape))
        return pads, out

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._geometry(input_shape)[1]

    def build(self, input_shape, dtype, rng):
        super().build(input_shape, dtype, rng)
        self._pads = self._geometry(input_shape)[0]

    def check_input(self, x):
        if x.ndim != 4:
            raise self._error("expected 4-D input (batch, channels, height, width)", x.shape)
        super().check_input(x)


class MaxPool2D(_Pool2D):
    """Max pooling; padded positions never win (Keras / torch).

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.nn import MaxPool2D, Sequential
    >>> model = Sequential([MaxPool2D(2)])
    >>> model.build((1, 4, 4))
    >>> model.predict(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """

    def forward(self, x, training=False):
        self._x = x
        self._y = _ops.max_pool2d(x, self.pool_size, self.strides, self._pads)
        return self._y

    def backward(self, dy, need_dx=True):
        return _ops.max_pool2d_backward(self._x, self._y, dy, self.pool_size, self.strides,
                                        self._pads)


class AvgPool2D(_Pool2D):
    """Average pooling over the in-image part of each window (Keras; torch's
    ``count_include_pad=False``)."""

    def forward(self, x, training=False):
        self._shape = x.shape
        return _ops.avg_pool2d(x, self.pool_size, self.strides, self._pads)

    def backward(self, dy, need_dx=True):
        return _ops.avg_pool2d_backward(self._shape, dy, self.pool_size, self.strides, self._pads)


class GlobalAvgPool2D(Layer):
    """Mean over height and width: (N, C, H, W) -> (N, C)."""

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise self._error("expected 4-D input (batch, channels, height, width)",
                              (None,) + tuple(input_shape))
        return (input_shape[0],)

    def check_input(self, x):
        if x.ndim != 4:
            raise self._error("expected 4-D input (batch, channels, height, width)", x.shape)
        super().check_input(x)

    def forward(self, x, training=False):
        self._shape = x.shape
        hw = x.shape[2:]  # the average pool kernel with one window per plane
        return _ops.avg_pool2d(x, hw, hw, (0, 0, 0, 0))[:, :, 0, 0]

    def backward(self, dy, need_dx=True):
        hw = self._shape[2:]
        return _ops.avg_pool2d_backward(self._shape, dy[:, :, None, None], hw, hw, (0, 0, 0, 0))


class Flatten(Layer):
    """(N, ...) -> (N, prod(...)), in C order (channels first, as torch)."""

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy, need_dx=True):
        return dy.reshape(self._shape)


class Dropout(Layer):
    """Inverted dropout: zero a fraction ``rate`` of inputs while training, scale the rest."""

    _config_keys = ("rate",)

    def __init__(self, rate, name=None):
        super().__init__(name)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)

    def build(self, input_shape, dtype, rng):
        super().build(input_shape, dtype, rng)
        self._rng = rng

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self._mask = None
            return x
        keep = 1.0 - self.rate
        self._mask = (self._rng.random(x.shape) < keep).astype(x.dtype) / x.dtype.type(keep)
        return x * self._mask

    def backward(self, dy, need_dx=True):
        return dy if self._mask is None else dy * self._mask


class BatchNormalization(Layer):
    """Batch normalisation over axis 1 (features of (N, F), channels of (N, C, H, W)).

    Keras' defaults: ``momentum=0.99`` for the moving statistics, ``epsilon=1e-3``.
    """

    _config_keys = ("momentum", "epsilon")

    def __init__(self, momentum=0.99, epsilon=1e-3, name=None):
        super().__init__(name)
        self.momentum, self.epsilon = float(momentum), float(epsilon)

    def build(self, input_shape, dtype, rng):
        super().build(input_shape, dtype, rng)
        c = input_shape[0]
        self.params["gamma"] = np.ones(c, dtype)
        self.params["beta"] = np.zeros(c, dtype)
        # not trained by the optimiser, but saved with the weights
        self.moving_mean = np.zeros(c, dtype)
        self.moving_variance = np.ones(c, dtype)

    def _bshape(self, x):
        return (1, -1) + (1,) * (x.ndim - 2)

    def forward(self, x, training=False):
        axes = (0,) + tuple(range(2, x.ndim))
        shp = self._bshape(x)
        if training:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = self.momentum
            self.moving_mean[:] = m * self.moving_mean + (1 - m) * mean
            self.moving_variance[:] = m * self.moving_variance + (1 - m) * var
        else:
            mean, var = self.moving_mean, self.moving_variance
        self._inv = (1.0 / np.sqrt(var + self.epsilon)).astype(x.dtype)
        self._xhat = (x - mean.reshape(shp)) * self._inv.reshape(shp)
        self._axes = axes
        return self._xhat * self.params["gamma"].reshape(shp) + self.params["beta"].reshape(shp)

    def backward(self, dy, need_dx=True):
        shp, axes = self._bshape(dy), self._axes
        self.grads["gamma"] = (dy * self._xhat).sum(axis=axes)
        self.grads["beta"] = dy.sum(axis=axes)
        m = dy.size // dy.shape[1]
        g = self.params["gamma"].reshape(shp) * self._inv.reshape(shp)
        return g * (dy - self.grads["beta"].reshape(shp) / m
                    - self._xhat * self.grads["gamma"].reshape(shp) / m)

    def get_state(self):
        return {"moving_mean": self.moving_mean, "moving_variance": self.moving_variance}


class _RandomAffine(Layer):
    """Data augmentation: a random affine warp per image while training,
    identity at inference (Keras' preprocessing layers). Put it first: it has no
    backward pass. Pixels from outside the image are ``fill_value``."""

    def build(self, input_shape, dtype, rng):
        super().build(input_shape, dtype, rng)
        if len(input_shape) != 3:
            raise self._error("expected 4-D input (batch, channels, height, width)",
                              (None,) + tuple(input_shape))
        self._rng = rng

    def _maps(self, n, h, w):
        raise NotImplementedError

    def forward(self, x, training=False):
        if not training:
            return x
        n, _, h, w = x.shape
        mats = self._maps(n, h, w)
        # compose about the image centre: sample = A @ (out - centre) + centre + t
        cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
        m = np.zeros((n, 2, 3))
        m[:, :, :2] = mats[:, :, :2]
        m[:, 0, 2] = cy - mats[:, 0, 0] * cy - mats[:, 0, 1] * cx + mats[:, 0, 2]
        m[:, 1, 2] = cx - mats[:, 1, 0] * cy - mats[:, 1, 1] * cx + mats[:, 1, 2]
        out = np.empty_like(x)
        _ops._set_threads()
        _augment.affine_warp(_ops._writeable(x, x.dtype), m, float(self.fill_value), out)
        return out

    def backward(self, dy, need_dx=True):
        raise ValueError(f"{type(self).__name__} layer '{self.name}' has no gradient: place "
                         "augmentation layers before every trainable layer")


def _range(factor):
    lo, hi = (-factor, factor) if np.isscalar(factor) else factor
    return float(lo), float(hi)


class RandomTranslation(_RandomAffine):
    """Shift by up to ``height_factor`` / ``width_factor`` of the image size."""

    _config_keys = ("height_factor", "width_factor", "fill_value")

    def __init__(self, height_factor, width_factor, fill_value=0.0, name=None):
        super().__init__(name)
        self.height_factor, self.width_factor, self.fill_value = height_factor, width_factor, fill_value

    def _maps(self, n, h, w):
        m = np.zeros((n, 2, 3))
        m[:, 0, 0] = m[:, 1, 1] = 1
        m[:, 0, 2] = -self._rng.uniform(*_range(self.height_factor), n) * h
        m[:, 1, 2] = -self._rng.uniform(*_range(self.width_factor), n) * w
        return m


class RandomRotation(_RandomAffine):
    """Rotate by up to ``factor`` x 2 pi radians (Keras' convention)."""

    _config_keys = ("factor", "fill_value")

    def __init__(self, factor, fill_value=0.0, name=None):
        super().__init__(name)
        self.factor, self.fill_value = factor, fill_value

    def _maps(self, n, h, w):
        a = self._rng.uniform(*_range(self.factor), n) * 2 * np.pi
        m = np.zeros((n, 2, 3))
        m[:, 0, 0], m[:, 0, 1] = np.cos(a), -np.sin(a)
        m[:, 1, 0], m[:, 1, 1] = np.sin(a), np.cos(a)
        return m


class RandomZoom(_RandomAffine):
    """Zoom by a random factor: ``height_factor`` 0.2 means 80%..120% sampling scale
    (Keras: positive factor zooms out)."""

    _config_keys = ("height_factor", "width_factor", "fill_value")

    def __init__(self, height_factor, width_factor=None, fill_value=0.0, name=None):
        super().__init__(name)
        self.height_factor, self.width_factor, self.fill_value = height_factor, width_factor, fill_value

    def _maps(self, n, h, w):
        zh = 1 + self._rng.uniform(*_range(self.height_factor), n)
        zw = zh if self.width_factor is None else 1 + self._rng.uniform(*_range(self.width_factor), n)
        m = np.zeros((n, 2, 3))
        m[:, 0, 0], m[:, 1, 1] = zh, zw
        return m


class RandomFlip(Layer):
    """Flip each image with probability 1/2: "horizontal", "vertical" or both."""

    _config_keys = ("mode",)

    def __init__(self, mode="horizontal", name=None):
        super().__init__(name)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"Unknown RandomFlip mode {mode!r}")
        self.mode = mode

    def build(self, input_shape, dtype, rng):
        super().build(input_shape, dtype, rng)
        self._rng = rng

    def forward(self, x, training=False):
        if not training:
            return x
        out = x.copy()
        if "horizontal" in self.mode:
            f = self._rng.random(len(x)) < 0.5
            out[f] = out[f, ..., ::-1]
        if "vertical" in self.mode:
            f = self._rng.random(len(x)) < 0.5
            out[f] = out[f, :, ::-1, :]
        return out

    def backward(self, dy, need_dx=True):
        raise ValueError(f"RandomFlip layer '{self.name}' has no gradient: place augmentation "
                         "layers before every trainable layer")


LAYERS = {cls.__name__: cls for cls in (
    Activation, Dense, Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten, Dropout,
    BatchNormalization, RandomTranslation, RandomRotation, RandomZoom, RandomFlip)}
