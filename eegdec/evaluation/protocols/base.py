"""The :class:`Protocol` interface, the unit of work it plans, and what a fold produces.

A protocol (MOABB's "evaluation") says which trials train and which test. It plans
:class:`Unit` objects for a set of subjects (one per within-subject fold, one per held-out
subject for cross-subject protocols) and runs one unit at a time; the runner executes the
units in parallel and stores their rows. Estimators are built by a ``build(seed)`` callable
and never see the alignment: the protocol aligns the arrays it passes to ``fit``/``predict``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from eegdec.data.epochs import EpochsData
from eegdec.data.stack import EpochsStack
from eegdec.evaluation.results import fold_id
from eegdec.evaluation.splits import Split

if TYPE_CHECKING:
    from eegdec.evaluation.config import RunConfig

Builder = Callable[[int], Any]


@dataclass
class ModelSpec:
    """A decoder to evaluate: a registry model or a MOABB-schema pipeline.

    ``paradigm``: the paradigm whose epochs it reads when not the run's (a ``FilterBankSSVEP``
    pipeline in an ``SSVEP`` run); ``None``: the run's.
    """

    name: str
    kind: str  # "torch" or "sklearn"
    pipeline: Any = None
    paradigm: str | None = None


@dataclass
class Unit:
    """One unit of work: a within-subject fold, or one held-out subject.

    ``data`` is the subject's epochs (the target for cross-subject protocols), ``source`` the
    training subjects (an :class:`~eegdec.data.stack.EpochsStack`: not concatenated; with
    the epoch cache its subjects are memory-mapped, and a unit pickles as file names),
    ``todo`` what is left of the unit (sessions, calibration sizes...).
    """

    protocol: str
    model: ModelSpec
    seed: int
    data: EpochsData
    split: Split | None = None
    source: EpochsStack | None = None
    todo: list[Any] | None = None


@dataclass
class FoldResult:
    """What one fold produced: the test predictions and the fitted estimator."""

    subject: str
    session: str
    fold: int
    n_train: int
    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray | None
    trial_index: np.ndarray
    fit_seconds: float
    predict_seconds: float
    estimator: Any
    X_test: np.ndarray
    n_calib: int | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class InnerFold:
    """One inner fold of nested model selection, cut from an outer fold's training data only.

    ``new_domain``: ``val`` is another subject, aligned causally as a new domain (as the
    outer target is); otherwise ``val`` shares ``train``'s sessions (:func:`align_split`).
    """

    name: str
    train: EpochsData | EpochsStack
    val: EpochsData
    new_domain: bool


class Protocol:
    """An evaluation protocol: ``plan`` units for some subjects, ``run`` one unit.

    Subclasses set ``name`` and implement both; :func:`~eegdec.evaluation.protocols.
    register_protocol` makes them available to ``eegdec run --protocol``.
    """

    name: ClassVar[str]
    default_seeds: ClassVar[tuple[int, ...]] = (1,)
    description: ClassVar[str] = ""
    causal: ClassVar[bool] = False  # True: the run's filters are made causal (--causal-filter)
    # What the leakage audit (eegdec.evaluation.audit) forbids to overlap: trials always,
    # sessions for "cross-session", subjects (beyond calibration trials) for "cross-subject".
    scope: ClassVar[str] = "within"
    test_time_adaptation: ClassVar[bool] = False  # True: its run applies --tta (training.tta)

    def plan(self, subjects: Iterable[EpochsData], specs: list[ModelSpec], cfg: RunConfig,
             done: set[str]) -> Iterator[Unit]:
        raise NotImplementedError

    def run(self, unit: Unit, build: Builder, cfg: RunConfig) -> list[FoldResult]:
        raise NotImplementedError

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int | None:
        """Folds per subject, model and seed for a dataset with ``sessions`` (for progress
        totals; ``None``: unknown, an upper bound is fine)."""
        return None

    def fold_trials(self, unit: Unit, res: FoldResult
                    ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """Metadata of the trials that trained and that tested ``res``, as run (the leakage
        audit checks them; ``None``: not said, the fold is reported "not recorded")."""
        return None

    def inner(self, unit: Unit, cfg: RunConfig, n_folds: int | None) -> list[InnerFold]:
        """Inner folds for nested model selection (``--select``) from the training part of
        ``unit`` only; ``n_folds`` (``--select-folds``) limits their number."""
        from eegdec.errors import BadInputError

        raise BadInputError(f"--select is not available under --protocol {self.name}: use a "
                            "within-subject, cross-session or cross-subject protocol.")

    def meta_for(self, unit: Unit, res: FoldResult) -> Any:
        """Metadata rows of a result's test trials, in the order of ``res.y_true``."""
        meta = unit.data.metadata
        sub = meta[(meta["session"].astype(str) == res.session).to_numpy()]
        return sub.set_index("trial").loc[res.trial_index].reset_index()


def seeds_for(cfg: RunConfig, spec: ModelSpec) -> list[int]:
    """Torch models run every seed; deterministic classical pipelines only the first."""
    return list(cfg.seeds) if spec.kind == "torch" else list(cfg.seeds[:1])


class SubjectSplitProtocol(Protocol):
    """A protocol that trains and tests within each subject, one unit per :class:`Split`."""

    def splits(self, data: EpochsData, cfg: RunConfig) -> list[Split]:
        raise NotImplementedError

    def plan(self, subjects: Iterable[EpochsData], specs: list[ModelSpec], cfg: RunConfig,
             done: set[str]) -> Iterator[Unit]:
        for data in subjects:  # loaded one at a time
            splits = self.splits(data, cfg)
            for spec in specs:
                for seed in seeds_for(cfg, spec):
                    for split in splits:
                        fid = fold_id(spec.name, split.subject, split.session, split.fold, seed)
                        if fid not in done:
                            yield Unit(self.name, spec, seed, data, split=split)

    def run(self, unit: Unit, build: Builder, cfg: RunConfig) -> list[FoldResult]:
        return [run_split(build, unit.seed, unit.data, unit.split, cfg.alignment)]

    def inner(self, unit: Unit, cfg: RunConfig, n_folds: int | None) -> list[InnerFold]:
        """Stratified k-fold (``n_folds``, default 3, seeded by ``--cv-seed``) over the
        outer training trials."""
        from sklearn.model_selection import StratifiedKFold

        from eegdec.errors import BadInputError

        k = n_folds or 3
        train = unit.data.subset(unit.split.train)
        if np.bincount(train.y).min(initial=len(train.y)) < k:
            raise BadInputError(f"Subject {unit.split.subject} has too few training trials "
                                f"per class for {k} inner folds: lower --select-folds.")
        gen = StratifiedKFold(k, shuffle=True, random_state=cfg.cv_seed)
        return [InnerFold(f"cv{i}", train.subset(tr), train.subset(np.sort(va)), False)
                for i, (tr, va) in enumerate(gen.split(train.y, train.y))]

    def meta_for(self, unit: Unit, res: FoldResult) -> Any:
        return unit.data.metadata.iloc[unit.split.test]

    def fold_trials(self, unit: Unit, res: FoldResult
                    ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        meta = unit.data.metadata
        return meta.iloc[unit.split.train], meta.iloc[unit.split.test]


class CrossSubjectProtocol(Protocol):
    """A protocol that holds out one subject at a time and trains on the others."""

    scope = "cross-subject"

    def fold_trials(self, unit: Unit, res: FoldResult
                    ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """Every source trial trained; the target's trials of ``res`` tested."""
        train = pd.concat([p.metadata for p in unit.source.parts], ignore_index=True)
        return train, self.meta_for(unit, res)

    def todo(self, target: EpochsData, spec: ModelSpec, seed: int, cfg: RunConfig,
             done: set[str]) -> list[Any]:
        """What is left to score for this target (empty: nothing)."""
        raise NotImplementedError

    def plan(self, subjects: Iterable[EpochsData], specs: list[ModelSpec], cfg: RunConfig,
             done: set[str]) -> Iterator[Unit]:
        from eegdec.errors import BadInputError

        by_subject = {str(d.metadata["subject"].iloc[0]): d for d in subjects}
        if len(by_subject) < 2:
            raise BadInputError(
                f"--protocol {self.name} needs at least 2 subjects, got {list(by_subject)}: "
                "pass two or more --subjects."
            )
        for name, target in by_subject.items():
            source = None
            for spec in specs:
                for seed in seeds_for(cfg, spec):
                    todo = self.todo(target, spec, seed, cfg, done)
                    if not todo:
                        continue
                    if source is None:
                        source = EpochsStack(
                            [d for s, d in by_subject.items() if s != name])
                    yield Unit(self.name, spec, seed, target, source=source, todo=todo)

    def inner(self, unit: Unit, cfg: RunConfig, n_folds: int | None) -> list[InnerFold]:
        """Inner leave-one-subject-out over the source subjects (the target is not in
        ``unit.source``); ``n_folds`` keeps that many held-out sources, evenly spaced."""
        from eegdec.errors import BadInputError

        parts = unit.source.parts
        if len(parts) < 2:
            raise BadInputError("--select needs at least 2 source subjects for its inner "
                                "folds: pass three or more --subjects.")
        keep = range(len(parts)) if not n_folds or n_folds >= len(parts) else \
            np.unique(np.linspace(0, len(parts) - 1, n_folds).round().astype(int))
        return [InnerFold(f"subject{parts[i].subjects()[0]}",
                          EpochsStack([p for j, p in enumerate(parts) if j != i]), parts[i],
                          True) for i in keep]


# -- shared steps -------------------------------------------------------------------------------
def predict(est: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(labels, proba or None)``; labels from ``argmax`` of the probabilities when given."""
    if hasattr(est, "predict_proba"):
        proba = np.asarray(est.predict_proba(X))
        classes = np.asarray(getattr(est, "classes_", np.arange(proba.shape[1])))
        return classes[proba.argmax(1)].astype(np.int64), proba
    return np.asarray(est.predict(X)).astype(np.int64), None


def timed_fit(est: Any, X: np.ndarray, y: np.ndarray) -> float:
    t0 = time.perf_counter()
    est.fit(X, y)
    return time.perf_counter() - t0


def trial_numbers(data: EpochsData, idx: np.ndarray) -> np.ndarray:
    return data.metadata["trial"].to_numpy()[idx]


def align_split(data: EpochsData, train: np.ndarray, test: np.ndarray, alignment: str
                ) -> tuple[np.ndarray, np.ndarray]:
    """Aligned ``(X[train], X[test])`` of one subject.

    Test trials from the training session reuse its reference (causal mode); a test session
    other than the training ones is aligned as a new domain, and each training session then
    has its own reference (``leave-one-session-out`` trains on several).
    """
    from eegdec.preprocessing.alignment import (
        EuclideanAlignment,
        align_domains,
        align_new_domain,
        align_same_domain,
    )

    X_tr, X_te = data.X[train], data.X[test]
    if alignment == "none":
        return X_tr, X_te
    sessions = data.metadata["session"].astype(str).to_numpy()
    if set(sessions[test]) <= set(sessions[train]):
        ref = EuclideanAlignment().fit(X_tr)
        return ref.transform(X_tr), align_same_domain(ref, X_te, alignment)
    return align_domains(X_tr, sessions[train], alignment), align_new_domain(X_te, alignment)


def run_split(build: Builder, seed: int, data: EpochsData, split: Split,
              alignment: str) -> FoldResult:
    """Fit on ``split.train`` of one subject, score ``split.test`` (aligned by
    :func:`align_split`)."""
    X_tr, X_te = align_split(data, split.train, split.test, alignment)
    est = build(seed)
    fit_s = timed_fit(est, X_tr, data.y[split.train])
    t0 = time.perf_counter()
    y_pred, proba = predict(est, X_te)
    return FoldResult(split.subject, split.session, split.fold, len(split.train),
                      data.y[split.test], y_pred, proba, trial_numbers(data, split.test),
                      fit_s, time.perf_counter() - t0, est, X_te)
