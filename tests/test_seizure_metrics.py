"""Seizure metrics checked against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eegdec.errors import BadInputError
from eegdec.evaluation.seizure_metrics import (
    continuous_metrics,
    detections,
    event_metrics,
    seizure_scores,
    window_metrics,
)


def test_window_metrics_by_hand():
    y_true = [0, 0, 0, 0, 1, 1, 1, 0]
    y_pred = [0, 1, 0, 0, 1, 1, 0, 0]
    proba = np.array([0.1, 0.6, 0.2, 0.3, 0.9, 0.8, 0.4, 0.2])
    m = window_metrics(y_true, y_pred, np.c_[1 - proba, proba])
    assert m["sensitivity"] == pytest.approx(2 / 3)
    assert m["specificity"] == pytest.approx(4 / 5)
    assert m["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))  # tp=2, fp=1, fn=1
    assert m["balanced_accuracy"] == pytest.approx((2 / 3 + 4 / 5) / 2)
    # positives 0.9, 0.8, 0.4 vs negatives 0.1, 0.6, 0.2, 0.3, 0.2: 14 of 15 pairs ordered
    assert m["roc_auc"] == pytest.approx(14 / 15)
    assert np.isnan(window_metrics([0, 0], [0, 1])["sensitivity"])
    with pytest.raises(BadInputError):
        window_metrics([0, 1], [0])


def test_detections_group_consecutive_windows():
    onsets = [0, 4, 8, 12, 16, 20, 24]
    assert detections([0, 1, 1, 0, 1, 0, 0], onsets, 4.0) == [(4, 12), (16, 20)]
    assert detections([0, 1, 1, 0, 1, 0, 0], onsets, 4.0, min_windows=2) == [(4, 12)]
    # unsorted input, overlapping windows (2 s step), a gap in onsets splits detections
    assert detections([1, 1, 1], [2, 0, 10], 4.0) == [(0, 6), (10, 14)]


def test_event_metrics_latency_and_false_alarms():
    m = event_metrics([(10, 30), (100, 120)], [(8, 20), (50, 54), (60, 64)], 3600, 4.0)
    assert m["n_seizures"] == 2 and m["n_detected"] == 1 and m["false_alarms"] == 2
    assert m["latency_sum_s"] == pytest.approx(2.0)  # alarm at 8 + 4 = 12 s, onset 10 s
    assert m["hours"] == 1.0
    with pytest.raises(BadInputError):
        event_metrics([], [], 0, 4.0)


def test_continuous_metrics_over_recordings():
    onsets = np.arange(0, 1800, 4.0)  # two half-hour recordings of 450 windows
    y_true = np.zeros(900, int)
    y_true[100:105] = 1  # recording a: seizure 400-420 s
    y_pred = y_true.copy()
    y_pred[100] = 0  # detected one window late: latency (404 + 4) - 400 = 8 s
    y_pred[[10, 11, 600]] = 1  # one false alarm in a (2 windows), one in b
    meta = pd.DataFrame({"recording": ["a"] * 450 + ["b"] * 450,
                         "onset": np.r_[onsets, onsets]})
    m = continuous_metrics(meta, y_true, y_pred, 4.0)
    assert m["event_sensitivity"] == 1.0 and m["n_seizures"] == 1
    assert m["hours"] == pytest.approx(1.0)
    assert m["false_alarms_per_hour"] == pytest.approx(2.0)
    assert m["detection_latency_s"] == pytest.approx(8.0)
    s = seizure_scores(y_true, y_pred, None, meta, 4.0)
    assert s["sensitivity"] == pytest.approx(4 / 5) and np.isnan(s["roc_auc"])
    assert "false_alarms_per_hour" in s
    assert "false_alarms_per_hour" not in seizure_scores(y_true, y_pred)
