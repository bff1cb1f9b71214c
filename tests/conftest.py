"""Shared test fixtures: real data location, isolated cache, quiet deterministic torch."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pandas as pd

# Resolved: ../shared may be a folder or a symlink, and eegdec names files by resolved paths.
SHARED_DATA = (Path(__file__).resolve().parents[2] / "shared" / "data").resolve()
PHYSIONET_DIR = SHARED_DATA / "MNE-eegbci-data" / "files" / "eegmmidb" / "1.0.0"
BONN_DIR = SHARED_DATA / "bonn"
CORRUPT_EDF = SHARED_DATA / "bad" / "S001R02_crlf_corrupted.edf"
SSVEPEXO_DIR = SHARED_DATA / "ssvepexo"

# A shell that starts a job in the background without job control makes it ignore SIGINT, and
# an ignored signal stays ignored across exec: the Ctrl-C tests' subprocesses would never see
# it. A handled signal is reset to the default on exec, so every child gets Ctrl-C back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

requires_shared = pytest.mark.skipif(
    not PHYSIONET_DIR.exists(),
    reason=f"real EEG not found at {SHARED_DATA} (expected ../shared/data beside the checkout)",
)
requires_ssvepexo = pytest.mark.skipif(
    not SSVEPEXO_DIR.exists(), reason=f"SSVEP Exoskeleton data not found at {SSVEPEXO_DIR}"
)
requires_bonn = pytest.mark.skipif(
    not BONN_DIR.exists(), reason=f"Bonn seizure data not found at {BONN_DIR}"
)


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Offline MOABB, a fresh epoch cache per test session, two torch threads."""
    os.environ["MOABB_DOWNLOAD_PROVIDER"] = "upstream"
    os.environ["EEGDEC_CACHE"] = str(tmp_path_factory.mktemp("eegdec_cache"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        import torch

        torch.set_num_threads(2)
    except ImportError:  # pragma: no cover
        pass


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; skips the test when absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"real EEG not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one torch thread (two thrash on a shared 2-core machine)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_benchmark_table(seed: int = 0) -> pd.DataFrame:
    """Per-fold rows (results.py columns) of a fabricated benchmark with known differences.

    Datasets SimA (10 subjects) and SimB (24 subjects), two folds of 20 two-class test trials
    per subject; pipelines ``good`` (subject base + 0.10), ``mid`` (base + 0.02) and ``bad``
    (base), within-cv; SimA also has an online protocol at N = 0, 8, 16 calibration trials
    (accuracy rising with N).
    """
    import numpy as np
    import pandas as pd

    from eegdec.evaluation.results import COLUMNS, fold_id

    rng = np.random.default_rng(seed)
    rows = []
    for dataset, n_sub in (("SimA", 10), ("SimB", 24)):
        for subject in range(1, n_sub + 1):
            base = rng.uniform(0.55, 0.75)
            for model, gap in (("good", 0.10), ("mid", 0.02), ("bad", 0.0)):
                for protocol, calib in (("within-cv", (None,)), ("online", (0, 8, 16))):
                    if protocol == "online" and dataset != "SimA":
                        continue
                    for n in calib:
                        for fold in range(2):
                            acc = base + gap + (0 if n is None else n / 100 - 0.1)
                            acc = float(np.clip(acc + rng.normal(0, 0.02), 0, 1))
                            row = dict.fromkeys(COLUMNS, np.nan)
                            row.update(
                                fold_id=fold_id(model, subject, "0", fold, 1, n),
                                dataset=dataset, paradigm="LR", protocol=protocol,
                                model=model, subject=str(subject), session="0", fold=fold,
                                seed=1, alignment="none", n_calib=n, n_train=80, n_test=20,
                                n_classes=2, classes="left_hand vs right_hand", chance_level=0.5,
                                accuracy=acc, balanced_accuracy=acc, kappa=2 * acc - 1,
                                fit_seconds=1.0, predict_seconds=0.1, eegdec_version="0",
                                config_hash="abc123")
                            rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


@pytest.fixture
def benchmark_table() -> pd.DataFrame:
    """A fabricated benchmark results table (see :func:`make_benchmark_table`)."""
    return make_benchmark_table()
