"""Cross-validation splits for windowed recordings.

Windows cut from one recording are strongly correlated (and overlap when ``overlap > 0``), so a
split that put some of them in training and others in test would leak. Both splitters below
keep each ``metadata["recording"]`` whole; they wrap scikit-learn's group splitters.
"""

from __future__ import annotations

import numpy as np

from eegdec.data.epochs import EpochsData
from eegdec.errors import BadInputError

Split = tuple[np.ndarray, np.ndarray]


def recording_groups(epochs: EpochsData, block_s: float | None = None) -> np.ndarray:
    """One label per window naming its recording (``subject/session/run`` if not recorded),
    or its ``block_s``-second block of the recording when ``block_s`` is given."""
    meta = epochs.metadata
    if "recording" in meta:
        groups = meta["recording"].astype(str)
    else:
        groups = (meta["subject"].astype(str) + "/" + meta["session"].astype(str) + "/"
                  + meta["run"].astype(str))
    if block_s is not None:
        if not block_s > 0:
            raise BadInputError(f"block_s must be a positive number of seconds, got {block_s}.")
        groups = groups + "#" + (meta["onset"] // block_s).astype(int).astype(str)
    return groups.to_numpy()


def seizure_cv(epochs: EpochsData, n_splits: int = 5, *, shuffle: bool = True,
               seed: int = 0, block_s: float | None = None) -> list[Split]:
    """Within-patient k-fold, stratified by class, never splitting a recording (or, with
    ``block_s``, a block of ``block_s`` seconds of one, for one-recording patients) across
    folds. Windows that overlap across a block boundary can still share samples."""
    from sklearn.model_selection import StratifiedGroupKFold

    groups = recording_groups(epochs, block_s)
    n_groups = len(np.unique(groups))
    if n_groups < n_splits:
        raise BadInputError(
            f"{n_splits}-fold CV needs at least {n_splits} recordings, found {n_groups}: "
            "lower n_splits or pass block_s to split recordings into blocks."
        )
    cv = StratifiedGroupKFold(n_splits, shuffle=shuffle, random_state=seed if shuffle else None)
    return list(cv.split(np.zeros(len(groups)), epochs.y, groups))


def leave_patients_out(epochs: EpochsData, n_splits: int | None = None) -> list[Split]:
    """Patient-wise splits: leave one patient out (default) or ``n_splits`` patient groups."""
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

    patients = epochs.metadata["subject"].astype(str).to_numpy()
    n_patients = len(np.unique(patients))
    if n_patients < 2 or (n_splits is not None and n_splits > n_patients):
        raise BadInputError(
            f"Leave-patients-out needs at least {max(2, n_splits or 2)} patients, found "
            f"{n_patients}: load more subjects or use within-patient CV (seizure_cv)."
        )
    cv = LeaveOneGroupOut() if n_splits is None else GroupKFold(n_splits)
    return list(cv.split(np.zeros(len(patients)), epochs.y, patients))
