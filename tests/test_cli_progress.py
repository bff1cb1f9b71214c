"""What `eegdec run` prints while it works: a bar with total and ETA on a terminal, one plain
line per fold elsewhere, readable fold labels, a 100-column summary, Ctrl-C that says how to
resume."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pandas as pd

from eegdec.cli import main

SIM = ["--dataset", "SimMI-2class", "--subjects", "1", "--protocol", "within-co"]


def _cli(*argv: str) -> list[str]:
    return [sys.executable, "-m", "eegdec.cli", *argv]


def test_plain_lines_with_count_total_and_eta_when_not_a_terminal(tmp_path, capsys):
    assert main(["run", *SIM, "--model", "csp-lda", "--model", "ts-lr",
                 "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"eegdec run: 4 folds to run, results in {tmp_path / 'run'}"
    folds = [line for line in err if line.startswith("[")]
    assert [f[: f.index("]") + 1] for f in folds] == ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]
    assert re.fullmatch(r"\[1/4\] csp-lda, subject 1, session 0, fold 0, seed 1: accuracy "
                        r"\d\.\d{3} \(\d+ s elapsed, ETA \d+ s\)", folds[0])
    assert "loading SimMI-2class subject 1" in err
    assert all(len(line) <= 100 for line in folds)


def test_summary_fits_100_columns(tmp_path, capsys):
    assert main(["run", *SIM, "--model", "csp-lda", "--model", "fbcsp-svm", "--quiet",
                 "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "SimMI-2class, within-co: left_hand vs right_hand (chance 0.50)"
    assert out[1].strip().startswith("filter: zero-phase")  # which filter ran
    assert out[2].split() == ["model", "alignment", "accuracy", "kappa", "n"]
    assert all(len(line) <= 100 for line in out)
    wide = (tmp_path / "run" / "summary.md").read_text()  # the full table stays on disk
    assert "balanced_accuracy" in wide


def test_datasets_listing_wraps_within_100_columns(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 100 for line in out)
    assert "    classes: rest, left_hand, right_hand, hands, feet" in out  # PhysionetMI, whole


def test_nothing_but_the_error_before_an_argument_error(tmp_path, capsys):
    assert main(["run", *SIM, "--model", "eegnett", "--out", str(tmp_path / "run")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: Unknown model")


def _read_pty(fd: int, proc: subprocess.Popen, timeout: float) -> str:
    chunks, end = [], time.time() + timeout
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            chunks.append(data.decode(errors="replace"))
        elif proc.poll() is not None:
            break
    return "".join(chunks)


def test_a_terminal_gets_a_bar_with_total_eta_and_epochs(tmp_path):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))  # 40 x 100
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(_cli("run", *SIM, "--model", "eegnet", "--epochs", "3",
                                 "--out", str(tmp_path / "run")),
                            stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    screen = _read_pty(master, proc, 180)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    assert re.search(r"folds: +\d+%.*\| 2/2 \[", screen)  # total known, then reached
    assert "epoch 3/3, loss" in screen and "<" in screen  # epochs inside a fold; an ETA
    assert "eegnet, subject 1, session 1, fold 0, seed 1: accuracy" in screen


def test_ctrl_c_during_training_says_how_to_resume(tmp_path):
    # Resuming after Ctrl-C: tests/test_cli_run.py::test_sigkill_and_sigint_lose_at_most_...
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(_cli("run", *SIM, "--model", "csp-lda", "--model", "eegnet",
                                 "--epochs", "2000", "--out", str(out)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    results = out / "results.csv"
    end = time.time() + 120
    while time.time() < end and not (results.exists()
                                     and len(results.read_text().splitlines()) == 3):
        time.sleep(0.1)
    time.sleep(3)  # eegnet is training (Lightning alone would turn Ctrl-C into exit 1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == (
        f"interrupted: 2 finished folds are saved in {out}; resume with: "
        f"eegdec run --resume {out}")
    assert sorted(pd.read_csv(results)["model"]) == ["csp-lda", "csp-lda"]


def test_ctrl_c_before_the_first_fold_leaves_nothing(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(_cli("run", *SIM, "--model", "eegnet", "--epochs", "500",
                                 "--out", str(out)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    end = time.time() + 120
    while time.time() < end and not (out / "config.yaml").exists():
        time.sleep(0.1)
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == ("interrupted before the first fold finished: "
                                            "nothing was saved.")
    assert not Path(out).exists()


def test_dependency_warnings_go_to_the_log_not_the_console(tmp_path):
    out = tmp_path / "run"
    argv = _cli("run", *SIM, "--model", "eegnet", "--epochs", "1", "--out", str(out))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    quiet = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert quiet.returncode == 0
    assert "Warning" not in quiet.stdout + quiet.stderr
    log = (out / "logs" / "run.log").read_text()
    assert "warning: FutureWarning: Montage name 'standard_1020'" in log  # braindecode's
    loud = subprocess.run([*argv[:-2], "--out", str(tmp_path / "loud"), "--verbose"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert loud.returncode == 0 and "FutureWarning: Montage name" in loud.stderr
