"""`fastml bench` rows for fastml.nn. scikit-learn has no CNN: the kernels run beside
NumPy (sliding_window_view + einsum / reshape-max), and the LeNet-5 digits network
beside scikit-learn's MLPClassifier on the same split."""

import numpy as np

from fastml._bench import BenchCase


def _images():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3, 32, 32)).astype(np.float32)
    w = rng.standard_normal((16, 3, 3, 3)).astype(np.float32)
    return x, w, rng.standard_normal(16).astype(np.float32)


def _conv_fastml(d):
    from fastml.nn import _ops
    return _ops.conv2d(*d)


def _conv_numpy(d):
    from numpy.lib.stride_tricks import sliding_window_view
    x, w, b = d
    return np.einsum("nchwij,ocij->nohw", sliding_window_view(x, (3, 3), axis=(2, 3)), w,
                     optimize=True) + b[:, None, None]


def _pool_fastml(d):
    from fastml.nn import _ops
    return _ops.max_pool2d(d[0], (2, 2), (2, 2), (0, 0, 0, 0))


def _pool_numpy(d):
    return d[0].reshape(64, 3, 16, 2, 16, 2).max(axis=(3, 5))


def _maxdiff(a, b):
    return f"max|d|={np.abs(a - b).max():.1e}"


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def _lenet(d):
    from fastml.nn import Adam, Conv2D, Dense, Flatten, LearningRateScheduler, MaxPool2D, Sequential
    Xtr, Xte, ytr, yte = d
    # the network and schedule of examples/lenet_digits.py
    model = Sequential([Conv2D(16, 3, padding="same", activation="relu"), MaxPool2D(2),
                        Conv2D(32, 3, padding="same", activation="relu"), MaxPool2D(2),
                        Flatten(), Dense(120, activation="relu"), Dense(84, activation="relu"),
                        Dense(10, activation="softmax")], random_state=0)
    model.compile(Adam(0.002), "sparse_categorical_crossentropy", metrics=["accuracy"])
    decay = LearningRateScheduler(lambda epoch, lr: 0.002 * 0.88**epoch)
    model.fit(Xtr.reshape(-1, 1, 8, 8), ytr, epochs=30, batch_size=16, callbacks=[decay],
              verbose=0)
    return model.evaluate(Xte.reshape(-1, 1, 8, 8), yte)[1]


def _mlp(d):
    from sklearn.neural_network import MLPClassifier
    Xtr, Xte, ytr, yte = d
    return MLPClassifier((120, 84), max_iter=200, random_state=0).fit(Xtr, ytr).score(Xte, yte)


CASES = [
    BenchCase("Conv2D forward (vs NumPy einsum)", "64x3x32x32 f32, 16 3x3", _images,
              _conv_fastml, _conv_numpy, _maxdiff, repeat=10),
    BenchCase("MaxPool2D 2x2 (vs NumPy reshape)", "64x3x32x32 f32", _images, _pool_fastml,
              _pool_numpy, _maxdiff, repeat=10),
    BenchCase("LeNet-5 CNN 30 epochs (vs MLPClassifier)", "digits 8x8", _digits, _lenet, _mlp,
              lambda a, b: f"test acc {a:.3f} vs MLP {b:.3f}", repeat=1),
]
