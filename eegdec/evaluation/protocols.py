"""Fit and score one unit of work of each protocol, with causal Euclidean alignment.

Alignment modes (``alignment``):

- ``"none"``: raw trials.
- ``"euclidean"`` (causal, default of ``eegdec run``): training trials of each domain
  (subject + session) are aligned with that domain's own reference. A test set from the same
  domain as its training data (``within-co``, ``within-cv``) reuses the training reference; a
  test set from a new domain (``cross-session``, ``loso``, ``online``) is aligned
  incrementally: trial *i* with the reference over trials ``0..i`` seen so far.
- ``"euclidean-transductive"``: test trials are aligned with the reference of all test
  trials of their domain (the DBConformer reference code; uses future trials).

Estimators are built by a ``build(seed)`` callable and never see the alignment: the
protocol aligns the arrays it passes to ``fit`` and ``predict``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eegdec.data.epochs import EpochsData
from eegdec.errors import BadInputError
from eegdec.evaluation.splits import Split, recording_order

ALIGNMENTS = ("none", "euclidean", "euclidean-transductive")
Builder = Callable[[int], Any]


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


def check_alignment(alignment: str | None) -> str:
    """Normalised alignment mode; unknown values raise :class:`BadInputError`."""
    key = (alignment or "none").lower()
    if key not in ALIGNMENTS:
        raise BadInputError(
            f"Unknown alignment {alignment!r}: choose one of {', '.join(ALIGNMENTS)}."
        )
    return key


# -- alignment helpers --------------------------------------------------------------------------
def _ea(X: np.ndarray):
    from eegdec.preprocessing.alignment import EuclideanAlignment

    return EuclideanAlignment().fit(X)


def align_domains(data: EpochsData, alignment: str) -> np.ndarray:
    """Each subject+session of ``data`` aligned with its own reference (training side)."""
    if alignment == "none":
        return data.X
    from eegdec.preprocessing.alignment import EuclideanAlignment

    keys = data.metadata["subject"].astype(str) + "/" + data.metadata["session"].astype(str)
    return EuclideanAlignment().fit_transform(data.X, domains=keys.to_numpy())


def align_new_domain(X: np.ndarray, alignment: str) -> np.ndarray:
    """Test trials of an unseen domain, in recording order: incremental or transductive."""
    if alignment == "none":
        return X
    if alignment == "euclidean-transductive":
        return _ea(X).transform(X)
    from eegdec.preprocessing.alignment import IncrementalEuclideanAlignment

    return IncrementalEuclideanAlignment().transform(X)


def _predict(est: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    if hasattr(est, "predict_proba"):
        proba = np.asarray(est.predict_proba(X))
        classes = np.asarray(getattr(est, "classes_", np.arange(proba.shape[1])))
        return classes[proba.argmax(1)].astype(np.int64), proba
    return np.asarray(est.predict(X)).astype(np.int64), None


def _fit(est: Any, X: np.ndarray, y: np.ndarray) -> float:
    t0 = time.perf_counter()
    est.fit(X, y)
    return time.perf_counter() - t0


def _trial_numbers(data: EpochsData, idx: np.ndarray) -> np.ndarray:
    return data.metadata["trial"].to_numpy()[idx]


# -- within-subject -----------------------------------------------------------------------------
def run_within(build: Builder, seed: int, data: EpochsData, split: Split,
               alignment: str) -> FoldResult:
    """Fit on ``split.train`` of one subject, score ``split.test``.

    Same-domain tests (within-co/cv) reuse the training reference; a test session other
    than the training one (cross-session) is aligned as a new domain.
    """
    X_tr, X_te = data.X[split.train], data.X[split.test]
    y_tr = data.y[split.train]
    if alignment != "none":
        ref = _ea(X_tr)
        same_domain = set(data.metadata["session"].astype(str).iloc[split.test]) <= set(
            data.metadata["session"].astype(str).iloc[split.train])
        X_tr = ref.transform(X_tr)
        if same_domain and alignment == "euclidean":
            X_te = ref.transform(X_te)
        elif same_domain:
            X_te = _ea(X_te).transform(X_te)
        else:
            X_te = align_new_domain(X_te, alignment)
    est = build(seed)
    fit_s = _fit(est, X_tr, y_tr)
    t0 = time.perf_counter()
    y_pred, proba = _predict(est, X_te)
    return FoldResult(split.subject, split.session, split.fold, len(split.train),
                      data.y[split.test], y_pred, proba, _trial_numbers(data, split.test),
                      fit_s, time.perf_counter() - t0, est, X_te)


# -- cross-subject ------------------------------------------------------------------------------
def _target_sessions(target: EpochsData) -> list[tuple[str, np.ndarray]]:
    sessions = target.metadata["session"].astype(str)
    return [(s, recording_order(target.metadata, np.flatnonzero(sessions == s)))
            for s in sorted(sessions.unique())]


def run_loso(build: Builder, seed: int, source: EpochsData, target: EpochsData,
             alignment: str, sessions: list[str] | None = None) -> list[FoldResult]:
    """Train on ``source`` (other subjects), score each target session as it streams in.

    ``sessions`` restricts the scored target sessions (resuming a half-finished subject).
    """
    X_src = align_domains(source, alignment)
    est = build(seed)
    fit_s = _fit(est, X_src, source.y)
    results = []
    subject = str(target.metadata["subject"].iloc[0])
    for session, idx in _target_sessions(target):
        if sessions is not None and session not in sessions:
            continue
        t0 = time.perf_counter()
        X_te = align_new_domain(target.X[idx], alignment)
        y_pred, proba = _predict(est, X_te)
        results.append(FoldResult(subject, session, 0, source.n_trials, target.y[idx], y_pred,
                                  proba, _trial_numbers(target, idx), fit_s,
                                  time.perf_counter() - t0, est, X_te))
    return results


def run_online(build: Builder, seed: int, source: EpochsData, target: EpochsData,
               alignment: str, calib_sizes: list[int], *, kind: str,
               fine_tune_epochs: int | None = None,
               fine_tune_lr: float | None = None) -> list[FoldResult]:
    """Online calibration for one target subject; one result per calibration size N.

    The model is pre-trained once on ``source`` and reused for every N. The target is its
    last session in recording order; the test set is trials ``N_max .. end`` (0-based) for
    every N. The alignment reference is updated over the N calibration trials, then over
    each test trial as it arrives; predictions are made one trial at a time. Torch
    estimators are fine-tuned on the calibration trials (``fine_tune``); classical ones are
    refitted on source + calibration. N = 0 uses the pre-trained model as is.
    ``fit_seconds`` includes the shared pre-training.
    """
    session, order = _target_sessions(target)[-1]
    n_max = max(calib_sizes)
    if len(order) - n_max < 1:
        raise BadInputError(
            f"Target subject {target.metadata['subject'].iloc[0]} session {session} has "
            f"{len(order)} trials: none left to test after {n_max}; lower --calib-sizes."
        )
    X_src = align_domains(source, alignment)
    pre = build(seed)
    pre_s = _fit(pre, X_src, source.y)
    test_idx = order[n_max:]
    subject = str(target.metadata["subject"].iloc[0])
    results = []
    for n in calib_sizes:
        cal_idx = order[:n]
        inc = _incremental(alignment, target.X[cal_idx], target.X[test_idx])
        X_cal = inc.transform(target.X[cal_idx]) if inc is not None and n else target.X[cal_idx]
        y_cal = target.y[cal_idx]
        t0 = time.perf_counter()
        if n == 0:
            est = pre
        elif kind == "torch":
            est = copy.deepcopy(pre)
            est.fine_tune(X_cal, y_cal, epochs=fine_tune_epochs, lr=fine_tune_lr)
        else:
            est = build(seed)
            est.fit(np.concatenate([X_src, X_cal]), np.concatenate([source.y, y_cal]))
        fit_s = pre_s + time.perf_counter() - t0
        t0 = time.perf_counter()
        X_te = np.empty_like(target.X[test_idx])
        preds, probas = [], []
        for j, i in enumerate(test_idx):  # streaming: align then predict each arriving trial
            x = target.X[i]
            X_te[j] = inc.transform_one(x) if inc is not None else x
            y_hat, p = _predict(est, X_te[j:j + 1])
            preds.append(y_hat[0])
            probas.append(None if p is None else p[0])
        proba = None if probas[0] is None else np.stack(probas)
        counts = np.bincount(y_cal, minlength=len(target.classes)).tolist()
        results.append(FoldResult(subject, session, 0, source.n_trials + n, target.y[test_idx],
                                  np.asarray(preds, dtype=np.int64), proba,
                                  _trial_numbers(target, test_idx), fit_s,
                                  time.perf_counter() - t0, est, X_te, n_calib=n,
                                  info={"calib_class_counts": counts}))
    return results


def _incremental(alignment: str, X_cal: np.ndarray, X_test: np.ndarray):
    """A fresh incremental aligner (``None`` without alignment).

    Transductive mode seeds the reference with all calibration and test trials instead.
    """
    if alignment == "none":
        return None
    from eegdec.preprocessing.alignment import IncrementalEuclideanAlignment

    if alignment == "euclidean-transductive":
        return _Frozen(_ea(np.concatenate([X_cal, X_test])))
    return IncrementalEuclideanAlignment()


class _Frozen:
    """Adapter giving a fitted :class:`EuclideanAlignment` the streaming interface."""

    def __init__(self, ea: Any) -> None:
        self.ea = ea

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.ea.transform(X)

    def transform_one(self, x: np.ndarray) -> np.ndarray:
        return self.ea.transform(x[None])[0]
