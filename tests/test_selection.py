"""Nested model selection (``--select``): the grid, the inner folds, the choice, no leak of the
held-out data into selection, the run directory's record of it, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_evaluation_protocols import LogVarLDA, make_epochs

from eegdec.cli import main
from eegdec.data.stack import EpochsStack
from eegdec.errors import BadInputError
from eegdec.evaluation import selection
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.protocols import InnerFold, ModelSpec, Unit, get_protocol
from eegdec.evaluation.results import RunStore
from eegdec.evaluation.runner import run_protocol
from eegdec.evaluation.splits import within_cv


# -- the grid -----------------------------------------------------------------------------------
def test_grid_parses_normalises_and_round_trips() -> None:
    grid = selection.parse_grid(" lr=1e-3, 3e-4 ; epochs=30,10;alignment=none,euclidean;")
    assert grid == {"epochs": [10, 30], "lr": [1e-3, 3e-4], "alignment": ["none", "euclidean"]}
    assert list(grid) == ["epochs", "lr", "alignment"]  # GRID_KEYS order
    assert selection.parse_grid(selection.format_grid(grid)) == grid
    assert selection.parse_grid("dropout=0,0.25") == {"dropout": [0.0, 0.25]}


@pytest.mark.parametrize(("text", "names"), [
    ("", "empty"), (" ; ", "empty"), ("epochs", "no '='"), ("epoch=10", "epochs"),
    ("epochs=", "no value"), ("epochs=0", "at least 1"), ("epochs=2.5", "not an integer"),
    ("lr=-1", "positive"), ("lr=nan", "positive"), ("lr=fast", "not a number"),
    ("dropout=1", "[0, 1)"), ("alignment=riemann", "unknown"),
    ("epochs=1;epochs=2", "twice"), ("lr=1e-3,0.001", "repeats"),
])
def test_bad_grid_is_a_one_line_error(text: str, names: str) -> None:
    with pytest.raises(BadInputError) as info:
        selection.parse_grid(text)
    message = str(info.value)
    assert "--select-grid" in message and names in message and "\n" not in message


def test_default_grid_per_family_and_override_keeps_keys_of_the_kind() -> None:
    cfg = RunConfig(protocol="loso", epochs=20, lr=1e-3)
    assert selection.grid_for("torch", "eegnet", cfg) == {"epochs": [5, 10, 20],
                                                          "lr": [1e-3, 1e-3 / 3]}
    assert selection.grid_for("sklearn", "csp-lda", cfg) == {"alignment": ["none", "euclidean"]}
    cfg.select_grid = "epochs=5,10;alignment=none"
    assert selection.grid_for("torch", "eegnet", cfg) == {"epochs": [5, 10],
                                                          "alignment": ["none"]}
    assert selection.grid_for("sklearn", "csp-lda", cfg) == {"alignment": ["none"]}
    cfg.select_grid = "lr=1e-3"
    assert selection.grid_for("sklearn", "csp-lda", cfg) == {}  # nothing to choose


@pytest.mark.parametrize(("changes", "names"), [
    ({"select_grid": "epochs=5"}, "--select-grid needs --select"),
    ({"select_folds": 2}, "--select-folds needs --select"),
    ({"select": True, "protocol": "pseudo-online"}, "pseudo-online"),
    ({"select": True, "select_folds": 1}, "--select-folds 1"),
    ({"select": True, "select_grid": "epochs=x"}, "--select-grid"),
])
def test_config_checks_select_options(changes: dict, names: str) -> None:
    cfg = RunConfig(dataset="SimMI-2class", models=["csp-lda"], subjects=[1], **changes)
    with pytest.raises(BadInputError, match=names):
        cfg.resolved()


def test_config_hash_changes_only_with_select() -> None:
    plain = RunConfig().resolved().hashed()
    assert not {"select", "select_grid", "select_folds"} & set(plain)  # old runs resume
    chosen = RunConfig(select=True, select_grid="lr=3e-4, 1e-3").resolved()
    assert chosen.select_grid == "lr=0.0003,0.001" and chosen.hashed()["select"] is True


# -- inner folds: from the training part only ---------------------------------------------------
@pytest.fixture(scope="module")
def subjects():
    return [make_epochs(s, n=40) for s in (1, 2, 3, 4)]


def _ids(data) -> set[tuple[str, str, int]]:
    meta = data.metadata
    return set(zip(meta["subject"].astype(str), meta["session"].astype(str), meta["trial"]))


def test_inner_loso_holds_out_sources_and_never_the_target(subjects) -> None:
    target, sources = subjects[0], subjects[1:]
    unit = Unit("loso", ModelSpec("m", "sklearn"), 1, target, source=EpochsStack(sources))
    folds = get_protocol("loso").inner(unit, RunConfig(), None)
    assert [f.name for f in folds] == ["subject2", "subject3", "subject4"]
    for fold in folds:
        assert fold.new_domain and not (set(fold.train.subjects()) & {1})
        assert fold.val.subjects() not in ([1], fold.train.subjects())
    limited = get_protocol("online").inner(unit, RunConfig(), 2)
    assert [f.name for f in limited] == ["subject2", "subject4"]  # evenly spaced


def test_inner_cv_splits_the_outer_training_trials_only(subjects) -> None:
    data = subjects[0]
    split = within_cv(data.metadata, data.y, n_folds=4)[0]
    unit = Unit("within-cv", ModelSpec("m", "sklearn"), 1, data, split=split)
    folds = get_protocol("within-cv").inner(unit, RunConfig(), 3)
    test_ids = _ids(data.subset(split.test))
    assert len(folds) == 3
    seen = set()
    for fold in folds:
        assert not fold.new_domain and not (_ids(fold.train) | _ids(fold.val)) & test_ids
        assert not _ids(fold.train) & _ids(fold.val)
        seen |= _ids(fold.val)
    assert seen == _ids(data.subset(split.train))


# -- choosing -----------------------------------------------------------------------------------
def _sk_build(seed: int, params: dict | None = None) -> LogVarLDA:
    return LogVarLDA()


def test_selection_chooses_alignment_across_mixed_subjects(subjects) -> None:
    """Each subject mixes its channels differently: only aligned features transfer."""
    stack = EpochsStack(subjects)
    folds = [InnerFold(f"s{i}", EpochsStack([p for j, p in enumerate(stack.parts) if j != i]),
                       stack.parts[i], True) for i in range(len(subjects))]
    grid = {"alignment": ["none", "euclidean"]}
    chosen = selection.select(folds, _sk_build, 1, grid, "none")
    assert chosen.params == {"alignment": "euclidean"}
    means = chosen.table.groupby("alignment")["score"].mean()
    assert means["euclidean"] > 0.75 and means["euclidean"] > means["none"] + 0.1
    assert len(chosen.table) == 2 * len(folds) and chosen.text() == '{"alignment": "euclidean"}'
    assert chosen.config(RunConfig(alignment="none")).alignment == "euclidean"


def _torch_build(seed: int, params: dict | None = None):
    from eegdec.training.estimators import make_estimator

    params = params or {}
    return make_estimator("eegnet", sfreq=96.0, seed=seed, epochs=params.get("epochs", 2),
                          lr=params.get("lr", 1e-3))


@pytest.fixture(scope="module")
def within_folds(subjects):
    data = subjects[1]
    split = within_cv(data.metadata, data.y, n_folds=4)[0]
    unit = Unit("within-cv", ModelSpec("eegnet", "torch"), 1, data, split=split)
    return get_protocol("within-cv").inner(unit, RunConfig(cv_seed=0), 2)


def test_epoch_scores_of_one_long_fit_equal_shorter_fits(within_folds, one_thread) -> None:
    """The callback observes without changing the fit: epoch e of a long fit is an e-epoch fit."""
    data = selection._prepared(within_folds[0], "euclidean")
    long = selection.score_fold(_torch_build, 3, {}, [1, 3], data)
    assert set(long) == {1, 3}
    for e in (1, 3):
        assert selection.score_fold(_torch_build, 3, {"epochs": e}, [], data)[None] == long[e]


def test_selection_needs_more_epochs_when_learning_is_slow(within_folds, one_thread) -> None:
    grid = {"epochs": [1, 12], "lr": [3e-3]}
    chosen = selection.select(within_folds, _torch_build, 1, grid, "euclidean")
    assert chosen.params == {"epochs": 12, "lr": 3e-3}
    scores = chosen.table.groupby("epochs")["score"].mean()
    assert scores[12] > scores[1]
    again = selection.select(within_folds, _torch_build, 1, grid, "euclidean")
    pd.testing.assert_frame_equal(again.table, chosen.table)  # deterministic by seed


# -- in a run: no leak, the record, resume ------------------------------------------------------
# CSP+LDA on plain sample covariances: OAS (the registry's) costs ~7 ms a trial in sklearn.
FAST_PIPELINE = """name: CSP-SCM
paradigms: [LeftRightImagery, MotorImagery]
pipeline:
  - {name: Covariances, from: pyriemann.estimation, parameters: {estimator: scm}}
  - {name: CSP, from: pyriemann.spatialfilters, parameters: {nfilter: 4}}
  - {name: LinearDiscriminantAnalysis, from: sklearn.discriminant_analysis}
"""


@pytest.fixture
def fast(tmp_path: Path) -> str:
    path = tmp_path / "csp-scm.yml"
    path.write_text(FAST_PIPELINE)
    return str(path)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, set]]:
    """Records the (subject, session, trial) of every trial passed to the selection code."""
    seen: list[tuple[str, set]] = []
    real = selection.select

    def recording(folds, build, seed, grid, alignment):
        ids: set = set()
        for fold in folds:
            parts = fold.train.parts if isinstance(fold.train, EpochsStack) else [fold.train]
            ids = ids.union(*map(_ids, [*parts, fold.val]))
        seen.append((f"{len(folds)} folds", ids))
        return real(folds, build, seed, grid, alignment)

    monkeypatch.setattr(selection, "select", recording)
    return seen


@pytest.mark.parametrize("protocol", ["loso", "online", "within-cv"])
def test_held_out_data_never_reaches_selection(protocol: str, spy, fast: str,
                                               tmp_path: Path) -> None:
    """One selection per unit (fold or target, run in order): none sees its test trials, nor,
    cross-subject, any trial of the held-out subject."""
    cfg = RunConfig(dataset="SimMI-2class", models=[], pipelines=fast, subjects=[1, 2, 3],
                    protocol=protocol, n_folds=3, calib_sizes=[0, 8], select=True, quiet=True)
    store = run_protocol(cfg, tmp_path / "run")
    rows = store.read_rows()
    units = rows.drop_duplicates("subject") if protocol != "within-cv" else rows
    assert len(spy) == len(units) > 0
    for (_, row), (_, seen) in zip(units.iterrows(), spy):
        assert seen
        trials = store.read_npz("predictions", row["fold_id"])["trial_index"]
        test = {(str(row["subject"]), str(row["session"]), int(t)) for t in trials}
        assert test and not seen & test
        if protocol != "within-cv":
            assert str(row["subject"]) not in {s for s, _, _ in seen}


def test_run_records_selected_params_and_inner_scores(fast: str, tmp_path: Path,
                                                      capsys) -> None:
    out = tmp_path / "run"
    argv = ["run", "--dataset", "SimMI-2class", "--pipelines", fast, "--subjects", "1", "2",
            "3", "--protocol", "loso", "--select", "--select-folds", "1", "--quiet", "--out",
            str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    store = RunStore(out)
    rows = store.read_rows()
    assert (rows["alignment"] == "selected").all()
    line = next(x for x in printed.splitlines() if x.startswith("Selected: "))
    assert "CSP-SCM alignment=" in line
    for _, row in rows.iterrows():
        params = json.loads(row["selected"])
        table = store.read_selection(row["fold_id"])
        assert list(table.columns) == ["inner_fold", "alignment", "score"] and len(table) == 2
        best = table.loc[table["score"].idxmax(), "alignment"]
        assert params == {"alignment": best}
        assert str(row["subject"]) not in table["inner_fold"].str.removeprefix("subject").tolist()

    # resume: a lost fold is redone with the same choice, the others are kept
    lines = store.results_path.read_text().splitlines()
    store.results_path.write_text("\n".join(lines[:-1]) + "\n")
    lost = rows.iloc[-1]
    assert main(["run", "--resume", str(out), "--quiet"]) == 0
    again = store.read_rows()
    assert len(again) == len(rows)
    redone = again.set_index("fold_id").loc[lost["fold_id"]]
    assert redone["selected"] == lost["selected"] and redone["accuracy"] == lost["accuracy"]
