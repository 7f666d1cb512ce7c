"""Bounding-box helpers: intersection over union and greedy non-maximum suppression.

Boxes are (x1, y1, x2, y2) corners with x1 <= x2 and y1 <= y2 (torchvision's
convention).
"""

import numpy as np


def _check_boxes(boxes, name):
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{name} must have shape (n, 4) as (x1, y1, x2, y2); got {boxes.shape}")
    if not np.isfinite(boxes).all():
        raise ValueError(f"{name} contains NaN or infinity")
    if (boxes[:, 2] < boxes[:, 0]).any() or (boxes[:, 3] < boxes[:, 1]).any():
        raise ValueError(f"{name}: every box needs x1 <= x2 and y1 <= y2")
    return boxes


def _area(b):
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def iou(boxes1, boxes2):
    """Pairwise intersection over union, shape (len(boxes1), len(boxes2)).

    Examples
    --------
    >>> from fastml.nn.boxes import iou
    >>> iou([[0, 0, 2, 2]], [[1, 1, 3, 3], [0, 0, 2, 2]])
    array([[0.14285714, 1.        ]])
    """
    a = _check_boxes(boxes1, "boxes1")
    b = _check_boxes(boxes2, "boxes2")
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(hi - lo, 0, None).prod(axis=2)
    union = _area(a)[:, None] + _area(b)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def non_max_suppression(boxes, scores, iou_threshold=0.5, score_threshold=None,
                        max_output_size=None):
    """Indices of the boxes kept by greedy NMS, by decreasing score.

    A box is dropped when its IoU with an already kept, higher-scoring box is
    greater than ``iou_threshold`` (torchvision.ops.nms); boxes scoring below
    ``score_threshold`` are dropped first (tf.image.non_max_suppression).

    Examples
    --------
    >>> from fastml.nn.boxes import non_max_suppression
    >>> non_max_suppression([[0, 0, 2, 2], [0, 0, 2, 2.1], [5, 5, 6, 6]], [0.9, 0.8, 0.7])
    array([0, 2])
    """
    boxes = _check_boxes(boxes, "boxes")
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if len(scores) != len(boxes):
        raise ValueError(f"got {len(boxes)} boxes but {len(scores)} scores")
    if not 0 <= iou_threshold <= 1:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    order = np.argsort(-scores, kind="stable")
    if score_threshold is not None:
        order = order[scores[order] >= score_threshold]
    limit = len(order) if max_output_size is None else int(max_output_size)
    keep = []
    while len(order) and len(keep) < limit:
        best = order[0]
        keep.append(best)
        overlap = iou(boxes[best : best + 1], boxes[order[1:]])[0]
        order = order[1:][overlap <= iou_threshold]
    return np.asarray(keep, dtype=np.intp)


__all__ = ["iou", "non_max_suppression"]
