"""Results store (atomic rows, resume bookkeeping, summary) and metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eegdec.errors import BadInputError
from eegdec.evaluation.metrics import METRICS, chance_level, score
from eegdec.evaluation.results import COLUMNS, RunStore, fold_id, summarise, summary_markdown


def _row(fid: str, subject: str = "1", acc: float = 0.8, n_calib=None, model="m") -> dict:
    row = dict.fromkeys(COLUMNS, 0)
    row.update(fold_id=fid, dataset="D", paradigm="MI", protocol="within-cv", model=model,
               subject=subject, session="0", alignment="euclidean", classes="a vs b",
               chance_level=0.5, n_calib=n_calib, accuracy=acc, balanced_accuracy=acc,
               kappa=2 * acc - 1)
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
    store.append_rows([_row("x"), _row("y")])
    store.append_rows([_row("y", acc=0.1), _row("z")])  # y already done: kept as first written
    rows = store.read_rows()
    assert list(rows.columns) == list(COLUMNS)
    assert list(rows["fold_id"]) == ["x", "y", "z"]
    assert rows.set_index("fold_id").loc["y", "accuracy"] == 0.8
    assert store.done() == {"x", "y", "z"}
    assert not list(store.root.glob(".*.tmp"))
    with pytest.raises(ValueError, match="lack columns"):
        store.append_rows([{"fold_id": "w"}])


def test_config_mismatch_is_refused(tmp_path):
    store = RunStore(tmp_path)
    store.write_config({"a": 1}, "h1")
    store.write_config({"a": 1}, "h1")  # same config: fine (resume)
    with pytest.raises(BadInputError, match="--resume"):
        store.write_config({"a": 2}, "h2")


def test_summary_mean_sd_over_subjects_and_per_n(tmp_path):
    rows = pd.DataFrame([_row("a", "1", 0.6), _row("b", "1", 0.8), _row("c", "2", 0.9),
                         _row("d", "1", 0.5, n_calib=0), _row("e", "2", 0.7, n_calib=0),
                         _row("f", "1", 0.7, n_calib=8), _row("g", "2", 0.9, n_calib=8)])
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
    rows = [_row("a"), _row("b", acc=0.6)]
    for r in rows:
        r.update(paradigm="seizure", sensitivity=0.9, specificity=0.8, false_alarms_per_hour=1.5)
    md = summary_markdown(summarise(pd.DataFrame(rows)))
    assert "false_alarms_per_hour" in md and "1.500 ± 0.000" in md
    assert "sensitivity" not in summary_markdown(summarise(pd.DataFrame([_row("c")])))
