"""Losses and metrics (scikit-learn's ``sklearn.metrics`` API)."""

from ._classification import accuracy_score, confusion_matrix, f1_score, fbeta_score, log_loss, multilabel_confusion_matrix, precision_recall_fscore_support, precision_score, recall_score  # noqa: E501
from ._ranking import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve  # noqa: E501
from ._regression import huber_loss, mean_absolute_error, mean_squared_error, r2_score, root_mean_squared_error  # noqa: E501

__all__ = []
__all__ += ["accuracy_score", "confusion_matrix", "f1_score", "fbeta_score", "log_loss", "multilabel_confusion_matrix", "precision_recall_fscore_support", "precision_score", "recall_score"]  # noqa: E501
__all__ += ["average_precision_score", "precision_recall_curve", "roc_auc_score", "roc_curve"]  # noqa: E501
__all__ += ["huber_loss", "mean_absolute_error", "mean_squared_error", "r2_score", "root_mean_squared_error"]  # noqa: E501
