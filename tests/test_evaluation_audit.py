"""The leakage audit and the run fingerprint: split records, leak detection, audit.csv."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA, requires_shared

from eegdec.data.epochs import EpochsData
from eegdec.evaluation.audit import (
    LeakError,
    audit_run,
    check_split,
    merge_seen,
    split_problems,
    target_data_seen,
)
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.fingerprint import PACKAGES, fingerprint, fingerprint_line
from eegdec.evaluation.protocols import SubjectSplitProtocol, register_protocol
from eegdec.evaluation.protocols.registry import _REGISTRY
from eegdec.evaluation.results import RunStore
from eegdec.evaluation.runner import run_protocol
from eegdec.evaluation.splits import Split, recording_order


class PeekingProtocol(SubjectSplitProtocol):
    """Deliberately leaky: trains on every trial, tests on the last 10."""

    name = "peeking-test"

    def splits(self, data: EpochsData, cfg: RunConfig) -> list[Split]:
        order = recording_order(data.metadata)
        return [Split(str(data.metadata["subject"].iloc[0]), "all", 0, order, order[-10:])]


@pytest.fixture
def peeking():
    register_protocol(PeekingProtocol())
    yield
    _REGISTRY.pop("peeking-test")


def _record(scope: str, train: dict, test: dict, n_labelled: int = 0, n_calib=None) -> dict:
    return {"protocol": "p", "scope": scope, "n_calib": n_calib, "train_trials": train,
            "test_trials": test, "n_labelled_target": n_labelled,
            "test_subjects": sorted({k.split("/")[0] for k in test})}


def test_check_split_names_each_kind_of_leak():
    ok = _record("within", {"1/0": [0, 1, 2]}, {"1/0": [3, 4]}, 3)
    check_split(ok, "f")  # no overlap: passes
    with pytest.raises(LeakError, match=r"Leak in fold f .*1 test trial\(s\) also trained "
                                        r"\(1/0/2\)"):
        check_split(_record("within", {"1/0": [0, 1, 2]}, {"1/0": [2, 3]}, 3), "f")
    cross = _record("cross-subject", {"2/0": [0, 1], "1/0": [0, 1]}, {"1/0": [5, 6]}, 2)
    assert split_problems(cross) == [
        "2 trial(s) of held-out subject(s) 1 trained, 0 declared as calibration"]
    assert split_problems({**cross, "n_calib": 2}) == []  # declared calibration trials
    session = _record("cross-session", {"1/0": [0, 1], "1/1": [0]}, {"1/1": [1, 2]}, 3)
    assert split_problems(session) == ["test session(s) 1/1 also trained"]


def test_target_data_seen_words_and_merge():
    assert target_data_seen(0, None) == "none"
    assert target_data_seen(16, "causal") == "16 labelled + unlabelled, causal"
    assert target_data_seen(0, "transductive") == "unlabelled, transductive"
    assert merge_seen(["36 labelled", "37 labelled", "36 labelled"]) == "36-37 labelled"
    assert merge_seen(["none", np.nan, ""]) == "none"


def test_runs_record_splits_and_say_what_target_data_was_seen(tmp_path):
    within = run_protocol(RunConfig(dataset="SimMI-2class", subjects=[1, 2], models=["csp-lda"],
                                    protocol="within-co"), tmp_path / "w")
    audit = pd.read_csv(within.audit_path)
    assert len(audit) == 4 and (audit["status"] == "ok").all()
    rec = within.read_split(audit["fold_id"][0])
    n_train = within.read_rows().set_index("fold_id").loc[audit["fold_id"][0], "n_train"]
    assert sum(map(len, rec["train_trials"].values())) == n_train
    assert not set(rec["train_trials"]["1/0"]) & set(rec["test_trials"]["1/0"])
    assert set(within.read_rows()["target_data_seen"]) == {f"{n_train} labelled"}

    online = run_protocol(RunConfig(dataset="SimMI-2class", subjects=[1, 2], models=["csp-lda"],
                                    protocol="online", calib_sizes=[0, 8],
                                    alignment="euclidean-transductive"), tmp_path / "o")
    seen = online.read_rows().groupby("n_calib")["target_data_seen"].unique()
    assert list(seen[0]) == ["unlabelled, transductive"]
    assert list(seen[8]) == ["8 labelled + unlabelled, transductive"]
    assert "8 labelled + unlabelled, transductive" in (online.root / "summary.md").read_text()
    from eegdec.interpret.report import write_report

    assert "8 labelled + unlabelled, transductive" in write_report(online.root).read_text()


def test_transductive_tta_is_never_reported_as_causal(tmp_path):
    store = run_protocol(RunConfig(dataset="SimMI-2class", subjects=[1, 2],
                                   models=["eegnet", "csp-lda"], protocol="loso", epochs=1,
                                   tta="adabn-transductive"), tmp_path / "t")
    seen = store.read_rows().groupby("model")["target_data_seen"].unique()
    assert list(seen["eegnet"]) == ["unlabelled, transductive"]  # batch-norm on every trial
    # the default causal alignment only: --tta leaves a model without batch norm alone
    assert list(seen["csp-lda"]) == ["unlabelled, causal"]
    assert (pd.read_csv(store.audit_path)["status"] == "ok").all()


@requires_shared
def test_pseudo_online_records_the_replayed_run_as_its_test(tmp_path):
    store = run_protocol(RunConfig(dataset="PhysionetMI", paradigm="LR", subjects=[1],
                                   models=["csp-lda"], protocol="pseudo-online",
                                   data_dir=str(SHARED_DATA)), tmp_path / "po")
    (fid,) = store.read_rows()["fold_id"]
    rec = store.read_split(fid)
    # R04 + R08 train (30 trials), R12 is replayed (15 cues), trials numbered per session
    assert [len(v) for v in rec["train_trials"].values()] == [30]
    assert [len(v) for v in rec["test_trials"].values()] == [15]
    assert rec["target_data_seen"] == "30 labelled + unlabelled, causal"
    assert pd.read_csv(store.audit_path)["status"].tolist() == ["ok"]


def test_a_leaky_protocol_fails_with_a_clear_message_and_keeps_no_row(tmp_path, peeking):
    cfg = RunConfig(dataset="SimMI-2class", subjects=[1], models=["csp-lda"],
                    protocol="peeking-test")
    with pytest.raises(LeakError, match=r"Leak in fold csp-lda__1__all__0__1 \(peeking-test, "
                                        r"within\): 10 test trial\(s\) also trained"):
        run_protocol(cfg, tmp_path / "leak")
    assert not (tmp_path / "leak" / "results.csv").exists()


def test_audit_run_flags_a_tampered_split_and_unrecorded_folds(tmp_path):
    store = run_protocol(RunConfig(dataset="SimMI-2class", subjects=[1, 2], models=["csp-lda"],
                                   protocol="loso"), tmp_path / "r")
    fids = sorted(store.read_rows()["fold_id"])
    path = store.root / "splits" / f"{fids[0]}.json"
    rec = json.loads(path.read_text())
    rec["train_trials"].update(rec["test_trials"])  # the target subject now trains
    rec["n_labelled_target"] = sum(map(len, rec["test_trials"].values()))
    path.write_text(json.dumps(rec))
    (store.root / "splits" / f"{fids[1]}.json").unlink()
    with pytest.raises(LeakError, match=f"1 leaking fold.*e.g. {fids[0]}: .* also trained"):
        audit_run(store.root)
    status = pd.read_csv(store.audit_path).set_index("fold_id")["status"]
    assert status[fids[0]].startswith("LEAK") and status[fids[1]] == "not recorded"
    assert (status.drop(fids[:2]) == "ok").all()


def test_fingerprint_has_versions_blas_cpu_and_git(tmp_path):
    fp = fingerprint()
    assert set(fp["packages"]) == set(PACKAGES) and fp["packages"]["numpy"] == np.__version__
    assert fp["cpu"]["logical_cores"] >= 1 and fp["cpu"]["model"]
    assert any(lib["num_threads"] >= 1 for lib in fp["blas"])
    assert fp["python"].count(".") == 2 and fp["os"]
    commit = fp["git"]["commit"]
    assert commit is None or (len(commit) == 40 and isinstance(fp["git"]["dirty"], bool))
    assert f"numpy {np.__version__}" in fingerprint_line(fp)
    json.dumps(fp)  # serialisable
    store = RunStore(tmp_path / "run")
    store.add_fingerprint(fp)
    store.add_fingerprint(fp)  # a resumed run keeps each start
    assert [f["packages"] for f in store.read_fingerprints()] == [fp["packages"]] * 2
