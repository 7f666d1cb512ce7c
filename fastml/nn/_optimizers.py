"""Optimisers updating parameter arrays in place (Keras' update rules)."""

import numpy as np


class Optimizer:
    def __init__(self, learning_rate):
        self.learning_rate = float(learning_rate)
        self._state = {}

    def step(self, params, grads):
        """Update every array of ``params`` (a list) from the matching ``grads``."""
        self.iterations = getattr(self, "iterations", 0) + 1
        for i, (p, g) in enumerate(zip(params, grads)):
            self._update(i, p, g.astype(p.dtype, copy=False))


class SGD(Optimizer):
    """v = momentum * v - lr * g; w += v (Nesterov: w += momentum * v - lr * g)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        self.momentum, self.nesterov = float(momentum), nesterov

    def _update(self, i, p, g):
        if self.momentum == 0:
            p -= self.learning_rate * g
            return
        v = self._state.setdefault(i, np.zeros_like(p))
        v *= self.momentum
        v -= self.learning_rate * g
        if self.nesterov:
            p += self.momentum * v - self.learning_rate * g
        else:
            p += v


class Adam(Optimizer):
    """Adam (Kingma & Ba) with Keras' defaults, bias-corrected step size."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _update(self, i, p, g):
        m, v = self._state.setdefault(i, (np.zeros_like(p), np.zeros_like(p)))
        m *= self.beta_1
        m += (1 - self.beta_1) * g
        v *= self.beta_2
        v += (1 - self.beta_2) * g * g
        t = self.iterations
        lr = self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        p -= float(lr) * m / (np.sqrt(v) + self.epsilon)


class RMSprop(Optimizer):
    """RMSprop with Keras' defaults (rho=0.9)."""

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho, self.epsilon = rho, epsilon

    def _update(self, i, p, g):
        s = self._state.setdefault(i, np.zeros_like(p))
        s *= self.rho
        s += (1 - self.rho) * g * g
        p -= self.learning_rate * g / (np.sqrt(s) + self.epsilon)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get_optimizer(opt):
    if isinstance(opt, Optimizer):
        return opt
    if opt not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {opt!r}; expected one of {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[opt]()
