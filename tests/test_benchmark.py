"""`eegdec benchmark`: suite files and flags, bad input, end to end, SIGKILL and --resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED_DATA, requires_shared, requires_ssvepexo

from eegdec.cli import main
from eegdec.errors import BadInputError, EEGDecError, UnknownNameError
from eegdec.evaluation.benchmark import (
    cells,
    gather,
    load_suite,
    override,
    run_benchmark,
    suite_from_flags,
    total_folds,
)
from eegdec.evaluation.results import RunStore

ROOT = Path(__file__).resolve().parents[1]
SHARED_SUITE = ROOT / "benchmarks" / "shared_suite.yaml"


def _suite(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.yml"
    path.write_text(text)
    return path


def test_shared_suite_parses_into_its_cells():
    suite = load_suite(SHARED_SUITE)
    assert suite.data_dir == str(SHARED_DATA) and suite.seeds == [1]
    suite_cells = cells(suite)
    assert [c.name for c in suite_cells] == [
        "PhysionetMI-LeftRightImagery-within-cv", "PhysionetMI-LeftRightImagery-loso",
        "PhysionetMI-LeftRightImagery-online", "PhysionetMI-hands+feet-within-cv",
        "PhysionetMI-hands+feet-loso", "Kalunga2016-SSVEP-within-cv",
        "Kalunga2016-SSVEP-leave-one-session-out", "SimMI-2class-MI-within-cv",
        "SimMI-2class-MI-loso", "SimMI-4class-MI-within-cv", "SimMI-4class-MI-loso"]
    by_name = {c.name: c.config for c in suite_cells}
    ssvep = by_name["Kalunga2016-SSVEP-within-cv"]
    assert ssvep.models == [] and ssvep.pipelines == str(ROOT / "pipelines")
    assert ssvep.alignment == "none"  # classical SSVEP pipelines: the run's default
    assert by_name["PhysionetMI-hands+feet-loso"].subjects == [1, 4]
    assert by_name["SimMI-2class-MI-loso"].models == ["csp-lda", "ts-lr", "eegnet",
                                                      "dbconformer"]
    quick = override(suite, subjects=[1, 4], pipelines=["csp-lda", "ts-lr"], epochs=1)
    quick_cells = {c.name: c.config for c in cells(quick)}
    assert quick_cells["Kalunga2016-SSVEP-within-cv"].models == ["csp-lda", "ts-lr"]
    assert all(c.subjects == [1, 4] and c.epochs == 1 for c in quick_cells.values())


@pytest.mark.parametrize("text, error, message", [
    ("datasets: [SimMI-2class]\nprotocol: [loso]\n", BadInputError,
     "unknown key 'protocol'. Did you mean: protocols?"),
    ("datasets: [SimMI-3class]\n", UnknownNameError, "Unknown dataset 'SimMI-3class'"),
    ("datasets: [SimMI-2class]\npipelines: [eegnett]\n", UnknownNameError,
     "Did you mean: eegnet"),
    ("datasets: [SimMI-2class]\nprotocols: [lso]\n", UnknownNameError,
     "Unknown protocol 'lso'"),
    ("datasets:\n  - {dataset: SimMI-2class, subject: [1]}\n", BadInputError,
     "datasets[0]: unknown key 'subject'"),
    ("datasets:\n  - {dataset: SimMI-2class, subjects: [99]}\n", BadInputError,
     "datasets[0] (SimMI-2class, within-cv)"),
    ("datasets: [SimMI-2class]\noptions: {n_fold: 3}\n", BadInputError,
     "options: unknown key 'n_fold'"),
    ("datasets: [SimMI-2class]\npipelines: [a.yml, b.yml]\n", BadInputError,
     "in one folder"),
    ("datasets: [SimMI-2class\n", BadInputError, "line 2 is not valid YAML"),
    ("name: x\n", BadInputError, "a 'datasets' list"),
])
def test_bad_suites_fail_with_one_line(tmp_path, text, error, message):
    with pytest.raises(error) as info:
        load_suite(_suite(tmp_path, text))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_bad_command_lines_exit_2(tmp_path, capsys):
    cases = [
        ([str(tmp_path / "missing.yaml")], "does not exist"),
        (["--datasets", "SimMI-2class", "--pipelines", "nope"], "Unknown model 'nope'"),
        ([], "pass SUITE.yaml or --datasets"),
    ]
    for argv, message in cases:
        assert main(["benchmark", *argv, "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and message in err and "\n" not in err
    assert not (tmp_path / "o").exists()


def test_flags_run_gather_and_refuse_to_mix(tmp_path):
    suite = suite_from_flags(["SimMI-2class", "SimMI-4class"], pipelines=["csp-lda"],
                             protocols=["within-co"], subjects=[1, 2])
    out = tmp_path / "bench"
    table = run_benchmark(suite, out)
    assert list(table["cell"].unique()) == ["SimMI-2class-MI-within-co",
                                            "SimMI-4class-MI-within-co"]
    assert len(table) == 8 and (table["score"] == table["accuracy"]).all()
    assert (table["pipeline"] == "csp-lda").all()
    assert not table.duplicated(["cell", "fold_id"]).any()  # the key across cells
    assert (table.groupby("dataset")["score"].mean() > table.groupby("dataset")[
        "chance_level"].mean() + 0.2).all()  # the simulated sets carry signal
    for cell in table["cell"].unique():
        store = RunStore(out / cell)
        assert store.read_fingerprints() and store.audit_path.exists()
    timings = pd.read_csv(out / "timings.csv")
    assert list(timings["folds_run"]) == [4, 4] and (timings["wall_seconds"] > 0).all()
    with pytest.raises(BadInputError, match="already holds this benchmark: pass --resume"):
        run_benchmark(suite, out)
    other = suite_from_flags(["SimMI-2class"], pipelines=["ts-lr"], protocols=["within-co"])
    with pytest.raises(BadInputError, match="holds another suite"):
        run_benchmark(other, out, resume=True)
    assert len(run_benchmark(suite, out, resume=True)) == 8  # nothing left: no duplicate


def test_command_ends_with_statistics_and_report(tmp_path, capsys):
    out = tmp_path / "b"
    argv = ["benchmark", "--datasets", "SimMI-2class", "SimMI-4class", "--pipelines", "csp-lda",
            "ts-lr", "--protocols", "within-co", "--subjects", "1", "2", "3", "--out", str(out),
            "--figures", str(tmp_path / "png"), "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    pairs = pd.read_csv(out / "statistics" / "pairs.csv")
    assert len(pairs) == 4  # per dataset, the pair of pipelines in both directions (MOABB's)
    assert pairs["p"].between(0, 1).all() and (pairs["nsub"] == 3).all()
    meta = pd.read_csv(out / "statistics" / "meta.csv")
    assert len(meta) == 2 and meta["p"].between(0, 1).all()
    scores = pd.read_csv(out / "statistics" / "scores.csv")
    assert set(scores["pipeline"]) == {"csp-lda", "ts-lr"}
    assert "## Statistics" in (out / "summary.md").read_text() and "## Statistics" in printed
    html = (out / "benchmark_report.html").read_text()
    assert "report: " in printed and html.count("<img") >= 2
    pngs = sorted(p.name for p in (tmp_path / "png").iterdir())  # no online protocol: no curve
    assert pngs == ["benchmark_meta.png", "benchmark_paired.png", "benchmark_scores.png"]
    assert all((tmp_path / "png" / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in pngs)


@requires_shared
@requires_ssvepexo
def test_reduced_shared_suite_end_to_end(tmp_path, capsys):
    out = tmp_path / "shared"
    argv = ["benchmark", str(SHARED_SUITE), "--subjects", "1", "4", "--pipelines", "csp-lda",
            "--protocols", "within-co", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    table = gather(out)
    assert list(table["cell"].unique()) == [  # the suite's order
        "PhysionetMI-LeftRightImagery-within-co", "PhysionetMI-hands+feet-within-co",
        "Kalunga2016-SSVEP-within-co", "SimMI-2class-MI-within-co", "SimMI-4class-MI-within-co"]
    assert table["fold_id"].groupby(table["cell"]).apply(
        lambda s: s.is_unique).all()
    # within-co: one fold per subject and session (SSVEPExo: 2 sessions each).
    assert table.groupby("dataset").size().to_dict() == {
        "PhysionetMI": 4, "Kalunga2016": 4, "SimMI-2class": 4, "SimMI-4class": 4}
    assert set(table["target_data_seen"].str.endswith("labelled")) == {True}
    assert "no leak" in printed and "Ran with: eegdec" in printed
    assert pd.read_csv(out / "results.csv")["fold_id"].size == len(table)


def _wait_rows(path: Path, proc: subprocess.Popen, at_least: int, timeout: float = 180) -> None:
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        if path.exists() and len(path.read_text().splitlines()) - 1 >= at_least:
            return
        time.sleep(0.02)
    raise AssertionError(f"benchmark ended or stalled before {at_least} rows: {proc.poll()}")


def test_sigkill_then_resume_loses_and_duplicates_no_fold(tmp_path):
    argv = ["--datasets", "SimMI-2class", "--subjects", "1", "2", "--pipelines", "csp-lda",
            "--protocols", "within-cv", "loso"]
    out = tmp_path / "killed"
    planned = total_folds(cells(suite_from_flags(
        ["SimMI-2class"], pipelines=["csp-lda"], protocols=["within-cv", "loso"],
        subjects=[1, 2])), out)
    assert planned == 2 * 2 * 5 + 2 * 2  # subjects x sessions (x folds)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "eegdec.cli", "benchmark", *argv, "--out",
                             str(out)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait_rows(out / "SimMI-2class-MI-within-cv" / "results.csv", proc, 3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = gather(out)
    assert 3 <= len(killed) < planned and killed["fold_id"].is_unique
    assert main(["benchmark", *argv, "--out", str(out), "--quiet"]) == 2  # needs --resume
    assert main(["benchmark", *argv, "--out", str(out), "--resume", "--quiet"]) == 0
    resumed = gather(out)
    assert len(resumed) == planned
    assert not resumed.duplicated(["cell", "fold_id"]).any()
    assert set(killed["fold_id"]) <= set(resumed["fold_id"])
    loso = resumed[resumed["protocol"] == "loso"]
    assert set(loso["fold_id"]) == {f"csp-lda__{s}__{se}__0__1" for s in (1, 2)
                                    for se in (0, 1)}


def test_errors_name_the_entry():
    with pytest.raises(EEGDecError, match=r"datasets\[0\] \(SimMI-2class, loso\): .*at least 2"):
        run_benchmark(suite_from_flags(["SimMI-2class"], protocols=["loso"], subjects=[1]),
                      "/nonexistent/never-written")
