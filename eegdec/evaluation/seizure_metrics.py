"""Seizure-detection metrics: per window and per event on continuous recordings.

Window level: sensitivity (recall of ``seizure``), specificity, F1, ROC AUC, balanced accuracy.
Event level: runs of consecutive positive windows form detections; a true seizure is a run of
consecutive ``seizure`` windows (so event timing has the resolution of the window step). A
seizure counts as detected when a detection overlaps it; detections overlapping no seizure are
false alarms, reported per hour of recording. Detection latency is the time from seizure onset
to the end of the first window of the detection that hits it (when the alarm can first be
raised), floored at zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from eegdec.errors import BadInputError

Interval = tuple[float, float]


def _positive_scores(proba: np.ndarray | None) -> np.ndarray | None:
    if proba is None:
        return None
    proba = np.asarray(proba, dtype=float)
    return proba[:, 1] if proba.ndim == 2 else proba


def window_metrics(y_true: Sequence[int], y_pred: Sequence[int],
                   proba: np.ndarray | None = None) -> dict[str, float]:
    """Window-level scores with ``1 = seizure``; ``proba`` ``(n, 2)`` or ``(n,)`` gives ROC AUC."""
    from sklearn.metrics import f1_score, roc_auc_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise BadInputError(
            f"y_true {y_true.shape} and y_pred {y_pred.shape} must be equal-length 1-d arrays."
        )
    pos, neg = y_true == 1, y_true == 0
    sens = float(np.mean(y_pred[pos] == 1)) if pos.any() else np.nan
    spec = float(np.mean(y_pred[neg] == 0)) if neg.any() else np.nan
    out = {
        "sensitivity": sens, "specificity": spec,
        "f1": float(f1_score(y_true, y_pred, pos_label=1, zero_division=0)),
        "balanced_accuracy": float(np.nanmean([sens, spec])) if pos.any() or neg.any()
        else np.nan,
        "roc_auc": np.nan,
    }
    scores = _positive_scores(proba)
    if scores is not None and pos.any() and neg.any():
        out["roc_auc"] = float(roc_auc_score(y_true, scores))
    return out


def detections(y_pred: Sequence[int], onsets: Sequence[float], window_length: float, *,
               min_windows: int = 1) -> list[Interval]:
    """Runs of consecutive positive windows as ``(first onset, last onset + window_length)``.

    Windows are consecutive when they touch or overlap in time; runs shorter than
    ``min_windows`` windows are dropped (a simple false-alarm filter).
    """
    order = np.argsort(np.asarray(onsets, dtype=float), kind="stable")
    onsets = np.asarray(onsets, dtype=float)[order]
    positive = np.asarray(y_pred)[order] == 1
    runs: list[list[float]] = []
    count: list[int] = []
    run_open = False
    for onset, is_pos in zip(onsets, positive):
        if is_pos and run_open and onset <= runs[-1][1] + 1e-9:
            runs[-1][1] = onset + window_length
            count[-1] += 1
        elif is_pos:
            runs.append([onset, onset + window_length])
            count.append(1)
        run_open = bool(is_pos)
    return [(s, e) for (s, e), c in zip(runs, count) if c >= min_windows]


def event_metrics(seizures: Sequence[Interval], detected: Sequence[Interval],
                  duration_s: float, window_length: float) -> dict[str, float]:
    """Event scores of one recording: seizures ``[(start, end)]`` vs detections (s)."""
    if duration_s <= 0:
        raise BadInputError(f"Recording duration must be positive, got {duration_s} s.")
    hit = [any(d0 < s1 and d1 > s0 for d0, d1 in detected) for s0, s1 in seizures]
    false_alarms = sum(not any(d0 < s1 and d1 > s0 for s0, s1 in seizures)
                       for d0, d1 in detected)
    latencies = [
        max(0.0, min(d0 for d0, d1 in detected if d0 < s1 and d1 > s0) + window_length - s0)
        for (s0, s1), h in zip(seizures, hit) if h
    ]
    return {
        "n_seizures": float(len(seizures)), "n_detected": float(sum(hit)),
        "false_alarms": float(false_alarms), "hours": duration_s / 3600.0,
        "latency_sum_s": float(sum(latencies)),
    }


def continuous_metrics(metadata: pd.DataFrame, y_true: Sequence[int], y_pred: Sequence[int],
                       window_length: float, *, min_windows: int = 1) -> dict[str, float]:
    """Event scores summed over the recordings in ``metadata`` (``recording``, ``onset``).

    Returns ``event_sensitivity``, ``false_alarms_per_hour``, ``detection_latency_s`` (mean over
    detected seizures; NaN if none), ``n_seizures`` and ``hours``.
    """
    meta = metadata.reset_index(drop=True)
    if "onset" not in meta:
        raise BadInputError("Event metrics need window onsets: metadata has no 'onset' column.")
    groups = meta["recording"] if "recording" in meta else meta["subject"].astype(str)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    total = dict.fromkeys(("n_seizures", "n_detected", "false_alarms", "hours",
                           "latency_sum_s"), 0.0)
    for _, idx in meta.groupby(groups, sort=False).indices.items():
        onsets = meta["onset"].to_numpy(dtype=float)[idx]
        duration = onsets.max() + window_length - onsets.min()
        seizures = detections(y_true[idx], onsets, window_length)
        found = detections(y_pred[idx], onsets, window_length, min_windows=min_windows)
        for key, value in event_metrics(seizures, found, duration, window_length).items():
            total[key] += value
    n_sz, n_det = total["n_seizures"], total["n_detected"]
    return {
        "event_sensitivity": n_det / n_sz if n_sz else np.nan,
        "false_alarms_per_hour": total["false_alarms"] / total["hours"],
        "detection_latency_s": total["latency_sum_s"] / n_det if n_det else np.nan,
        "n_seizures": n_sz,
        "hours": total["hours"],
    }


def seizure_scores(y_true: Sequence[int], y_pred: Sequence[int], proba: np.ndarray | None = None,
                   metadata: pd.DataFrame | None = None, window_length: float | None = None,
                   ) -> dict[str, float]:
    """Window metrics, plus event metrics when ``metadata`` and ``window_length`` are given.

    This is what the evaluation runner records per fold for ``--paradigm seizure``
    (``window_length`` is ``epochs.info["window_length"]``).
    """
    out = window_metrics(y_true, y_pred, proba)
    if metadata is not None and window_length is not None:
        out.update(continuous_metrics(metadata, y_true, y_pred, window_length))
    return out
