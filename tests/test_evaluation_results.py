"""Results store (atomic rows, resume bookkeeping, summary) and metrics."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eegdec.cli import main
from eegdec.errors import BadInputError
from eegdec.evaluation.metrics import METRICS, chance_level, score
from eegdec.evaluation.results import (
    COLUMNS,
    RunStore,
    fold_id,
    scan_results,
    summarise,
    summary_markdown,
)
from eegdec.evaluation.runner import RunConfig, run_protocol


def _row(fold: int, subject: str = "1", acc: float = 0.8, n_calib=None, model="m") -> dict:
    row = dict.fromkeys(COLUMNS, 0)
    row.update(fold_id=fold_id(model, subject, "0", fold, 1, n_calib), dataset="D",
               paradigm="MI", protocol="within-cv", model=model, subject=subject, session="0",
               fold=fold, seed=1, alignment="euclidean", classes="a vs b", chance_level=0.5,
               n_calib=n_calib, accuracy=acc, balanced_accuracy=acc, kappa=2 * acc - 1,
               config_hash="h1")
    return row


def test_metrics_values():
    y = np.array([0, 0, 1, 1, 1, 1])
    pred = np.array([0, 1, 1, 1, 1, 0])
    proba = np.c_[1 - np.array([0.2, 0.6, 0.9, 0.8, 0.7, 0.3]), [0.2, 0.6, 0.9, 0.8, 0.7, 0.3]]
    m = score(y, pred, proba)
    assert set(m) == set(METRICS)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["balanced_accuracy"] == pytest.approx((0.5 + 0.75) / 2)
    assert m["roc_auc"] == pytest.approx(0.875)
    assert -1 <= m["kappa"] < 1 and 0 < m["f1_macro"] < 1
    assert np.isnan(m["sensitivity"])  # seizure metrics only for --paradigm seizure
    assert chance_level(y) == pytest.approx(4 / 6)
    assert np.isnan(score(y, pred, np.ones((6, 3)) / 3)["roc_auc"])  # not binary


def test_seizure_metrics_are_filled_for_seizure_paradigm():
    y = np.array([0, 0, 1, 1, 0, 0])
    pred = np.array([0, 1, 1, 1, 0, 0])
    meta = pd.DataFrame({"subject": 1, "onset": np.arange(6) * 4.0})
    m = score(y, pred, paradigm="seizure", metadata=meta, window_length=4.0)
    assert m["sensitivity"] == 1.0 and m["specificity"] == 0.75
    assert m["false_alarms_per_hour"] == 0.0  # the one false window touches the seizure


def test_fold_id_layout():
    assert fold_id("eegnet", 3, "0train", 2, 1) == "eegnet__3__0train__2__1"
    assert fold_id("ts-lr", 3, "0", 0, 1, n_calib=16) == "ts-lr__3__0__0__1__N16"


def test_append_rows_is_idempotent_and_complete(tmp_path):
    store = RunStore(tmp_path / "run")
    store.write_config({"a": 1}, "h1")
    ids = [fold_id("m", "1", "0", k, 1) for k in range(3)]
    store.append_rows([_row(0), _row(1)])
    store.append_rows([_row(1, acc=0.1), _row(2)])  # fold 1 already done: kept as first written
    rows = store.read_rows()
    assert list(rows.columns) == list(COLUMNS)
    assert list(rows["fold_id"]) == ids
    assert rows.set_index("fold_id").loc[ids[1], "accuracy"] == 0.8
    assert store.done() == set(ids)
    assert not list(store.root.glob(".*.tmp"))
    with pytest.raises(ValueError, match="lack columns"):
        store.append_rows([{"fold_id": "w"}])
    before = store.results_path.read_bytes()
    with pytest.raises(ValueError, match="breaks the schema: accuracy is missing"):
        store.append_rows([_row(3), _row(4, acc=float("nan"))])
    assert store.results_path.read_bytes() == before  # nothing written


def test_results_written_before_the_filter_column_still_load(tmp_path):
    store = RunStore(tmp_path / "run")
    store.write_config({"a": 1}, "h1")
    old = pd.DataFrame([_row(0), _row(1, acc=0.6)]).drop(columns="filter")
    assert "filter" in COLUMNS and len(old.columns) == len(COLUMNS) - 1
    store.results_path.write_text(old.to_csv(index=False))
    rows = store.read_rows()
    assert list(rows["fold_id"]) == list(old["fold_id"]) and list(rows["filter"]) == ["", ""]
    assert not store.rejected_path.exists()
    assert "Filter:" not in summary_markdown(summarise(rows))  # unknown: not claimed
    store.append_rows([{**_row(2), "filter": "causal 8-32 Hz Butterworth order 4"}])
    assert store.results_path.read_text().splitlines()[0] == ",".join(COLUMNS)  # upgraded
    rows = store.read_rows()
    assert list(rows["filter"]) == ["", "", "causal 8-32 Hz Butterworth order 4"]
    assert rows.set_index("fold_id").loc[old["fold_id"][1], "accuracy"] == 0.6
    md = summary_markdown(summarise(rows))
    assert md.startswith("Filter: causal 8-32 Hz Butterworth order 4\n") and "| 3 folds |" in md


def test_config_mismatch_is_refused(tmp_path):
    store = RunStore(tmp_path)
    store.write_config({"a": 1}, "h1")
    store.write_config({"a": 1}, "h1")  # same config: fine (resume)
    with pytest.raises(BadInputError, match="--resume"):
        store.write_config({"a": 2}, "h2")


def test_summary_mean_sd_over_subjects_and_per_n(tmp_path):
    rows = pd.DataFrame([_row(0, "1", 0.6), _row(1, "1", 0.8), _row(0, "2", 0.9),
                         _row(0, "1", 0.5, n_calib=0), _row(0, "2", 0.7, n_calib=0),
                         _row(0, "1", 0.7, n_calib=8), _row(0, "2", 0.9, n_calib=8)])
    table = summarise(rows)
    offline = table[table["n_calib"].isna()].iloc[0]
    assert offline["accuracy_mean"] == pytest.approx(0.8)  # subjects 0.7 and 0.9
    assert offline["accuracy_std"] == pytest.approx(np.std([0.7, 0.9], ddof=1))
    assert offline["sd_over"] == "subject" and offline["n"] == 2
    online = table[table["n_calib"].notna()].set_index("n_calib")
    assert online.loc[8, "accuracy_mean"] == pytest.approx(0.8)
    store = RunStore(tmp_path)
    store.append_rows(rows.to_dict("records"))
    store.write_summary()
    md = (tmp_path / "summary.md").read_text()
    assert "a vs b" in md and "0.50" in md and "0.800 ± 0.141" in md
    assert pd.read_csv(tmp_path / "summary.csv").shape[0] == 3


def test_seizure_summary_adds_detection_metrics():
    rows = [_row(0), _row(1, acc=0.6)]
    for r in rows:
        r.update(paradigm="seizure", sensitivity=0.9, specificity=0.8, false_alarms_per_hour=1.5)
    md = summary_markdown(summarise(pd.DataFrame(rows)))
    assert "false_alarms_per_hour" in md and "1.500 ± 0.000" in md
    assert "sensitivity" not in summary_markdown(summarise(pd.DataFrame([_row(2)])))


@pytest.mark.parametrize("change, reason", [
    ({"accuracy": "inf"}, "accuracy inf is not a finite number in [0, 1]"),
    ({"balanced_accuracy": ""}, "balanced_accuracy is missing"),
    ({"kappa": "x"}, "kappa 'x' is not a number"),
    ({"fold": "1.5"}, "fold 1.5 is not an integer"),
    ({"model": " "}, "model is empty"),
    ({"seed": "2"}, "fold_id 'm__1__0__0__1' does not match its model, subject, session, fold "
                    "and seed ('m__1__0__0__2')"),
    ({"config_hash": "other"}, "config_hash 'other' is not this run's (h1)"),
], ids=["inf", "missing", "not-a-number", "not-integer", "empty-text", "fold-id", "config-hash"])
def test_rows_breaking_the_schema_are_rejected(change, reason):
    good = pd.DataFrame([_row(0, n_calib=8), _row(0), _row(1)])
    bad = good.iloc[[1]].astype(str).replace("nan", "").assign(**change)
    text = pd.concat([good.astype(str).replace("nan", ""), bad]).to_csv(index=False)
    valid, rejected = scan_results(text, "h1")
    assert list(valid) == list(good["fold_id"])
    assert rejected == [(5, reason, text.splitlines()[4])]
    assert scan_results(text.splitlines()[0] + "\n") == ({}, [])  # header only: no rows


# -- damaged results.csv: rows checked on read, moved aside, their folds run again -------------
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 5-fold csp-lda run on one simulated subject: 2 sessions x 5 folds = 10 rows."""
    out = tmp_path_factory.mktemp("clean") / "run"
    run_protocol(RunConfig(dataset="SimMI-2class", models=["csp-lda"], protocol="within-cv",
                           n_folds=5, subjects=[1], quiet=True), out)
    return out


def _cut_last_row(lines: list[str]) -> list[str]:  # a crash mid-write, fold id left whole
    return [*lines[:-1], lines[-1][:60]]


def _bad_accuracy(lines: list[str]) -> list[str]:
    fields = lines[3].split(",")
    fields[COLUMNS.index("accuracy")] = "1.7"
    return [*lines[:3], ",".join(fields), *lines[4:]]


N = len(COLUMNS)
DAMAGES = {  # name: (damage, rejected [(line, reason)], folds still done)
    "torn last row": (_cut_last_row, [(11, f"9 fields instead of {N} (torn or junk line)")], 9),
    "junk line": (lambda ls: [*ls[:5], "junk line", *ls[5:]],
                  [(6, f"1 fields instead of {N} (torn or junk line)")], 10),
    "out-of-range accuracy": (_bad_accuracy,
                              [(4, "accuracy 1.7 is not a finite number in [0, 1]")], 9),
    "duplicated row": (lambda ls: [*ls, ls[2]], [(12, "duplicate of line 3 (fold_id ")], 10),
    "header-only file": (lambda ls: ls[:1], [], 0),
    "damaged header": (lambda ls: [ls[0][:30], *ls[1:]],
                       [(1, "damaged header")] + [(n, "unreadable: the header (line 1) is "
                                                      "damaged") for n in range(2, 12)], 0),
}


@pytest.mark.parametrize("case", list(DAMAGES))
def test_damaged_results_are_moved_aside_and_rerun(tmp_path, finished_run, case, capsys,
                                                   caplog):
    damage, expected, still_done = DAMAGES[case]
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    lines = (run / "results.csv").read_text().splitlines()
    damaged = damage(lines)
    text = "\n".join(damaged) + ("" if case == "torn last row" else "\n")
    (run / "results.csv").write_text(text)
    with caplog.at_level(logging.WARNING, logger="eegdec.evaluation.results"):
        assert main(["run", "--resume", str(run), "--quiet"]) == 0
    ours = [r.getMessage() for r in caplog.records if r.name == "eegdec.evaluation.results"]
    assert len(ours) == min(len(expected), 10) + (len(expected) > 10)  # then one line for all
    for message, (number, reason) in zip(ours[:10], expected):
        assert f"results.csv line {number}: {reason}" in message
    assert ours[10:] == [f"{run}/results.csv: 1 more rejected line(s) moved to "
                         f"{run}/results.rejected.csv"][:len(ours[10:])]
    assert all(m.endswith("moved to " + str(run / "results.rejected.csv")) for m in ours)
    log = (run / "logs" / "run.log").read_text()
    assert all(f"rejected {m}" in log for m in ours)
    resumed = log[log.rindex("\nstart "):].splitlines()[1:]  # the log of the resumed run
    assert resumed[0].endswith(f"config {RunStore(run).read_config()['config_hash']}, "
                               f"{still_done} folds already done")
    assert sum(": accuracy " in line for line in resumed) == 10 - still_done  # folds rerun
    if expected:
        aside = pd.read_csv(run / "results.rejected.csv", keep_default_na=False)
        assert list(aside.columns) == ["rejected_at", "line", "reason", "text"]
        assert list(aside["line"]) == [n for n, _ in expected]
        assert all(r.startswith(e) for r, (_, e) in zip(aside["reason"], expected))
        assert list(aside["text"]) == [damaged[n - 1] for n, _ in expected]
    else:
        assert not (run / "results.rejected.csv").exists()
    clean, rows = RunStore(finished_run).read_rows(), RunStore(run).read_rows()
    assert len(rows) == 10 and rows["fold_id"].is_unique
    merged = rows.merge(clean, on="fold_id", suffixes=("", "_clean"))
    assert len(merged) == 10
    np.testing.assert_allclose(merged["accuracy"], merged["accuracy_clean"])
    summary = (run / "summary.md").read_text()
    assert "nan" not in summary and "| 10 folds |" in summary
    assert "nan" not in capsys.readouterr().out
