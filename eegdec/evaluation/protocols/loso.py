"""Leave-one-subject-out: train on the other subjects, score each target session as it
streams in (causal alignment of the new user's trials)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from eegdec.data.epochs import EpochsData
from eegdec.evaluation.protocols.base import (
    Builder,
    CrossSubjectProtocol,
    FoldResult,
    ModelSpec,
    Unit,
    predict,
    timed_fit,
    trial_numbers,
)
from eegdec.evaluation.results import fold_id
from eegdec.evaluation.splits import sessions_in_order

if TYPE_CHECKING:
    from eegdec.evaluation.config import RunConfig


def run_loso(build: Builder, seed: int, source: EpochsData, target: EpochsData,
             alignment: str, sessions: list[str] | None = None) -> list[FoldResult]:
    """Train on ``source``, score each target session (or only ``sessions``) in order."""
    from eegdec.preprocessing.alignment import align_domains, align_new_domain

    est = build(seed)
    fit_s = timed_fit(est, align_domains(source.X, source.domains(), alignment), source.y)
    subject = str(target.metadata["subject"].iloc[0])
    results = []
    for session, idx in sessions_in_order(target.metadata):
        if sessions is not None and session not in sessions:
            continue
        t0 = time.perf_counter()
        X_te = align_new_domain(target.X[idx], alignment)
        y_pred, proba = predict(est, X_te)
        results.append(FoldResult(subject, session, 0, source.n_trials, target.y[idx], y_pred,
                                  proba, trial_numbers(target, idx), fit_s,
                                  time.perf_counter() - t0, est, X_te))
    return results


class LeaveOneSubjectOut(CrossSubjectProtocol):
    """One unit per held-out subject; each of its sessions is one fold."""

    name = "loso"
    description = "train on the other subjects, test each session of the held-out one"

    def todo(self, target: EpochsData, spec: ModelSpec, seed: int, cfg: RunConfig,
             done: set[str]) -> list[Any]:
        subject = str(target.metadata["subject"].iloc[0])
        return [s for s, _ in sessions_in_order(target.metadata)
                if fold_id(spec.name, subject, s, 0, seed) not in done]

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int:
        return len(sessions)

    def run(self, unit: Unit, build: Builder, cfg: RunConfig) -> list[FoldResult]:
        return run_loso(build, unit.seed, unit.source, unit.data, cfg.alignment,
                        sessions=unit.todo)
