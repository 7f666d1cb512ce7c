"""Losses (mean over the batch) with their gradient w.r.t. the predictions, and metrics."""

import numpy as np
from scipy.special import expit, log_softmax

_EPS = 1e-7  # Keras' clip for probabilities


class Loss:
    name = "loss"

    def __call__(self, y_true, y_pred):
        return self.value_and_grad(y_true, y_pred)[0]


class MeanSquaredError(Loss):
    name = "mse"

    def value_and_grad(self, y, p):
        d = p - y.reshape(p.shape)
        return float(np.mean(d * d)), 2 * d / d.size


class MeanAbsoluteError(Loss):
    name = "mae"

    def value_and_grad(self, y, p):
        d = p - y.reshape(p.shape)
        return float(np.mean(np.abs(d))), np.sign(d) / d.size


class Huber(Loss):
    name = "huber"

    def __init__(self, delta=1.0):
        self.delta = float(delta)

    def value_and_grad(self, y, p):
        d = p - y.reshape(p.shape)
        a = np.abs(d)
        quad = a <= self.delta
        val = np.where(quad, 0.5 * d * d, self.delta * (a - 0.5 * self.delta))
        return float(val.mean()), np.where(quad, d, self.delta * np.sign(d)) / d.size


class BinaryCrossentropy(Loss):
    name = "binary_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def value_and_grad(self, y, p):
        y = y.reshape(p.shape).astype(p.dtype)
        if self.from_logits:
            val = np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))
            return float(val.mean()), (expit(p) - y) / p.size
        q = np.clip(p, _EPS, 1 - _EPS)
        val = -(y * np.log(q) + (1 - y) * np.log(1 - q))
        grad = (q - y) / (q * (1 - q)) * ((p > _EPS) & (p < 1 - _EPS))
        return float(val.mean()), (grad / p.size).astype(p.dtype)


class SparseCategoricalCrossentropy(Loss):
    """Integer labels against class probabilities (or logits) of shape (N, K)."""

    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def value_and_grad(self, y, p):
        y = np.asarray(y).astype(np.intp).ravel()
        n = len(y)
        rows = np.arange(n)
        if self.from_logits:
            logp = log_softmax(p, axis=1)
            grad = np.exp(logp)
            grad[rows, y] -= 1
            return float(-logp[rows, y].mean()), grad / n
        q = p[rows, y]
        qc = np.clip(q, _EPS, 1 - _EPS)
        grad = np.zeros_like(p)
        grad[rows, y] = -1.0 / qc * ((q > _EPS) & (q < 1 - _EPS)) / n
        return float(-np.log(qc).mean()), grad


class CategoricalCrossentropy(Loss):
    """One-hot labels against class probabilities of shape (N, K)."""

    name = "categorical_crossentropy"

    def value_and_grad(self, y, p):
        q = np.clip(p, _EPS, 1 - _EPS)
        n = len(p)
        return float(-(y * np.log(q)).sum(axis=1).mean()), (-y / q * ((p > _EPS) & (p < 1 - _EPS)) / n).astype(p.dtype)


LOSSES = {c.name: c for c in (MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy,
                             SparseCategoricalCrossentropy, CategoricalCrossentropy)}
LOSSES.update({"mean_squared_error": MeanSquaredError, "mean_absolute_error": MeanAbsoluteError})


def get_loss(loss):
    if isinstance(loss, Loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"Unknown loss {loss!r}; expected one of {sorted(LOSSES)}")
    return LOSSES[loss]()


def metric_value(name, loss, y, p):
    """A metric by Keras' name; "accuracy" picks the variant the loss implies."""
    if name in ("accuracy", "acc"):
        if isinstance(loss, BinaryCrossentropy):
            thr = 0.0 if loss.from_logits else 0.5
            return float(np.mean((p.ravel() > thr) == (y.ravel() > 0.5)))
        if isinstance(loss, CategoricalCrossentropy):
            return float(np.mean(p.argmax(axis=1) == y.argmax(axis=1)))
        if isinstance(loss, SparseCategoricalCrossentropy):
            return float(np.mean(p.argmax(axis=1) == np.asarray(y).ravel()))
        return float(np.mean(np.round(p.ravel()) == y.ravel()))
    if name in LOSSES:
        return LOSSES[name]()(y, p)
    raise ValueError(f"Unknown metric {name!r}")
