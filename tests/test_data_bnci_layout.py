"""BNCI2014001 / BNCI2014004 end to end on synthetic files in MOABB's exact `.mat` layout.

The real files cannot be fetched offline; ``bnci_files`` writes small ones with the same
path under the data directory and the same ``data`` cell of run structs, read by MOABB's own
``BNCI2014_001`` / ``BNCI2014_004`` classes (``_convert_mi``). Each test gets its own epoch
cache so every load goes through MOABB's reader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bnci_files import BNCI_DIR, CH_001, write_bnci2014001, write_bnci2014004
from scipy.io import loadmat

from eegdec import load_epochs
from eegdec.cli import main

SUBJECTS = [1, 2]
CASES = {  # dataset: (classes, channels, sessions, trials per session, samples per trial)
    "BNCI2014001": (["left_hand", "right_hand", "feet", "tongue"], CH_001,
                    ["0train", "1test"], 48, 1001),
    "BNCI2014004": (["left_hand", "right_hand"], ["C3", "Cz", "C4"],
                    ["0train", "1train", "2train", "3test", "4test"], 24, 1126),
}


@pytest.fixture(scope="module")
def bnci_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mne_data")
    write_bnci2014001(root, SUBJECTS)
    write_bnci2014004(root, SUBJECTS)
    return root


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EEGDEC_CACHE", str(tmp_path / "cache"))


def _written_labels(root: Path, dataset: str, subject: int) -> list[np.ndarray]:
    """Class codes (1-based) per session, in MOABB's session order, as stored in the files."""
    folder, prefix = ("001-2014", "A") if dataset == "BNCI2014001" else ("004-2014", "B")
    files = [[np.atleast_1d(run.y) for run in loadmat(
        root / BNCI_DIR / folder / f"{prefix}{subject:02d}{r}.mat",
        struct_as_record=False, squeeze_me=True)["data"] if np.size(run.trial)] for r in "TE"]
    if dataset == "BNCI2014001":  # a session per file
        return [np.concatenate(runs) for runs in files]
    return [y for runs in files for y in runs]  # a session per run


@pytest.mark.parametrize("dataset", CASES)
def test_python_api_reads_moabb_layout(bnci_root: Path, dataset: str) -> None:
    classes, channels, sessions, n_per_session, n_times = CASES[dataset]
    ep = load_epochs(dataset, SUBJECTS, data_dir=bnci_root)
    assert ep.classes == classes and ep.ch_names == channels
    assert ep.sfreq == 250 and ep.n_times == n_times
    assert ep.n_trials == len(SUBJECTS) * len(sessions) * n_per_session
    meta = ep.metadata
    for subject in SUBJECTS:
        mine = meta["subject"] == subject
        assert sorted(meta.loc[mine, "session"].unique()) == sessions
        assert (meta[mine].groupby("session").size() == n_per_session).all()
    # Labels: session by session, in recording order, exactly the codes written in the files.
    for subject in SUBJECTS:
        mine = (meta["subject"] == subject).to_numpy()
        got = [ep.y[mine & (meta["session"] == s).to_numpy()] + 1 for s in sessions]
        written = _written_labels(bnci_root, dataset, subject)
        assert len(got) == len(written)
        for g, w in zip(got, written):
            np.testing.assert_array_equal(g, w)
    # The planted mu suppression sits on the channel contralateral to the imagined hand.
    power = np.log((ep.X ** 2).mean(axis=2))
    c3, c4 = channels.index("C3"), channels.index("C4")
    lateral = power[:, c4] - power[:, c3]
    assert lateral[ep.y == 0].mean() < lateral[ep.y == 1].mean() - 1.0


@pytest.mark.parametrize(("dataset", "paradigm"), [("BNCI2014001", "MI"),
                                                   ("BNCI2014004", "LR")])
def test_headline_command_on_moabb_layout(bnci_root: Path, tmp_path: Path, capsys,
                                          dataset: str, paradigm: str) -> None:
    classes, _, sessions, n_per_session, _ = CASES[dataset]
    out = tmp_path / "run"
    argv = ["run", "--paradigm", paradigm, "--dataset", dataset, "--data-dir", str(bnci_root),
            "--subjects", *map(str, SUBJECTS), "--model", "csp-lda", "--out", str(out),
            "--quiet"]
    assert main(argv) == 0, capsys.readouterr().err
    rows = pd.read_csv(out / "results.csv")
    assert len(rows) == len(SUBJECTS) * len(sessions) * 5  # within-cv, 5 folds per session
    assert sorted(rows["subject"].unique()) == SUBJECTS
    assert sorted(rows["session"].unique()) == sessions
    assert (rows["classes"] == " vs ".join(classes)).all()
    assert (rows["n_classes"] == len(classes)).all()
    assert ((rows["n_train"] + rows["n_test"]) == n_per_session).all()
    chance = 1 / len(classes)
    assert rows["accuracy"].mean() > chance + 0.45, rows["accuracy"].describe()
    assert (rows.groupby(["subject", "session"])["accuracy"].mean() > chance + 0.3).all()


def test_deep_model_runs_on_moabb_layout(bnci_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    argv = ["run", "--paradigm", "LR", "--dataset", "BNCI2014004", "--data-dir",
            str(bnci_root), "--subjects", "1", "--protocol", "within-co", "--model", "eegnet",
            "--epochs", "2", "--device", "cpu", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    rows = pd.read_csv(out / "results.csv")
    assert sorted(rows["session"]) == CASES["BNCI2014004"][2]
    assert rows["accuracy"].between(0, 1).all() and (rows["n_test"] > 0).all()
