"""Conv and pooling kernels against the NumPy reference (and torch when importable)."""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from fastml.nn import _ops

from ._reference import conv2d_ref, pool2d_ref

STRIDES = [(1, 1), (2, 1), (2, 3)]
PADDINGS = [(0, 0, 0, 0), (1, 1, 1, 1), (2, 1, 0, 3)]
DILATIONS = [(1, 1), (2, 1)]
KERNELS = [(3, 3), (1, 2), (5, 4)]


@pytest.fixture(params=["simd", "numba"])
def conv_backend(request, monkeypatch):
    """Run a forward test on both kernels: the AVX2/FMA C kernel (src_cy/_conv2d.pyx)
    where the CPU has it, and the Numba kernel that every other CPU uses."""
    if request.param == "simd" and not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA: only the Numba kernel runs")
    monkeypatch.setattr(_ops, "USE_SIMD", request.param == "simd")
    return request.param


def _data(rng, dtype, shape_x, shape_w):
    x = rng.standard_normal(shape_x).astype(dtype)
    w = rng.standard_normal(shape_w).astype(dtype)
    b = rng.standard_normal(shape_w[0]).astype(dtype)
    return x, w, b


@pytest.mark.parametrize("stride, padding, dilation, kernel",
                         list(itertools.product(STRIDES, PADDINGS, DILATIONS, KERNELS)))
def test_conv2d_matches_reference_float32(stride, padding, dilation, kernel, conv_backend):
    rng = np.random.default_rng(0)
    x, w, b = _data(rng, np.float32, (2, 3, 11, 12), (6, 3) + kernel)
    y = _ops.conv2d(x, w, b, stride, padding, dilation)
    ref = conv2d_ref(x, w, b, stride, padding, dilation)
    assert y.dtype == np.float32 and y.shape == ref.shape
    # outputs are O(5): an absolute 1e-5 on unit-scale values, relative here
    assert_allclose(y, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


@pytest.mark.parametrize("stride, padding, dilation",
                         list(itertools.product(STRIDES, PADDINGS, DILATIONS)))
def test_conv2d_backward_is_the_adjoint(stride, padding, dilation, conv_backend):
    """<dy, conv(x + e)> - <dy, conv(x)> = <dx, e>, and likewise for w and b, exactly
    (the reference is linear), in float64. At stride 1 the C kernels compute dw, db
    (src_cy/_conv2d.pyx, WeightGradPlan) and dx (the forward kernel); else Numba."""
    rng = np.random.default_rng(1)
    x, w, b = _data(rng, np.float64, (3, 2, 9, 10), (5, 2, 3, 2))
    y = conv2d_ref(x, w, b, stride, padding, dilation)
    dy = rng.standard_normal(y.shape)
    dx, dw, db = _ops.conv2d_backward(x, w, dy, stride, padding, dilation)
    ex, ew = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    zero_b = np.zeros_like(b)
    assert_allclose((dy * conv2d_ref(ex, w, zero_b, stride, padding, dilation)).sum(),
                    (dx * ex).sum(), rtol=1e-10)
    assert_allclose((dy * conv2d_ref(x, ew, zero_b, stride, padding, dilation)).sum(),
                    (dw * ew).sum(), rtol=1e-10)
    assert_allclose(db, dy.sum(axis=(0, 2, 3)), rtol=1e-10)


def test_conv2d_float64_and_odd_channel_counts(conv_backend):
    rng = np.random.default_rng(2)
    for o in (1, 3, 5, 9):
        x, w, b = _data(rng, np.float64, (2, 4, 7, 6), (o, 4, 3, 3))
        assert_allclose(_ops.conv2d(x, w, b, (1, 1), (1, 1, 1, 1)),
                        conv2d_ref(x, w, b, (1, 1), (1, 1, 1, 1)), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), k=st.integers(1, 4), s=st.integers(1, 3),
       d=st.integers(1, 2), p=st.integers(0, 2))
def test_conv2d_any_geometry(h, w, k, s, d, p):
    """Every geometry with a kernel that fits the padded input is computed in bounds."""
    if (k - 1) * d + 1 > min(h, w) + 2 * p:
        return
    rng = np.random.default_rng(3)
    pad = (p, p, p, p)
    for dtype, tol in ((np.float64, 1e-10), (np.float32, 1e-5)):
        x, wt, b = _data(rng, dtype, (2, 2, h, w), (3, 2, k, k))
        ref = conv2d_ref(x, wt, b, (s, s), pad, (d, d))
        for simd in {False, _ops._conv2d.HAS_SIMD}:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(_ops, "USE_SIMD", simd)
                y = _ops.conv2d(x, wt, b, (s, s), pad, (d, d))
            assert y.dtype == dtype
            assert_allclose(y, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("width", [3, 4, 7, 8, 9, 16, 17, 25, 33, 50])
@pytest.mark.parametrize("stride, padding, dilation", [((1, 1), (0, 0, 0, 0), (1, 1)),
                                                       ((1, 1), (1, 1, 1, 1), (1, 1)),
                                                       ((1, 2), (0, 1, 2, 0), (2, 1)),
                                                       ((2, 3), (1, 0, 0, 1), (1, 2))])
def test_conv2d_row_widths(dtype, width, stride, padding, dilation, conv_backend):
    """Output rows narrower than one SIMD vector, exactly one, and any remainder of
    vectors (the last one overlaps its neighbour; vectors are grouped 3 at a time
    across rows), in place and through the padded copy, for 1..9 output channels."""
    rng = np.random.default_rng(width)
    for o in (1, 4, 9):
        x, w, b = _data(rng, dtype, (3, 2, 5, width), (o, 2, 3, 2))
        if (width + padding[2] + padding[3] - (w.shape[3] - 1) * dilation[1] - 1) < 0:
            continue
        ref = conv2d_ref(x, w, b, stride, padding, dilation)
        tol = 1e-5 if dtype == np.float32 else 1e-12
        y = _ops.conv2d(x, w, b, stride, padding, dilation)
        assert y.dtype == dtype and y.shape == ref.shape
        assert_allclose(y, ref, rtol=tol, atol=tol * np.abs(ref).max())


@pytest.mark.parametrize("padding", [(0, 0, 0, 0), (1, 1, 1, 1)])
def test_conv2d_issue_layer_matches_reference(padding, conv_backend):
    """The issue's layer (64x3x32x32, 16 filters 3x3, float32), the benchmarked call."""
    rng = np.random.default_rng(9)
    x, w, b = _data(rng, np.float32, (64, 3, 32, 32), (16, 3, 3, 3))
    y = _ops.conv2d(x, w, b, (1, 1), padding)
    ref = conv2d_ref(x, w, b, (1, 1), padding)
    assert_allclose(y, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


def test_conv2d_simd_is_deterministic_across_thread_counts():
    """Each output is computed by one thread in a fixed order: any thread count,
    the same bits (1: the serial path of small layers; more: the worker pool,
    including more threads than cores and than images)."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    rng = np.random.default_rng(10)
    x, w, b = _data(rng, np.float32, (7, 3, 13, 21), (5, 3, 3, 3))
    plan = _ops._conv2d.ForwardPlan(x.shape, w, b, (7, 5, 13, 21), (1, 1, 1, 1, 1, 1))
    outs = []
    for n_threads in (1, 2, 3, 8, 2):
        out = np.full((7, 5, 13, 21), np.nan, np.float32)
        plan.run(x, out, n_threads)
        outs.append(out)
    assert_allclose(outs[0], conv2d_ref(x, w, b, (1, 1), (1, 1, 1, 1)), rtol=1e-5, atol=1e-4)
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])


def test_conv2d_simd_pool_from_python_threads():
    """Concurrent calls from several Python threads (the GIL is released) are
    serialised by the pool and each gets its own correct result."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(12)
    jobs = [_data(rng, np.float32, (16, 3, 12, 12), (8, 3, 3, 3)) for _ in range(6)]

    def run(job):
        x, w, b = job
        plan = _ops._conv2d.ForwardPlan(x.shape, w, b, (16, 8, 10, 10), (1, 1, 0, 0, 1, 1))
        out = np.empty((16, 8, 10, 10), np.float32)
        for _ in range(20):
            plan.run(x, out, 2)
        return out

    with ThreadPoolExecutor(3) as ex:
        results = list(ex.map(run, jobs))
    for (x, w, b), out in zip(jobs, results):
        assert_allclose(out, conv2d_ref(x, w, b), rtol=1e-5, atol=1e-4)


def test_conv2d_simd_plan_checks_its_arrays():
    """``run`` is the C kernel's only gate: arrays that do not match the plan raise."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    x, w, b = _data(np.random.default_rng(13), np.float32, (2, 3, 8, 8), (4, 3, 3, 3))
    plan = _ops._conv2d.ForwardPlan(x.shape, w, b, (2, 4, 6, 6), (1, 1, 0, 0, 1, 1))
    out = np.empty((2, 4, 6, 6), np.float32)
    for bad_x, bad_out in [(x[:1], out), (x, out[:, :3]), (x.astype(np.float64), out),
                           (x, out.astype(np.float64)), (np.asfortranarray(x), out),
                           (x[0], out), (x, out[..., None]), (x.tolist(), out),
                           (x.view(np.int32), out), (x.astype(">f4"), out),
                           (x, np.empty((2, 4, 6, 5), np.float32))]:
        with pytest.raises(ValueError, match="do not match the plan"):
            plan.run(bad_x, bad_out, 2)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="do not match the plan"):
        plan.run(x, out, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("strip_bytes", [1, 700, 5000])
@pytest.mark.parametrize("shape_x, stride, padding, dilation", [
    ((2, 3, 13, 21), (1, 1), (0, 0, 0, 0), (1, 1)),   # in place
    ((2, 3, 13, 21), (2, 1), (1, 2, 1, 0), (1, 2)),   # through the strip copy
    ((2, 2, 11, 5), (1, 2), (1, 1, 1, 1), (2, 1)),    # narrow rows, scratch row
])
def test_conv2d_simd_row_strips(dtype, strip_bytes, shape_x, stride, padding, dilation):
    """Images are computed a strip of rows at a time (the strip's input in L2):
    strips of 1 row, a few rows and a remainder strip give the reference."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    rng = np.random.default_rng(11)
    x, w, b = _data(rng, dtype, shape_x, (6, shape_x[1], 3, 3))
    ref = conv2d_ref(x, w, b, stride, padding, dilation)
    plan = _ops._conv2d.ForwardPlan(x.shape, w, b, ref.shape, stride + padding[::2] + dilation,
                                    strip_bytes)
    out = np.full(ref.shape, np.nan, dtype)
    plan.run(x, out, 2)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert_allclose(out, ref, rtol=tol, atol=tol * np.abs(ref).max())


def test_conv2d_simd_plan_rejects_an_empty_output():
    """The plan is the C kernel's only gate: an empty output never reaches it."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    w, b = np.ones((2, 1, 3, 3), np.float32), np.zeros(2, np.float32)
    with pytest.raises(ValueError, match="empty conv2d output"):
        _ops._conv2d.ForwardPlan((1, 1, 2, 2), w, b, (1, 2, 0, 0), (1, 1, 0, 0, 1, 1))


def _winograd_plan(x, w, b, out_shape, geom, **kw):
    plan = _ops._conv2d.ForwardPlan(x.shape, w, b, out_shape, geom, **kw)
    out = np.full(out_shape, np.nan, x.dtype)
    return plan, out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("strip_bytes", [1, 3000, _ops._conv2d.STRIP_BYTES if
                                         _ops._conv2d.HAS_SIMD else 0])
@pytest.mark.parametrize("shape_x, shape_w, padding, dilation", [
    ((2, 16, 12, 18), (16, 16, 3, 3), (0, 0, 0, 0), (1, 1)),  # in place, 2 tiles of 8 per row
    ((2, 16, 12, 16), (17, 16, 3, 3), (1, 1, 1, 1), (1, 1)),  # padded rows, 9 tiles per row
    ((3, 17, 9, 30), (18, 17, 3, 3), (2, 0, 1, 1), (2, 1)),   # asymmetric padding, row dilation
    ((2, 10, 10, 22), (21, 10, 5, 3), (1, 2, 0, 0), (1, 1)),  # 5 filter rows
    ((1, 48, 7, 30), (16, 48, 1, 3), (0, 0, 0, 0), (1, 1)),   # 1 filter row, 48 channels
])
def test_conv2d_winograd_matches_reference(dtype, strip_bytes, shape_x, shape_w, padding,
                                           dilation):
    """The 1-D Winograd F(2, 3) kernel (3-wide filters, stride 1, even output width,
    >= MIN_WINOGRAD_TAPS channel x filter-row taps and MIN_WINOGRAD_FILTERS filters):
    the reference within the direct
    kernel's tolerance, every strip size (1 row, a few, a remainder, the default),
    partial vector groups and channel blocks; the same bits on any thread count."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    rng = np.random.default_rng(20)
    x, w, b = _data(rng, dtype, shape_x, shape_w)
    ref = conv2d_ref(x, w, b, (1, 1), padding, dilation)
    geom = (1, 1, padding[0], padding[2]) + dilation
    plan, out = _winograd_plan(x, w, b, ref.shape, geom, strip_bytes=strip_bytes)
    assert plan.winograd
    plan.run(x, out, 2)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert_allclose(out, ref, rtol=tol, atol=tol * np.abs(ref).max())
    for n_threads in (1, 3):
        again = np.full(ref.shape, np.nan, dtype)
        plan.run(x, again, n_threads)
        np.testing.assert_array_equal(again, out)
    # the public call takes the same kernel
    np.testing.assert_array_equal(_ops.conv2d(x, w, b, (1, 1), padding, dilation), out)


def test_conv2d_winograd_crops_with_negative_padding():
    """A negative padding crops the input (the plan's geometry allows it)."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    rng = np.random.default_rng(21)
    x, w, b = _data(rng, np.float32, (2, 16, 12, 21), (16, 16, 3, 3))
    ref = conv2d_ref(x[:, :, 1:, 1:], w, b)  # crop 1 top and 1 left: OW = 18
    plan, out = _winograd_plan(x, w, b, ref.shape, (1, 1, -1, -1, 1, 1))
    assert plan.winograd
    plan.run(x, out, 2)
    assert_allclose(out, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


@pytest.mark.parametrize("shape_x, shape_w, stride, padding, dilation, dtype", [
    ((1, 16, 8, 19), (16, 16, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), np.float32),  # odd width
    ((1, 16, 8, 16), (16, 16, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), np.float32),  # 7 tiles < 8
    ((1, 16, 8, 10), (16, 16, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), np.float64),  # 4 tiles: ok
    ((1, 15, 8, 20), (16, 15, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), np.float32),  # 45 taps
    ((1, 16, 8, 20), (15, 16, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), np.float32),  # 15 filters
    ((1, 16, 8, 20), (16, 16, 3, 2), (1, 1), (0, 0, 0, 0), (1, 1), np.float32),  # 2 wide
    ((1, 16, 8, 36), (16, 16, 3, 3), (1, 2), (0, 0, 0, 0), (1, 1), np.float32),  # column stride
    ((1, 16, 8, 20), (16, 16, 3, 3), (2, 1), (0, 0, 0, 0), (1, 1), np.float32),  # row stride
    ((1, 16, 8, 22), (16, 16, 3, 3), (1, 1), (0, 0, 0, 0), (1, 2), np.float32),  # column dilation
])
def test_conv2d_winograd_only_where_it_applies(shape_x, shape_w, stride, padding, dilation,
                                               dtype):
    """Every other geometry takes the direct kernel, and both give the reference."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    rng = np.random.default_rng(22)
    x, w, b = _data(rng, dtype, shape_x, shape_w)
    ref = conv2d_ref(x, w, b, stride, padding, dilation)
    plan, out = _winograd_plan(x, w, b, ref.shape, stride + padding[::2] + dilation)
    expected = dtype == np.float64  # the one eligible row: 4 tiles fill a float64 vector
    assert plan.winograd == expected
    assert not _winograd_plan(x, w, b, ref.shape, stride + padding[::2] + dilation,
                              winograd=False)[0].winograd
    plan.run(x, out, 2)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert_allclose(out, ref, rtol=tol, atol=tol * np.abs(ref).max())


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 10), ow2=st.integers(4, 20), kh=st.integers(1, 5),
       c=st.integers(10, 48), dh=st.integers(1, 2), pt=st.integers(0, 2), pb=st.integers(0, 2),
       pl=st.integers(0, 2), o=st.integers(16, 21), f64=st.booleans())
def test_conv2d_winograd_any_geometry(h, ow2, kh, c, dh, pt, pb, pl, o, f64):
    """Random geometries the Winograd kernel takes: in bounds and the reference."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    dtype = np.float64 if f64 else np.float32
    ow = 2 * ow2
    width = ow + 2 - pl  # pr = 0 (pl may still pad on the left)
    assume(h + pt + pb - (kh - 1) * dh - 1 >= 0 and c * kh >= _ops._conv2d.MIN_WINOGRAD_TAPS)
    assume(ow2 >= (4 if f64 else 8))
    rng = np.random.default_rng(23)
    x, w, b = _data(rng, dtype, (2, c, h, width), (o, c, kh, 3))
    padding = (pt, pb, pl, 0)
    ref = conv2d_ref(x, w, b, (1, 1), padding, (dh, 1))
    plan, out = _winograd_plan(x, w, b, ref.shape, (1, 1, pt, pl, dh, 1), strip_bytes=2000)
    assert plan.winograd
    plan.run(x, out, 2)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert_allclose(out, ref, rtol=tol, atol=tol * np.abs(ref).max())


def _backward_both(x, w, dy, stride, padding, dilation):
    """(C kernels, Numba kernels) gradients of the same call."""
    out = []
    for simd in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_ops, "USE_SIMD", simd)
            out.append(_ops.conv2d_backward(x, w, dy, stride, padding, dilation))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding, dilation, kernel",
                         list(itertools.product(PADDINGS, DILATIONS, KERNELS)))
def test_conv2d_backward_stride1_c_kernels(dtype, padding, dilation, kernel):
    """The stride-1 C gradients equal the Numba ones (each checked as the adjoint
    of the reference above) to rounding, float32 and float64, 1-9 filters."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    rng = np.random.default_rng(30)
    for o in (1, 6, 9):
        x, w, _ = _data(rng, dtype, (5, 3, 11, 12), (o, 3) + kernel)
        y = conv2d_ref(x, w, np.zeros(o), (1, 1), padding, dilation)
        dy = rng.standard_normal(y.shape).astype(dtype)
        c, nb = _backward_both(x, w, dy, (1, 1), padding, dilation)
        tol = 1e-5 if dtype == np.float32 else 1e-12
        for got, ref in zip(c, nb):
            assert got.dtype == dtype and got.shape == ref.shape
            assert_allclose(got, ref, rtol=tol, atol=tol * np.abs(ref).max())


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), c=st.integers(1, 5), o=st.integers(1, 9), h=st.integers(1, 10),
       wd=st.integers(1, 12), kh=st.integers(1, 4), kw=st.integers(1, 4), d=st.integers(1, 2),
       p=st.integers(0, 3))
def test_conv2d_backward_stride1_any_geometry(n, c, o, h, wd, kh, kw, d, p):
    """Random stride-1 geometries (paddings beyond the filter extent included, which
    crop dx's correlation): the C gradients equal the Numba ones."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    if (kh - 1) * d + 1 > h + 2 * p or (kw - 1) * d + 1 > wd + p:
        return
    rng = np.random.default_rng(31)
    padding = (p, p, p, 0)
    x, w, _ = _data(rng, np.float64, (n, c, h, wd), (o, c, kh, kw))
    y = conv2d_ref(x, w, np.zeros(o), (1, 1), padding, (d, d))
    dy = rng.standard_normal(y.shape)
    for got, ref in zip(*_backward_both(x, w, dy, (1, 1), padding, (d, d))):
        assert_allclose(got, ref, rtol=1e-11, atol=1e-11 * np.abs(ref).max())


def test_conv2d_backward_of_an_empty_batch(conv_backend):
    """No images: zero weight and bias gradients and an empty dx, on both backends."""
    x, w = np.ones((0, 3, 8, 8), np.float32), np.ones((4, 3, 3, 3), np.float32)
    dx, dw, db = _ops.conv2d_backward(x, w, np.ones((0, 4, 6, 6), np.float32))
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (4,)
    assert not dw.any() and not db.any()


def test_conv2d_weight_gradient_plan_threads_and_checks():
    """dw and db are summed over fixed chunks of images: the same bits on any thread
    count; arrays that do not match the plan raise (the C kernel's only gate)."""
    if not _ops._conv2d.HAS_SIMD:
        pytest.skip("CPU without AVX2/FMA")
    rng = np.random.default_rng(32)
    x, w, _ = _data(rng, np.float32, (37, 3, 10, 9), (5, 3, 3, 3))
    dy = rng.standard_normal((37, 5, 10, 9)).astype(np.float32)
    plan = _ops._conv2d.WeightGradPlan(x.shape, w.shape, dy.shape, (1, 1, 1, 1), np.float32)
    dw, db = plan.run(x, dy, 1)
    for n_threads in (2, 3, 8, 64):
        dw2, db2 = plan.run(x, dy, n_threads)
        np.testing.assert_array_equal(dw2, dw)
        np.testing.assert_array_equal(db2, db)
    ref = _backward_both(x.astype(np.float64), w.astype(np.float64), dy.astype(np.float64),
                         (1, 1), (1, 1, 1, 1), (1, 1))[1]
    assert_allclose(dw, ref[1], rtol=1e-5, atol=1e-5 * np.abs(ref[1]).max())
    assert_allclose(db, ref[2], rtol=1e-5)
    for bad_x, bad_dy in [(x[:1], dy), (x, dy[:, :4]), (x.astype(np.float64), dy),
                          (x, np.asfortranarray(dy)), (x[0], dy), (x.tolist(), dy)]:
        with pytest.raises(ValueError, match="do not match the plan"):
            plan.run(bad_x, bad_dy, 2)
    with pytest.raises(ValueError, match="negative padding"):
        _ops._conv2d.WeightGradPlan(x.shape, w.shape, dy.shape, (-1, 0, 1, 1), np.float32)


POOLS = [((2, 2), (2, 2), (0, 0, 0, 0)), ((3, 3), (2, 2), (1, 1, 1, 1)),
         ((2, 3), (1, 2), (0, 1, 1, 0)), ((3, 2), (3, 1), (1, 0, 0, 1))]


@pytest.mark.parametrize("pool, stride, padding", POOLS)
@pytest.mark.parametrize("kind, include_pad", [("max", False), ("avg", False), ("avg", True)])
def test_pool_matches_reference_float32(pool, stride, padding, kind, include_pad):
    x = np.random.default_rng(4).standard_normal((2, 3, 9, 10)).astype(np.float32)
    if kind == "max":
        y = _ops.max_pool2d(x, pool, stride, padding)
    else:
        y = _ops.avg_pool2d(x, pool, stride, padding, include_pad)
    assert y.dtype == np.float32
    assert_allclose(y, pool2d_ref(x, pool, stride, padding, kind, include_pad), atol=1e-6)


@pytest.mark.parametrize("pool, stride, padding", POOLS)
def test_pool_backward_is_the_adjoint(pool, stride, padding):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 8, 9))
    y = _ops.avg_pool2d(x, pool, stride, padding)
    dy = rng.standard_normal(y.shape)
    e = rng.standard_normal(x.shape)
    dx = _ops.avg_pool2d_backward(x.shape, dy, pool, stride, padding)
    assert_allclose((dy * pool2d_ref(e, pool, stride, padding, "avg")).sum(), (dx * e).sum())
    # max pool: the gradient goes to each window's arg-max
    y = _ops.max_pool2d(x, pool, stride, padding)
    dx = _ops.max_pool2d_backward(x, y, dy, pool, stride, padding)
    expected = np.zeros_like(x)
    ref = pool2d_ref(x, pool, stride, padding, "max")
    for n, c, i, j in np.ndindex(ref.shape):
        r, q = np.argwhere(x[n, c] == ref[n, c, i, j])[0]
        expected[n, c, r, q] += dy[n, c, i, j]
    assert_allclose(dx, expected)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 7), w=st.integers(1, 7), k=st.integers(1, 3), s=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same", 1]))
def test_pool_any_geometry(h, w, k, s, padding):
    """Windows clipped by "same" / explicit padding never read outside the image."""
    if padding == 1 and k < 2:
        return
    pads, out = _ops.resolve_padding(padding, (h, w), (k, k), (s, s), (1, 1))
    if min(out) < 1:
        return
    x = np.random.default_rng(8).standard_normal((2, 2, h, w))
    assert_allclose(_ops.max_pool2d(x, (k, k), (s, s), pads),
                    pool2d_ref(x, (k, k), (s, s), pads, "max"))
    assert_allclose(_ops.avg_pool2d(x, (k, k), (s, s), pads),
                    pool2d_ref(x, (k, k), (s, s), pads, "avg"))


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("stride, padding, dilation",
                         list(itertools.product(STRIDES, [(0, 0, 0, 0), (1, 1, 1, 1)], DILATIONS)))
def test_conv2d_matches_torch(stride, padding, dilation, conv_backend):
    torch = _torch()
    rng = np.random.default_rng(6)
    x, w, b = _data(rng, np.float32, (4, 3, 12, 11), (8, 3, 3, 3))
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride, padding[::2], dilation)
    y = _ops.conv2d(x, w, b, stride, padding, dilation)
    assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    yt.backward(torch.tensor(dy))
    dx, dw, db = _ops.conv2d_backward(x, w, dy, stride, padding, dilation)
    assert_allclose(dx, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    assert_allclose(dw, wt.grad.numpy(), rtol=1e-4, atol=1e-3)
    assert_allclose(db, bt.grad.numpy(), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("pool, stride, pad", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_pool_matches_torch(pool, stride, pad):
    torch = _torch()
    x = np.random.default_rng(7).standard_normal((2, 3, 10, 9)).astype(np.float32)
    xt = torch.tensor(x)
    padding = (pad,) * 4
    assert_allclose(_ops.max_pool2d(x, (pool, pool), (stride, stride), padding),
                    torch.nn.functional.max_pool2d(xt, pool, stride, pad).numpy())
    for include in (False, True):
        assert_allclose(_ops.avg_pool2d(x, (pool, pool), (stride, stride), padding, include),
                        torch.nn.functional.avg_pool2d(xt, pool, stride, pad,
                                                       count_include_pad=include).numpy(),
                        rtol=1e-6, atol=1e-6)
