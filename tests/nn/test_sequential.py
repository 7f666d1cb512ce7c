import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from fastml.nn import (
    SGD,
    Adam,
    BatchNormalization,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Conv2D,
    Dense,
    Dropout,
    EarlyStopping,
    Flatten,
    GlobalAvgPool2D,
    Huber,
    MaxPool2D,
    MeanAbsoluteError,
    MeanSquaredError,
    RMSprop,
    Sequential,
    SparseCategoricalCrossentropy,
    load_model,
)


def _bars(n=256, seed=0):
    """Images with a horizontal or a vertical bar: a task a tiny CNN must learn."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 2, n)
    pos = rng.integers(1, 7, n)
    for i in range(n):
        if y[i]:
            X[i, 0, :, pos[i]] += 1
        else:
            X[i, 0, pos[i], :] += 1
    return X, y


def _tiny(seed=0):
    return Sequential([Conv2D(4, 3, padding="same", activation="relu"), MaxPool2D(2),
                       Conv2D(8, 3, activation="relu"), GlobalAvgPool2D(),
                       Dense(2, activation="softmax")], random_state=seed)


def test_tiny_cnn_learns():
    X, y = _bars()
    Xv, yv = _bars(128, seed=1)
    model = _tiny()
    model.compile(Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(X, y, epochs=12, batch_size=32, validation_data=(Xv, yv), verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    loss, acc = model.evaluate(Xv, yv)
    assert acc > 0.9
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert model.predict(Xv).dtype == np.float32


def test_fit_is_reproducible_and_prints_progress(capsys):
    X, y = _bars(64)
    preds = []
    for _ in range(2):
        m = _tiny(seed=3)
        m.compile("sgd", "sparse_categorical_crossentropy")
        m.fit(X, y, epochs=2, verbose=1)
        preds.append(m.predict(X))
    assert_array_equal(*preds)
    err = capsys.readouterr().err
    assert "Epoch 2/2" in err and "loss:" in err


def test_save_load_round_trips_weights_exactly(tmp_path):
    X, y = _bars(64)
    model = Sequential([Conv2D(3, 3, strides=2, padding=(1, 1), activation="elu"),
                        BatchNormalization(), Flatten(), Dropout(0.2),
                        Dense(2, activation="softmax")], random_state=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=2, verbose=0)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = load_model(path)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert a.dtype == b.dtype
        assert_array_equal(a, b)
    assert_array_equal(loaded.predict(X), model.predict(X))
    assert "Total params" in loaded.summary()


def test_non_finite_training_data_is_rejected():
    X, y = _bars(16)
    X[3, 0, 2, 2] = np.nan
    m = _tiny()
    m.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"fit: X of shape \(16, 1, 8, 8\) contains NaN"):
        m.fit(X, y, verbose=0)
    X, _ = _bars(16)
    with pytest.raises(ValueError, match="y of shape"):
        m.fit(X, np.full(16, np.inf), verbose=0)


def test_nan_loss_stops_training():
    X = np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32)
    y = X.sum(axis=1) * 1e3
    m = Sequential([Dense(16, activation="relu"), Dense(1)], random_state=0)
    m.compile(SGD(10.0), "mse")
    with pytest.raises(ValueError, match="loss became (nan|inf)"):
        m.fit(X, y, epochs=50, verbose=0)


def test_early_stopping_restores_best():
    X, y = _bars(64)
    m = _tiny()
    m.compile(SGD(0.0), "sparse_categorical_crossentropy")  # no progress at all
    es = EarlyStopping("loss", patience=1, restore_best_weights=True)
    hist = m.fit(X, y, epochs=20, callbacks=[es], verbose=0, shuffle=False)
    assert len(hist.epoch) == 3 and es.stopped_epoch == 2


@pytest.mark.parametrize("opt", [SGD(0.1), SGD(0.05, momentum=0.9), SGD(0.05, 0.9, nesterov=True),
                                 Adam(0.05), RMSprop(0.01)])
def test_optimizers_fit_linear_regression(opt):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((128, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    m = Sequential([Dense(1)], random_state=0)
    m.compile(opt, "mse")
    hist = m.fit(X, y, epochs=60, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 1e-2


@pytest.mark.parametrize("loss, target", [
    (MeanSquaredError(), "real"), (MeanAbsoluteError(), "real"), (Huber(0.5), "real"),
    (BinaryCrossentropy(), "binary"), (BinaryCrossentropy(from_logits=True), "binary"),
    (SparseCategoricalCrossentropy(), "sparse"),
    (SparseCategoricalCrossentropy(from_logits=True), "sparse"),
    (CategoricalCrossentropy(), "onehot")])
def test_loss_gradients_match_finite_differences(loss, target):
    rng = np.random.default_rng(0)
    p = rng.uniform(0.1, 0.9, (5, 3))
    if target == "sparse":
        y = rng.integers(0, 3, 5)
        if not loss.from_logits:
            p /= p.sum(axis=1, keepdims=True)
    elif target == "onehot":
        y = np.eye(3)[rng.integers(0, 3, 5)]
    elif target == "binary":
        y = rng.integers(0, 2, (5, 3)).astype(float)
    else:
        y = rng.standard_normal((5, 3))
    _, grad = loss.value_and_grad(y, p)
    eps = 1e-6
    for idx in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[idx] += eps
        down[idx] -= eps
        assert_allclose(grad[idx], (loss(y, up) - loss(y, down)) / (2 * eps), rtol=1e-5,
                        atol=1e-8)


def test_compile_errors():
    m = _tiny()
    with pytest.raises(RuntimeError, match="compile"):
        m.fit(np.zeros((2, 1, 8, 8)), [0, 1])
    with pytest.raises(ValueError, match="Unknown loss"):
        m.compile("adam", "hinge2")
    with pytest.raises(ValueError, match="Unknown optimizer"):
        m.compile("lbfgs", "mse")


def test_float64_model():
    X, y = _bars(32)
    m = _tiny()
    m.compile("adam", "sparse_categorical_crossentropy")
    m.fit(X.astype(np.float64), y, verbose=0)
    assert m.predict(X).dtype == np.float64
    assert all(w.dtype == np.float64 for w in m.get_weights())
