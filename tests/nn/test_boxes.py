import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from fastml.nn.boxes import iou, non_max_suppression


def _random_boxes(rng, n):
    xy = rng.uniform(0, 10, (n, 2))
    wh = rng.uniform(0.5, 4, (n, 2))
    return np.hstack([xy, xy + wh])


def _iou_one(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _nms_ref(boxes, scores, thr):
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    for i in order:
        if all(_iou_one(boxes[i], boxes[k]) <= thr for k in keep):
            keep.append(i)
    return np.array(keep)


def test_iou_matches_pairwise_formula():
    rng = np.random.default_rng(0)
    a, b = _random_boxes(rng, 7), _random_boxes(rng, 5)
    expected = [[_iou_one(p, q) for q in b] for p in a]
    assert_allclose(iou(a, b), expected)
    assert_allclose(np.diag(iou(a, a)), 1)


@pytest.mark.parametrize("thr", [0.1, 0.3, 0.5, 0.9])
def test_nms_matches_greedy_reference(thr):
    rng = np.random.default_rng(1)
    boxes = _random_boxes(rng, 60)
    scores = rng.random(60)
    assert_array_equal(non_max_suppression(boxes, scores, thr), _nms_ref(boxes, scores, thr))


def test_nms_matches_torchvision():
    torch = pytest.importorskip("torch")
    tv = pytest.importorskip("torchvision")
    rng = np.random.default_rng(2)
    boxes, scores = _random_boxes(rng, 80), rng.random(80)
    ref = tv.ops.nms(torch.tensor(boxes), torch.tensor(scores), 0.4).numpy()
    assert_array_equal(non_max_suppression(boxes, scores, 0.4), ref)


def test_nms_thresholds_and_limits():
    boxes = [[0, 0, 2, 2], [0, 0, 2, 2.1], [5, 5, 6, 6], [5, 5, 6.1, 6]]
    scores = [0.9, 0.8, 0.3, 0.7]
    assert_array_equal(non_max_suppression(boxes, scores, 0.5), [0, 3])
    assert_array_equal(non_max_suppression(boxes, scores, 0.5, max_output_size=1), [0])
    assert_array_equal(non_max_suppression(boxes, scores, 0.5, score_threshold=0.8), [0])
    assert non_max_suppression(np.zeros((0, 4)), []).shape == (0,)


def test_boxes_bad_input():
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        iou([[0, 0, 1]], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="x1 <= x2"):
        iou([[2, 0, 1, 1]], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="NaN"):
        non_max_suppression([[0, 0, np.nan, 1]], [1.0])
    with pytest.raises(ValueError, match="scores"):
        non_max_suppression([[0, 0, 1, 1]], [1.0, 2.0])
