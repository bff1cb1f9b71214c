"""Small BNCI2014-001 / BNCI2014-004 ``.mat`` files in MOABB's exact download layout.

MOABB fetches ``https://lampx.tugraz.at/~bci/database/001-2014/A01T.mat`` (and ``A01E``;
``004-2014/B01T.mat``, ``B01E``) into ``<data dir>/MNE-bnci-data/~bci/database/...`` and
reads them with ``scipy.io.loadmat``: a ``data`` cell array with one struct per run, fields
``X`` (samples x channels, microvolts), ``trial`` (1-based sample of each trial start), ``y``
(class codes 1..K), ``fs``, ``classes`` (MATLAB cell of names), ``artifacts``, ``gender``,
``age``. Runs without trials (001's three EOG calibration runs) are skipped by MOABB.

The planted signal is a mu-band (9-11 Hz) rhythm at C3, Cz and C4 whose amplitude, during
the imagery window, depends on the class (event-related desynchronisation): left hand
suppresses C4, right hand C3, feet Cz, and tongue raises all three.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.io import savemat
from scipy.signal import butter, lfilter, sosfiltfilt

FS = 250
BNCI_DIR = Path("MNE-bnci-data") / "~bci" / "database"
CH_001 = ["Fz", "FC3", "FC1", "FCz", "FC2", "FC4", "C5", "C3", "C1", "Cz", "C2", "C4", "C6",
          "CP3", "CP1", "CPz", "CP2", "CP4", "P1", "Pz", "P2", "POz"]  # then 3 EOG
CLASSES = ["left hand", "right hand", "feet", "tongue"]  # MOABB renames them left_hand, ...
# Mu amplitude during imagery at (C3, Cz, C4), per class code 1..4.
GAINS = {1: (1.0, 1.0, 0.2), 2: (0.2, 1.0, 1.0), 3: (1.0, 0.2, 1.0), 4: (2.5, 2.5, 2.5)}
_MU = butter(4, [9, 11], btype="bandpass", fs=FS, output="sos")


def _mi_run(rng: np.random.Generator, eeg: list[str], n_trials: int, n_classes: int,
            trial_s: float, imagery: tuple[float, float]) -> dict:
    """One run: ``n_trials`` balanced, shuffled trials of ``trial_s`` seconds each."""
    y = rng.permutation(np.arange(n_trials) % n_classes + 1)
    step = int(trial_s * FS)
    n = (n_trials + 1) * step
    trial = (np.arange(n_trials) * step + FS).astype(np.int32) + 1  # 1-based, as MATLAB
    # Background: red noise on every channel (~10 uV), EOG channels included.
    x = lfilter([1.0], [1.0, -0.9], rng.normal(0, 4.0, (n, len(eeg) + 3)), axis=0)
    gain = np.ones((n, 3))
    a, b = int(imagery[0] * FS), int(imagery[1] * FS)
    for start, code in zip(trial - 1, y):
        gain[start + a:start + b] = GAINS[code]
    mu = sosfiltfilt(_MU, rng.normal(0, 60.0, (n, 3)), axis=0)  # ~10 uV rhythm
    x[:, [eeg.index(c) for c in ("C3", "Cz", "C4")]] += gain * mu
    return {"X": x, "trial": trial, "y": y.astype(np.uint8), "fs": FS,
            "classes": np.array(CLASSES[:n_classes], dtype=object),
            "artifacts": np.zeros(n_trials, dtype=np.uint8), "gender": "f", "age": 24}


def _rest_run(rng: np.random.Generator, n_chans: int, seconds: float) -> dict:
    """An EOG calibration run: signal only, no trials (empty ``trial``/``y``/``classes``)."""
    empty = np.zeros((0, 0))
    return {"X": rng.normal(0, 10.0, (int(seconds * FS), n_chans)), "trial": empty,
            "y": empty, "fs": FS, "classes": np.zeros((0, 0), dtype=object),
            "artifacts": empty, "gender": "f", "age": 24}


def _save(path: Path, runs: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cell = np.empty((1, len(runs)), dtype=object)  # a 1 x n MATLAB cell of structs
    for i, run in enumerate(runs):
        cell[0, i] = run
    savemat(path, {"data": cell}, oned_as="column")  # trial, y, artifacts: n x 1
    return path


def write_bnci2014001(root: Path, subjects: list[int], trials_per_run: int = 24,
                      runs: int = 2) -> list[Path]:
    """``A0sT.mat`` / ``A0sE.mat``: 3 EOG runs then ``runs`` 4-class runs (22 EEG + 3 EOG)."""
    out = []
    for s in subjects:
        for k, r in enumerate("TE"):
            rng = np.random.default_rng([1, s, k])
            mi = [_mi_run(rng, CH_001, trials_per_run, 4, 7.5, (2.0, 6.0)) for _ in range(runs)]
            rest = [_rest_run(rng, 25, 4.0) for _ in range(3)]
            out.append(_save(root / BNCI_DIR / "001-2014" / f"A{s:02d}{r}.mat", rest + mi))
    return out


def write_bnci2014004(root: Path, subjects: list[int], trials_per_run: int = 24) -> list[Path]:
    """``B0sT.mat`` (3 runs, sessions 0-2) / ``B0sE.mat`` (2 runs, sessions 3-4): C3 Cz C4 +
    3 EOG, left vs right hand."""
    out = []
    for s in subjects:
        for k, (r, n_runs) in enumerate((("T", 3), ("E", 2))):
            rng = np.random.default_rng([4, s, k])
            mi = [_mi_run(rng, ["C3", "Cz", "C4"], trials_per_run, 2, 8.5, (3.0, 7.5))
                  for _ in range(n_runs)]
            out.append(_save(root / BNCI_DIR / "004-2014" / f"B{s:02d}{r}.mat", mi))
    return out
