"""``load_epochs`` / ``iter_subject_epochs``: any registered dataset -> :class:`EpochsData`.

Reads each subject with its dataset's loader (:mod:`eegdec.data.loaders`), preprocessed by a
:class:`~eegdec.preprocessing.pipeline.Pipeline` (default: the entry's ``options.pipeline``,
else MOABB's defaults for the paradigm). Results are cached per subject (see
:mod:`eegdec.data.cache`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from eegdec.data.epochs import EpochsData
from eegdec.data.loaders import get_loader
from eegdec.data.paradigms import resolve_events
from eegdec.data.registry import DatasetSpec, check_subjects, get_dataset_spec
from eegdec.errors import BadInputError, CorruptFileError
from eegdec.paths import cache_dir as _cache_dir
from eegdec.paths import data_dir as _data_dir
from eegdec.paths import existing_data_dir
from eegdec.preprocessing.pipeline import Pipeline

log = logging.getLogger(__name__)


def resolve_pipeline(
    dataset: str | DatasetSpec,
    paradigm: str = "MI",
    events: Sequence[str] | None = None,
    pipeline: Pipeline | dict | list | str | Path | None = None,
    causal: bool = False,
) -> Pipeline:
    """The pipeline a load uses: ``pipeline``, else the dataset's or paradigm's default
    (:meth:`Pipeline.for_dataset`), made causal (:meth:`Pipeline.causal`) when asked."""
    spec = get_dataset_spec(dataset)
    paradigm, classes = resolve_events(spec, paradigm, events)
    pipe = Pipeline.for_dataset(spec, pipeline, paradigm, classes)
    return pipe.causal() if causal else pipe


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
    causal: bool = False,
) -> Iterator[EpochsData]:
    """Yield one subject's :class:`EpochsData` at a time (from the epoch cache when warm).

    With the cache, each subject's ``X`` is memory-mapped from its cache file (a cold subject
    is built, saved, then mapped): holding many subjects costs only the pages read.

    A subject is read in the calling process and thread: joblib calls inside MNE and MOABB
    run sequentially, so a surrounding ``parallel_config`` (``eegdec run --n-jobs``) neither
    lends them its workers, which lack the data directory, nor has its own pool shut down.
    """
    from joblib import parallel_config

    from eegdec.data.cache import cache_key, cache_path, load_or_build, source_identity

    spec = get_dataset_spec(dataset)
    paradigm, classes = resolve_events(spec, paradigm, events)
    # A dataset may name its own default preprocessing (seizure sets: options.pipeline).
    pipe = resolve_pipeline(spec, paradigm, classes, pipeline, causal)
    pipe.epoch_window(spec.window)  # fail on a bad window before loading anything
    root = _data_dir(data_dir) if spec.built_in else existing_data_dir(data_dir)
    load_subject = get_loader(spec.loader)
    spec_config = {k: v for k, v in dataclasses.asdict(spec).items()
                   if k not in ("citation", "description", "download_size", "url", "aliases")}
    for subject in check_subjects(spec, subjects):
        def build(subject: int = subject) -> EpochsData:
            with parallel_config(backend="sequential", n_jobs=1):
                return load_subject(spec, subject, paradigm=paradigm, events=classes,
                                    pipeline=pipe, data_dir=root, skip_bad_files=skip_bad_files)

        source = None if spec.built_in else {
            "data_dir": str(root),
            "files": source_identity(spec.source_files(subject, classes, root))}
        key = cache_key(spec_config, subject, paradigm, classes,
                        {**pipe.config(), "skip_bad_files": skip_bad_files}, source)
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
    causal: bool = False,
) -> EpochsData:
    """Load, preprocess and epoch ``subjects`` of ``dataset`` into one :class:`EpochsData`.

    Parameters
    ----------
    dataset : registry name (``eegdec datasets``), case/``_``/``-`` insensitive
    subjects : subject numbers (default: all)
    paradigm : ``MI`` (every imagery class), ``LeftRightImagery``/``LR``, ``seizure``,
        ``SSVEP`` (every class, 7-45 Hz), ``FilterBankSSVEP`` (bands stacked as channels)
    events : explicit class names (e.g. ``["hands", "feet"]``), overriding the paradigm's
    pipeline : :class:`Pipeline`, its config, a YAML path/string; default: the entry's
        ``options.pipeline`` if any (seizure datasets), else MOABB's paradigm defaults
    data_dir : data directory (else ``$EEGDEC_DATA``, ``$MNE_DATA``, ``~/mne_data``)
    cache, cache_dir : use the on-disk epoch cache (default ``$EEGDEC_CACHE``/~/.cache/eegdec)
    skip_bad_files : skip unreadable files (logged) instead of raising ``CorruptFileError``;
        where a loader cannot skip single files, the whole subject is skipped
    causal : run the pipeline's filters causally (:meth:`Pipeline.causal`, as a stream can;
        ``eegdec run --causal-filter``)
    """
    parts = list(iter_subject_epochs(
        dataset, subjects, paradigm=paradigm, events=events, pipeline=pipeline,
        data_dir=data_dir, cache=cache, cache_dir=cache_dir, skip_bad_files=skip_bad_files,
        causal=causal,
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

