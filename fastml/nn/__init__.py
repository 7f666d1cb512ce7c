"""Keras-style neural-network layers and ``Sequential`` on NCHW arrays (like torch).

Convolution and pooling run on Numba kernels (``fastml._nb.conv``,
``fastml._nb.pool``); scikit-learn has no CNN, so the API follows Keras and
the array layout follows torch. See docs/nn.md.
"""

from fastml.nn import boxes
from fastml.nn._layers import (
    Activation,
    AvgPool2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    Layer,
    MaxPool2D,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from fastml.nn._losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Huber,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
)
from fastml.nn._optimizers import SGD, Adam, RMSprop
from fastml.nn._sequential import (
    Callback,
    EarlyStopping,
    History,
    LearningRateScheduler,
    Sequential,
    load_model,
)
from fastml.nn.boxes import iou, non_max_suppression

__all__ = [
    "Activation", "Adam", "AvgPool2D", "BatchNormalization", "BinaryCrossentropy", "Callback",
    "CategoricalCrossentropy", "Conv2D", "Dense", "Dropout", "EarlyStopping", "Flatten",
    "GlobalAvgPool2D", "History", "Huber", "Layer", "LearningRateScheduler", "MaxPool2D", "MeanAbsoluteError",
    "MeanSquaredError", "RMSprop", "RandomFlip", "RandomRotation", "RandomTranslation",
    "RandomZoom", "SGD", "Sequential", "SparseCategoricalCrossentropy", "boxes", "iou",
    "load_model", "non_max_suppression",
]
