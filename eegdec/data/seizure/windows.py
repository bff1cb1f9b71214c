"""Cut continuous EEG into fixed windows labelled seizure / non-seizure.

A window is ``seizure`` when the part of it covered by seizure intervals is at least
``min_seizure_fraction`` of its length. Each window's metadata names its patient (``subject``),
``session``, ``run`` and ``recording`` (``"<subject>/<run>"``, unique over the dataset: the
group that cross-validation must keep together, see :mod:`eegdec.data.seizure.splits`) and its
``onset`` in seconds from the start of the recording.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from eegdec.data.epoching import UNIT_FACTOR
from eegdec.data.epochs import EpochsData
from eegdec.data.seizure import CLASSES
from eegdec.errors import BadInputError

Interval = tuple[float, float]


@dataclass(frozen=True)
class WindowConfig:
    """Window ``length`` (s), ``overlap`` (fraction of the length in [0, 1)) and the minimum
    fraction of a window inside a seizure for it to be labelled ``seizure``."""

    length: float = 4.0
    overlap: float = 0.0
    min_seizure_fraction: float = 0.5

    def __post_init__(self) -> None:
        if not self.length > 0:
            raise BadInputError(f"Window length must be positive, got {self.length} s.")
        if not 0 <= self.overlap < 1:
            raise BadInputError(
                f"Window overlap is a fraction of the window in [0, 1), got {self.overlap}."
            )
        if not 0 < self.min_seizure_fraction <= 1:
            raise BadInputError(
                "min_seizure_fraction must be in (0, 1], got "
                f"{self.min_seizure_fraction}."
            )

    def step(self) -> float:
        """Seconds between consecutive window onsets."""
        return self.length * (1.0 - self.overlap)


@dataclass
class Recording:
    """One continuous recording: ``data`` (n_chans, n_times) at ``sfreq`` Hz and its seizures.

    ``intervals`` are ``(start, end)`` seconds from the start of the recording; ``label``
    forces every window's class (Bonn segments carry one label each) instead.
    """

    data: np.ndarray
    sfreq: float
    subject: int | str
    run: str
    session: str = "0"
    intervals: list[Interval] = field(default_factory=list)
    label: int | None = None
    extra: dict = field(default_factory=dict)


def window_onsets(n_times: int, sfreq: float, config: WindowConfig) -> np.ndarray:
    """Start samples of every whole window that fits into ``n_times`` samples."""
    win = int(round(config.length * sfreq))
    step = max(1, int(round(config.step() * sfreq)))
    if win > n_times:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, n_times - win + 1, step, dtype=np.int64)


def seizure_fraction(onsets_s: np.ndarray, length: float,
                     intervals: Iterable[Interval]) -> np.ndarray:
    """Fraction of each window ``[onset, onset + length)`` covered by the seizure ``intervals``."""
    onsets_s = np.asarray(onsets_s, dtype=float)
    covered = np.zeros_like(onsets_s)
    for start, end in merge_intervals(intervals):
        covered += np.clip(np.minimum(onsets_s + length, end) - np.maximum(onsets_s, start),
                           0.0, None)
    return covered / length


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort intervals and merge the ones that overlap or touch (so overlap is not counted twice)."""
    merged: list[list[float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in intervals):
        if end < start:
            raise BadInputError(f"Seizure interval ({start}, {end}) ends before it starts.")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def intervals_from_labels(labels: Sequence[float], sfreq: float = 1.0) -> list[Interval]:
    """Seizure intervals (s) from a 0/1 label sequence sampled at ``sfreq`` (NaN counts as 0)."""
    on = np.nan_to_num(np.asarray(labels, dtype=float)) > 0.5
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(s / sfreq, e / sfreq) for s, e in zip(starts, ends)]


def intervals_from_annotations(annotations, match: str = "seizure") -> list[Interval]:
    """Seizure intervals from MNE annotations whose description contains ``match`` (any case)."""
    return [
        (float(a["onset"]), float(a["onset"] + a["duration"]))
        for a in annotations if match.lower() in str(a["description"]).lower()
    ]


def cut_windows(recording: Recording, config: WindowConfig
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Windows of one recording: ``X (n, C, w)``, ``y (n,)``, onsets (s) and seizure fractions."""
    data = np.asarray(recording.data, dtype=np.float32)
    if data.ndim != 2:
        raise BadInputError(f"Recording data must be (n_chans, n_times), got {data.shape}.")
    starts = window_onsets(data.shape[1], recording.sfreq, config)
    win = int(round(config.length * recording.sfreq))
    onsets = starts / recording.sfreq
    idx = starts[:, None] + np.arange(win)[None, :]
    X = data[:, idx].transpose(1, 0, 2)
    if recording.label is not None:
        frac = np.full(len(starts), float(recording.label))
        y = np.full(len(starts), int(recording.label), dtype=np.int64)
    else:
        frac = seizure_fraction(onsets, config.length, recording.intervals)
        y = (frac >= config.min_seizure_fraction - 1e-9).astype(np.int64)
    return X, y, onsets, frac


def windows_to_epochs(recordings: Iterable[Recording], config: WindowConfig, *,
                      ch_names: list[str], dataset: str, montage: str | None = None
                      ) -> EpochsData:
    """Cut every recording (in volts) into windows, stacked into one :class:`EpochsData` in
    microvolts (as MOABB and the other eegdec loaders return epochs).

    ``trial`` numbers windows in the order of ``recordings`` (give them in recording order).
    """
    xs, ys, rows = [], [], []
    sfreq = None
    for rec in recordings:
        if sfreq is None:
            sfreq = rec.sfreq
        elif not np.isclose(sfreq, rec.sfreq):
            raise BadInputError(
                f"Recording {rec.run} is at {rec.sfreq} Hz, others at {sfreq} Hz: resample them "
                "to one rate (a resample step in the pipeline)."
            )
        X, y, onsets, frac = cut_windows(rec, config)
        xs.append(X * np.float32(UNIT_FACTOR))
        ys.append(y)
        rows.append(pd.DataFrame({
            "subject": rec.subject, "session": rec.session, "run": rec.run,
            "onset": onsets, "recording": f"{rec.subject}/{rec.run}",
            "seizure_fraction": frac, **rec.extra,
        }))
    if not xs:
        raise BadInputError(
            "No recordings to cut into windows (all files skipped?): check the warnings above."
        )
    if sum(len(y) for y in ys) == 0:
        raise BadInputError(
            f"No {config.length} s window fits into the recordings: use a shorter window length."
        )
    meta = pd.concat(rows, ignore_index=True)
    meta.insert(3, "trial", meta.groupby(["subject", "session"]).cumcount())
    info = {"window_length": config.length, "window_overlap": config.overlap,
            "min_seizure_fraction": config.min_seizure_fraction, "group_by": "recording"}
    return EpochsData(np.concatenate(xs), np.concatenate(ys), list(CLASSES), meta,
                      list(ch_names), float(sfreq), montage, dataset, info)
