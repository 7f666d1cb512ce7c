"""2-D max and average pooling over NCHW batches, forward and backward.

One task per (image, channel) plane, so no two tasks write the same memory.
Padded positions never win a max and (Keras' convention, torch's
``count_include_pad=False``) are left out of an average unless
``include_pad`` is set (torch's default).

The max-pool backward recomputes the arg-max from x and the pooled output
(the first maximum in scan order, torch's tie rule) instead of storing indices
in the forward pass: that keeps the forward pass, run at inference too, free
of an int array as large as its output.

``geom`` = (kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left).
"""

import numpy as np
from numba import njit, prange


@njit(inline="always", cache=True)
def _window(i, stride, pad, k, size):
    """Input range [lo, hi) covered by output index i, clipped to the image."""
    lo = i * stride - pad
    return max(lo, 0), min(lo + k, size)


@njit(parallel=True, cache=True)
def max_pool2d_forward(x, out, geom):
    """out[n, c, i, j] = max of x[n, c] over window (i, j)."""
    kh, kw, sh, sw, pt, pl = geom
    n_img, n_ch, height, width = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for task in prange(n_img * n_ch):
        n, c = task // n_ch, task % n_ch
        xp, yp = x[n, c], out[n, c]
        fast = kh == 2 and kw == 2 and sh == 2 and sw == 2 and pt == 0 and pl == 0
        if fast and 2 * oh <= height and 2 * ow <= width:  # no window reaches the padding
            # the common 2x2/2 pool: pairwise maxima of two rows, vectorisable
            for i in range(oh):
                r0, r1, y = xp[2 * i], xp[2 * i + 1], yp[i]
                for j in range(ow):
                    y[j] = max(max(r0[2 * j], r0[2 * j + 1]), max(r1[2 * j], r1[2 * j + 1]))
            continue
        for i in range(oh):
            r_lo, r_hi = _window(i, sh, pt, kh, height)
            for j in range(ow):
                c_lo, c_hi = _window(j, sw, pl, kw, width)
                m = -np.inf
                for r in range(r_lo, r_hi):
                    for q in range(c_lo, c_hi):
                        if xp[r, q] > m:
                            m = xp[r, q]
                yp[i, j] = m


@njit(parallel=True, cache=True)
def max_pool2d_backward(x, out, dy, dx, geom):
    """dx: dy routed to the first position of each window that holds its max."""
    kh, kw, sh, sw, pt, pl = geom
    n_img, n_ch, height, width = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for task in prange(n_img * n_ch):
        n, c = task // n_ch, task % n_ch
        xp, dxp = x[n, c], dx[n, c]
        dxp[:, :] = 0
        for i in range(oh):
            r_lo, r_hi = _window(i, sh, pt, kh, height)
            for j in range(ow):
                c_lo, c_hi = _window(j, sw, pl, kw, width)
                m = out[n, c, i, j]
                found = False
                for r in range(r_lo, r_hi):
                    for q in range(c_lo, c_hi):
                        if xp[r, q] == m:
                            dxp[r, q] += dy[n, c, i, j]
                            found = True
                            break
                    if found:
                        break


@njit(inline="always", cache=True)
def _count(i, j, geom, height, width, include_pad):
    kh, kw, sh, sw, pt, pl = geom
    if include_pad:  # torch's default: padded zeros count (windows never pass the padding)
        return kh * kw
    r_lo, r_hi = _window(i, sh, pt, kh, height)
    c_lo, c_hi = _window(j, sw, pl, kw, width)
    return (r_hi - r_lo) * (c_hi - c_lo)


@njit(parallel=True, cache=True)
def avg_pool2d_forward(x, out, geom, include_pad):
    """out[n, c, i, j] = mean of x[n, c] over window (i, j)."""
    kh, kw, sh, sw, pt, pl = geom
    n_img, n_ch, height, width = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for task in prange(n_img * n_ch):
        n, c = task // n_ch, task % n_ch
        xp = x[n, c]
        for i in range(oh):
            r_lo, r_hi = _window(i, sh, pt, kh, height)
            for j in range(ow):
                c_lo, c_hi = _window(j, sw, pl, kw, width)
                s = 0.0
                for r in range(r_lo, r_hi):
                    for q in range(c_lo, c_hi):
                        s += xp[r, q]
                out[n, c, i, j] = s / _count(i, j, geom, height, width, include_pad)


@njit(parallel=True, cache=True)
def avg_pool2d_backward(dy, dx, geom, include_pad):
    """dx: each dy spread evenly over the positions its window averaged."""
    kh, kw, sh, sw, pt, pl = geom
    n_img, n_ch, height, width = dx.shape
    oh, ow = dy.shape[2], dy.shape[3]
    for task in prange(n_img * n_ch):
        n, c = task // n_ch, task % n_ch
        dxp = dx[n, c]
        dxp[:, :] = 0
        for i in range(oh):
            r_lo, r_hi = _window(i, sh, pt, kh, height)
            for j in range(ow):
                c_lo, c_hi = _window(j, sw, pl, kw, width)
                g = dy[n, c, i, j] / _count(i, j, geom, height, width, include_pad)
                for r in range(r_lo, r_hi):
                    for q in range(c_lo, c_hi):
                        dxp[r, q] += g
