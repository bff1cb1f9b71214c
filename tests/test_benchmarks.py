"""The speed benchmarks still run end to end (tiny settings; the timings themselves are not
asserted: speed targets are measured by the scripts, never by unit tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.fixture(autouse=True)
def _docs_untouched(monkeypatch, tmp_path):
    import bench_training_speed

    monkeypatch.setattr(bench_training_speed, "DOC", tmp_path / "benchmarks.md")


def test_training_speed_benchmark_runs_all_three_trainers(tmp_path):
    import bench_training_speed

    best = bench_training_speed.main(["--n-trials", "32", "--n-chans", "3", "--n-times", "250",
                                      "--epochs", "1", "--repeats", "1", "--write"])
    assert len(best) == 4 and all(t > 0 for t in best.values())
    text = (tmp_path / "benchmarks.md").read_text()
    assert "## Training speed" in text and "braindecode EEGClassifier (defaults)" in text


def test_memory_format_benchmark_writes_its_section(tmp_path, capsys):
    import bench_memory_format

    bench_memory_format.main(["--models", "eegnet", "--n-trials", "32", "--repeats", "1",
                              "--write"])
    assert "| eegnet |" in capsys.readouterr().out
    assert "## Memory format" in (tmp_path / "benchmarks.md").read_text()
