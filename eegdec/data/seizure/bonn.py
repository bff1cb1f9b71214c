"""Bonn University epilepsy EEG (Andrzejak et al., Phys. Rev. E 64, 061907, 2001).

Five sets (Z, O, N, F, S) of 100 single-channel segments, 4097 samples at 173.61 Hz (23.6 s),
one text file per segment (``bonn/<SET>/<SET><NNN>.txt``; set N ships as ``.TXT``, so names are
matched case-insensitively). S holds seizure activity; the others do not.

There are no patient ids per segment, so the whole dataset is one ``subject`` (1) and each
segment is one ``recording``: windows cut from one segment share ``metadata["recording"]``
(e.g. ``"1/S001"``) and :func:`eegdec.data.seizure.splits.seizure_cv` keeps them in one fold.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eegdec.data.epochs import EpochsData, Preprocessor
from eegdec.data.registry import DatasetSpec, get_dataset_spec
from eegdec.data.seizure import _spec
from eegdec.data.seizure.preprocess import is_channelwise, process_raw
from eegdec.data.seizure.windows import Recording, WindowConfig, windows_to_epochs
from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError

log = logging.getLogger(__name__)

SETS = "ZONFS"
TASKS = {"Z-vs-S": ("Z", "S"), "ZONF-vs-S": ("ZONF", "S"), "F-vs-S": ("F", "S")}
DEFAULT_TASK = "ZONF-vs-S"
SEGMENT_SAMPLES = 4097  # every segment of the published sets


def parse_task(task: str | Sequence[str] | None) -> tuple[str, str]:
    """``(non_seizure_sets, seizure_sets)`` of a task.

    ``task`` is a name (``"ZONF-vs-S"``; any case, ``_`` or spaces around ``vs``) or a list of
    sets as ``--events`` gives it (``["F", "S"]``, ``["Z", "O", "N", "F", "S"]``): set S is the
    seizure class, the others non-seizure. ``None`` is the default ZONF-vs-S.
    """
    if task is None:
        task = DEFAULT_TASK
    if not isinstance(task, str):
        sets = [str(t).upper() for t in task]
        if len(sets) == 1:
            task = sets[0]
        else:
            task = "".join(t for t in sets if t != "S") + "-vs-" + ("S" if "S" in sets else "")
    parts = re.split(r"[-_\s]*vs[-_\s]*", str(task).strip(), flags=re.IGNORECASE)
    neg, pos = (p.upper() for p in parts) if len(parts) == 2 else ("", "")
    if not neg or not pos or set(neg + pos) - set(SETS) or set(neg) & set(pos):
        raise BadInputError(
            f"Unknown Bonn task {task!r}: use one of {', '.join(TASKS)} (or --events with "
            "sets from Z O N F plus S, e.g. --events F S)."
        )
    return neg, pos


def _segment_files(folder: Path, letter: str, url: str) -> list[Path]:
    sub = [p for p in folder.iterdir() if p.is_dir() and p.name.upper() == letter]
    if not sub:
        raise DataNotFoundError(
            f"Bonn set {letter} not found in {folder}: download {letter}.zip from {url} "
            f"and unpack it into {folder / letter}."
        )
    pattern = re.compile(rf"^{letter}\d{{3}}\.txt$", re.IGNORECASE)
    files = sorted((p for p in sub[0].iterdir() if pattern.match(p.name)),
                   key=lambda p: p.name.upper())
    if not files:
        raise DataNotFoundError(
            f"No {letter}NNN.txt segments in {sub[0]}: re-download {letter}.zip from {url}."
        )
    return files


def _read_segment(path: Path, url: str) -> np.ndarray:
    try:
        with warnings.catch_warnings():  # an empty file is reported below, as damaged
            warnings.filterwarnings("ignore", "loadtxt: input contained no data")
            x = np.loadtxt(path, dtype=np.float64, ndmin=1)
    except ValueError as exc:
        raise CorruptFileError(
            f"Cannot read Bonn segment {path} ({exc}): re-download its set from {url}."
        ) from exc
    if x.ndim != 1 or len(x) == 0 or not np.isfinite(x).all():
        raise CorruptFileError(
            f"Bonn segment {path} is not one column of numbers: re-download its set from {url}."
        )
    if len(x) != SEGMENT_SAMPLES:
        raise CorruptFileError(
            f"Bonn segment {path} has {len(x)} samples instead of {SEGMENT_SAMPLES} (truncated?): "
            f"re-download its set from {url}."
        )
    return x * 1e-6  # the files hold microvolts; MNE Raw holds volts


def _preprocess(segments: list[np.ndarray], rate: float,
                pipeline: Preprocessor) -> tuple[list[np.ndarray], float]:
    """Each segment (volts) through ``pipeline.apply_raw``, as ``(1, n_times)`` arrays.

    With channel-wise steps only (the default), segments of equal length are stacked as the
    channels of one Raw: one MNE call instead of 500 (about 50x faster).
    """
    import mne

    if is_channelwise(pipeline):
        batches = [[i for i, s in enumerate(segments) if len(s) == n]
                   for n in sorted({len(s) for s in segments})]
    else:
        batches = [[i] for i in range(len(segments))]
    out: list[np.ndarray] = [np.empty(0)] * len(segments)
    sfreq = rate
    for idx in batches:
        info = mne.create_info([f"seg{i}" for i in idx], rate, "eeg")
        raw = mne.io.RawArray(np.stack([segments[i] for i in idx]), info, verbose="error")
        data, sfreq, _ = process_raw(raw, pipeline)
        for i, row in zip(idx, data):
            out[i] = row[None]
    return out, sfreq


def load_bonn(data_dir: str | os.PathLike | None = None, task: str | Sequence[str] | None = None,
              *, window: WindowConfig | None = None, pipeline: Preprocessor,
              skip_bad_files: bool = False, spec: DatasetSpec | None = None) -> EpochsData:
    """Load a Bonn task as windows in microvolts (``classes = ["non_seizure", "seizure"]``).

    ``data_dir`` holds ``bonn/`` (or is the ``bonn`` folder); default ``$EEGDEC_DATA`` /
    ``$MNE_DATA`` / ``~/mne_data``. ``window`` defaults to the registry entry (4 s, no overlap);
    ``pipeline`` is applied to every segment (``Pipeline.for_dataset(spec)`` gives the
    entry's default: 50 Hz notch, 0.5-50 Hz, 100 Hz).
    """
    spec = spec or get_dataset_spec("Bonn")
    neg, pos = parse_task(task or spec.options.get("task"))
    folder = _spec.dataset_folder(spec, data_dir, marker="S")
    segments, recs = [], []
    for letter in neg + pos:
        for path in _segment_files(folder, letter, spec.url):
            try:
                segments.append(_read_segment(path, spec.url))
            except CorruptFileError as exc:
                if not skip_bad_files:
                    raise
                log.warning("skipping %s", exc)
                continue
            recs.append((letter, path.stem.upper()))
    data, sfreq = _preprocess(segments, spec.sfreq, pipeline)
    recordings = [
        Recording(x, sfreq, subject=1, run=name, label=int(letter in pos),
                  extra={"set": letter})
        for x, (letter, name) in zip(data, recs)
    ]
    epochs = windows_to_epochs(recordings, window or _spec.window_config(spec),
                               ch_names=["EEG"], dataset=spec.name, montage=None)
    epochs.info.update(task=f"{neg}-vs-{pos}", unit="uV")
    return pipeline.apply_epochs(epochs)


def load_subject(spec: DatasetSpec, subject: int | str, *, paradigm: str | None = "seizure",
                 events: Sequence[str] | None = None, pipeline: Preprocessor,
                 data_dir: str | os.PathLike | None = None,
                 skip_bad_files: bool = False) -> EpochsData:
    """``eegdec.preprocessing.load`` entry point; ``events`` are sets (``--events F S``: F-vs-S)."""
    _spec.check_paradigm(paradigm, spec)
    _spec.check_subject(subject, spec)
    return load_bonn(data_dir, events or None, window=_spec.window_config(spec),
                     pipeline=pipeline, skip_bad_files=skip_bad_files, spec=spec)
