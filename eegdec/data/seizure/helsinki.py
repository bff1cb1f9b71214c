"""Helsinki neonatal EEG (Stevenson et al., Sci. Data 6:190039, 2019; Zenodo 2547147).

Layout (as published): ``eeg1.edf`` .. ``eeg79.edf`` (256 Hz, 19 referential 10-20 electrodes
plus ECG/respiration) and ``annotations_2017_A.csv``, ``_B.csv``, ``_C.csv``: one per expert,
a header row of patient numbers, then one row per second (1 = seizure; blank after the end of
shorter recordings). Channel labels are matched after dropping an ``EEG`` prefix and a
``-REF``/``-Ref`` suffix, case-insensitively.

``options.annotator`` picks the labels: ``all`` (consensus of the three experts, the
dataset paper's definition; default), ``majority`` (two of three), ``any``, or one expert
``A``, ``B``, ``C``. Each patient has one recording; for within-patient CV cut it into blocks
(:func:`eegdec.data.seizure.splits.seizure_cv` with ``block_s``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eegdec.data.epochs import EpochsData, Preprocessor
from eegdec.data.registry import DatasetSpec, get_dataset_spec
from eegdec.data.seizure import _spec
from eegdec.data.seizure._edf import pick_channels, read_edf
from eegdec.data.seizure.preprocess import process_raw
from eegdec.data.seizure.windows import Recording, intervals_from_labels, windows_to_epochs
from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError

CHANNELS = ["Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "F7", "F8",
            "T3", "T4", "T5", "T6", "Fz", "Cz", "Pz"]
EXPERTS = ("A", "B", "C")
ANNOTATORS = ("all", "majority", "any", *EXPERTS)


def _normalise(name: str) -> str:
    name = re.sub(r"^EEG\s+", "", name.strip(), flags=re.IGNORECASE)
    return re.sub(r"-REF$", "", name, flags=re.IGNORECASE).upper()


def read_annotations(folder: Path, url: str = "") -> dict[str, pd.DataFrame]:
    """Each expert's per-second labels: ``{"A": DataFrame(columns = patient numbers)}``."""
    out = {}
    for expert in EXPERTS:
        path = folder / f"annotations_2017_{expert}.csv"
        if not path.is_file():
            raise DataNotFoundError(
                f"Helsinki annotation file {path} is missing: download it from {url}."
            )
        try:
            table = pd.read_csv(path)
            table.columns = [int(float(c)) for c in table.columns]
        except (ValueError, pd.errors.ParserError) as exc:
            raise CorruptFileError(
                f"Cannot read {path} ({exc}): re-download it from {url}."
            ) from exc
        out[expert] = table
    return out


def seizure_labels(annotations: dict[str, pd.DataFrame], patient: int,
                   annotator: str = "all") -> np.ndarray:
    """Per-second 0/1 labels of ``patient`` under ``annotator`` (see module docstring)."""
    key = annotator if annotator in EXPERTS else str(annotator).lower()
    if key not in ANNOTATORS:
        raise BadInputError(
            f"Unknown Helsinki annotator {annotator!r}: use one of {', '.join(ANNOTATORS)}."
        )
    if any(patient not in table for table in annotations.values()):
        raise BadInputError(f"Patient {patient} is not in the Helsinki annotation files.")
    votes = np.stack([annotations[e][patient].to_numpy(dtype=float) for e in EXPERTS])
    length = int(np.max(np.sum(~np.isnan(votes), axis=1)))
    votes = np.nan_to_num(votes[:, :length]) > 0.5
    if key in EXPERTS:
        return votes[EXPERTS.index(key)].astype(np.int64)
    need = {"all": 3, "majority": 2, "any": 1}[key]
    return (votes.sum(axis=0) >= need).astype(np.int64)


def load_subject(spec: DatasetSpec, subject: int | str, *, paradigm: str | None = "seizure",
                 events: Any = None, pipeline: Preprocessor,
                 data_dir: str | os.PathLike | None = None,
                 skip_bad_files: bool = False) -> EpochsData:
    """Patient ``subject``'s recording as windows labelled by ``options.annotator``."""
    _spec.check_paradigm(paradigm, spec)
    _spec.check_events(events, spec)
    patient = _spec.check_subject(subject, spec)
    folder = _spec.dataset_folder(spec, data_dir, marker="annotations_2017_A.csv")
    annotator = spec.options.get("annotator", "all")
    labels = seizure_labels(read_annotations(folder, spec.url), patient, annotator)
    channels = list(spec.options.get("channels", CHANNELS))
    raw = pick_channels(read_edf(folder / f"eeg{patient}.edf", spec.url), channels, _normalise)
    if raw is None:
        raise CorruptFileError(
            f"{folder / f'eeg{patient}.edf'} lacks some of the channels {channels}: set "
            "options.channels to the ones it has."
        )
    data, sfreq, _ = process_raw(raw, pipeline)
    recording = Recording(data, sfreq, subject=patient, run=f"eeg{patient}",
                          intervals=intervals_from_labels(labels, sfreq=1.0))
    epochs = windows_to_epochs([recording], _spec.window_config(spec), ch_names=channels,
                               dataset=spec.name, montage=spec.montage)
    epochs.info.update(unit="uV", annotator=annotator)
    return pipeline.apply_epochs(epochs)


def load_helsinki(subject: int, data_dir: str | os.PathLike | None = None, **kwargs: Any
                  ) -> EpochsData:
    """Patient ``subject`` with the registry's Helsinki settings (see :func:`load_subject`)."""
    return load_subject(get_dataset_spec("HelsinkiNeonatal"), subject, data_dir=data_dir,
                        **kwargs)
