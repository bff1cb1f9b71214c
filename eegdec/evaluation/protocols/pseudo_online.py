"""Pseudo-online evaluation: train on epochs, then replay a held-out continuous run through the
:class:`~eegdec.online.Decoder` that ``eegdec stream`` uses, in chunks, and score its decisions
against the run's cues (:mod:`eegdec.evaluation.stream_metrics`).

- ``pseudo-online`` (within subject): the subject's last run (in recording order; PhysionetMI
  left/right: R12) is replayed; its earlier runs (R04 + R08) train.
- ``pseudo-online-loso`` (cross-subject): the target's last run is replayed; the other subjects'
  earlier runs (the runs ``pseudo-online`` trains on) train. Nothing of the target trains.

The filters are causal, always: the run's pipeline is made causal (``Pipeline.causal()``, the
same as ``--causal-filter``), so the training epochs are filtered by the forward-only filter
run from the start of each run, and the decoder applies that filter to the stream chunk by
chunk. Training windows are the pipeline's window (e.g. 0.5-2.5 s after the cue); the decoder
decides on the last window's worth of signal every :data:`HOP_S` seconds, fed
:data:`CHUNK_S`-second chunks.

Alignment: ``none`` or ``euclidean`` (transductive alignment needs the future and is refused).
Euclidean: each training domain (subject/session) is whitened by its own reference; the
decoder's incremental reference starts from the target's training trials (within subject) or
from nothing (cross-subject), and grows with each ``window``-long block of the stream.

Besides the decisions, the replayed run's epochs (the same causal filter and window) are
scored offline (``epoch_accuracy``), so the offline-to-online gap is in every row.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eegdec.data.epochs import EpochsData
from eegdec.errors import BadInputError
from eegdec.evaluation.protocols.base import (
    Builder,
    CrossSubjectProtocol,
    FoldResult,
    ModelSpec,
    Protocol,
    Unit,
    seeds_for,
    timed_fit,
)
from eegdec.evaluation.results import fold_id

if TYPE_CHECKING:
    from eegdec.evaluation.config import RunConfig
    from eegdec.preprocessing.pipeline import Pipeline

CHUNK_S = 0.1  # seconds of signal per push, as a stream delivers it
HOP_S = 0.1  # seconds between decisions


# -- runs ---------------------------------------------------------------------------------------
def run_order(data: EpochsData) -> list[tuple[str, str]]:
    """``(session, run)`` pairs of a subject's trials, in recording order."""
    meta = data.metadata
    first = (meta.assign(session=meta["session"].astype(str), run=meta["run"].astype(str))
             .groupby(["session", "run"], sort=False)["onset"].min().reset_index())
    first = first.sort_values(["session", "onset"], kind="stable")
    return list(zip(first["session"], first["run"]))


def replay_key(data: EpochsData) -> tuple[str, str]:
    """The run a subject replays: its last; at least one earlier run must exist to train."""
    runs = run_order(data)
    if len(runs) < 2:
        subject = data.metadata["subject"].iloc[0]
        raise BadInputError(
            f"Subject {subject} has one run with trials ({runs[0][0]}/{runs[0][1]}): pseudo-"
            "online replays the last run and trains on the earlier ones, so it needs two."
        )
    return runs[-1]


def _in_run(data: EpochsData, key: tuple[str, str]) -> np.ndarray:
    meta = data.metadata
    return ((meta["session"].astype(str) == key[0]) & (meta["run"].astype(str) == key[1])
            ).to_numpy()


def _split_meta(parts: Iterable[EpochsData], target: EpochsData, key: tuple[str, str]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metadata of the trials that train (each part's runs before its replayed one) and of
    the target's replayed run ``key`` (from metadata only: no trial is read)."""
    train = pd.concat([p.metadata[~_in_run(p, replay_key(p))] for p in parts],
                      ignore_index=True)
    return train, target.metadata[_in_run(target, key)]


def training_part(data: EpochsData) -> EpochsData:
    """A subject's trials outside its replayed run (every subject of ``data`` separately).

    A LOSO source arrives as an out-of-core stack; its training runs (the earlier runs only)
    are gathered into memory here."""
    if hasattr(data, "to_epochs"):
        data = data.to_epochs()
    keep = np.ones(data.n_trials, dtype=bool)
    subjects = data.metadata["subject"].astype(str).to_numpy()
    for s in np.unique(subjects):
        part = data.subset(np.flatnonzero(subjects == s))
        keep[np.flatnonzero(subjects == s)[_in_run(part, replay_key(part))]] = False
    return data.subset(np.flatnonzero(keep))


# -- the pipeline -------------------------------------------------------------------------------
def stream_pipeline(cfg: RunConfig) -> Pipeline:
    """The run's preprocessing with every filter causal (what the protocol trains with)."""
    from eegdec.preprocessing.load import resolve_pipeline

    return resolve_pipeline(cfg.dataset, cfg.paradigm, cfg.events,
                            getattr(cfg, "preprocessing", None), causal=True)


def _before_stream(pipeline: Pipeline) -> Pipeline:
    """The raw steps a stream has already had (channel selection, resampling); the decoder's
    causal chain does the rest."""
    from eegdec.preprocessing.pipeline import Pipeline
    from eegdec.preprocessing.steps import PickChannels, Resample

    return Pipeline([s for s in pipeline.steps if isinstance(s, (PickChannels, Resample))],
                    pipeline.bad_channels)


def _decoder(est: Any, kind: str, data: EpochsData, pipeline: Pipeline, alignment: str,
             calibration: np.ndarray | None) -> Any:
    from eegdec.online.decoder import Decoder
    from eegdec.preprocessing.causal import CausalChain

    chain = CausalChain.from_pipeline(pipeline, data.sfreq, data.ch_names, strict=True)
    kw = {"preprocessing": chain, "alignment": alignment, "calibration": calibration,
          "hop_s": HOP_S}
    if kind == "torch":
        return Decoder.from_classifier(est, data.ch_names, **kw)
    return Decoder.from_pipeline(est, data.ch_names, data.sfreq, data.n_times,
                                 classes=list(data.classes), **kw)


def replay(decoder: Any, signal: np.ndarray, sfreq: float, chunk_s: float = CHUNK_S
           ) -> list[Any]:
    """Push ``signal`` (n_chans, n) through ``decoder`` in ``chunk_s`` chunks; its decisions."""
    step = max(int(round(chunk_s * sfreq)), 1)
    out = []
    for i in range(0, signal.shape[1], step):
        out += decoder.push(signal[:, i:i + step])
    return out


# -- one fold -----------------------------------------------------------------------------------
def run_pseudo_online(build: Builder, seed: int, train: EpochsData, target: EpochsData,
                      cfg: RunConfig, kind: str, *, within: bool) -> FoldResult:
    """Fit on ``train``, replay ``target``'s last run, score decisions and epochs."""
    from eegdec.data.continuous import load_continuous
    from eegdec.data.registry import get_dataset_spec
    from eegdec.evaluation.stream_metrics import stream_scores
    from eegdec.paths import data_dir, existing_data_dir
    from eegdec.preprocessing.alignment import (
        EuclideanAlignment,
        align_domains,
        align_new_domain,
        is_transductive,
    )

    alignment = cfg.alignment
    if is_transductive(alignment):
        raise BadInputError(f"--alignment {alignment} needs future trials and cannot run "
                            "online: use euclidean or none with pseudo-online protocols.")
    key = replay_key(target)
    subject = str(target.metadata["subject"].iloc[0])
    est = build(seed)
    fit_s = timed_fit(est, align_domains(train.X, train.domains(), alignment), train.y)

    # Offline: the replayed run's epochs (same causal filter and window).
    test = target.subset(np.flatnonzero(_in_run(target, key)))
    own = train.subset(np.flatnonzero(train.domains() == test.domains()[0])) if within \
        else None
    if alignment == "none":
        X_ep = test.X
    elif own is not None and own.n_trials:
        X_ep = EuclideanAlignment().fit(own.X).transform(test.X)
    else:
        X_ep = align_new_domain(test.X, alignment)
    epoch_acc = float(np.mean(np.asarray(est.predict(X_ep)).astype(int) == test.y))

    # Online: the continuous run through the decoder.
    spec = get_dataset_spec(cfg.dataset)
    root = data_dir(cfg.data_dir) if spec.built_in else existing_data_dir(cfg.data_dir)
    pipeline = stream_pipeline(cfg)
    (run,) = load_continuous(spec, int(target.metadata["subject"].iloc[0]),
                             events=target.classes, pipeline=_before_stream(pipeline),
                             data_dir=root, runs=[key])
    if abs(run.sfreq - target.sfreq) > 1e-6:
        raise BadInputError(f"The replayed run is at {run.sfreq:g} Hz, the epochs at "
                            f"{target.sfreq:g} Hz: put the resample step first in the pipeline.")
    calibration = train.X if within and alignment != "none" else None  # the target's own
    decoder = _decoder(est, kind, target, pipeline, alignment, calibration).connect(run.ch_names)
    t0 = time.perf_counter()
    decisions = replay(decoder, run.data, run.sfreq)
    replay_s = time.perf_counter() - t0
    scores, curve, arrays = stream_scores(
        np.array([d.time for d in decisions]),
        np.array([d.proba for d in decisions]).reshape(len(decisions), len(target.classes)),
        np.array([d.latency for d in decisions]), run.cues, target.classes, decoder.hop_s)
    scores["epoch_accuracy"] = epoch_acc
    during = arrays["true"] >= 0
    train_runs = sorted({f"{s}/{se}/{r}" for s, se, r in zip(
        train.metadata["subject"].astype(str), train.metadata["session"].astype(str),
        train.metadata["run"].astype(str))})
    return FoldResult(
        subject, key[0], 0, train.n_trials, arrays["true"][during], arrays["pred"][during],
        arrays["proba"][during], np.flatnonzero(during), fit_s, replay_s, est,
        np.empty((0, *test.X.shape[1:]), dtype=np.float32),
        info={"stream": scores, "timecourse": curve, "decisions": arrays,
              "replayed": f"{subject}/{key[0]}/{key[1]}", "train_runs": train_runs,
              "train_trials": train.metadata[["subject", "session", "run", "trial"]]
              .astype(str).agg("/".join, axis=1).to_numpy()},
    )


# -- the protocols ------------------------------------------------------------------------------
class PseudoOnline(Protocol):
    """Within subject: earlier runs train, the last run is replayed (one fold per subject)."""

    name = "pseudo-online"
    causal = True
    description = "train on a subject's earlier runs, replay the last run through the decoder"

    def plan(self, subjects: Iterable[EpochsData], specs: list[ModelSpec], cfg: RunConfig,
             done: set[str]) -> Iterator[Unit]:
        for data in subjects:
            key = replay_key(data)
            subject = str(data.metadata["subject"].iloc[0])
            for spec in specs:
                for seed in seeds_for(cfg, spec):
                    if fold_id(spec.name, subject, key[0], 0, seed) not in done:
                        yield Unit(self.name, spec, seed, data, todo=[key])

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int:
        return 1

    def run(self, unit: Unit, build: Builder, cfg: RunConfig) -> list[FoldResult]:
        return [run_pseudo_online(build, unit.seed, training_part(unit.data), unit.data, cfg,
                                  unit.model.kind, within=True)]

    def fold_trials(self, unit: Unit, res: FoldResult
                    ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        return _split_meta([unit.data], unit.data, unit.todo[0])

    def meta_for(self, unit: Unit, res: FoldResult) -> Any:
        return None


class PseudoOnlineCrossSubject(CrossSubjectProtocol):
    """Cross-subject: the other subjects' earlier runs train, the target's last run is
    replayed (one fold per target)."""

    name = "pseudo-online-loso"
    causal = True
    description = "train on the other subjects, replay the held-out subject's last run"

    def todo(self, target: EpochsData, spec: ModelSpec, seed: int, cfg: RunConfig,
             done: set[str]) -> list[Any]:
        key = replay_key(target)
        subject = str(target.metadata["subject"].iloc[0])
        return [] if fold_id(spec.name, subject, key[0], 0, seed) in done else [key]

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int:
        return 1

    def run(self, unit: Unit, build: Builder, cfg: RunConfig) -> list[FoldResult]:
        return [run_pseudo_online(build, unit.seed, training_part(unit.source), unit.data,
                                  cfg, unit.model.kind, within=False)]

    def fold_trials(self, unit: Unit, res: FoldResult
                    ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        return _split_meta(unit.source.parts, unit.data, unit.todo[0])

    def meta_for(self, unit: Unit, res: FoldResult) -> Any:
        return None
