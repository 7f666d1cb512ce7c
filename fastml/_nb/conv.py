"""2-D convolution (cross-correlation, as in torch and Keras), forward and backward.

Arrays are NCHW, C-contiguous and writeable, float32 or float64 (one lazily
compiled specialisation per dtype, cached on disk by ``cache=True``).

Why direct loops and not im2col + sgemm: for the small channel counts of a
typical small CNN (3 -> 16 channels, 3x3) the im2col buffer is 9x the input
and building it costs as much as the GEMM it feeds; the direct loop below
measured ~2x faster than im2col + OpenBLAS sgemm here (docs/nn.md). Three
tricks make it vectorise:

* "wide rows": an output plane is computed with the pitch of the (padded)
  input plane, so one kernel tap is ONE contiguous multiply-add over the whole
  plane (~OH*W elements) instead of OH rows shorter than LLVM's vector body;
  the extra columns of each row are computed and discarded.
* phase planes: strides and dilations are folded into the layout. The padded
  image is split into ``sh * sw`` phase planes (space-to-depth),
  ``buf[c, rh, rw, r, m] = xpad[c, r*sh + rh, m*sw + rw]``, in which every tap
  (c, ki, kj) of every geometry is a plain offset: the output is
  ``out_wide[q] = sum_t w[t] * buf_flat[off[t] + q]``. The weight gradient is
  the matching dot product and the input gradient the matching scatter-add,
  so ONE vectorised loop shape serves every stride, dilation and padding.
  With stride 1 and no padding the image itself is the buffer (no copy).
* register blocking: the forward loop fuses 4 output channels x 3 taps, so
  each input element loaded feeds 12 FMAs and each accumulator load/store 3;
  weights are padded with zero filters to a multiple of 4 output channels.

Shapes: x (N, C, H, W), w (O, C, KH, KW), b (O,), out (N, O, OH, OW);
``geom`` = (stride_h, stride_w, pad_top, pad_left, dil_h, dil_w). Negative
padding crops. Parallel over images (forward, input gradient) or chunks of
images (weight gradient, per-chunk slabs summed by the caller).
"""

import numpy as np
from numba import njit, prange

BLOCK = 4  # output channels per register block; callers pad O to a multiple


@njit(cache=True)
def _aligned(length):
    """Row length of a scratch array: a multiple of 16 elements, so that every
    row starts on a cache line and vector loads/stores do not straddle two."""
    return (length + 15) // 16 * 16


@njit(cache=True)
def _layout(geom, kh, kw, oh, ow, height, width):
    """Rows and pitch of one phase plane, and whether the image itself can serve."""
    sh, sw, pt, pl, dh, dw = geom
    hq = oh + ((kh - 1) * dh) // sh
    wq = ow + ((kw - 1) * dw) // sw
    if sh == 1 and sw == 1 and pt == 0 and pl == 0 and hq <= height and wq <= width:
        return height, width, True
    return hq, wq, False


@njit(cache=True)
def _offsets(n_ch, kh, kw, geom, hq, wq):
    """Flat offset of tap (c, ki, kj) = index (c*KH + ki)*KW + kj in the phase buffer."""
    sh, sw, _, _, dh, dw = geom
    off = np.empty(n_ch * kh * kw, dtype=np.int64)
    for c in range(n_ch):
        for ki in range(kh):
            for kj in range(kw):
                phase = (c * sh + (ki * dh) % sh) * sw + (kj * dw) % sw
                off[(c * kh + ki) * kw + kj] = (phase * hq + (ki * dh) // sh) * wq + (kj * dw) // sw
    return off


@njit(cache=True)
def _fill(x, n, geom, hq, wq, buf):
    """buf[(c*sh + rh)*sw + rw, r, m] = xpad[n, c, r*sh + rh, m*sw + rw], zero outside x."""
    sh, sw, pt, pl, _, _ = geom
    n_ch, height, width = x.shape[1], x.shape[2], x.shape[3]
    for c in range(n_ch):
        for rh in range(sh):
            for rw in range(sw):
                plane = buf[(c * sh + rh) * sw + rw]
                # columns m whose source m*sw + rw - pl lies in [0, width)
                m0 = min(max(0, -((rw - pl) // sw)), wq)
                m1 = min(max(m0, -((rw - pl - width) // sw)), wq)
                for r in range(hq):
                    row = plane[r]
                    src = r * sh + rh - pt
                    if src < 0 or src >= height:
                        row[:] = 0
                        continue
                    xr = x[n, c, src]
                    row[:m0] = 0
                    for m in range(m0, m1):
                        row[m] = xr[m * sw + rw - pl]
                    row[m1:] = 0


@njit(cache=True)
def _unfill(buf, geom, hq, wq, dx, n):
    """Inverse of ``_fill`` for gradients: dx[n, c, y, z] = buf at xpad position (y+pt, z+pl)."""
    sh, sw, pt, pl, _, _ = geom
    n_ch, height, width = dx.shape[1], dx.shape[2], dx.shape[3]
    for c in range(n_ch):
        for y in range(height):
            r, rh = (y + pt) // sh, (y + pt) % sh
            for z in range(width):
                m, rw = (z + pl) // sw, (z + pl) % sw
                inside = 0 <= r < hq and 0 <= m < wq
                dx[n, c, y, z] = buf[(c * sh + rh) * sw + rw, r, m] if inside else 0


@njit(cache=True)
def _source(x, n, geom, hq, wq, direct, buf):
    """Image n as a flat phase buffer (x itself when ``direct``)."""
    if direct:
        return x[n].reshape(x.shape[1] * x.shape[2] * x.shape[3])
    _fill(x, n, geom, hq, wq, buf)
    return buf.reshape(buf.size)


@njit(cache=True)
def _copy(d, s):
    """d[:] = s[:] (equal lengths) as one loop LLVM vectorises; slicing beats a numba
    slice assignment, which takes a generic strided path."""
    for j in range(d.shape[0]):
        d[j] = s[j]


@njit(cache=True)
def _widen(dy, n, g, wq):
    """g[o, i*wq + j] = dy[n, o, i, j] with zeros in the wide columns j >= OW; rows >= O zero."""
    n_out, oh, ow = dy.shape[1], dy.shape[2], dy.shape[3]
    length = (oh - 1) * wq + ow
    for o in range(g.shape[0]):
        row = g[o]
        if o >= n_out:
            row[:] = 0
            continue
        flat = dy[n, o].reshape(oh * ow)
        if wq <= 2 * ow:
            # whole wide rows (a long, vectorised copy that reads ahead into the
            # next dy row), then zero the wide columns
            for i in range(oh - 1):
                _copy(row[i * wq : (i + 1) * wq], flat[i * ow : i * ow + wq])
                for j in range(i * wq + ow, (i + 1) * wq):
                    row[j] = 0
            _copy(row[(oh - 1) * wq : length], flat[(oh - 1) * ow :])
        else:
            row[:length] = 0
            for i in range(oh):
                _copy(row[i * wq : i * wq + ow], flat[i * ow : (i + 1) * ow])


@njit(cache=True, fastmath={"contract"})
def _taps4x3(acc, src, off, wf, o, t, length, first, b):
    """acc[q, p] (+)= sum_{k<3} wf[o+q, t+k] * src[off[t+k] + p] for q < 4; ``first``: = b[o+q] + ..."""
    x0 = src[off[t] : off[t] + length]
    x1 = src[off[t + 1] : off[t + 1] + length]
    x2 = src[off[t + 2] : off[t + 2] + length]
    a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
    u0, u1, u2 = wf[o, t], wf[o, t + 1], wf[o, t + 2]
    v0, v1, v2 = wf[o + 1, t], wf[o + 1, t + 1], wf[o + 1, t + 2]
    s0, s1, s2 = wf[o + 2, t], wf[o + 2, t + 1], wf[o + 2, t + 2]
    r0, r1, r2 = wf[o + 3, t], wf[o + 3, t + 1], wf[o + 3, t + 2]
    if first:
        b0, b1, b2, b3 = b[o], b[o + 1], b[o + 2], b[o + 3]
        for p in range(length):
            e, f, g = x0[p], x1[p], x2[p]
            a0[p] = b0 + u0 * e + u1 * f + u2 * g
            a1[p] = b1 + v0 * e + v1 * f + v2 * g
            a2[p] = b2 + s0 * e + s1 * f + s2 * g
            a3[p] = b3 + r0 * e + r1 * f + r2 * g
    else:
        for p in range(length):
            e, f, g = x0[p], x1[p], x2[p]
            a0[p] = a0[p] + u0 * e + u1 * f + u2 * g
            a1[p] = a1[p] + v0 * e + v1 * f + v2 * g
            a2[p] = a2[p] + s0 * e + s1 * f + s2 * g
            a3[p] = a3[p] + r0 * e + r1 * f + r2 * g


@njit(cache=True, fastmath={"contract"})
def _taps4x1(acc, src, off, wf, o, t, length, first, b):
    """One tap for 4 output channels (the T % 3 leftover taps)."""
    x0 = src[off[t] : off[t] + length]
    for q in range(4):
        a, u = acc[q], wf[o + q, t]
        if first:
            bq = b[o + q]
            for p in range(length):
                a[p] = bq + u * x0[p]
        else:
            for p in range(length):
                a[p] = a[p] + u * x0[p]


@njit(cache=True)
def _narrow(a, dst, oh, ow, pitch):
    """dst (OH*OW,) = the first OW columns of each wide row of a (pitch ``pitch``)."""
    if pitch <= 2 * ow:
        # copy whole wide rows (a long, vectorised loop); the next row overwrites the tail
        for i in range(oh - 1):
            _copy(dst[i * ow : i * ow + pitch], a[i * pitch : (i + 1) * pitch])
        _copy(dst[(oh - 1) * ow :], a[(oh - 1) * pitch : (oh - 1) * pitch + ow])
    else:
        for i in range(oh):
            _copy(dst[i * ow : (i + 1) * ow], a[i * pitch : i * pitch + ow])


@njit(parallel=True, cache=True)
def conv2d_forward(x, wb, bb, out, geom):
    """out[n, o] = b[o] + sum_c,ki,kj w[o, c, ki, kj] * xpad[n, c, i*sh + ki*dh, j*sw + kj*dw].

    wb (O4, C, KH, KW), bb (O4,): weights and bias padded with zeros to a
    multiple of ``BLOCK`` output channels; out (N, O, OH, OW), O <= O4.
    """
    n_img, n_ch, height, width = x.shape
    n_blk, kh, kw = wb.shape[0], wb.shape[2], wb.shape[3]
    n_out, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    n_taps = n_ch * kh * kw
    hq, wq, direct = _layout(geom, kh, kw, oh, ow, height, width)
    off = _offsets(n_ch, kh, kw, geom, hq, wq)
    wf = wb.reshape((n_blk, n_taps))
    length = (oh - 1) * wq + ow
    n_buf = 0 if direct else n_ch * geom[0] * geom[1]
    for n in prange(n_img):  # a task owns one image: no shared writes
        buf = np.empty((n_buf, hq, wq), dtype=x.dtype)
        src = _source(x, n, geom, hq, wq, direct, buf)
        acc = np.empty((4, _aligned(length)), dtype=x.dtype)
        for o in range(0, n_blk, 4):
            t = 0
            while t + 3 <= n_taps:
                _taps4x3(acc, src, off, wf, o, t, length, t == 0, bb)
                t += 3
            while t < n_taps:
                _taps4x1(acc, src, off, wf, o, t, length, t == 0, bb)
                t += 1
            for q in range(min(4, n_out - o)):
                _narrow(acc[q], out[n, o + q].reshape(oh * ow), oh, ow, wq)


@njit(parallel=True, cache=True, fastmath={"contract"})
def conv2d_backward_input(dy, wb, dx, geom):
    """dx = the adjoint of conv2d_forward: a scatter-add of each tap into the phase buffer.

    ``dxbuf[off[t] + q] += sum_o w[o, t] * dy_wide[o, q]``, one contiguous
    loop per (tap, block of 4 output channels), then mapped back to dx.
    wb (O4, C, KH, KW) zero-padded as in the forward pass. A task owns one image.
    """
    n_img, n_ch, height, width = dx.shape
    n_blk, kh, kw = wb.shape[0], wb.shape[2], wb.shape[3]
    oh, ow = dy.shape[2], dy.shape[3]
    n_taps = n_ch * kh * kw
    hq, wq, direct = _layout(geom, kh, kw, oh, ow, height, width)
    off = _offsets(n_ch, kh, kw, geom, hq, wq)
    wf = wb.reshape((n_blk, n_taps))
    length = (oh - 1) * wq + ow
    n_buf = 0 if direct else n_ch * geom[0] * geom[1]
    for n in prange(n_img):
        g = np.empty((n_blk, _aligned(length)), dtype=dy.dtype)
        _widen(dy, n, g, wq)
        buf = np.zeros((n_buf, hq, wq), dtype=dy.dtype)
        if direct:
            dx[n] = 0
            dst = dx[n].reshape(n_ch * height * width)
        else:
            dst = buf.reshape(buf.size)
        for t in range(n_taps):
            d = dst[off[t] : off[t] + length]
            for o in range(0, n_blk, 4):
                w0, w1, w2, w3 = wf[o, t], wf[o + 1, t], wf[o + 2, t], wf[o + 3, t]
                g0, g1, g2, g3 = g[o], g[o + 1], g[o + 2], g[o + 3]
                for p in range(length):
                    d[p] = d[p] + w0 * g0[p] + w1 * g1[p] + w2 * g2[p] + w3 * g3[p]
        if not direct:
            _unfill(buf, geom, hq, wq, dx, n)


@njit(parallel=True, cache=True, fastmath={"contract", "reassoc"})
def conv2d_backward_weight(x, dy, dw_parts, db_parts, geom):
    """Per-chunk partial weight and bias gradients (summed by the caller).

    ``dw[o, t] = sum_n sum_q dy_wide[n, o, q] * buf_n[off[t] + q]``: 2 output
    channels x 3 taps = 6 dot products share each pass over the data.
    dw_parts (n_chunks, O4, C, KH, KW) with O4 a multiple of ``BLOCK`` (rows
    >= O come out zero), db_parts (n_chunks, O). A chunk of images per task,
    each writing its own slab, so the result is identical for a given chunk
    count whatever the thread scheduling. ``reassoc`` lets LLVM vectorise the
    dot products (a float sum in another order, well within float tolerance).
    """
    n_img, n_ch, height, width = x.shape
    n_chunks, n_blk, kh, kw = dw_parts.shape[0], dw_parts.shape[1], dw_parts.shape[3], dw_parts.shape[4]
    n_out, oh, ow = dy.shape[1], dy.shape[2], dy.shape[3]
    n_taps = n_ch * kh * kw
    hq, wq, direct = _layout(geom, kh, kw, oh, ow, height, width)
    off = _offsets(n_ch, kh, kw, geom, hq, wq)
    length = (oh - 1) * wq + ow
    n_buf = 0 if direct else n_ch * geom[0] * geom[1]
    for chunk in prange(n_chunks):
        gw = dw_parts[chunk].reshape((n_blk, n_taps))
        gb = db_parts[chunk]
        gw[:] = 0
        gb[:] = 0
        buf = np.empty((n_buf, hq, wq), dtype=x.dtype)
        g = np.empty((n_blk, _aligned(length)), dtype=x.dtype)
        zero = np.zeros(1, dtype=x.dtype)[0]  # accumulate in the input's precision
        for n in range(chunk * n_img // n_chunks, (chunk + 1) * n_img // n_chunks):
            src = _source(x, n, geom, hq, wq, direct, buf)
            _widen(dy, n, g, wq)
            for o in range(n_out):
                gb[o] += dy[n, o].sum()
            for o in range(0, n_blk, 2):
                g0, g1 = g[o], g[o + 1]
                t = 0
                while t + 3 <= n_taps:
                    x0 = src[off[t] : off[t] + length]
                    x1 = src[off[t + 1] : off[t + 1] + length]
                    x2 = src[off[t + 2] : off[t + 2] + length]
                    s00 = s01 = s02 = s10 = s11 = s12 = zero
                    for p in range(length):
                        e, f, h = x0[p], x1[p], x2[p]
                        s00 += g0[p] * e
                        s01 += g0[p] * f
                        s02 += g0[p] * h
                        s10 += g1[p] * e
                        s11 += g1[p] * f
                        s12 += g1[p] * h
                    gw[o, t] += s00
                    gw[o, t + 1] += s01
                    gw[o, t + 2] += s02
                    gw[o + 1, t] += s10
                    gw[o + 1, t + 1] += s11
                    gw[o + 1, t + 2] += s12
                    t += 3
                while t < n_taps:
                    x0 = src[off[t] : off[t] + length]
                    s00 = s10 = zero
                    for p in range(length):
                        s00 += g0[p] * x0[p]
                        s10 += g1[p] * x0[p]
                    gw[o, t] += s00
                    gw[o + 1, t] += s10
                    t += 1
