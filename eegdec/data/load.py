"""``load_epochs`` / ``iter_subject_epochs``: any registered dataset -> :class:`EpochsData`.

Each ``loader:`` kind in datasets.yaml maps to a ``load_subject(spec, subject, *, paradigm,
events, pipeline, data_dir, skip_bad_files) -> EpochsData`` function, imported lazily from
the dotted path in :data:`LOADERS`. Results are cached per subject (see
:mod:`eegdec.data.cache`).
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from eegdec.data.epochs import EpochsData
from eegdec.data.registry import DatasetSpec, get_dataset_spec
from eegdec.errors import BadInputError, CorruptFileError, UnknownNameError, suggest
from eegdec.paths import cache_dir as _cache_dir
from eegdec.paths import data_dir as _data_dir
from eegdec.preprocessing.pipeline import Pipeline

log = logging.getLogger(__name__)

LOADERS: dict[str, str] = {
    "moabb": "eegdec.data.moabb_loader:load_subject",
    "simulated": "eegdec.data.simulated:load_subject",
    "bonn": "eegdec.data.seizure.bonn:load_subject",
    "chbmit": "eegdec.data.seizure.chbmit:load_subject",
    "helsinki": "eegdec.data.seizure.helsinki:load_subject",
}

PARADIGM_ALIASES = {"mi": "MI", "motorimagery": "MI", "lr": "LeftRightImagery",
                    "leftrightimagery": "LeftRightImagery", "seizure": "seizure"}
NOT_MI = {"rest"}


def get_loader(kind: str):
    """The ``load_subject`` function of a loader kind."""
    module, _, attr = LOADERS[kind].partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as exc:
        raise BadInputError(
            f"The {kind!r} loader ({LOADERS[kind]}) is not available in this install: "
            "update eegdec."
        ) from exc


def resolve_events(spec: DatasetSpec, paradigm: str = "MI",
                   events: Sequence[str] | None = None) -> tuple[str, list[str]]:
    """``(paradigm, class names)`` for a request; checks both against the dataset."""
    key = paradigm.lower().replace("_", "").replace("-", "")
    if key not in PARADIGM_ALIASES:
        raise UnknownNameError(
            f"Unknown paradigm {paradigm!r}.{suggest(paradigm, list(PARADIGM_ALIASES))} "
            "Use MI, LeftRightImagery (LR) or seizure."
        )
    paradigm = PARADIGM_ALIASES[key]
    offered = {p.lower() for p in spec.paradigms}
    if paradigm.lower() not in offered:
        raise BadInputError(
            f"{spec.name} offers paradigms {', '.join(spec.paradigms)}, not {paradigm}: "
            "pick one of those."
        )
    if events:
        unknown = [e for e in events if e not in spec.classes]
        if unknown:
            raise UnknownNameError(
                f"{spec.name} has no class {unknown[0]!r}.{suggest(unknown[0], list(spec.classes))}"
                f" Classes: {', '.join(spec.classes)}."
            )
        if len(set(events)) < 2:
            raise BadInputError("Give at least two different classes in events.")
        return paradigm, list(dict.fromkeys(events))
    if paradigm == "LeftRightImagery":
        return paradigm, ["left_hand", "right_hand"]
    if paradigm == "MI":
        return paradigm, [c for c in spec.classes if c not in NOT_MI]
    return paradigm, list(spec.classes)


def _subjects(spec: DatasetSpec, subjects: Sequence[int] | int | None) -> list[int]:
    if subjects is None:
        return list(spec.subjects)
    if isinstance(subjects, int):
        subjects = [subjects]
    subjects = [int(s) for s in subjects]
    if not subjects:
        raise BadInputError(
            f"The subject list is empty: pass subjects from {spec.name}'s "
            f"{spec.subjects[0]}..{spec.subjects[-1]}, or None for all."
        )
    bad = [s for s in subjects if s not in spec.subjects]
    if bad:
        raise BadInputError(
            f"{spec.name} has no subject {bad[0]}: valid subjects are "
            f"{spec.subjects[0]}..{spec.subjects[-1]}."
        )
    return subjects


def iter_subject_epochs(
    dataset: str | DatasetSpec,
    subjects: Sequence[int] | int | None = None,
    *,
    paradigm: str = "MI",
    events: Sequence[str] | None = None,
    pipeline: Pipeline | dict | list | str | Path | None = None,
    data_dir: str | os.PathLike | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike | None = None,
    skip_bad_files: bool = False,
) -> Iterator[EpochsData]:
    """Yield one subject's :class:`EpochsData` at a time (from the epoch cache when warm)."""
    from eegdec.data.cache import cache_key, cache_path, load_or_build

    spec = get_dataset_spec(dataset)
    paradigm, classes = resolve_events(spec, paradigm, events)
    # A dataset may name its own default preprocessing (seizure sets: options.pipeline).
    pipe = Pipeline.coerce(pipeline if pipeline is not None else spec.options.get("pipeline"))
    pipe.epoch_window(spec.window)  # fail on a bad window before loading anything
    root = _data_dir(data_dir)
    load_subject = get_loader(spec.loader)
    spec_config = {k: v for k, v in dataclasses.asdict(spec).items()
                   if k not in ("citation", "description", "download_size", "url", "aliases")}
    for subject in _subjects(spec, subjects):
        def build(subject: int = subject) -> EpochsData:
            return load_subject(spec, subject, paradigm=paradigm, events=classes,
                                pipeline=pipe, data_dir=root, skip_bad_files=skip_bad_files)

        key = cache_key(spec_config, subject, paradigm, classes,
                        {**pipe.config(), "skip_bad_files": skip_bad_files})
        try:
            epochs = (load_or_build(cache_path(_cache_dir(cache_dir), spec.name, subject, key),
                                    build) if cache else build())
        except CorruptFileError as exc:
            if not skip_bad_files:
                raise
            log.warning("Skipping %s subject %s: %s", spec.name, subject, exc)
            continue
        yield epochs


def load_epochs(
    dataset: str | DatasetSpec,
    subjects: Sequence[int] | int | None = None,
    *,
    paradigm: str = "MI",
    events: Sequence[str] | None = None,
    pipeline: Pipeline | dict | list | str | Path | None = None,
    data_dir: str | os.PathLike | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike | None = None,
    skip_bad_files: bool = False,
) -> EpochsData:
    """Load, preprocess and epoch ``subjects`` of ``dataset`` into one :class:`EpochsData`.

    Parameters
    ----------
    dataset : registry name (``eegdec datasets``), case/``_``/``-`` insensitive
    subjects : subject numbers (default: all)
    paradigm : ``MI`` (every imagery class), ``LeftRightImagery``/``LR``, ``seizure``
    events : explicit class names (e.g. ``["hands", "feet"]``), overriding the paradigm's
    pipeline : :class:`Pipeline`, its config, a YAML path/string; default: the entry's
        ``options.pipeline`` if any (seizure datasets), else MOABB's MI defaults
    data_dir : data directory (else ``$EEGDEC_DATA``, ``$MNE_DATA``, ``~/mne_data``)
    cache, cache_dir : use the on-disk epoch cache (default ``$EEGDEC_CACHE``/~/.cache/eegdec)
    skip_bad_files : skip unreadable files (logged) instead of raising ``CorruptFileError``;
        where a loader cannot skip single files, the whole subject is skipped
    """
    parts = list(iter_subject_epochs(
        dataset, subjects, paradigm=paradigm, events=events, pipeline=pipeline,
        data_dir=data_dir, cache=cache, cache_dir=cache_dir, skip_bad_files=skip_bad_files,
    ))
    if not parts:
        raise CorruptFileError(
            f"No subject of {dataset} could be read (all skipped as damaged): download the "
            "files again."
        )
    return combine(parts)


def combine(parts: list[EpochsData]) -> EpochsData:
    """Concatenate subjects; refuse clearly when rates or channels differ."""
    rates = {p.subjects()[0]: p.sfreq for p in parts}
    if len(set(rates.values())) > 1:
        listing = ", ".join(f"subject {s}: {r:g} Hz" for s, r in rates.items())
        raise BadInputError(
            f"Subjects have different sampling rates ({listing}): add a resample step, "
            f"e.g. pipeline=[{{'bandpass': {{}}}}, {{'resample': {min(rates.values()):g}}}]."
        )
    chans = {p.subjects()[0]: p.ch_names for p in parts}
    first = parts[0].ch_names
    odd = [s for s, c in chans.items() if c != first]
    if odd:
        raise BadInputError(
            f"Subject {odd[0]} has different channels than subject {parts[0].subjects()[0]}: "
            "add a `channels:` step listing the channels to keep."
        )
    return EpochsData.concat(parts)

