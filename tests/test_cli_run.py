"""`eegdec run` end to end on the simulated dataset: rows, artefacts, resume, real kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eegdec.cli import build_parser, main
from eegdec.evaluation.results import COLUMNS

SIM = ["--dataset", "SimMI-2class", "--quiet"]


def _rows(run: Path) -> pd.DataFrame:
    return pd.read_csv(run / "results.csv")


def test_help_documents_every_option_with_an_example():
    parser = build_parser()
    run = parser._subparsers._group_actions[0].choices["run"]
    opts = [a for a in run._actions if a.option_strings and a.dest != "help"]
    assert len(opts) >= 25
    missing = [a.option_strings[0] for a in opts if "Example:" not in (a.help or "")]
    assert not missing, f"options without an example: {missing}"


def test_within_co_run_writes_rows_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["run", *SIM, "--subjects", "1", "--protocol", "within-co", "--model", "csp-lda",
            "--model", "ts-lr", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "left_hand vs right_hand" in printed and "csp-lda" in printed
    rows = _rows(out)
    assert list(rows.columns) == list(COLUMNS)
    assert sorted(rows["fold_id"]) == sorted(
        f"{m}__1__{s}__0__1" for m in ("csp-lda", "ts-lr") for s in ("0", "1"))
    assert (rows["n_train"] == 64).all() and (rows["n_test"] == 16).all()
    assert rows["accuracy"].mean() > 0.7  # simulated ERD is decodable
    assert (rows["chance_level"] == 0.5).all() and rows["config_hash"].nunique() == 1
    pred = np.load(out / "predictions" / "ts-lr__1__0__0__1.npz")
    assert set(pred.files) >= {"y_true", "y_pred", "proba", "trial_index", "subject", "classes"}
    assert pred["proba"].shape == (16, 2)
    for name in ("config.yaml", "summary.csv", "summary.md", "logs/run.log"):
        assert (out / name).exists()
    before = (out / "results.csv").read_bytes()
    assert main(argv) == 0  # same command again: every fold is done, nothing refitted
    assert (out / "results.csv").read_bytes() == before
    assert "4 folds already done" in (out / "logs" / "run.log").read_text()


def test_torch_model_run_saves_curves_and_attention(tmp_path):
    out = tmp_path / "run"
    assert main(["run", *SIM, "--subjects", "1", "--protocol", "within-co", "--model",
                 "dbconformer", "--epochs", "1", "--batch-size", "64", "--device", "cpu",
                 "--save-checkpoints", "--report", "--out", str(out)]) == 0
    assert (out / "report.html").stat().st_size > 10_000
    fid = "dbconformer__1__0__0__1"
    curve = pd.read_csv(out / "curves" / f"{fid}.csv")
    assert {"epoch", "train_loss"} <= set(curve.columns) and len(curve) == 1
    att = np.load(out / "attention" / f"{fid}.npz")
    for key in ("channel_attention", "relevance"):  # DBConformer keeps both maps
        assert att[key].shape == (16, 22)
        np.testing.assert_allclose(att[key].sum(1), 1, rtol=1e-4)
    assert not np.allclose(att["channel_attention"], att["relevance"])
    assert list(att["ch_names"])[:2] == ["Fz", "FC3"]
    import torch

    ckpt = torch.load(out / "checkpoints" / f"{fid}.pt", weights_only=False)
    from eegdec.models.registry import create_model

    net = create_model(ckpt["model"], **ckpt["build"])
    net.load_state_dict(ckpt["state_dict"])


def test_online_and_loso_rows(tmp_path):
    out = tmp_path / "online"
    assert main(["run", *SIM, "--subjects", "1", "2", "--protocol", "online", "--model",
                 "ts-lr", "--calib-sizes", "0", "8", "16", "200", "--out", str(out)]) == 0
    rows = _rows(out)
    assert sorted(rows["n_calib"].unique()) == [0, 8, 16]  # 200 > half the session: dropped
    assert len(rows) == 2 * 3 and (rows["session"] == 1).all()
    assert (rows["n_test"] == 80 - 16).all()  # same test set for every N
    assert (rows.groupby("subject")["n_train"].apply(lambda s: sorted(s.diff().dropna()))
            .map(lambda d: d == [8, 8]).all())
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(summary["n_calib"]) == [0, 8, 16]
    assert "| N |" in (out / "summary.md").read_text()
    out = tmp_path / "loso"
    assert main(["run", *SIM, "--subjects", "1", "2", "--protocol", "loso", "--model",
                 "csp-lda", "--alignment", "none", "--out", str(out)]) == 0
    rows = _rows(out)
    assert sorted(rows["fold_id"]) == [f"csp-lda__{s}__{k}__0__1" for s in (1, 2)
                                       for k in (0, 1)]
    assert (rows["n_train"] == 160).all() and (rows["alignment"] == "none").all()


@pytest.mark.parametrize("backend, package", [("loky", "joblib"), ("dask", "distributed"),
                                              ("ray", "ray")])
def test_parallel_folds_match_sequential(tmp_path, backend, package):
    # dask.distributed is a dev dependency; ray (extra `ray`) is tested where installed.
    # Both start a local cluster here; DASK_SCHEDULER_ADDRESS / RAY_ADDRESS join a real one.
    pytest.importorskip(package, reason=f"{package} is missing: pip install -e '.[{backend}]'")
    argv = ["run", *SIM, "--subjects", "1", "--protocol", "within-cv", "--n-folds", "3",
            "--model", "csp-lda"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert main([*argv, "--out", str(tmp_path / "b"), "--n-jobs", "2", "--backend", backend]) == 0
    a = _rows(tmp_path / "a").set_index("fold_id").sort_index()
    b = _rows(tmp_path / "b").set_index("fold_id").sort_index()
    assert list(a.index) == list(b.index) and len(a) == 6
    np.testing.assert_allclose(a["accuracy"], b["accuracy"])


@pytest.mark.parametrize("argv, message", [
    (["--model", "eegnett"], "Did you mean: eegnet"),
    (["--model", "csp-lda", "--subjects", "99"], "valid subjects"),
    (["--model", "csp-lda", "--resume", "/nonexistent/run"], "no config.yaml"),
    (["--model", "csp-lda", "--protocol", "online", "--calib-sizes", "500"], "--calib-sizes"),
    (["--model", "csp-lda", "--epochs", "0"], "--epochs"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, message):
    subjects = [] if "--subjects" in argv else ["--subjects", "1", "2"]
    assert main(["run", *SIM, *subjects, *argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and "\n" not in err


def _spawn(argv: list[str]) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "eegdec.cli", "run", *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_rows(path: Path, proc: subprocess.Popen, at_least: int, timeout: float = 120) -> None:
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        if path.exists() and len(path.read_text().splitlines()) - 1 >= at_least:
            return
        time.sleep(0.02)
    raise AssertionError(f"run ended or stalled before {at_least} rows: {proc.poll()}")


def test_sigkill_and_sigint_lose_at_most_the_running_fold(tmp_path):
    argv = [*SIM, "--subjects", "1", "--protocol", "within-cv", "--model", "csp-lda",
            "--model", "ts-lr"]
    run = tmp_path / "killed"
    results = run / "results.csv"
    proc = _spawn([*argv, "--out", str(run)])
    _wait_rows(results, proc, 3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after_kill = _rows(run)  # parses: no torn row
    assert 3 <= len(after_kill) < 20 and after_kill["fold_id"].is_unique
    proc = _spawn([*argv, "--out", str(run)])  # same command resumes
    _wait_rows(results, proc, len(after_kill) + 2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and f"resume with: eegdec run --resume {run}" in err
    after_int = _rows(run)
    assert set(after_kill["fold_id"]) < set(after_int["fold_id"])
    assert main(["run", "--resume", str(run), "--quiet"]) == 0
    resumed = _rows(run)
    clean = tmp_path / "clean"
    assert main(["run", *argv, "--out", str(clean)]) == 0
    clean_rows = _rows(clean)
    assert resumed["fold_id"].is_unique and len(resumed) == len(clean_rows) == 20
    assert set(resumed["fold_id"]) == set(clean_rows["fold_id"])
    merged = resumed.merge(clean_rows, on="fold_id", suffixes=("", "_clean"))
    np.testing.assert_allclose(merged["accuracy"], merged["accuracy_clean"])


def test_moabb_schema_pipelines_dir(tmp_path):
    pipes = tmp_path / "pipelines"
    pipes.mkdir()
    (pipes / "tslr.yml").write_text(
        "name: TS-LR-yaml\nparadigms: [LeftRightImagery]\npipeline:\n"
        "  - {name: Covariances, from: pyriemann.estimation, parameters: {estimator: oas}}\n"
        "  - {name: TangentSpace, from: pyriemann.tangentspace}\n"
        "  - {name: LogisticRegression, from: sklearn.linear_model}\n")
    (pipes / "ssvep.yml").write_text(
        "name: other\nparadigms: [SSVEP]\npipeline:\n"
        "  - {name: LogisticRegression, from: sklearn.linear_model}\n")
    out = tmp_path / "run"
    assert main(["run", *SIM, "--paradigm", "LR", "--subjects", "1", "--protocol",
                 "within-co", "--pipelines", str(pipes), "--out", str(out)]) == 0
    rows = _rows(out)
    assert set(rows["model"]) == {"TS-LR-yaml"} and rows["accuracy"].mean() > 0.7



@pytest.mark.parametrize("out", ["/proc/eegdec-run", "/etc/passwd/run"])
def test_unusable_out_is_one_line(out, capsys):
    assert main(["run", *SIM, "--subjects", "1", "--model", "csp-lda", "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Cannot write the run directory") and "--out" in err
    assert "\n" not in err and "Traceback" not in err


def test_failure_before_the_first_fold_leaves_no_run_directory(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EEGDEC_CACHE", str(tmp_path / "cache"))  # a cold cache: files are read
    out = tmp_path / "run"
    argv = ["run", "--dataset", "PhysionetMI", "--data-dir", str(tmp_path / "empty"),
            "--subjects", "1", "--model", "csp-lda", "--out", str(out)]
    assert main(argv) == 2
    assert "error:" in capsys.readouterr().err and not out.exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("keep me")
    assert main([*argv[:-1], str(existing)]) == 2
    assert (existing / "notes.txt").read_text() == "keep me"  # a folder that existed stays
