"""Leave-one-subject-out: train on the other subjects, score each target session as it
streams in (causal alignment of the new user's trials).

Out of core: the source subjects stay where the epoch cache maps them (an
:class:`~eegdec.data.stack.EpochsStack`); alignment references are computed subject by
subject and applied as trials are read (:func:`~eegdec.preprocessing.alignment.
aligned_trials`), torch models read their batches from the maps, and classical pipelines
stream their covariance step subject by subject (:func:`~eegdec.training.streaming.
fit_trials`). Peak memory grows with the pages read, not with copies of the source set.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from eegdec.data.epochs import EpochsData
from eegdec.data.stack import EpochsStack
from eegdec.evaluation.protocols.base import (
    Builder,
    CrossSubjectProtocol,
    FoldResult,
    ModelSpec,
    Unit,
    predict,
    trial_numbers,
)
from eegdec.evaluation.results import fold_id
from eegdec.evaluation.splits import sessions_in_order

if TYPE_CHECKING:
    from eegdec.evaluation.config import RunConfig


def run_loso(build: Builder, seed: int, source: EpochsStack | EpochsData, target: EpochsData,
             alignment: str, sessions: list[str] | None = None,
             tta: str | None = None) -> list[FoldResult]:
    """Train on ``source``, score each target session (or only ``sessions``) in order;
    ``tta`` adapts torch models to each session as its trials arrive
    (:mod:`eegdec.training.tta`)."""
    from eegdec.preprocessing.alignment import align_new_domain, aligned_trials
    from eegdec.training.streaming import fit_trials
    from eegdec.training.tta import adapt_predict

    if isinstance(source, EpochsData):
        source = EpochsStack([source])
    est = build(seed)
    train = aligned_trials([p.X for p in source.parts], [p.domains() for p in source.parts],
                           alignment)
    t0 = time.perf_counter()
    fit_trials(est, train, source.y)
    fit_s = time.perf_counter() - t0
    subject = str(target.metadata["subject"].iloc[0])
    results = []
    for session, idx in sessions_in_order(target.metadata):
        if sessions is not None and session not in sessions:
            continue
        t0 = time.perf_counter()
        X_te = align_new_domain(target.X[idx], alignment)
        y_pred, proba = predict(adapt_predict(est, tta, X_te) or est, X_te)
        results.append(FoldResult(subject, session, 0, source.n_trials, target.y[idx], y_pred,
                                  proba, trial_numbers(target, idx), fit_s,
                                  time.perf_counter() - t0, est, X_te))
    return results


class LeaveOneSubjectOut(CrossSubjectProtocol):
    """One unit per held-out subject; each of its sessions is one fold."""

    name = "loso"
    description = "train on the other subjects, test each session of the held-out one"
    test_time_adaptation = True

    def todo(self, target: EpochsData, spec: ModelSpec, seed: int, cfg: RunConfig,
             done: set[str]) -> list[Any]:
        subject = str(target.metadata["subject"].iloc[0])
        return [s for s, _ in sessions_in_order(target.metadata)
                if fold_id(spec.name, subject, s, 0, seed) not in done]

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int:
        return len(sessions)

    def run(self, unit: Unit, build: Builder, cfg: RunConfig) -> list[FoldResult]:
        return run_loso(build, unit.seed, unit.source, unit.data, cfg.alignment,
                        sessions=unit.todo, tta=cfg.tta)
