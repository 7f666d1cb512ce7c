"""``CNNClassifier``: a small convolutional network behind scikit-learn's classifier API."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from fastml.nn import Adam, Conv2D, Dense, Flatten, MaxPool2D, Sequential, SGD
from fastml.nn._sequential import EarlyStopping
from fastml.utils._sklearn import (
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    check_random_state,
    validate_data,
)


class CNNClassifier(ClassifierMixin, BaseEstimator):
    """Convolutional neural-network classifier with scikit-learn's API.

    The network is ``len(filters)`` blocks of [Conv2D(f, kernel_size,
    padding="same", activation) -> MaxPool2D(pool_size, padding="same")], then
    Flatten, Dense layers of ``hidden_layer_sizes`` and a softmax output,
    trained with the sparse categorical cross-entropy (a Keras-style
    :class:`fastml.nn.Sequential`). "same" padding keeps every block valid
    for any image size, down to 1 x 1.

    Parameters
    ----------
    input_shape : tuple (channels, height, width), default=None
        How each row of a 2-D ``X`` is reshaped into an image (C order, as
        ``X.reshape(-1, C, H, W)``). None: 4-D ``X`` is used as is, and each
        row of a 2-D ``X`` becomes a 1 x 1 x n_features "image" (a 1-D signal).
    filters : tuple of int, default=(8, 16)
        Output channels of each convolution block.
    kernel_size : int, default=3
    pool_size : int, default=2
    hidden_layer_sizes : tuple of int, default=(64,)
        Dense layers between the convolutions and the output.
    activation : {"relu", "elu", "selu", "gelu", "tanh", "swish", "mish"}, default="relu"
    solver : {"adam", "sgd"}, default="adam"
    learning_rate_init : float, default=0.001
    momentum : float, default=0.9
        SGD momentum (Nesterov), ignored by Adam.
    batch_size : int, default=32
    max_iter : int, default=30
        Number of epochs (as MLPClassifier's ``max_iter`` for stochastic solvers).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when its loss has
        not improved for ``n_iter_no_change`` epochs (best weights restored).
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    random_state : int, RandomState instance or None, default=None
    verbose : bool, default=False
        Print a Keras-style progress bar per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    model_ : fastml.nn.Sequential
        The trained network.
    loss_curve_ : list of float
        Training loss per epoch.
    n_iter_ : int
        Epochs run.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from fastml.neural_network import CNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, stratify=y,
    ...                                                     random_state=0)
    >>> clf = CNNClassifier(input_shape=(1, 8, 8), max_iter=8, random_state=0)
    >>> clf.fit(X_train, y_train).score(X_test, y_test) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "input_shape": [tuple, list, None],
        "filters": [tuple, list],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "pool_size": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [tuple, list],
        "activation": [StrOptions({"relu", "leaky_relu", "elu", "selu", "gelu", "tanh",
                                   "sigmoid", "swish", "mish"})],
        "solver": [StrOptions({"adam", "sgd"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, input_shape=None, filters=(8, 16), kernel_size=3, pool_size=2,
                 hidden_layer_sizes=(64,), activation="relu", solver="adam",
                 learning_rate_init=0.001, momentum=0.9, batch_size=32, max_iter=30,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10,
                 random_state=None, verbose=False):
        self.input_shape = input_shape
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose

    def _images(self, X):
        """2-D rows -> (N, C, H, W) by ``input_shape``; 4-D passes through."""
        if X.ndim == 4:
            return X
        if X.ndim != 2:
            raise ValueError(f"{type(self).__name__} expects X of shape (n_samples, n_features) "
                             f"or (n_samples, C, H, W); got shape {X.shape}")
        shape = (1, 1, X.shape[1]) if self.input_shape is None else tuple(self.input_shape)
        if len(shape) != 3 or int(np.prod(shape)) != X.shape[1]:
            raise ValueError(f"input_shape={self.input_shape!r} must be (C, H, W) with "
                             f"C*H*W equal to the {X.shape[1]} features of X")
        return X.reshape((X.shape[0],) + shape)

    def _build_model(self, image_shape, dtype, rng):
        layers = []
        for f in self.filters:
            layers += [Conv2D(f, self.kernel_size, padding="same", activation=self.activation,
                              kernel_initializer="he_uniform"),
                       MaxPool2D(self.pool_size, padding="same")]
        layers.append(Flatten())
        layers += [Dense(u, activation=self.activation, kernel_initializer="he_uniform")
                   for u in self.hidden_layer_sizes]
        layers.append(Dense(len(self.classes_), activation="softmax"))
        model = Sequential(layers, random_state=np.random.default_rng(rng.randint(2**31)))
        model.build(image_shape, dtype)
        opt = (Adam(self.learning_rate_init) if self.solver == "adam"
               else SGD(self.learning_rate_init, momentum=self.momentum, nesterov=True))
        model.compile(opt, "sparse_categorical_crossentropy")
        return model

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on (X, y); returns self."""
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64], allow_nd=True)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; "
                             f"got 1 class ({self.classes_[0]!r})")
        images = self._images(X)
        rng = check_random_state(self.random_state)
        self.model_ = self._build_model(images.shape[1:], images.dtype, rng)
        callbacks, validation = [], None
        if self.early_stopping:
            n_val = max(1, int(round(self.validation_fraction * len(images))))
            perm = rng.permutation(len(images))
            val, tr = perm[:n_val], perm[n_val:]
            validation = (images[val], y_enc[val])
            images, y_enc = images[tr], y_enc[tr]
            callbacks.append(EarlyStopping("val_loss", patience=self.n_iter_no_change,
                                           restore_best_weights=True))
        history = self.model_.fit(images, y_enc, epochs=self.max_iter,
                                  batch_size=self.batch_size, validation_data=validation,
                                  callbacks=callbacks, verbose=int(bool(self.verbose)))
        self.loss_curve_ = history.history["loss"]
        self.n_iter_ = len(history.epoch)
        return self

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float32, np.float64], allow_nd=True, reset=False)
        images = self._images(X).astype(self.model_.dtype, copy=False)
        return self.model_.predict(images, batch_size=256)

    def predict(self, X):
        """Most probable class per sample."""
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
