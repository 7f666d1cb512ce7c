"""Finite-difference gradient checks for every layer, and bad-input errors."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from fastml.nn import (
    Activation,
    AvgPool2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    MaxPool2D,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Sequential,
)
from fastml.nn._activations import ACTIVATIONS

LAYERS = [
    (lambda: Dense(5, activation="tanh"), (7,)),
    (lambda: Dense(3, use_bias=False), (4,)),
    (lambda: Conv2D(4, 3, padding="same", activation="relu"), (2, 6, 7)),
    (lambda: Conv2D(3, (2, 3), strides=2, padding=1, dilation_rate=(1, 2)), (2, 7, 8)),
    (lambda: Conv2D(5, 3, strides=(1, 2), padding="valid", dilation_rate=2), (3, 8, 9)),
    (lambda: MaxPool2D(2), (2, 6, 6)),
    (lambda: MaxPool2D(3, strides=2, padding="same"), (2, 7, 8)),
    (lambda: AvgPool2D(2, padding="same"), (2, 5, 7)),
    (lambda: AvgPool2D((3, 2), strides=1), (1, 6, 5)),
    (lambda: GlobalAvgPool2D(), (3, 4, 5)),
    (lambda: Flatten(), (2, 3, 4)),
    (lambda: BatchNormalization(), (6,)),
    (lambda: BatchNormalization(), (3, 4, 5)),
] + [(lambda a=a: Activation(a), (4, 3)) for a in sorted(ACTIVATIONS)]


def _numeric_grad(f, arr, idx, eps=1e-6):
    old = arr[idx]
    arr[idx] = old + eps
    up = f()
    arr[idx] = old - eps
    down = f()
    arr[idx] = old
    return (up - down) / (2 * eps)


@pytest.mark.parametrize("make, shape", LAYERS,
                         ids=[f"{m().__class__.__name__}-{i}" for i, (m, _) in enumerate(LAYERS)])
def test_layer_gradients_match_finite_differences(make, shape):
    rng = np.random.default_rng(0)
    layer = make()
    layer.build(shape, np.float64, rng)
    x = rng.standard_normal((3,) + shape)
    # keep inputs off the kinks of relu / max (finite differences straddle them)
    x += np.sign(x) * 0.05
    r = rng.standard_normal((3,) + layer.output_shape)

    def objective():
        return float((layer.forward(x, training=True) * r).sum())

    objective()
    dx = layer.backward(r)
    grads = {k: g.copy() for k, g in layer.grads.items()}
    for idx in zip(*(rng.integers(0, s, 8) for s in x.shape)):
        assert_allclose(dx[idx], _numeric_grad(objective, x, idx), rtol=1e-5, atol=1e-7)
    for name, p in layer.params.items():
        for idx in zip(*(rng.integers(0, s, 6) for s in p.shape)):
            assert_allclose(grads[name][idx], _numeric_grad(objective, p, idx), rtol=1e-5,
                            atol=1e-7)


def test_dropout_scales_and_routes_gradient():
    layer = Dropout(0.25)
    layer.build((1000,), np.float64, np.random.default_rng(0))
    x = np.ones((4, 1000))
    y = layer.forward(x, training=True)
    kept = y != 0
    assert_allclose(y[kept], 1 / 0.75)
    assert 0.7 < kept.mean() < 0.8
    assert_allclose(layer.backward(np.ones_like(x)), y)
    assert layer.forward(x, training=False) is x


def test_batchnorm_inference_uses_moving_statistics():
    layer = BatchNormalization(momentum=0.0)
    layer.build((2, 3, 3), np.float64, np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((8, 2, 3, 3)) * 3 + 1
    train = layer.forward(x, training=True)
    assert_allclose(train.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    assert_allclose(layer.forward(x, training=False), train, rtol=1e-12)


@pytest.mark.parametrize("layer", [RandomTranslation(0.2, 0.2), RandomRotation(0.1),
                                   RandomZoom(0.2), RandomFlip("horizontal_and_vertical")])
def test_augmentation_is_random_in_training_and_identity_at_inference(layer):
    layer.build((2, 8, 8), np.float32, np.random.default_rng(0))
    x = np.random.default_rng(1).random((16, 2, 8, 8)).astype(np.float32)
    assert layer.forward(x, training=False) is x
    y = layer.forward(x, training=True)
    assert y.shape == x.shape and y.dtype == x.dtype and np.isfinite(y).all()
    assert not np.allclose(y, x)


def test_affine_augmentations_with_zero_ranges_are_exact():
    x = np.random.default_rng(1).random((4, 1, 6, 7))
    for layer in (RandomTranslation(0.0, 0.0), RandomRotation(0.0), RandomZoom(0.0)):
        layer.build((1, 6, 7), np.float64, np.random.default_rng(0))
        assert_allclose(layer.forward(x, training=True), x, atol=1e-12)


def test_translation_by_whole_pixels_shifts():
    layer = RandomTranslation((0.5, 0.5), (0.0, 0.0))  # always down by half the height
    layer.build((1, 4, 3), np.float64, np.random.default_rng(0))
    x = np.arange(12.0).reshape(1, 1, 4, 3)
    y = layer.forward(x, training=True)
    assert_allclose(y[0, 0, 2:], x[0, 0, :2])
    assert_allclose(y[0, 0, :2], 0)


def test_augmentation_before_conv_trains():
    model = Sequential([RandomFlip(), Conv2D(2, 3), Flatten(), Dense(2, activation="softmax")],
                       random_state=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(np.zeros((8, 1, 5, 5), np.float32), np.arange(8) % 2, verbose=0)


# -- bad input ---------------------------------------------------------------

def _model(*layers, shape):
    m = Sequential(list(layers), random_state=0)
    m.build(shape)
    return m


def test_wrong_rank_names_layer_and_shape():
    with pytest.raises(ValueError, match=r"Conv2D layer 'c1'.*4-D.*\(None, 10\)"):
        _model(Conv2D(2, 3, name="c1"), shape=(10,))
    m = _model(Conv2D(2, 3, name="c2"), shape=(1, 5, 5))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(batch,\) \+ \(1, 5, 5\)"):
        m.predict(np.zeros((2, 5, 5)))
    with pytest.raises(ValueError, match="Dense layer 'd'.*Flatten"):
        _model(Dense(3, name="d"), shape=(1, 4, 4))


def test_channel_mismatch_names_layer():
    layer = Conv2D(2, 3, name="conv")
    layer.build((3, 6, 6), np.float32, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"Conv2D layer 'conv'.*3 input channels, got 2.*\(1, 2, 6, 6\)"):
        layer.check_input(np.zeros((1, 2, 6, 6), np.float32))


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"kernel height 5 is larger than the padded input height 4"):
        _model(Conv2D(2, 5, name="big"), shape=(1, 4, 8))
    with pytest.raises(ValueError, match="dilated kernel width 7"):
        _model(Conv2D(2, 4, dilation_rate=2, padding=1), shape=(1, 9, 4))
    with pytest.raises(ValueError, match="pool size"):
        _model(MaxPool2D(3), shape=(1, 2, 2))


def test_invalid_layer_parameters():
    with pytest.raises(ValueError, match="padding"):
        Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="positive"):
        Conv2D(2, 0)
    with pytest.raises(ValueError, match="Unknown activation"):
        Dense(2, activation="relu6")
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.0)
