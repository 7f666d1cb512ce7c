"""Random affine warps of NCHW image batches (data augmentation).

Each image n gets its own 2x3 inverse affine map ``m[n]``: the output pixel
(r, q) samples the input at (m00*r + m01*q + m02, m10*r + m11*q + m12) by
bilinear interpolation; samples outside the image read ``fill``. One task per
image.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def affine_warp(x, m, fill, out):
    n_img, n_ch, height, width = x.shape
    for n in prange(n_img):
        for r in range(height):
            for q in range(width):
                sr = m[n, 0, 0] * r + m[n, 0, 1] * q + m[n, 0, 2]
                sq = m[n, 1, 0] * r + m[n, 1, 1] * q + m[n, 1, 2]
                r0 = int(np.floor(sr))
                q0 = int(np.floor(sq))
                fr = sr - r0
                fq = sq - q0
                for c in range(n_ch):
                    v = 0.0
                    for dr in range(2):
                        rr = r0 + dr
                        wr = fr if dr == 1 else 1.0 - fr
                        for dq in range(2):
                            qq = q0 + dq
                            wq = fq if dq == 1 else 1.0 - fq
                            if 0 <= rr < height and 0 <= qq < width:
                                v += wr * wq * x[n, c, rr, qq]
                            else:
                                v += wr * wq * fill
                    out[n, c, r, q] = v
