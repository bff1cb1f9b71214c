"""Scores of one fold: classification metrics, chance level and (for seizures) event metrics."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    cohen_kappa_score,
    f1_score,
    roc_auc_score,
)

CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "kappa", "f1_macro", "roc_auc")
SEIZURE_METRICS = ("sensitivity", "specificity", "event_sensitivity", "false_alarms_per_hour",
                   "detection_latency_s")
METRICS = CLASSIFICATION_METRICS + SEIZURE_METRICS


def chance_level(y_true: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent test class (``1/K`` when balanced)."""
    y_true = np.asarray(y_true)
    if y_true.size == 0:
        return float("nan")
    return float(np.bincount(y_true).max() / y_true.size)


def score(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None = None,
    *,
    paradigm: str = "MI",
    metadata: pd.DataFrame | None = None,
    window_length: float | None = None,
) -> dict[str, float]:
    """Every metric in :data:`METRICS` for one fold (``nan`` where it does not apply).

    ``proba`` (n, K) gives ROC AUC for binary tasks whose test set holds both classes.
    For ``paradigm="seizure"`` the seizure metrics come from
    :func:`eegdec.evaluation.seizure_metrics.seizure_scores` (class 1 = seizure); its event
    metrics (false alarms per hour...) need the test windows' ``metadata`` (``onset``) and
    ``window_length`` in seconds.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    out = dict.fromkeys(METRICS, float("nan"))
    out["accuracy"] = float(accuracy_score(y_true, y_pred))
    out["balanced_accuracy"] = float(balanced_accuracy_score(y_true, y_pred))
    kappa = cohen_kappa_score(y_true, y_pred) if len(np.unique(y_true)) > 1 else math.nan
    out["kappa"] = float(kappa)
    out["f1_macro"] = float(f1_score(y_true, y_pred, average="macro", zero_division=0))
    if proba is not None and proba.ndim == 2 and proba.shape[1] == 2 and len(
        np.unique(y_true)
    ) == 2:
        out["roc_auc"] = float(roc_auc_score(y_true, proba[:, 1]))
    if paradigm.lower() == "seizure" and importlib.util.find_spec(
        "eegdec.evaluation.seizure_metrics"
    ):
        from eegdec.evaluation.seizure_metrics import seizure_scores

        extra = seizure_scores(y_true, y_pred, proba, metadata=metadata,
                               window_length=window_length)
        out.update({k: float(extra[k]) for k in SEIZURE_METRICS if k in extra})
    return out
