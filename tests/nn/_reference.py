"""Slow, obviously correct NumPy references: explicit loops over output positions.

Padding is materialised with np.pad (zeros for convolution, -inf for max
pooling) so every formula below is the textbook one.
"""

import numpy as np


def conv2d_ref(x, w, b, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
    """y[n, o, i, j] = b[o] + sum over (c, ki, kj) of w[o, c, ki, kj] * xpad[n, c, i*sh + ki*dh, j*sw + kj*dw]."""
    pt, pb, pl, pr = padding
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = xp.shape
    o, _, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh = (h - (kh - 1) * dh - 1) // sh + 1
    ow = (wd - (kw - 1) * dw - 1) // sw + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * sh : i * sh + (kh - 1) * dh + 1 : dh,
                       j * sw : j * sw + (kw - 1) * dw + 1 : dw]
            y[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w.astype(np.float64)) + b
    return y


def pool2d_ref(x, pool, stride, padding, kind="max", include_pad=False):
    pt, pb, pl, pr = padding
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=fill)
    ones = np.pad(np.ones(x.shape[2:]), ((pt, pb), (pl, pr)))
    kh, kw = pool
    sh, sw = stride
    oh = (xp.shape[2] - kh) // sh + 1
    ow = (xp.shape[3] - kw) // sw + 1
    y = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
            if kind == "max":
                y[:, :, i, j] = win.max(axis=(2, 3))
            else:
                count = kh * kw if include_pad else ones[i * sh : i * sh + kh, j * sw : j * sw + kw].sum()
                y[:, :, i, j] = win.sum(axis=(2, 3)) / count
    return y
