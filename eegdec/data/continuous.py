"""Continuous recordings with their cues, for pseudo-online replays.

:func:`load_continuous` returns a subject's runs as :class:`ContinuousRun` objects: the EEG
signal in volts after the raw (continuous-signal) steps of the pipeline it is given, and one
row per cue (``onset``, ``duration`` in seconds from the run's first sample, ``label``: the
class name, ``rest`` for PhysionetMI's T0). The runs are read by the same code as the epochs
(``load_raws`` of the dataset's loader), so a replayed run holds the samples its epochs were
cut from.

Cue durations: MOABB sets every PhysionetMI annotation to its trial window (3 s); the true
durations (4.1 s cues, 4.2 s rest) come from the run's EDF annotations. Simulated datasets
annotate each cue with its imagery period; the breaks between cues carry no annotation.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eegdec.errors import BadInputError, DataNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    import mne

    from eegdec.data.epochs import Preprocessor
    from eegdec.data.registry import DatasetSpec

# loader kind -> function returning {session: {run: raw}} before preprocessing
RAW_LOADERS: dict[str, str] = {
    "moabb": "eegdec.data.moabb_loader:load_raws",
    "simulated": "eegdec.data.simulated:load_raws",
}
REST = "rest"


@dataclass
class ContinuousRun:
    """One continuous run: ``data`` (n_chans, n_samples) in volts, EEG channels only."""

    subject: int
    session: str
    run: str
    data: np.ndarray
    sfreq: float
    ch_names: list[str]
    cues: pd.DataFrame  # onset, duration (s from the first sample), label (class name)

    @property
    def duration(self) -> float:
        return self.data.shape[1] / self.sfreq

    @property
    def key(self) -> tuple[str, str]:
        return self.session, self.run


def cues_from_annotations(annotations: mne.Annotations, first_time: float = 0.0
                          ) -> pd.DataFrame:
    """``onset, duration, label`` per annotation, onsets relative to the run's first sample,
    in time order."""
    frame = pd.DataFrame({"onset": np.asarray(annotations.onset, dtype=float) - first_time,
                          "duration": np.asarray(annotations.duration, dtype=float),
                          "label": [str(d) for d in annotations.description]})
    return frame.sort_values("onset", kind="stable").reset_index(drop=True)


def _true_durations(cues: pd.DataFrame, recorded: pd.DataFrame) -> pd.DataFrame:
    """``cues`` with the durations of ``recorded`` (same onsets to 1 ms; others unchanged)."""
    if recorded.empty:
        return cues
    cues = cues.copy()
    idx = np.searchsorted(recorded["onset"].to_numpy(), cues["onset"].to_numpy() - 1e-3)
    idx = np.minimum(idx, len(recorded) - 1)
    same = np.abs(recorded["onset"].to_numpy()[idx] - cues["onset"].to_numpy()) < 1e-3
    cues.loc[same, "duration"] = recorded["duration"].to_numpy()[idx[same]]
    return cues


def get_raw_loader(spec: DatasetSpec):
    """The ``load_raws`` function of ``spec``'s loader; datasets without continuous runs
    (seizure sets, SSVEPExo) raise."""
    if spec.loader not in RAW_LOADERS:
        raise BadInputError(
            f"{spec.name} (loader {spec.loader!r}) has no continuous recordings with cues that "
            f"eegdec can replay: use a dataset of the {', '.join(RAW_LOADERS)} loaders "
            "(e.g. PhysionetMI, SimMI-2class)."
        )
    module, _, attr = RAW_LOADERS[spec.loader].partition(":")
    return getattr(importlib.import_module(module), attr)


def load_continuous(
    spec: DatasetSpec, subject: int, *, events: Sequence[str], pipeline: Preprocessor,
    data_dir: str | Path, runs: Sequence[tuple[str, str]] | None = None,
) -> list[ContinuousRun]:
    """``subject``'s runs holding ``events``, after ``pipeline``'s raw steps, in recording order.

    ``runs``: only these ``(session, run)`` pairs (all by default); one that the subject lacks
    raises :class:`~eegdec.errors.DataNotFoundError` naming what was found. Missing files raise
    the loader's error, which names the file and where it looked.
    """
    from eegdec.data.moabb_loader import run_annotations

    raws = get_raw_loader(spec)(spec, subject, events=list(events), data_dir=Path(data_dir))
    found = [(str(s), str(r)) for s, by_run in raws.items() for r in by_run]
    wanted = found if runs is None else [(str(s), str(r)) for s, r in runs]
    missing = [k for k in wanted if k not in found]
    if missing:
        listing = ", ".join(f"session {s} run {r}" for s, r in found)
        raise DataNotFoundError(
            f"{spec.name} subject {subject} has no session {missing[0][0]} run {missing[0][1]} "
            f"under {data_dir} (found: {listing or 'nothing'}): download it, or replay one of "
            "those."
        )
    out = []
    for session, by_run in raws.items():
        for run, raw in by_run.items():
            if (str(session), str(run)) not in wanted:
                continue
            cues = cues_from_annotations(raw.annotations, raw.first_time)
            recorded = run_annotations(spec, subject, str(run), Path(data_dir))
            if recorded is not None:
                cues = _true_durations(cues, cues_from_annotations(recorded))
            raw = pipeline.apply_raw(raw)
            ch_names = [raw.ch_names[i] for i in _eeg_picks(raw)]
            out.append(ContinuousRun(subject, str(session), str(run),
                                     raw.get_data(picks=ch_names), float(raw.info["sfreq"]),
                                     ch_names, cues))
    return out


def _eeg_picks(raw: mne.io.BaseRaw) -> np.ndarray:
    import mne

    return mne.pick_types(raw.info, eeg=True, exclude="bads")  # as the epochs
