"""Train/test index splits of the protocols (pure functions of metadata and labels).

Indices are positions in the given :class:`~eegdec.data.epochs.EpochsData`; "recording
order" is the ``trial`` column of its metadata within one subject and session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from eegdec.errors import BadInputError, UnknownNameError

CV_MODES = ("stratified", "contiguous")
DEFAULT_CALIB_SIZES = (0, 8, 16, 32, 48)


@dataclass(frozen=True)
class Split:
    """One fold: ``train`` and ``test`` indices, test trials in recording order."""

    subject: str
    session: str
    fold: int
    train: np.ndarray
    test: np.ndarray


def recording_order(meta: pd.DataFrame, index: np.ndarray | None = None) -> np.ndarray:
    """``index`` (default: all rows) sorted by session, then ``trial``."""
    index = np.arange(len(meta)) if index is None else np.asarray(index)
    sub = meta.iloc[index]
    order = np.lexsort((sub["trial"].to_numpy(), sub["session"].astype(str).to_numpy()))
    return index[order]


def sessions_in_order(meta: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """``(session, row indices in recording order)`` for each session, sessions sorted."""
    sessions = meta["session"].astype(str)
    return [(s, recording_order(meta, np.flatnonzero(sessions == s)))
            for s in sorted(sessions.unique())]


def within_co(meta: pd.DataFrame, y: np.ndarray, train_frac: float = 0.8) -> list[Split]:
    """Chronological split per session: per class the first ``train_frac`` trials train."""
    if not 0 < train_frac < 1:
        raise BadInputError(f"train_frac must be in (0, 1), got {train_frac}.")
    subject = str(meta["subject"].iloc[0])
    splits = []
    for session, idx in sessions_in_order(meta):
        train = []
        for cls in np.unique(y[idx]):
            cls_idx = idx[y[idx] == cls]
            n_train = int(np.floor(train_frac * len(cls_idx)))
            if n_train == 0 or n_train == len(cls_idx):
                raise BadInputError(
                    f"Subject {subject} session {session} has {len(cls_idx)} trials of class "
                    f"{cls}: too few for a chronological split; use --protocol within-cv."
                )
            train.append(cls_idx[:n_train])
        train_idx = recording_order(meta, np.concatenate(train))
        test_idx = recording_order(meta, np.setdiff1d(idx, train_idx))
        splits.append(Split(subject, session, 0, train_idx, test_idx))
    return splits


def within_cv(meta: pd.DataFrame, y: np.ndarray, n_folds: int = 5, cv: str = "stratified",
              seed: int = 42) -> list[Split]:
    """k-fold per session: stratified + shuffled with ``seed``, or ``contiguous`` blocks."""
    from sklearn.model_selection import KFold, StratifiedGroupKFold, StratifiedKFold

    if cv not in CV_MODES:
        raise UnknownNameError(f"Unknown --cv {cv!r}: choose one of {', '.join(CV_MODES)}.")
    subject = str(meta["subject"].iloc[0])
    splits = []
    for session, idx in sessions_in_order(meta):
        n_min = int(np.bincount(y[idx]).min(initial=len(idx)))
        if len(idx) < n_folds or (cv == "stratified" and n_min < n_folds):
            raise BadInputError(
                f"Subject {subject} session {session} has {len(idx)} trials (fewest per "
                f"class {n_min}): too few for {n_folds} folds; lower --n-folds."
            )
        if cv == "stratified" and "recording" in meta:
            # Windows cut from one continuous recording (seizure paradigm) stay in one fold.
            gen = StratifiedGroupKFold(n_folds, shuffle=True, random_state=seed).split(
                idx, y[idx], meta["recording"].to_numpy()[idx])
        elif cv == "stratified":
            gen = StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(idx, y[idx])
        else:
            gen = KFold(n_folds, shuffle=False).split(idx)
        for k, (tr, te) in enumerate(gen):
            splits.append(Split(subject, session, k, idx[tr], idx[np.sort(te)]))
    return splits


def cross_session(meta: pd.DataFrame) -> list[Split]:
    """Train on the first session, test on each later one (BNCI2014001: 0train -> 1test)."""
    sessions = sessions_in_order(meta)
    subject = str(meta["subject"].iloc[0])
    if len(sessions) < 2:
        raise BadInputError(
            f"Subject {subject} has one session: cross-session needs two; "
            "use --protocol within-co or within-cv."
        )
    (_, train), rest = sessions[0], sessions[1:]
    return [Split(subject, s, 0, train, test) for s, test in rest]


def leave_one_session_out(meta: pd.DataFrame) -> list[Split]:
    """Each session tested once by a model trained on every other session of the subject
    (MOABB's ``CrossSessionEvaluation``: ``LeaveOneGroupOut`` over sessions)."""
    sessions = sessions_in_order(meta)
    subject = str(meta["subject"].iloc[0])
    if len(sessions) < 2:
        raise BadInputError(
            f"Subject {subject} has one session: leave-one-session-out needs two; "
            "use --protocol within-co or within-cv."
        )
    return [Split(subject, s, 0,
                  recording_order(meta, np.concatenate([i for t, i in sessions if t != s])),
                  test)
            for s, test in sessions]


def calib_sizes_for(n_trials: int, sizes: tuple[int, ...] = DEFAULT_CALIB_SIZES) -> list[int]:
    """Calibration sizes kept for a target session: those ``<= n_trials / 2``.

    A 45-trial PhysionetMI subject keeps ``[0, 8, 16]``.
    """
    if any(n < 0 for n in sizes):
        raise BadInputError(f"Calibration sizes must be >= 0, got {list(sizes)}.")
    kept = sorted({int(n) for n in sizes if n <= n_trials / 2})
    if not kept:
        raise BadInputError(
            f"No calibration size in {list(sizes)} fits a {n_trials}-trial target session "
            "(at most half its trials): pass smaller --calib-sizes."
        )
    return kept
