"""``Sequential``: a Keras-style stack of layers trained by mini-batch gradient descent."""

import json
import sys
import time

import numpy as np

from fastml.nn._layers import LAYERS, BatchNormalization
from fastml.nn._losses import get_loss, metric_value
from fastml.nn._optimizers import get_optimizer


class History:
    """What ``fit`` returns: ``history.history["loss"]`` etc., one value per epoch."""

    def __init__(self):
        self.history = {}
        self.epoch = []

    def _append(self, epoch, logs):
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)


class Callback:
    """Base callback: override ``on_epoch_end(epoch, logs)``; set ``model.stop_training``."""

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto",
                 restore_best_weights=False):
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.mode, self.restore_best_weights = mode, restore_best_weights

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_weights = 0, None, None
        self.best = np.inf if self.mode == "min" else -np.inf

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which is not among the "
                             f"logged values {sorted(logs or {})}")
        better = (value < self.best - self.min_delta if self.mode == "min"
                  else value > self.best + self.min_delta)
        if better:
            self.best, self.wait = value, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class LearningRateScheduler(Callback):
    """Set the optimiser's learning rate to ``schedule(epoch, lr)`` before each epoch."""

    def __init__(self, schedule):
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        opt.learning_rate = float(self.schedule(epoch, opt.learning_rate))


class _Progress:
    """One line per epoch on stderr, redrawn as batches complete."""

    def __init__(self, epoch, epochs, steps, width=25):
        self.head, self.steps, self.width = f"Epoch {epoch + 1}/{epochs}", steps, width
        self.t0 = time.perf_counter()

    def update(self, step, logs, end=False):
        filled = int(self.width * step / self.steps)
        bar = "=" * filled + "." * (self.width - filled)
        vals = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
        sys.stderr.write(f"\r{self.head} [{bar}] {step}/{self.steps} "
                         f"{time.perf_counter() - self.t0:.1f}s - {vals}")
        if end:
            sys.stderr.write("\n")
        sys.stderr.flush()


class Sequential:
    """A linear stack of layers, Keras' ``Sequential`` API on NCHW arrays (like torch).

    Parameters
    ----------
    layers : list of Layer, default=None
    random_state : int, numpy Generator or None
        Seeds weight initialisation, dropout, augmentation and shuffling.

    Examples
    --------
    >>> import numpy as np
    >>> from fastml.nn import Sequential, Conv2D, MaxPool2D, Flatten, Dense
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((64, 1, 8, 8)).astype(np.float32)
    >>> y = (X[:, 0, :4].sum(axis=(1, 2)) > 0).astype(int)
    >>> model = Sequential([Conv2D(4, 3, padding="same", activation="relu"), MaxPool2D(2),
    ...                     Flatten(), Dense(2, activation="softmax")], random_state=0)
    >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> history = model.fit(X, y, epochs=3, batch_size=16, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss']
    """

    def __init__(self, layers=None, random_state=None, name="sequential"):
        self.layers = list(layers or [])
        self.random_state = random_state
        self.name = name
        self.built = False
        self.optimizer = self.loss = None
        self.metrics = []

    def add(self, layer):
        self.layers.append(layer)
        self.built = False

    # -- building -------------------------------------------------------------
    def build(self, input_shape, dtype=np.float32):
        """Create every layer's weights for inputs of shape (batch,) + ``input_shape``."""
        rng = (self.random_state if isinstance(self.random_state, np.random.Generator)
               else np.random.default_rng(self.random_state))
        self._rng = rng
        shape = tuple(int(s) for s in input_shape)
        self.input_shape = shape
        self.dtype = np.dtype(dtype)
        for layer in self.layers:
            layer.build(shape, self.dtype, rng)
            shape = layer.output_shape
        self.output_shape = shape
        # layers before the first trainable one need no input gradient
        trainable = [i for i, l in enumerate(self.layers) if l.params]
        self._first_trainable = trainable[0] if trainable else len(self.layers)
        self.built = True

    def _check_x(self, X, where):
        X = np.asarray(X)
        if X.ndim < 2:
            raise ValueError(f"{self.name}.{where}: expected X of shape (batch, ...), got "
                             f"shape {X.shape}")
        if not np.issubdtype(X.dtype, np.floating):
            X = X.astype(np.float32 if not self.built else self.dtype)
        if not self.built:
            self.build(X.shape[1:], X.dtype)
        if X.shape[1:] != self.input_shape:
            raise ValueError(f"{self.name}.{where}: the model was built for inputs of shape "
                             f"(batch,) + {self.input_shape}, got X of shape {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError(f"{self.name}.{where}: X of shape {X.shape} contains NaN or "
                             "infinity")
        return np.ascontiguousarray(X, dtype=self.dtype)

    def compile(self, optimizer="adam", loss="mse", metrics=None):
        """Choose the optimiser (name or instance), the loss and the metrics to log."""
        self.optimizer = get_optimizer(optimizer)
        self.loss = get_loss(loss)
        self.metrics = list(metrics or [])

    # -- forward / backward ---------------------------------------------------
    def _forward(self, x, training):
        for layer in self.layers:
            layer.check_input(x)
            x = layer.forward(x, training=training)
        return x

    def _backward(self, d):
        for i in range(len(self.layers) - 1, self._first_trainable - 1, -1):
            d = self.layers[i].backward(d, need_dx=i > self._first_trainable)

    def _params(self):
        return [p for l in self.layers for p in l.params.values()]

    def _grads(self):
        return [l.grads[k] for l in self.layers for k in l.params]

    def train_on_batch(self, x, y):
        """One gradient step on (x, y); returns the batch loss."""
        p = self._forward(x, training=True)
        value, grad = self.loss.value_and_grad(y, p)
        if not np.isfinite(value):
            raise ValueError(f"{self.name}: the loss became {value} (diverged); lower the "
                             "learning rate or check the targets")
        self._backward(grad.astype(self.dtype, copy=False))
        self.optimizer.step(self._params(), self._grads())
        return value, p

    def fit(self, X, y, epochs=1, batch_size=32, validation_data=None, callbacks=None,
            verbose=1, shuffle=True):
        """Train for ``epochs`` passes over (X, y); returns a :class:`History`."""
        if self.loss is None:
            raise RuntimeError("call compile(optimizer, loss) before fit")
        X = self._check_x(X, "fit")
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"{self.name}.fit: X has {len(X)} samples but y has {len(y)}")
        if np.issubdtype(y.dtype, np.number) and not np.isfinite(y).all():
            raise ValueError(f"{self.name}.fit: y of shape {y.shape} contains NaN or infinity")
        if np.issubdtype(y.dtype, np.floating):
            y = y.astype(self.dtype)
        callbacks = list(callbacks or [])
        history = History()
        self.stop_training = False
        for cb in callbacks:
            cb.set_model(self)
            cb.on_train_begin()
        # tiny gradients legitimately underflow to zero; overflow and NaN surface as
        # a non-finite loss, which train_on_batch turns into a clear error
        with np.errstate(under="ignore", over="ignore", invalid="ignore"):
            self._epochs(X, y, epochs, batch_size, validation_data, callbacks, verbose, shuffle,
                         history)
        for cb in callbacks:
            cb.on_train_end()
        self.history = history
        return history

    def _epochs(self, X, y, epochs, batch_size, validation_data, callbacks, verbose, shuffle,
                history):
        n = len(X)
        steps = -(-n // batch_size)
        for epoch in range(epochs):
            for cb in callbacks:
                cb.on_epoch_begin(epoch)
            order = self._rng.permutation(n) if shuffle else np.arange(n)
            bar = _Progress(epoch, epochs, steps) if verbose else None
            tot, seen, logs = 0.0, 0, {}
            mets = {m: 0.0 for m in self.metrics}
            for step in range(steps):
                idx = order[step * batch_size : (step + 1) * batch_size]
                value, p = self.train_on_batch(X[idx], y[idx])
                tot += value * len(idx)
                for m in self.metrics:
                    mets[m] += metric_value(m, self.loss, y[idx], p) * len(idx)
                seen += len(idx)
                logs = {"loss": tot / seen, **{m: v / seen for m, v in mets.items()}}
                if bar is not None:
                    bar.update(step + 1, logs, end=False)
            if validation_data is not None:
                vals = self.evaluate(*validation_data, batch_size=batch_size, return_dict=True)
                logs.update({f"val_{k}": v for k, v in vals.items()})
            if bar is not None:
                bar.update(steps, logs, end=True)
            history._append(epoch, logs)
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break

    def predict(self, X, batch_size=32, verbose=0):
        """Outputs of the network in inference mode, computed batch by batch."""
        X = self._check_x(X, "predict")
        batch_size = max(int(batch_size), 1)
        outs = [self._forward(X[s : s + batch_size], training=False)
                for s in range(0, len(X), batch_size)]
        return np.concatenate(outs) if outs else np.empty((0,) + self.output_shape, self.dtype)

    def evaluate(self, X, y, batch_size=32, verbose=0, return_dict=False):
        """The loss and metrics on (X, y): a list ``[loss, *metrics]`` (or a dict)."""
        p = self.predict(X, batch_size=batch_size)
        y = np.asarray(y)
        out = {"loss": self.loss(y, p)}
        out.update({m: metric_value(m, self.loss, y, p) for m in self.metrics})
        if return_dict:
            return out
        return out["loss"] if not self.metrics else list(out.values())

    # -- weights and persistence ----------------------------------------------
    def _state_arrays(self):
        arrays = {}
        for i, layer in enumerate(self.layers):
            for k, v in layer.params.items():
                arrays[f"{i}/{k}"] = v
            if isinstance(layer, BatchNormalization):
                for k, v in layer.get_state().items():
                    arrays[f"{i}/{k}"] = v
        return arrays

    def get_weights(self):
        return [v.copy() for v in self._state_arrays().values()]

    def set_weights(self, weights):
        targets = list(self._state_arrays().values())
        if len(weights) != len(targets):
            raise ValueError(f"expected {len(targets)} arrays, got {len(weights)}")
        for t, w in zip(targets, weights):
            if t.shape != np.shape(w):
                raise ValueError(f"weight shape mismatch: {t.shape} vs {np.shape(w)}")
            t[...] = w

    def count_params(self):
        return sum(p.size for p in self._params())

    def summary(self):
        lines = [f'Model: "{self.name}"', f"{'Layer':<28}{'Output shape':<24}Params"]
        for layer in self.layers:
            n = sum(p.size for p in layer.params.values())
            lines.append(f"{layer.name + ' (' + type(layer).__name__ + ')':<28}"
                         f"{str((None,) + layer.output_shape):<24}{n}")
        lines.append(f"Total params: {self.count_params()}")
        return "\n".join(lines)

    def save(self, path):
        """Write the architecture (JSON) and every weight array (exact) to an ``.npz``."""
        config = {"name": self.name, "input_shape": list(self.input_shape),
                  "dtype": self.dtype.str,
                  "layers": [{"class": type(l).__name__, "config": l.get_config()}
                             for l in self.layers]}
        np.savez(path, __config__=np.array(json.dumps(config)), **self._state_arrays())

    @classmethod
    def load(cls, path):
        """Rebuild a model saved by :meth:`save`; weights are restored bit for bit."""
        with np.load(path, allow_pickle=False) as data:
            config = json.loads(str(data["__config__"]))
            layers = [LAYERS[d["class"]](**_tuples(d["config"])) for d in config["layers"]]
            model = cls(layers, name=config["name"])
            model.build(tuple(config["input_shape"]), np.dtype(config["dtype"]))
            for key, arr in model._state_arrays().items():
                arr[...] = data[key]
        return model


def _tuples(cfg):
    # JSON turns tuples into lists; layer constructors accept either
    return {k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()}


def load_model(path):
    """Load a :class:`Sequential` saved with ``model.save(path)``."""
    return Sequential.load(path)
