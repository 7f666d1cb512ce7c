"""Metrics with compiled kernels, mirroring ``sklearn.metrics``."""

from fastml.metrics._classification import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    fbeta_score,
    log_loss,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
)
from fastml.metrics._ranking import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)
from fastml.metrics._regression import (
    huber_loss,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    root_mean_squared_error,
)
from fastml.metrics._silhouette import silhouette_samples, silhouette_score
from fastml.metrics.pairwise import (
    euclidean_distances,
    pairwise_distances,
    pairwise_distances_argmin,
    pairwise_distances_argmin_min,
)

__all__ = [
    "accuracy_score",
    "average_precision_score",
    "confusion_matrix",
    "euclidean_distances",
    "f1_score",
    "fbeta_score",
    "huber_loss",
    "log_loss",
    "mean_absolute_error",
    "mean_squared_error",
    "multilabel_confusion_matrix",
    "pairwise_distances",
    "pairwise_distances_argmin",
    "pairwise_distances_argmin_min",
    "precision_recall_curve",
    "precision_recall_fscore_support",
    "precision_score",
    "r2_score",
    "recall_score",
    "roc_auc_score",
    "roc_curve",
    "root_mean_squared_error",
    "silhouette_samples",
    "silhouette_score",
]
