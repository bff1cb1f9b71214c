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


def test_backbone_benchmark_table_from_finished_folds(tmp_path, monkeypatch):
    """bench_backbones.py --table-only: accuracy per protocol (with missing folds marked),
    parameter count and latency, written between the markers of docs/backbones.md."""
    import bench_backbones
    import numpy as np
    import pandas as pd
    from doc_markers import markers

    from eegdec.evaluation.results import COLUMNS, RunStore, fold_id

    docs = tmp_path / "backbones.md"
    start, end = markers(bench_backbones.BLOCK)
    docs.write_text(f"# x\n\n{start}\nplaceholder\n{end}\nend\n")
    monkeypatch.setattr(bench_backbones, "DOCS", docs)
    out = tmp_path / "bench"
    for key, accs in (("physionet-within", [0.6, 0.8, 0.7, 0.7, 0.7]), ("ssvep-within", [0.5])):
        rows = []
        for fold, acc in enumerate(accs):
            row = dict.fromkeys(COLUMNS, np.nan)
            row.update(fold_id=fold_id("convit", "1", "0", fold, 1, None), dataset="d",
                       paradigm="LR", protocol="within-cv", model="convit", subject="1",
                       session="0", fold=fold, seed=1, alignment="none", n_train=36, n_test=9,
                       n_classes=2, classes="a|b", chance_level=0.5, accuracy=acc,
                       balanced_accuracy=acc, kappa=0.1, fit_seconds=1.0, predict_seconds=0.1,
                       eegdec_version="0", config_hash="abc")
            rows.append(row)
        RunStore(out / key).append_rows(rows)
    pd.DataFrame({"latency_ms": {"convit": 1.234}, "device": "NVIDIA H200"}).to_csv(
        out / "latency.csv")
    text = bench_backbones.main(["--table-only", "--write", "--families", "convit",
                                 "--variants", "tiny", "--out", str(out)])
    row = next(line for line in text.splitlines() if line.startswith("| `convit`"))
    assert row.split("|")[2:] == [" 172,831 ", " 0.70 ± 0.07 ", "  ", " 0.50 (1/17 folds) ",
                                  " 1.23 ", ""]
    assert "median ms on NVIDIA H200" in text and "10 epochs" in text
    assert "| model | params | PhysionetMI S1 within | PhysionetMI S1-14 LOSO |" in text
    written = docs.read_text()
    assert "placeholder" not in written and row in written and written.endswith("end\n")
    text = bench_backbones.main(["--table-only", "--families", "convit", "--variants", "tiny",
                                 "--out", str(out), "--epochs", "20", "--loso-epochs", "3"])
    assert "20 epochs within subject/session and 3 in LOSO" in text


def test_online_latency_benchmark_writes_its_section(tmp_path, capsys):
    """bench_online.py: PyTorch, ONNX Runtime and Decoder.push timed per model, with targets."""
    import bench_online

    rows = bench_online.main(["--models", "eegnet", "--runs", "5", "--warmup", "1", "--write"])
    assert [r["model"] for r in rows] == ["eegnet"]
    assert all(rows[0][k]["wall"][0] > 0 for k in ("torch", "ort", "e2e"))
    assert "| eegnet |" in capsys.readouterr().out
    text = (tmp_path / "benchmarks.md").read_text()
    assert "## Online decoding latency (#13)" in text and "(p50 <= 10)" in text


def test_doc_blocks_are_replaced_in_place_and_a_missing_block_is_named(tmp_path):
    from doc_markers import markers, replace_block

    doc = tmp_path / "doc.md"
    start, end = markers("table")
    doc.write_text(f"# Title\n\n{start}\nold\n{end}\n\nafter\n")
    replace_block(doc, "table", "new | row")
    assert doc.read_text() == f"# Title\n\n{start}\nnew | row\n{end}\n\nafter\n"
    with pytest.raises(SystemExit, match=r"lacks the markers <!-- other:start -->"):
        replace_block(doc, "other", "x")
    replace_block(doc, "other", "x", append=True)
    assert doc.read_text().endswith("after\n\n<!-- other:start -->\nx\n<!-- other:end -->\n")
