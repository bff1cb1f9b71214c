"""Metrics of a pseudo-online replay: decisions on a continuous run scored against its cues.

A decision is the decoder's output at time ``t`` (the time of its window's last sample, in
seconds from the run's first sample). Definitions (docs/evaluation.md, "Pseudo-online"):

- **label**: a decision is labelled by the cue active at ``t`` (``onset <= t < onset +
  duration``) when that cue is one of the decoder's classes; any other time is rest (T0, the
  breaks, and cues of classes the decoder does not know). ``tau = t - onset`` is the time
  since cue onset.
- **per-decision accuracy** (:func:`decision_accuracy`): the fraction of decisions during cues
  whose label (argmax) is the cue's class.
- **accuracy vs time since cue onset** (:func:`accuracy_vs_time`): the same, per bin of
  ``tau`` (0.1 s bins from 0 to the cue length, 4.1 s for PhysionetMI).
- **trial decision** (:func:`trial_decisions`): per cue, the argmax of the log-probabilities
  summed over its decisions with ``start <= tau < duration`` (start 0.5 s); **trial accuracy**
  over the cues that have at least one such decision.
- **time to stable** (:func:`time_to_stable`): per cue, the ``tau`` of the first decision
  from which every decision up to the cue's end is correct; ``nan`` when its last decision is
  wrong (never stable). Reported: the median over the cues that become stable, and the
  fraction that do.
- **ITR** (:func:`wolpaw_itr`): Wolpaw's bits per selection from the trial accuracy ``P`` and
  the number of classes ``N``, times selections per minute (60 / 4.1 s for PhysionetMI);
  0 when ``P <= 1/N``.
- **false activations** (:func:`false_activations_per_min`): during rest, an activation is a
  decision whose top probability reaches ``threshold`` (0.9) and, for a decoder with a rest
  class, whose label is not rest; consecutive activations count once. The rate is per minute
  of rest (rest decisions times the hop).
- **latency** (:func:`latency_ms`): p50 and p99 of ``Decision.latency``, in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

STREAM_METRICS = ("trial_accuracy", "epoch_accuracy", "itr_bits_per_min", "time_to_stable_s",
                  "stable_fraction", "false_activations_per_min", "latency_p50_ms",
                  "latency_p99_ms", "n_decisions")
TRIAL_START_S = 0.5
BIN_S = 0.1
FALSE_ACTIVATION_THRESHOLD = 0.9


def label_decisions(times: np.ndarray, cues: pd.DataFrame, classes: Sequence[str]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(cue index, class index, tau)`` per decision; ``-1`` / ``-1`` / ``nan`` in rest.

    ``cues`` has ``onset``, ``duration``, ``label``; only cues whose label is one of
    ``classes`` count (their index is their row in ``task_cues(cues, classes)``).
    """
    task = task_cues(cues, classes)
    times = np.asarray(times, dtype=float)
    cue = np.full(times.size, -1)
    for k, (onset, duration) in enumerate(zip(task["onset"], task["duration"])):
        cue[(times >= onset) & (times < onset + duration)] = k
    cls = np.full(times.size, -1)
    tau = np.full(times.size, np.nan)
    during = cue >= 0
    cls[during] = task["class"].to_numpy()[cue[during]]
    tau[during] = times[during] - task["onset"].to_numpy()[cue[during]]
    return cue, cls, tau


def task_cues(cues: pd.DataFrame, classes: Sequence[str]) -> pd.DataFrame:
    """The cues of ``classes``, with their class index in ``class``."""
    index = {c: i for i, c in enumerate(classes)}
    task = cues[cues["label"].isin(list(index))].reset_index(drop=True).copy()
    task["class"] = task["label"].map(index).astype(int)
    return task


def decision_accuracy(pred: np.ndarray, true: np.ndarray) -> float:
    """Accuracy of the decisions made during cues (``true >= 0``)."""
    pred, true = np.asarray(pred), np.asarray(true)
    during = true >= 0
    return float(np.mean(pred[during] == true[during])) if during.any() else float("nan")


def accuracy_vs_time(pred: np.ndarray, true: np.ndarray, tau: np.ndarray, t_max: float,
                     bin_s: float = BIN_S) -> pd.DataFrame:
    """Accuracy per bin ``[t_start, t_end)`` of time since cue onset, up to ``t_max``:
    columns ``t_start, t_end, accuracy, n`` (accuracy ``nan`` for an empty bin)."""
    pred, true, tau = np.asarray(pred), np.asarray(true), np.asarray(tau, dtype=float)
    n_bins = int(np.ceil(t_max / bin_s - 1e-9))
    edges = np.arange(n_bins + 1) * bin_s
    during = (true >= 0) & np.isfinite(tau)
    k = np.floor(tau[during] / bin_s + 1e-9).astype(int)
    ok = (k >= 0) & (k < n_bins)
    correct = (pred[during] == true[during])[ok]
    n = np.bincount(k[ok], minlength=n_bins)
    hits = np.bincount(k[ok], weights=correct.astype(float), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(n > 0, hits / np.maximum(n, 1), np.nan)
    return pd.DataFrame({"t_start": np.round(edges[:-1], 6), "t_end": np.round(edges[1:], 6),
                         "accuracy": acc, "n": n})


def trial_decisions(log_proba: np.ndarray, cue: np.ndarray, tau: np.ndarray,
                    durations: np.ndarray, start: float = TRIAL_START_S) -> np.ndarray:
    """Per cue, the argmax of the summed log-probabilities of its decisions with
    ``start <= tau < duration``; ``-1`` for a cue without such a decision."""
    log_proba = np.asarray(log_proba, dtype=float)
    out = np.full(len(durations), -1)
    for k, duration in enumerate(durations):
        use = (cue == k) & (tau >= start - 1e-9) & (tau < duration)
        if use.any():
            out[k] = int(np.argmax(log_proba[use].sum(axis=0)))
    return out


def trial_accuracy(trial_pred: np.ndarray, trial_true: np.ndarray) -> float:
    """Accuracy of the trial decisions, over the cues that got one (``trial_pred >= 0``)."""
    trial_pred, trial_true = np.asarray(trial_pred), np.asarray(trial_true)
    decided = trial_pred >= 0
    return float(np.mean(trial_pred[decided] == trial_true[decided])) if decided.any() \
        else float("nan")


def time_to_stable(correct: np.ndarray, cue: np.ndarray, tau: np.ndarray, n_cues: int
                   ) -> np.ndarray:
    """Per cue, the ``tau`` of the first decision after which every decision of the cue is
    correct (that one included); ``nan`` if the cue's last decision is wrong or it has none."""
    correct = np.asarray(correct, dtype=bool)
    out = np.full(n_cues, np.nan)
    for k in range(n_cues):
        idx = np.flatnonzero(cue == k)
        if not idx.size or not correct[idx[-1]]:
            continue
        wrong = np.flatnonzero(~correct[idx])
        first = 0 if not wrong.size else wrong[-1] + 1
        out[k] = tau[idx[first]]
    return out


def wolpaw_bits(p: float, n_classes: int) -> float:
    """Wolpaw's bits per selection: ``log2 N + P log2 P + (1-P) log2((1-P)/(N-1))``; 0 at or
    below chance (``P <= 1/N``) and for ``nan``."""
    if not np.isfinite(p) or n_classes < 2 or p <= 1.0 / n_classes:
        return 0.0
    bits = np.log2(n_classes) + p * np.log2(p)
    if p < 1:
        bits += (1 - p) * np.log2((1 - p) / (n_classes - 1))
    return float(bits)


def wolpaw_itr(p: float, n_classes: int, seconds_per_selection: float) -> float:
    """Information transfer rate in bits per minute (:func:`wolpaw_bits` x 60 / T)."""
    return wolpaw_bits(p, n_classes) * 60.0 / seconds_per_selection


def false_activations_per_min(proba: np.ndarray, rest: np.ndarray, hop_s: float,
                              rest_class: int | None = None,
                              threshold: float = FALSE_ACTIVATION_THRESHOLD) -> float:
    """Activations during rest per minute of rest (see the module docstring); ``nan`` without
    rest decisions. ``rest``: a boolean per decision, in decision order."""
    proba, rest = np.asarray(proba, dtype=float), np.asarray(rest, dtype=bool)
    if not rest.any():
        return float("nan")
    active = proba.max(axis=1) >= threshold
    if rest_class is not None:
        active &= proba.argmax(axis=1) != rest_class
    active &= rest
    onsets = active & ~np.concatenate([[False], active[:-1]])
    minutes = rest.sum() * hop_s / 60.0
    return float(onsets.sum() / minutes)


def latency_ms(latencies: np.ndarray) -> tuple[float, float]:
    """``(p50, p99)`` of per-decision latencies given in seconds, in milliseconds."""
    lat = np.asarray(latencies, dtype=float) * 1e3
    if not lat.size:
        return float("nan"), float("nan")
    return float(np.percentile(lat, 50)), float(np.percentile(lat, 99))


def stream_scores(times: np.ndarray, proba: np.ndarray, latencies: np.ndarray,
                  cues: pd.DataFrame, classes: Sequence[str], hop_s: float,
                  selection_s: float | None = None, rest_class: str = "rest"
                  ) -> tuple[dict[str, float], pd.DataFrame, dict[str, np.ndarray]]:
    """Every metric of one replay: ``(scores, accuracy-vs-time curve, per-decision and
    per-cue arrays)``. ``selection_s`` (ITR) defaults to the median cue duration."""
    proba = np.asarray(proba, dtype=float)
    task = task_cues(cues, classes)
    cue, true, tau = label_decisions(times, cues, classes)
    pred = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=int)
    durations = task["duration"].to_numpy()
    t_max = float(np.max(durations)) if len(durations) else 0.0
    selection = selection_s or (float(np.median(durations)) if len(durations) else np.nan)
    trial_pred = trial_decisions(np.log(np.clip(proba, 1e-12, None)), cue, tau, durations)
    trial_true = task["class"].to_numpy()
    stable = time_to_stable(pred == true, cue, tau, len(task))
    t_acc = trial_accuracy(trial_pred, trial_true)
    p50, p99 = latency_ms(latencies)
    rest_index = list(classes).index(rest_class) if rest_class in classes else None
    scores = {
        "decision_accuracy": decision_accuracy(pred, true),
        "trial_accuracy": t_acc,
        "itr_bits_per_min": wolpaw_itr(t_acc, len(classes), selection),
        "time_to_stable_s": float(np.nanmedian(stable)) if np.isfinite(stable).any()
        else float("nan"),
        "stable_fraction": float(np.isfinite(stable).mean()) if len(stable) else float("nan"),
        "false_activations_per_min": false_activations_per_min(proba, cue < 0, hop_s,
                                                               rest_index),
        "latency_p50_ms": p50, "latency_p99_ms": p99,
        "n_decisions": int(len(proba)),
    }
    curve = accuracy_vs_time(pred, true, tau, t_max)
    arrays = {"time": np.asarray(times, dtype=float), "proba": proba, "pred": pred,
              "true": true, "cue": cue, "tau": tau,
              "latency": np.asarray(latencies, dtype=float),
              "cue_onset": task["onset"].to_numpy(), "cue_duration": durations,
              "cue_class": trial_true, "trial_pred": trial_pred, "time_to_stable": stable}
    return scores, curve, arrays
