"""What the seizure loaders read from their datasets.yaml entry (a ``DatasetSpec``).

The window length is the entry's ``window`` (``[0, 4.0]`` = 4 s windows); the loader-specific
settings live under ``options``: ``overlap``, ``min_seizure_fraction``, ``pipeline`` (the
default preprocessing, an eegdec pipeline config) and per-dataset keys (``records``...).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from eegdec.data.registry import DatasetSpec
from eegdec.data.seizure import CLASSES
from eegdec.data.seizure.windows import WindowConfig
from eegdec.errors import BadInputError, DataNotFoundError
from eegdec.paths import data_dir as default_data_dir


def check_paradigm(paradigm: str | None, spec: DatasetSpec) -> None:
    if paradigm is not None and str(paradigm).lower() != "seizure":
        raise BadInputError(
            f"{spec.name} is a seizure dataset but paradigm {paradigm!r} was asked: "
            "use --paradigm seizure."
        )


def check_events(events: Sequence[str] | None, spec: DatasetSpec) -> None:
    """Windows are always seizure / non_seizure: ``events`` may only name both classes."""
    if events and set(events) != set(CLASSES):
        raise BadInputError(
            f"{spec.name} windows are labelled {' / '.join(CLASSES)} (got events "
            f"{list(events)}): drop --events."
        )


def check_subject(subject: int | str, spec: DatasetSpec) -> int:
    try:
        number = int(subject)
    except (TypeError, ValueError):
        number = -1
    if number not in spec.subjects:
        raise BadInputError(
            f"{spec.name} has no subject {subject!r}: use {spec.subjects[0]}..{spec.subjects[-1]}."
        )
    return number


def window_config(spec: DatasetSpec) -> WindowConfig:
    opts = spec.options
    return WindowConfig(length=spec.trial_length, overlap=float(opts.get("overlap", 0.0)),
                        min_seizure_fraction=float(opts.get("min_seizure_fraction", 0.5)))


def dataset_folder(spec: DatasetSpec, data_dir: str | os.PathLike | None, marker: str) -> Path:
    """``<data_dir>/<layout root>``, or ``data_dir`` itself when it holds ``marker`` (a name
    matched case-insensitively); raise DataNotFoundError naming the path and the URL if absent."""
    root = default_data_dir(data_dir)
    expected = root / spec.layout.get("root", "")
    for cand in (expected, root):
        if cand.is_dir() and any(p.name.lower() == marker.lower() for p in cand.iterdir()):
            return cand
    raise DataNotFoundError(
        f"{spec.name} not found at {expected}: download it from {spec.url} and unpack it there "
        "(or pass data_dir / set EEGDEC_DATA)."
    )
