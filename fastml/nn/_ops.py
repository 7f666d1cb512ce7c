"""Array-level convolution and pooling: geometry, allocation, then the Numba kernels.

These functions trust their inputs (the layers validate); they resolve
padding, allocate outputs and set the kernel thread count.
"""

import numba
import numpy as np

from fastml._cy import _conv2d
from fastml._nb import conv as _conv
from fastml._nb import pool as _pool
from fastml.utils._sklearn import _openmp_effective_n_threads


def _set_threads():
    """Honour OMP_NUM_THREADS / threadpoolctl, as the Cython kernels do."""
    n = max(1, min(_openmp_effective_n_threads(), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(n)
    return n


def _pair(v, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair, got {v!r}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _extent(k, d):
    return (k - 1) * d + 1


def resolve_padding(padding, in_hw, kernel, stride, dilation):
    """(pad_top, pad_bottom, pad_left, pad_right) and the output (OH, OW).

    ``"valid"``: no padding; ``"same"``: Keras/TensorFlow's rule, output
    ceil(in / stride), extra padding at the bottom/right; an int or a pair
    (ph, pw): symmetric explicit padding, as torch.
    """
    pads = []
    outs = []
    for size, k, s, d, axis in zip(in_hw, kernel, stride, dilation, (0, 1)):
        ext = _extent(k, d)
        if isinstance(padding, str):
            if padding == "valid":
                lo = hi = 0
            else:  # "same"
                out = -(-size // s)
                total = max((out - 1) * s + ext - size, 0)
                lo, hi = total // 2, total - total // 2
        else:
            lo = hi = _pair(padding, "padding")[axis]
        pads += [lo, hi]
        outs.append((size + lo + hi - ext) // s + 1)
    return tuple(pads), tuple(outs)


def _writeable(a, dtype):
    # Numba types read-only arrays separately: a copy avoids a second compile.
    a = np.ascontiguousarray(a, dtype=dtype)
    return a if a.flags.writeable else a.copy()


def _padded(a, n_rows):
    """a with zero rows appended up to n_rows (the kernels' channel blocks)."""
    if a.shape[0] == n_rows:
        return a
    out = np.zeros((n_rows,) + a.shape[1:], dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


# The AVX2/FMA C kernel when the CPU has it (~2-3x the Numba loop on the issue's
# 64x3x32x32 layer); the Numba kernel otherwise. Module-level so tests cover both.
USE_SIMD = _conv2d.HAS_SIMD
# Below this many multiply-adds (~10 us on one core) the C kernel runs serially:
# waking the thread pool would cost more than it saves.
SERIAL_MACS = 1 << 19


def _c_threads(n_macs):
    """Threads for a C conv kernel call of ``n_macs`` multiply-adds."""
    return 1 if n_macs < SERIAL_MACS else _openmp_effective_n_threads()


def _blocks(n_out):
    return -(-n_out // _conv.BLOCK) * _conv.BLOCK


def conv2d(x, w, b, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
    """Forward 2-D convolution; ``padding`` is (top, bottom, left, right)."""
    dtype = x.dtype
    x, w, b = _writeable(x, dtype), _writeable(w, dtype), _writeable(b, dtype)
    n, _, h, wd = x.shape
    pt, pb, pl, pr = padding
    oh = (h + pt + pb - _extent(w.shape[2], dilation[0])) // stride[0] + 1
    ow = (wd + pl + pr - _extent(w.shape[3], dilation[1])) // stride[1] + 1
    out = np.empty((n, w.shape[0], oh, ow), dtype=dtype)
    geom = (stride[0], stride[1], pt, pl, dilation[0], dilation[1])
    if USE_SIMD:
        plan = _conv2d.ForwardPlan(x.shape, w, b, out.shape, geom)
        plan.run(x, out, _c_threads(out.size * w[0].size))
        return out
    n_blk = _blocks(w.shape[0])
    _set_threads()
    _conv.conv2d_forward(x, _padded(w, n_blk), _padded(b, n_blk), out, geom)
    return out


def conv2d_backward(x, w, dy, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
                    need_dx=True):
    """Gradients (dx, dw, db) of sum(dy * conv2d(x, w, b))."""
    dtype = x.dtype
    x, w, dy = _writeable(x, dtype), _writeable(w, dtype), _writeable(dy, dtype)
    pt, _, pl, _ = padding
    if USE_SIMD and tuple(stride) == (1, 1) and min(padding) >= 0 and dy.size:
        # The C kernels: dw and db in one pass per image, dx as the forward
        # convolution of dy with the flipped, transposed filters.
        plan = _conv2d.WeightGradPlan(x.shape, w.shape, dy.shape, (pt, pl) + tuple(dilation),
                                      dtype)
        dw, db = plan.run(x, dy, _c_threads(dy.size * w[0].size))
        dx = _input_gradient(w, dy, padding, dilation) if need_dx else None
        return dx, dw, db
    geom = (stride[0], stride[1], pt, pl, dilation[0], dilation[1])
    n_threads = _set_threads()
    n_chunks = max(1, min(x.shape[0], n_threads))
    n_out, n_blk = w.shape[0], _blocks(w.shape[0])
    dw_parts = np.empty((n_chunks, n_blk) + w.shape[1:], dtype=dtype)
    db_parts = np.empty((n_chunks, n_out), dtype=dtype)
    _conv.conv2d_backward_weight(x, dy, dw_parts, db_parts, geom)
    dw, db = dw_parts[:, :n_out].sum(axis=0), db_parts.sum(axis=0)
    dx = None
    if need_dx:
        dx = np.empty_like(x)
        _conv.conv2d_backward_input(dy, _padded(w, n_blk), dx, geom)
    return dx, dw, db


def _input_gradient(w, dy, padding, dilation):
    """dx at stride 1: the full correlation of dy with the flipped filters,
    w'[c, o] = w[o, c] turned 180 degrees, padded by the filter extent less
    the forward padding (negative: a crop), so that dx has x's shape."""
    (pt, pb, pl, pr), (dh, dw) = padding, dilation
    eh, ew = (w.shape[2] - 1) * dh, (w.shape[3] - 1) * dw
    flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    return conv2d(dy, flipped, np.zeros(w.shape[1], dy.dtype), (1, 1),
                  (eh - pt, eh - pb, ew - pl, ew - pr), dilation)


def max_pool2d(x, pool, stride, padding):
    x = _writeable(x, x.dtype)
    out = np.empty(_pool_shape(x, pool, stride, padding), dtype=x.dtype)
    _set_threads()
    _pool.max_pool2d_forward(x, out, _pool_geom(pool, stride, padding))
    return out


def max_pool2d_backward(x, out, dy, pool, stride, padding):
    dx = np.empty_like(x)
    _set_threads()
    _pool.max_pool2d_backward(x, out, _writeable(dy, x.dtype), dx,
                              _pool_geom(pool, stride, padding))
    return dx


def avg_pool2d(x, pool, stride, padding, include_pad=False):
    x = _writeable(x, x.dtype)
    out = np.empty(_pool_shape(x, pool, stride, padding), dtype=x.dtype)
    _set_threads()
    _pool.avg_pool2d_forward(x, out, _pool_geom(pool, stride, padding), include_pad)
    return out


def avg_pool2d_backward(x_shape, dy, pool, stride, padding, include_pad=False):
    dy = _writeable(dy, dy.dtype)
    dx = np.empty(x_shape, dtype=dy.dtype)
    _set_threads()
    _pool.avg_pool2d_backward(dy, dx, _pool_geom(pool, stride, padding), include_pad)
    return dx


def _pool_geom(pool, stride, padding):
    return (pool[0], pool[1], stride[0], stride[1], padding[0], padding[2])


def _pool_shape(x, pool, stride, padding):
    pt, pb, pl, pr = padding
    oh = (x.shape[2] + pt + pb - pool[0]) // stride[0] + 1
    ow = (x.shape[3] + pl + pr - pool[1]) // stride[1] + 1
    return (x.shape[0], x.shape[1], oh, ow)
