"""CHB-MIT Scalp EEG (Shoeb 2009, PhysioNet ``chbmit/1.0.0``).

Layout (as published): ``chbNN/chbNN_MM.edf`` (256 Hz, bipolar "double banana" channels such
as ``FP1-F7``) and one ``chbNN/chbNN-summary.txt`` per patient listing each file and its
seizures (``Seizure Start Time: 2996 seconds``; later patients number them,
``Seizure 1 Start Time: ...``). Each EDF file is one ``recording``; the patient is the subject.
Files that lack one of the selected channels (montage changes within some patients) are
skipped with a warning and listed in ``epochs.info["skipped"]``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eegdec.data.epochs import EpochsData, Preprocessor
from eegdec.data.registry import DatasetSpec, get_dataset_spec
from eegdec.data.seizure import _spec
from eegdec.data.seizure._edf import pick_channels, read_edf
from eegdec.data.seizure.preprocess import process_raw
from eegdec.data.seizure.windows import Recording, windows_to_epochs
from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError

log = logging.getLogger(__name__)

# The 18 bipolar derivations present in (almost) every CHB-MIT file.
CHANNELS = ["FP1-F7", "F7-T7", "T7-P7", "P7-O1", "FP1-F3", "F3-C3", "C3-P3", "P3-O1",
            "FP2-F4", "F4-C4", "C4-P4", "P4-O2", "FP2-F8", "F8-T8", "T8-P8", "P8-O2",
            "FZ-CZ", "CZ-PZ"]

_FILE = re.compile(r"^\s*File Name:\s*(\S+)", re.IGNORECASE)
_COUNT = re.compile(r"^\s*Number of Seizures in File:\s*(\d+)", re.IGNORECASE)
_TIME = re.compile(r"^\s*Seizure\s*(?:\d+\s*)?(Start|End)\s*Time:\s*([\d.]+)\s*seconds?",
                   re.IGNORECASE)


def parse_summary(path: Path) -> dict[str, list[tuple[float, float]]]:
    """``{edf file name: [(start_s, end_s), ...]}`` from a ``chbNN-summary.txt``, file order."""
    files: dict[str, list[tuple[float, float]]] = {}
    counts: dict[str, int] = {}
    current, start = None, None
    for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if m := _FILE.match(line):
            current, start = m.group(1), None
            files[current] = []
        elif (m := _COUNT.match(line)) and current:
            counts[current] = int(m.group(1))
        elif (m := _TIME.match(line)) and current:
            kind, value = m.group(1).lower(), float(m.group(2))
            if kind == "start":
                start = value
            elif start is None:
                raise CorruptFileError(
                    f"{path}:{lineno}: seizure end without a start: re-download the summary."
                )
            else:
                files[current].append((start, value))
                start = None
    for name, n in counts.items():
        if n != len(files[name]):
            raise CorruptFileError(
                f"{path}: {name} announces {n} seizures but lists {len(files[name])}: "
                "re-download the summary file."
            )
    return files


def _normalise(name: str) -> str:
    return name.upper().replace(" ", "")


def _recordings(folder: Path, patient: str, files: dict[str, list[tuple[float, float]]],
                spec: DatasetSpec, pipeline: Preprocessor, channels: list[str],
                skip_bad_files: bool, skipped: list[str]) -> Iterator[Recording]:
    for name, seizures in files.items():
        try:
            raw = read_edf(folder / name, spec.url)
        except (CorruptFileError, DataNotFoundError) as exc:
            if not skip_bad_files:
                raise
            log.warning("skipping %s", exc)
            skipped.append(name)
            continue
        raw = pick_channels(raw, channels, _normalise)
        if raw is None:
            log.warning("skipping %s: it lacks some of the channels %s", name, channels)
            skipped.append(name)
            continue
        data, sfreq, _ = process_raw(raw, pipeline)
        yield Recording(data, sfreq, subject=int(patient[3:]), run=Path(name).stem,
                        intervals=seizures)


def load_subject(spec: DatasetSpec, subject: int | str, *, paradigm: str | None = "seizure",
                 events: Any = None, pipeline: Preprocessor,
                 data_dir: str | os.PathLike | None = None,
                 skip_bad_files: bool = False) -> EpochsData:
    """All (``options.records: all``) or only seizure-bearing (``seizure``) files of patient
    ``subject`` as labelled windows."""
    _spec.check_paradigm(paradigm, spec)
    _spec.check_events(events, spec)
    number = _spec.check_subject(subject, spec)
    patient = f"chb{number:02d}"
    root = _spec.dataset_folder(spec, data_dir, marker=patient)
    summary = root / patient / f"{patient}-summary.txt"
    if not summary.is_file():
        raise DataNotFoundError(
            f"CHB-MIT summary {summary} is missing: download {patient}/ from {spec.url}."
        )
    files = parse_summary(summary)
    records = spec.options.get("records", "all")
    if records not in ("all", "seizure"):
        raise BadInputError(f"CHB-MIT option records={records!r}: use 'all' or 'seizure'.")
    if records == "seizure":
        files = {k: v for k, v in files.items() if v}
    channels = list(spec.options.get("channels", CHANNELS))
    skipped: list[str] = []
    recordings = _recordings(root / patient, patient, files, spec, pipeline, channels,
                             skip_bad_files, skipped)
    epochs = windows_to_epochs(recordings, _spec.window_config(spec), ch_names=channels,
                               dataset=spec.name, montage=None)
    epochs.info.update(unit="uV", skipped=skipped)
    return pipeline.apply_epochs(epochs)


def load_chbmit(subject: int, data_dir: str | os.PathLike | None = None, **kwargs: Any
                ) -> EpochsData:
    """Patient ``subject`` with the registry's CHB-MIT settings (see :func:`load_subject`)."""
    return load_subject(get_dataset_spec("CHB-MIT"), subject, data_dir=data_dir, **kwargs)
