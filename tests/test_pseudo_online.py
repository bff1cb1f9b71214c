"""Pseudo-online protocols: continuous runs with cues, replay through the Decoder, rows and
artefacts, end to end from `eegdec run` on simulated data and on one real subject."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import requires_shared

from eegdec.cli import main
from eegdec.data import registry
from eegdec.errors import BadInputError, DataNotFoundError
from eegdec.evaluation.protocols import protocol_names
from eegdec.evaluation.results import RunStore


@pytest.fixture
def small_sim(monkeypatch):
    """SimMI-2class with 12 trials per class and session (two sessions: train, replay)."""
    reg = dict(registry._registry())
    spec = reg["SimMI-2class"]
    reg["SimMI-2class"] = dataclasses.replace(
        spec, options={**spec.options, "trials_per_class": 12})
    monkeypatch.setattr(registry, "_registry", lambda: reg)
    return reg["SimMI-2class"]


def _run(out, *args: str) -> pd.DataFrame:
    assert main(["run", "--dataset", "SimMI-2class", "--out", str(out), "--quiet",
                 *args]) == 0
    return pd.read_csv(out / "results.csv")


def _expected_decisions(n_samples: int, window: int, hop: int) -> int:
    return (n_samples - window) // hop + 1


def test_both_protocols_are_registered() -> None:
    assert {"pseudo-online", "pseudo-online-loso"} <= set(protocol_names())


def test_continuous_runs_hold_the_epochs_samples_and_cues(small_sim) -> None:
    from eegdec.data.continuous import load_continuous
    from eegdec.preprocessing.load import load_epochs
    from eegdec.preprocessing.pipeline import Pipeline

    pipe = Pipeline([{"bandpass": {"l_freq": 8, "h_freq": 30, "phase": "causal"}},
                     {"window": {"tmin": 0.5, "tmax": 2.5}}])
    runs = load_continuous(small_sim, 1, events=["left_hand", "right_hand"], pipeline=pipe,
                           data_dir=".")
    assert [r.key for r in runs] == [("0", "0"), ("1", "0")]
    ep = load_epochs(small_sim, 1, pipeline=pipe, cache=False)
    run = runs[1]
    cues = run.cues
    assert len(cues) == 24 and set(cues["label"]) == {"left_hand", "right_hand"}
    np.testing.assert_allclose(cues["duration"], 4.0)
    # The first epoch of session 1 is the causally filtered run 0.5-2.5 s after its cue.
    first = np.flatnonzero(ep.metadata["session"].astype(str) == "1")[0]
    start = int(round((cues["onset"].iloc[0] + 0.5) * run.sfreq))
    np.testing.assert_allclose(ep.X[first], run.data[:, start:start + ep.n_times] * 1e6,
                               rtol=1e-4, atol=1e-3)
    with pytest.raises(DataNotFoundError, match="no session 2 run 0"):
        load_continuous(small_sim, 1, events=["left_hand"], pipeline=pipe, data_dir=".",
                        runs=[("2", "0")])


def test_within_subject_end_to_end(small_sim, tmp_path) -> None:
    out = tmp_path / "run"
    rows = _run(out, "--subjects", "1", "--protocol", "pseudo-online", "--model", "csp-lda")
    (row,) = rows.to_dict("records")
    assert row["protocol"] == "pseudo-online" and row["session"] == 1
    assert row["n_train"] == 24  # session 0 trains, session 1 is replayed
    # decisions: one per hop once a window has arrived
    from eegdec.data.simulated import simulate_raw

    n, hop = simulate_raw(small_sim, 1, "1").n_times, 25
    fid = row["fold_id"]
    dec = RunStore(out).read_npz("decisions", fid)
    assert row["n_decisions"] == len(dec["time"])
    window = int(round((dec["time"][0] + 1 / 250) * 250))  # the model's window, in samples
    assert len(dec["time"]) == _expected_decisions(n, window, hop)
    np.testing.assert_allclose(np.diff(dec["time"]), 0.1, atol=1e-9)
    # no trial of the replayed session trains
    assert not any(t.split("/")[1] == "1" for t in dec["train_trials"])
    assert len(dec["train_trials"]) == 24
    # signal: above chance
    assert row["trial_accuracy"] >= 0.7 and row["accuracy"] > 0.6
    assert 0 < row["itr_bits_per_min"]
    assert 0 < row["latency_p50_ms"] <= row["latency_p99_ms"]
    curve = RunStore(out).read_timecourse(fid)
    assert len(curve) == 40 and curve["t_start"].iloc[-1] == pytest.approx(3.9)
    text = (out / "summary.md").read_text()
    assert "trial_accuracy" in text and "causal" in text
    from eegdec.interpret.report import render_report

    assert "Pseudo-online: accuracy vs time since cue onset" in render_report(out)


def test_cross_subject_trains_on_nothing_of_the_target(small_sim, tmp_path) -> None:
    out = tmp_path / "run"
    rows = _run(out, "--subjects", "1", "2", "3", "--protocol", "pseudo-online-loso",
                "--model", "ts-lr", "--alignment", "euclidean")
    assert sorted(rows["subject"]) == [1, 2, 3]
    store = RunStore(out)
    for fid in rows["fold_id"]:
        target = fid.split("__")[1]
        trials = store.read_npz("decisions", fid)["train_trials"]
        subjects = {t.split("/")[0] for t in trials}
        assert target not in subjects and len(subjects) == 2
        assert not any(t.split("/")[1] == "1" for t in trials)  # each one's replayed run
    assert (rows["n_train"] == 48).all()


def test_a_deep_model_replays_too(small_sim, tmp_path, one_thread) -> None:
    rows = _run(tmp_path / "run", "--subjects", "1", "--protocol", "pseudo-online",
                "--model", "eegnet", "--epochs", "2", "--alignment", "none")
    assert rows["n_decisions"].iloc[0] > 1000
    assert np.isfinite(rows[["trial_accuracy", "latency_p99_ms"]].to_numpy()).all()


def test_transductive_alignment_is_refused(small_sim, tmp_path) -> None:
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.runner import run_protocol
    from eegdec.preprocessing.alignment import ALIGNMENTS

    transductive = [a for a in ALIGNMENTS if a not in ("none", "euclidean")]
    cfg = RunConfig(dataset="SimMI-2class", subjects=[1], protocol="pseudo-online",
                    models=["csp-lda"], alignment=transductive[0])
    with pytest.raises(BadInputError, match="cannot run online"):
        run_protocol(cfg, tmp_path / "run")


def test_the_protocol_filters_causally(small_sim) -> None:
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.protocols.pseudo_online import stream_pipeline

    cfg = RunConfig(dataset="SimMI-2class", protocol="pseudo-online").resolved()
    assert cfg.causal_filter
    assert "causal" in stream_pipeline(cfg).describe_filter()
    assert "zero-phase" not in stream_pipeline(cfg).describe_filter()


@requires_shared
def test_real_subject_replays_r12(tmp_path, shared_data) -> None:
    """PhysionetMI subject 1: R04 + R08 train, R12 (125 s at 160 Hz) is replayed."""
    from eegdec.data.continuous import load_continuous
    from eegdec.preprocessing.pipeline import Pipeline

    (run,) = load_continuous(registry.get_dataset_spec("PhysionetMI"), 1,
                             events=["left_hand", "right_hand"], pipeline=Pipeline([]),
                             data_dir=shared_data, runs=[("0", "R12")])
    task = run.cues[run.cues["label"] != "rest"]
    assert len(task) == 15 and run.data.shape == (64, 20000)
    np.testing.assert_allclose(task["duration"], 4.1, atol=0.05)  # not MOABB's 3 s
    out = tmp_path / "run"
    assert main(["run", "--dataset", "PhysionetMI", "--paradigm", "LeftRightImagery",
                 "--subjects", "1", "--protocol", "pseudo-online", "--model", "csp-lda",
                 "--data-dir", str(shared_data), "--out", str(out), "--quiet"]) == 0
    (row,) = pd.read_csv(out / "results.csv").to_dict("records")
    dec = RunStore(out).read_npz("decisions", row["fold_id"])
    window = int(round((dec["time"][0] + 1 / 160) * 160))
    assert window == 481  # the dataset's 0-3 s window
    assert row["n_decisions"] == _expected_decisions(20000, window, 16)
    assert row["n_train"] == 30
    assert {t.split("/")[2] for t in dec["train_trials"]} == {"R04", "R08"}
    assert np.isfinite(row["trial_accuracy"]) and row["latency_p99_ms"] < 200


def test_a_results_file_from_before_the_stream_columns_still_reads(tmp_path) -> None:
    from eegdec.evaluation.results import COLUMNS, OPTIONAL_COLUMNS

    old = [c for c in COLUMNS if c not in OPTIONAL_COLUMNS]
    row = {c: "" for c in old}
    row.update(fold_id="csp-lda__1__0__0__1", dataset="SimMI-2class", paradigm="MI",
               protocol="within-co", model="csp-lda", subject="1", session="0", fold="0",
               seed="1", alignment="none", n_train="10", n_test="5", n_classes="2",
               classes="a vs b", chance_level="0.5", accuracy="0.8",
               balanced_accuracy="0.8", fit_seconds="1", predict_seconds="1",
               eegdec_version="0.1.0", config_hash="x")
    store = RunStore(tmp_path)
    (tmp_path / "results.csv").write_text(",".join(old) + "\n"
                                          + ",".join(row[c] for c in old) + "\n")
    rows = store.read_rows()
    assert rows["fold_id"].tolist() == ["csp-lda__1__0__0__1"]
    assert rows["trial_accuracy"].isna().all()
    assert not (tmp_path / "results.rejected.csv").exists()


def test_preprocessing_option_is_checked_and_recorded(tmp_path) -> None:
    from eegdec.evaluation.config import RunConfig

    assert "preprocessing" not in RunConfig().hashed()  # older runs keep their hash
    yml = tmp_path / "p.yaml"
    yml.write_text("steps:\n  - bandpass: {l_freq: 8, h_freq: 30}\n"
                   "  - window: {tmin: 0.5, tmax: 2.5}\n")
    cfg = RunConfig(preprocessing=str(yml)).resolved()
    assert cfg.preprocessing["steps"][1] == {"window": {"tmin": 0.5, "tmax": 2.5}}
    yml.write_text("steps:\n  - window: {tmin: 0.5, tmax: 9}\n")
    with pytest.raises(BadInputError, match="--preprocessing: Window"):
        RunConfig(preprocessing=str(yml)).resolved()
