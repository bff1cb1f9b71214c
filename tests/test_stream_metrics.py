"""Pseudo-online metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from eegdec.evaluation import stream_metrics as sm

CLASSES = ["left_hand", "right_hand"]
# Two cues of 1 s (left at 1.0 s, right at 3.0 s) with rest around them.
CUES = pd.DataFrame({"onset": [0.0, 1.0, 2.0, 3.0], "duration": [1.0, 1.0, 1.0, 1.0],
                     "label": ["rest", "left_hand", "rest", "right_hand"]})
TIMES = np.round(np.arange(0.5, 4.25, 0.25), 2)  # 0.5, 0.75, ..., 4.0


def test_decisions_are_labelled_by_the_cue_active_at_their_time() -> None:
    cue, cls, tau = sm.label_decisions(TIMES, CUES, CLASSES)
    # 1.0 <= t < 2.0 -> cue 0 (left), 3.0 <= t < 4.0 -> cue 1 (right); rest elsewhere
    expected_cue = [-1, -1, 0, 0, 0, 0, -1, -1, -1, -1, 1, 1, 1, 1, -1]
    assert cue.tolist() == expected_cue
    assert cls.tolist() == [-1 if c < 0 else c for c in expected_cue]
    np.testing.assert_allclose(tau[cue >= 0], [0, .25, .5, .75] * 2)
    assert np.isnan(tau[cue < 0]).all()


def test_a_cue_of_an_unknown_class_is_rest() -> None:
    cues = pd.concat([CUES, pd.DataFrame({"onset": [5.0], "duration": [1.0],
                                          "label": ["feet"]})], ignore_index=True)
    cue, _, _ = sm.label_decisions(np.array([5.5]), cues, CLASSES)
    assert cue.tolist() == [-1]


def test_decision_accuracy_counts_only_decisions_during_cues() -> None:
    pred = np.array([1, 1, 0, 0, 1, 0])
    true = np.array([-1, -1, 0, 0, 0, 1])
    assert sm.decision_accuracy(pred, true) == pytest.approx(2 / 4)
    assert math.isnan(sm.decision_accuracy(pred, np.full(6, -1)))


def test_accuracy_vs_time_bins_time_since_onset() -> None:
    pred = np.array([0, 1, 0, 0, 1])
    true = np.array([0, 0, 0, 1, -1])
    tau = np.array([0.05, 0.15, 0.19, 0.3, np.nan])
    curve = sm.accuracy_vs_time(pred, true, tau, t_max=0.4, bin_s=0.1)
    assert curve["t_start"].tolist() == [0.0, 0.1, 0.2, 0.3]
    assert curve["n"].tolist() == [1, 2, 0, 1]
    np.testing.assert_allclose(curve["accuracy"], [1.0, 0.5, np.nan, 0.0])


def test_trial_decision_sums_log_probabilities_from_half_a_second() -> None:
    cue = np.array([0, 0, 0, 1, 1, -1])
    tau = np.array([0.2, 0.6, 0.9, 0.5, 0.7, np.nan])
    proba = np.array([[0.01, 0.99],  # before 0.5 s: ignored
                      [0.7, 0.3], [0.4, 0.6],  # log: left -0.357-0.916 > right -1.204-0.511
                      [0.2, 0.8], [0.3, 0.7],
                      [0.5, 0.5]])
    # cue 0: left log sum = ln .7 + ln .4 = -1.273; right = ln .3 + ln .6 = -1.715 -> left
    pred = sm.trial_decisions(np.log(proba), cue, tau, durations=np.array([1.0, 0.6]))
    assert pred.tolist() == [0, 1]  # cue 1 uses only tau 0.5 (0.7 >= its 0.6 s end)
    assert sm.trial_accuracy(pred, np.array([0, 0])) == 0.5
    none = sm.trial_decisions(np.log(proba), cue, tau, durations=np.array([0.4, 0.4]))
    assert none.tolist() == [-1, -1]
    assert sm.trial_accuracy(np.array([-1, 1]), np.array([0, 1])) == 1.0


def test_time_to_stable_is_the_start_of_the_last_correct_streak() -> None:
    cue = np.array([0, 0, 0, 0, 1, 1, 2, 2, -1])
    tau = np.array([0.0, 0.1, 0.2, 0.3, 0.0, 0.1, 0.0, 0.1, np.nan])
    correct = np.array([1, 0, 1, 1, 1, 1, 1, 0, 0], dtype=bool)
    out = sm.time_to_stable(correct, cue, tau, n_cues=4)
    assert out[0] == pytest.approx(0.2)  # wrong at 0.1, right from 0.2 to the end
    assert out[1] == pytest.approx(0.0)  # right throughout
    assert np.isnan(out[2])  # last decision wrong: never stable
    assert np.isnan(out[3])  # no decision


@pytest.mark.parametrize("p, n, expected", [
    (1.0, 2, 1.0), (1.0, 4, 2.0), (0.5, 2, 0.0), (0.3, 2, 0.0), (0.25, 4, 0.0),
    # 1 + .8 log2 .8 + .2 log2 .2
    (0.8, 2, 1 + 0.8 * math.log2(0.8) + 0.2 * math.log2(0.2)),
    # log2 4 + .7 log2 .7 + .3 log2(.3 / 3)
    (0.7, 4, 2 + 0.7 * math.log2(0.7) + 0.3 * math.log2(0.1)),
])
def test_wolpaw_bits_per_selection(p: float, n: int, expected: float) -> None:
    assert sm.wolpaw_bits(p, n) == pytest.approx(expected)


def test_itr_is_bits_per_minute() -> None:
    # P = 0.8, N = 2: 0.27807 bits per selection, 60 / 4.1 selections per minute
    assert sm.wolpaw_itr(0.8, 2, 4.1) == pytest.approx(0.2780719 * 60 / 4.1, rel=1e-6)
    assert sm.wolpaw_itr(float("nan"), 2, 4.1) == 0.0


def test_false_activations_count_confident_streaks_per_minute_of_rest() -> None:
    proba = np.array([[0.95, 0.05], [0.92, 0.08], [0.6, 0.4], [0.1, 0.9], [0.5, 0.5],
                      [0.99, 0.01]])
    rest = np.array([True, True, True, True, False, True])
    # streaks >= 0.9 in rest: [0, 1] and [3] -> 2; decision 5 starts a new streak after a
    # non-rest decision -> 3; rest time 5 decisions x 0.1 s = 0.5 s = 1/120 min
    assert sm.false_activations_per_min(proba, rest, hop_s=0.1) == pytest.approx(3 * 120)
    # a rest class (index 1): only confident non-rest labels count -> decisions 0-1 and 5
    assert sm.false_activations_per_min(proba, rest, 0.1, rest_class=1) == \
        pytest.approx(2 * 120)
    assert math.isnan(sm.false_activations_per_min(proba, np.zeros(6, bool), 0.1))


def test_latency_percentiles_in_milliseconds() -> None:
    p50, p99 = sm.latency_ms(np.arange(1, 102) * 1e-3)  # 1..101 ms
    assert p50 == pytest.approx(51.0)
    assert p99 == pytest.approx(100.0)


def test_stream_scores_put_it_together() -> None:
    cue, cls, _ = sm.label_decisions(TIMES, CUES, CLASSES)
    proba = np.where(cls[:, None] == np.arange(2), 0.8, 0.2)
    proba[cls < 0] = [0.5, 0.5]
    proba[3] = [0.3, 0.7]  # one wrong decision in the left cue, at tau 0.25
    scores, curve, arrays = sm.stream_scores(TIMES, proba, np.full(len(TIMES), 2e-3), CUES,
                                             CLASSES, hop_s=0.25, selection_s=4.1)
    assert scores["decision_accuracy"] == pytest.approx(7 / 8)
    assert scores["trial_accuracy"] == 1.0
    assert scores["itr_bits_per_min"] == pytest.approx(60 / 4.1)
    assert scores["time_to_stable_s"] == pytest.approx((0.5 + 0.0) / 2)
    assert scores["stable_fraction"] == 1.0
    assert scores["false_activations_per_min"] == 0.0
    assert scores["latency_p50_ms"] == pytest.approx(2.0)
    assert scores["n_decisions"] == len(TIMES)
    assert len(curve) == 10 and curve["n"].sum() == 8
    assert arrays["trial_pred"].tolist() == [0, 1]
