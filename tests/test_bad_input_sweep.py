"""Bad-input sweep (issue #19): every CLI option, pipeline and preprocessing YAML, dataset
entries, classifier arrays and damaged data files, property-based where it fits.

The properties:

- CLI: exit status 2, exactly one line on stderr (``error: ...``) naming the input and a fix,
  no traceback, no run directory created, existing results untouched, nothing trained.
- Python API: an eegdec error (or scikit-learn's, where its contract says so) with a one-line
  message naming the fix.

Each property runs a bounded number of examples in the default suite (``quick``) and many more
under ``-m slow`` (``long``). docs/reliability.md ("Bad input: what was tried") counts them.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import CORRUPT_EDF, PHYSIONET_DIR, requires_shared
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from eegdec.cli import main
from eegdec.errors import BadInputError, CorruptFileError, EEGDecError

# "eegdec": the same examples on every run (CI); "eegdec-explore": new ones each run, e.g.
# HYPOTHESIS_PROFILE=eegdec-explore pytest -m slow tests/test_bad_input_sweep.py
settings.register_profile(
    "eegdec", deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much],
)
settings.register_profile("eegdec-explore", settings.get_profile("eegdec"), derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "eegdec"))

#: examples per property: ``quick`` in the default suite, ``long`` under ``-m slow``
QUICK, LONG = 100, 2000
EXAMPLES = [pytest.param(QUICK, id="quick"), pytest.param(LONG, id="long",
                                                          marks=pytest.mark.slow)]

# A message names a fix when it says what to do, or what the value must be.
FIX = re.compile(
    r"\b(use|pass|give|choose|pick|lower|add|fix|check|change|rename|see|drop|repair|delete|"
    r"download|re-download|re-run|run|install|reshape|write|epoch|remove|verify|did you mean|"
    r"must be|must not|valid)\b",
    re.IGNORECASE,
)
SIM = ["--dataset", "SimMI-2class", "--subjects", "1", "--model", "csp-lda", "--quiet"]
# Argument text a shell can pass: no NUL, no lone surrogates, not starting with "-" (an option).
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
               min_size=1, max_size=12).filter(lambda s: not s.startswith("-"))


def _parses(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except (ValueError, EEGDecError):
        return False
    return True


@pytest.fixture(autouse=True)
def _no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input must fail before any fold trains."""
    from eegdec.evaluation import runner

    def trained(*args, **kwargs):
        raise AssertionError("a fold started training on bad input")

    monkeypatch.setattr(runner, "_execute", trained)


def _fresh(root: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=root)) / "run"


def fails_cleanly(argv: list[str], capsys: pytest.CaptureFixture, names: tuple[str, ...],
                  out: Path | None = None) -> str:
    """Run the CLI in-process; assert the CLI property and return the error line."""
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:  # the CLI would print them
        warnings.simplefilter("always")
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
    err = capsys.readouterr().err
    shown = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    assert not shown, f"{argv}: warnings {[str(w.message) for w in shown]}"
    lines = err.strip().splitlines()
    assert code == 2, f"{argv}: exit {code}, stderr {err!r}"
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{argv}: {err!r}"
    line = lines[0]
    assert any(n.lower() in line.lower() or repr(n)[1:-1].lower() in line.lower()
               for n in names), f"{argv}: {line!r} names none of {names}"
    assert FIX.search(line), f"{argv}: {line!r} names no fix"
    if out is not None:
        assert not out.exists(), f"{argv}: left {out} behind"
    return line


def run_fails(extra: list[str], capsys: pytest.CaptureFixture, root: Path,
              names: tuple[str, ...]) -> str:
    """``eegdec run <SIM> <extra> --out <fresh>`` fails cleanly and writes nothing."""
    out = _fresh(root)
    return fails_cleanly(["run", *SIM, *extra, "--out", str(out)], capsys, names, out)


# == eegdec run: one option at a time ===========================================================
MINIMUM = {"--n-folds": 2, "--epochs": 1, "--batch-size": 1, "--fine-tune-epochs": 1,
           "--source-select": 1}
NOT_INT = TEXT.filter(lambda s: not _parses(int, s))
NOT_FLOAT = TEXT.filter(lambda s: not _parses(float, s))


@st.composite
def int_option(draw: st.DrawFn) -> tuple[str, str]:
    flag = draw(st.sampled_from([*MINIMUM, "--n-jobs"]))
    if flag == "--n-jobs":
        return flag, draw(st.just("0") | NOT_INT)
    return flag, draw(st.integers(max_value=MINIMUM[flag] - 1).map(str) | NOT_INT)


@pytest.mark.parametrize("n", EXAMPLES)
def test_run_integer_and_float_options(n: int, capsys, tmp_path: Path) -> None:
    bad_lr = (st.floats(max_value=0).map(repr) | st.sampled_from(["nan", "inf", "1e999"])
              | NOT_FLOAT).map(lambda v: ("--lr", v))

    @settings(max_examples=n)
    @given(int_option() | bad_lr)
    @example(("--n-jobs", "0"))  # was joblib's "n_jobs == 0 in Parallel has no meaning"
    @example(("--lr", "nan"))
    @example(("--n-folds", "1"))
    @example(("--epochs", "2.5"))
    def check(case: tuple[str, str]) -> None:
        flag, value = case
        run_fails([flag, value], capsys, tmp_path, (flag, value))

    check()


SUBJECTS = range(1, 7)  # SimMI-2class
LIST_BAD = {
    "--seeds": st.integers(max_value=-1) | st.integers(min_value=2**32),
    "--subjects": st.integers().filter(lambda s: s not in SUBJECTS),
    "--calib-sizes": st.integers(max_value=-1),
}
LIST_GOOD = {"--seeds": st.integers(0, 2**32 - 1), "--subjects": st.sampled_from(SUBJECTS),
             "--calib-sizes": st.integers(0, 64)}


@st.composite
def list_option(draw: st.DrawFn) -> tuple[str, list[str]]:
    flag = draw(st.sampled_from(sorted(LIST_BAD)))
    values = draw(st.lists(LIST_GOOD[flag], max_size=3, unique=True))
    kind = draw(st.sampled_from(["range", "text", "repeat"]))
    if kind == "repeat":
        bad = draw(LIST_GOOD[flag])
        values += [bad, bad]
    else:
        bad = draw(LIST_BAD[flag] if kind == "range" else NOT_INT)
        values.insert(draw(st.integers(0, len(values))), bad)
    return flag, [str(v) for v in values]


@pytest.mark.parametrize("n", EXAMPLES)
def test_run_list_options(n: int, capsys, tmp_path: Path) -> None:
    @settings(max_examples=n)
    @given(list_option())
    @example(("--seeds", ["-5"]))  # was numpy's "-5 is not in bounds" after training
    @example(("--seeds", [str(2**32)]))
    @example(("--subjects", ["1", "1"]))
    @example(("--calib-sizes", ["-1"]))
    def check(case: tuple[str, list[str]]) -> None:
        flag, values = case
        run_fails([flag, *values], capsys, tmp_path, (flag, *values))

    check()


def _is_name(kind: str, value: str) -> bool:
    from eegdec.data.paradigms import check_paradigm
    from eegdec.data.registry import get_dataset_spec
    from eegdec.models.registry import get_model_info

    check = {"--paradigm": check_paradigm, "--dataset": get_dataset_spec,
             "--model": get_model_info}[kind]
    return _parses(check, value)


@st.composite
def name_option(draw: st.DrawFn) -> tuple[str, list[str]]:
    flag = draw(st.sampled_from(["--paradigm", "--dataset", "--model", "--events"]))
    if flag == "--events":
        events = draw(st.lists(TEXT | st.sampled_from(["left_hand", "right_hand"]), min_size=1,
                               max_size=3))
        if set(events) <= {"left_hand", "right_hand"} and len(set(events)) == 2:
            events.append(draw(TEXT.filter(lambda e: e not in ("left_hand", "right_hand"))))
        return flag, events
    return flag, [draw(TEXT.filter(lambda v: not _is_name(flag, v)))]


CHOICE_FLAGS = {
    "--protocol": "eegdec.evaluation.protocols:protocol_names",
    "--cv": "eegdec.evaluation.splits:CV_MODES",
    "--alignment": "eegdec.preprocessing.alignment:ALIGNMENTS",
    "--class-weight": "eegdec.evaluation.config:CLASS_WEIGHTS",
    "--backend": "eegdec.evaluation.backends:BACKENDS",
    "--device": "eegdec.evaluation.config:DEVICES",
    "--tta": "eegdec.training.tta:TTA_MODES",
    "--finetune": "eegdec.training.finetune:FINETUNE_STRATEGIES",
}


@st.composite
def choice_option(draw: st.DrawFn) -> tuple[str, list[str]]:
    from eegdec.commands import Choices

    flag = draw(st.sampled_from(sorted(CHOICE_FLAGS)))
    return flag, [draw(TEXT.filter(lambda v: v not in Choices(CHOICE_FLAGS[flag])))]


@pytest.mark.parametrize("n", EXAMPLES)
def test_run_names_and_choices(n: int, capsys, tmp_path: Path) -> None:
    @settings(max_examples=n)
    @given(name_option() | choice_option())
    @example(("--events", ["left_hand"]))
    @example(("--events", ["left_hand", "left_hand"]))
    @example(("--paradigm", ["seizure"]))  # a paradigm SimMI-2class does not offer
    @example(("--model", ["csp-lda"]))  # asked for twice
    @example(("--dataset", ["BNCI2041001"]))
    def check(case: tuple[str, list[str]]) -> None:
        flag, values = case
        run_fails([flag, *values], capsys, tmp_path, (flag.lstrip("-"), *values))

    check()


RUN_OPTIONS = ["--paradigm", "--dataset", "--events", "--model", "--pipelines", "--protocol",
               "--cv", "--n-folds", "--subjects", "--epochs", "--lr", "--batch-size", "--seeds",
               "--alignment", "--class-weight", "--calib-sizes", "--fine-tune-epochs",
               "--device", "--data-dir", "--out", "--resume", "--n-jobs", "--backend",
               "--preprocessing", "--select-grid", "--select-folds", "--augment", "--tta",
               "--finetune", "--source-select"]


SELECT_BAD = {
    "grid-empty": (["--select", "--select-grid", ";"], "--select-grid"),
    "grid-no-equals": (["--select", "--select-grid", "epochs"], "--select-grid"),
    "grid-unknown-key": (["--select", "--select-grid", "epoch=10"], "epoch"),
    "grid-bad-epochs": (["--select", "--select-grid", "epochs=0,10"], "epochs=0"),
    "grid-bad-lr": (["--select", "--select-grid", "lr=-1e-3"], "lr=-1e-3"),
    "grid-bad-alignment": (["--select", "--select-grid", "alignment=x"], "alignment"),
    "grid-repeat": (["--select", "--select-grid", "lr=1e-3;lr=1e-4"], "lr"),
    "grid-without-select": (["--select-grid", "epochs=10"], "--select-grid"),
    "folds-without-select": (["--select-folds", "2"], "--select-folds"),
    "folds-too-few": (["--select", "--select-folds", "1"], "--select-folds"),
    "folds-not-int": (["--select", "--select-folds", "two"], "--select-folds"),
    "protocol-without-inner": (["--select", "--protocol", "pseudo-online"], "pseudo-online"),
}


@pytest.mark.parametrize("case", sorted(SELECT_BAD))
def test_run_select_options(case: str, capsys, tmp_path: Path) -> None:
    extra, name = SELECT_BAD[case]
    run_fails(extra, capsys, tmp_path, (name,))


def test_run_options_list_is_complete() -> None:
    from eegdec.cli import build_parser

    run = build_parser()._subparsers._group_actions[0].choices["run"]
    takes_value = {a.option_strings[-1] for a in run._actions
                   if a.option_strings and a.nargs != 0 and a.dest != "help"}
    assert takes_value == set(RUN_OPTIONS)


@pytest.mark.parametrize("flag", RUN_OPTIONS)
@pytest.mark.parametrize("value", ["", "   "], ids=["empty", "blank"])
def test_run_empty_values(flag: str, value: str, capsys, tmp_path: Path) -> None:
    run_fails([flag, value], capsys, tmp_path, (flag,))


@pytest.mark.parametrize("flag", RUN_OPTIONS)
def test_run_missing_values(flag: str, capsys, tmp_path: Path) -> None:
    out = _fresh(tmp_path)
    fails_cleanly(["run", *SIM, "--out", str(out), flag], capsys, (flag,), out)


def test_run_device_cuda_without_gpu(capsys, tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    run_fails(["--device", "cuda"], capsys, tmp_path, ("--device",))


@pytest.mark.parametrize(("extra", "names"), [
    (["--n-folds", "1000"], ("--n-folds",)),  # more folds than trials: known after loading
    (["--protocol", "loso"], ("--subjects",)),  # one subject
    (["--protocol", "online", "--subjects", "1", "2", "--calib-sizes", "100"],
     ("--calib-sizes",)),
], ids=["n-folds-above-trials", "loso-one-subject", "calib-above-session"])
def test_run_options_that_need_the_data(extra: list[str], names, capsys, tmp_path: Path) -> None:
    run_fails(extra, capsys, tmp_path, names)


def _paths(tmp_path: Path) -> dict[str, Path]:
    """Paths that are not what an option wants (``missing`` does not exist)."""
    tmp_path.mkdir()
    (tmp_path / "a_file.txt").write_text("not a folder\n")
    (tmp_path / "empty_dir").mkdir()
    junk = tmp_path / "junk_run"
    junk.mkdir()
    (junk / "config.yaml").write_text("- just\n- a list\n")
    broken = tmp_path / "broken_run"
    broken.mkdir()
    (broken / "config.yaml").write_text("n_folds: [unclosed\n")
    typed = tmp_path / "typed_run"
    typed.mkdir()
    (typed / "config.yaml").write_text("dataset: SimMI-2class\nmodels: [csp-lda]\n"
                                       "n_folds: five\n")
    return {p.name: p for p in tmp_path.iterdir()} | {"missing": tmp_path / "missing"}


@pytest.mark.parametrize(("flag", "target", "names"), [
    ("--pipelines", "missing", ("missing",)),
    ("--pipelines", "a_file.txt", ("a_file.txt",)),  # was MOABB's ValueError traceback
    ("--pipelines", "empty_dir", ("empty_dir",)),
    ("--resume", "missing", ("missing",)),
    ("--resume", "a_file.txt", ("a_file.txt",)),
    ("--resume", "empty_dir", ("empty_dir",)),
    ("--resume", "junk_run", ("config.yaml",)),
    ("--resume", "broken_run", ("config.yaml",)),
    ("--resume", "typed_run", ("--n-folds",)),
    ("--out", "a_file.txt", ("a_file.txt",)),
])
def test_run_bad_paths(flag: str, target: str, names, capsys, tmp_path: Path) -> None:
    path = _paths(tmp_path / "p")[target]
    argv = ["run", *SIM, flag, str(path)]
    out = None
    if flag != "--out":
        out = _fresh(tmp_path)
        argv += ["--out", str(out)]
    fails_cleanly(argv, capsys, names, out)
    assert path.exists() == (target != "missing")


@requires_shared
def test_run_data_dir_without_the_files(capsys, tmp_path: Path) -> None:
    out = _fresh(tmp_path)
    base = ["run", "--dataset", "PhysionetMI", "--paradigm", "LR", "--subjects", "1",
            "--model", "csp-lda", "--quiet", "--out", str(out)]
    fails_cleanly([*base, "--data-dir", str(tmp_path / "nothing")], capsys,
                  ("nothing (from --data-dir) does not exist",), out)
    (tmp_path / "empty").mkdir()
    fails_cleanly([*base, "--data-dir", str(tmp_path / "empty")], capsys, ("S001",), out)


# == existing results are left alone ============================================================
def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run (module scope: set up before the per-test training guard)."""
    out = tmp_path_factory.mktemp("done") / "run"
    assert main(["run", *SIM, "--protocol", "within-co", "--out", str(out)]) == 0
    return out


RUNTIME_BAD = [["--n-jobs", "0"], ["--n-jobs", "x"], ["--backend", "nope"],
               ["--device", "tpu"]]
CONFIG_BAD = [["--n-folds", "0"], ["--seeds", "-5"], ["--lr", "nan"], ["--model", "nope"],
              ["--pipelines", "missing-dir"], ["--events", "left_hand"], ["--subjects", "99"]]


@pytest.mark.parametrize(("how", "extra"), [("out", e) for e in CONFIG_BAD + RUNTIME_BAD]
                         + [("resume", e) for e in RUNTIME_BAD],  # --resume ignores the rest
                         ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_existing_results_untouched(finished_run: Path, how: str, extra: list[str],
                                    capsys) -> None:
    before = _snapshot(finished_run)
    argv = (["run", "--resume", str(finished_run), *extra] if how == "resume"
            else ["run", *SIM, "--protocol", "within-co", *extra, "--out", str(finished_run)])
    fails_cleanly(argv, capsys, (extra[0], extra[1]))
    assert _snapshot(finished_run) == before


# == the other commands =========================================================================
@pytest.mark.parametrize("n", EXAMPLES)
def test_datasets_and_models_options(n: int, capsys) -> None:
    from eegdec.data.paradigms import check_paradigm

    @settings(max_examples=n)
    @given(st.one_of(
        TEXT.filter(lambda v: not _parses(check_paradigm, v)).map(lambda v: ["datasets",
                                                                             "--paradigm", v]),
        TEXT.filter(lambda v: v not in ("torch", "sklearn")).map(lambda v: ["models", "--kind",
                                                                            v])))
    @example(["datasets", "--paradigm", "P300"])  # was an empty table, exit 0
    @example(["datasets", "--paradigm", ""])
    @example(["datasets", "--data-dir", ""])
    def check(argv: list[str]) -> None:
        fails_cleanly(argv, capsys, (argv[1].lstrip("-"), argv[2]))

    check()


def test_datasets_paradigm_alias_lists_datasets(capsys) -> None:
    assert main(["datasets", "--paradigm", "LR"]) == 0  # was an empty table
    assert "SimMI-2class" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "names"), [
    (["--dataset", "nope"], ("nope",)),
    (["--dataset", "BNCI2014001", "--subjects", "abc"], ("abc",)),
    (["--dataset", "BNCI2014001", "--subjects", "5-3"], ("subject",)),
    (["--dataset", "BNCI2014001", "--subjects", "0"], ("subject 0",)),
    (["--dataset", "BNCI2014001", "--subjects", "99"], ("99",)),
    (["--dataset", "PhysionetMI", "--events", "nope"], ("nope",)),  # was a network check first
    (["--dataset", "BNCI2014001", "--data-dir", ""], ("--data-dir",)),
    (["--subjects", "1"], ("--dataset",)),
])
def test_download_options(args: list[str], names, capsys) -> None:
    fails_cleanly(["download", *args], capsys, names)


@pytest.mark.parametrize("case", ["missing", "file", "empty_dir", "out_is_dir", "out_in_file",
                                  "blank"])
def test_report_options(case: str, finished_run: Path, capsys, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    (tmp_path / "d").mkdir()
    argv = {"missing": [str(tmp_path / "nope")], "file": [str(tmp_path / "f.txt")],
            "empty_dir": [str(tmp_path / "d")],
            "out_is_dir": [str(finished_run), "--out", str(tmp_path / "d")],
            "out_in_file": [str(finished_run), "--out", str(tmp_path / "f.txt" / "r.html")],
            "blank": [" "]}[case]
    before = _snapshot(finished_run)
    fails_cleanly(["report", *argv], capsys, (argv[-1].strip() or "RUN_DIR",))
    assert _snapshot(finished_run) == before


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A valid checkpoint (untrained EEGNet for SimMI-2class) and damaged ones."""
    import torch

    from eegdec.models.checkpoint import make_checkpoint
    from eegdec.models.registry import create_model

    root = tmp_path_factory.mktemp("ckpt")
    build = {"n_chans": 22, "n_outputs": 2, "n_times": 1001, "sfreq": 250.0}
    payload = make_checkpoint("eegnet", build, create_model("eegnet", **build),
                              ["left_hand", "right_hand"], [], None)
    files = {"good": payload, "tensor": torch.zeros(3), "missing_keys": {"model": "eegnet"},
             "unknown_model": {**payload, "model": "nope"},
             "bad_build": {**payload, "build": "22x1001"},
             "wrong_shapes": {**payload, "build": {**build, "n_chans": 8}}}
    out = {}
    for name, obj in files.items():
        torch.save(obj, root / f"{name}.pt")
        out[name] = root / f"{name}.pt"
    for name, data in {"empty": b"", "text": b"hello\n", "truncated":
                       out["good"].read_bytes()[:500], "npz": None}.items():
        path = root / f"{name}.pt"
        if data is None:
            with open(path, "wb") as fh:
                np.savez(fh, x=np.zeros(3))
        else:
            path.write_bytes(data)
        out[name] = path
    return out


@pytest.mark.parametrize("damage", ["empty", "text", "truncated", "npz", "tensor",
                                    "missing_keys", "unknown_model", "bad_build", "wrong_shapes",
                                    "nowhere"])
def test_topomap_damaged_checkpoints(damage: str, checkpoints, capsys, tmp_path: Path) -> None:
    path = checkpoints.get(damage, tmp_path / "nowhere.pt")
    out = tmp_path / "maps"
    fails_cleanly(["topomap", "--checkpoint", str(path), "--dataset", "SimMI-2class",
                   "--subjects", "1", "--out", str(out)], capsys, (path.name,), out)


TOPOMAP_BAD = {
    "dataset": (["--dataset", "nope"], "nope"),
    "subjects": (["--subjects", "0"], "subject 0"),
    "paradigm": (["--paradigm", "P300"], "P300"),
    "events": (["--events", "nope", "left_hand"], "nope"),
    "method": (["--method", "nope"], "--method"),
    "alignment": (["--alignment", "nope"], "--alignment"),
    "out-is-a-file": (["--out", "FILE"], "is a file"),
    "other-classes": (["--dataset", "SimMI-4class"], "classes"),
}


@pytest.mark.parametrize("case", sorted(TOPOMAP_BAD))
def test_topomap_options(case: str, checkpoints, capsys, tmp_path: Path) -> None:
    extra, names = TOPOMAP_BAD[case]
    (tmp_path / "f.png").write_text("x")
    extra = [str(tmp_path / "f.png") if a == "FILE" else a for a in extra]
    out = tmp_path / "maps"
    fails_cleanly(["topomap", "--checkpoint", str(checkpoints["good"]), "--dataset",
                   "SimMI-2class", "--subjects", "1", "--out", str(out), *extra], capsys,
                  (names,), out)


# == pipeline YAML (MOABB schema), through `eegdec run --pipelines` ==============================
CSP_LDA = """name: CSP+LDA
paradigms:
  - LeftRightImagery
pipeline:
  - name: Covariances
    from: pyriemann.estimation
    parameters:
      estimator: oas
  - name: CSP
    from: pyriemann.spatialfilters
    parameters:
      nfilter: 6
  - name: LinearDiscriminantAnalysis
    from: sklearn.discriminant_analysis
"""
PIPELINE_CASES = {  # name: (text, expected line or None, words of the message)
    "syntax": (CSP_LDA.replace("nfilter: 6", "nfilter: [6"), 13, "invalid YAML"),
    "tab": (CSP_LDA.replace("  - name: CSP", "\t- name: CSP"), 9, "invalid YAML"),
    "no-module": (CSP_LDA.replace("pyriemann.spatialfilters", "pyriemann.nope"), 10,
                  "cannot import 'pyriemann.nope'"),
    "no-class": (CSP_LDA.replace("name: CSP\n", "name: CPS\n"), 9, "has no class 'CPS'"),
    "not-a-class": (CSP_LDA.replace("name: CSP\n", "name: version\n").replace(
        "pyriemann.spatialfilters", "pyriemann"), 9, "has no class 'version'"),
    "bad-parameter": (CSP_LDA.replace("nfilter: 6", "n_filter: 6"), 11, "fails"),
    "bad-value": (CSP_LDA.replace("from: sklearn.discriminant_analysis",
                                  "from: sklearn.discriminant_analysis\n    parameters:\n"
                                  "      solver: magic"), 15, "solver"),
    "eegdec-model": ("name: Deep\nparadigms: [LeftRightImagery]\npipeline:\n"
                     "  - name: EEGDecClassifier\n    from: eegdec\n"
                     "    parameters: {model: nope}\n", 6, "nope"),
    "eegdec-classical": ("name: Deep\nparadigms: [LeftRightImagery]\npipeline:\n"
                         "  - name: EEGDecClassifier\n    from: eegdec\n"
                         "    parameters: {model: csp-lda}\n", 6, "not a torch model"),
    "not-estimator": ("name: X\nparadigms: [LeftRightImagery]\npipeline:\n"
                      "  - name: Path\n    from: pathlib\n", 4, "not a scikit-learn estimator"),
    "empty": ("", None, "is empty"),
    "comments-only": ("# a pipeline\n", None, "is empty"),
    "list": ("- a\n- b\n", None, "must be a mapping"),
    "unknown-key": (CSP_LDA.replace("paradigms:", "paradigm:"), 2, "unknown key 'paradigm'"),
    "missing-name": (CSP_LDA.replace("name: CSP+LDA\n", ""), None, "missing key 'name'"),
    "name-type": (CSP_LDA.replace("name: CSP+LDA", "name: [1, 2]"), 1, "name"),
    "name-underscores": (CSP_LDA.replace("CSP+LDA", "CSP__LDA"), 1, "'__'"),
    "paradigms-str": (CSP_LDA.replace("paradigms:\n  - LeftRightImagery",
                                      "paradigms: LeftRightImagery"), 2, "paradigms"),
    "pipeline-empty": ("name: X\nparadigms: [LeftRightImagery]\npipeline: []\n", 3,
                       "pipeline must be a list"),
    "step-str": ("name: X\nparadigms: [LeftRightImagery]\npipeline:\n  - CSP\n", 3,
                 "must be a mapping"),
    "step-key": (CSP_LDA.replace("    parameters:\n      nfilter", "    params:\n      nfilter"),
                 11, "unknown step key 'params'"),
    "step-no-from": (CSP_LDA.replace("    from: pyriemann.spatialfilters\n", ""), 9, "'from'"),
    "parameters-list": (CSP_LDA.replace("    parameters:\n      nfilter: 6",
                                        "    parameters: [6]"), 11, "must be a mapping"),
    "other-paradigm": (CSP_LDA.replace("LeftRightImagery", "P300"), None, "lists paradigm"),
    "binary": ("\x00\x01", None, "invalid YAML"),
}


@pytest.mark.parametrize("case", sorted(PIPELINE_CASES))
def test_pipeline_yaml_names_file_line_and_problem(case: str, capsys, tmp_path: Path) -> None:
    text, line, words = PIPELINE_CASES[case]
    folder = tmp_path / "pipes"
    folder.mkdir()
    path = folder / f"{case}.yml"
    path.write_text(text)
    names = (f"{path} line {line}",) if line else (str(path),)
    if case == "other-paradigm":
        names = (str(folder),)
    else:  # a good file beside does not hide the bad one
        (folder / "good.yml").write_text(CSP_LDA.replace("CSP+LDA", "Good"))
    msg = run_fails(["--paradigm", "LR", "--pipelines", str(folder)], capsys, tmp_path, names)
    assert words in msg


def test_pipeline_names_must_differ(capsys, tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(CSP_LDA)
    (tmp_path / "b.yaml").write_text(CSP_LDA)
    msg = run_fails(["--pipelines", str(tmp_path)], capsys, tmp_path, ("a.yml",))
    assert "b.yaml" in msg and "rename" in msg


def test_one_pipeline_file_is_accepted() -> None:
    from eegdec.evaluation.decoders import moabb_pipelines

    pipes = Path(__file__).resolve().parents[1] / "pipelines"
    (spec,) = moabb_pipelines(str(pipes / "csp-lda.yml"), "LeftRightImagery")
    assert spec.name == "CSP+LDA" and hasattr(spec.pipeline, "fit")
    assert len(moabb_pipelines(str(pipes), "LeftRightImagery")) >= 10


yaml_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
yaml_values = st.recursive(yaml_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
SAFE_MODULES = ["sklearn.discriminant_analysis", "pyriemann.spatialfilters", "no.such.module",
                "", "eegdec"]
SAFE_CLASSES = ["LinearDiscriminantAnalysis", "CSP", "EEGDecClassifier", "Nope", ""]


@st.composite
def pipeline_docs(draw: st.DrawFn) -> object:
    """A MOABB-schema document with some parts replaced, removed or added at random."""
    step = {"name": draw(st.sampled_from(SAFE_CLASSES) | TEXT),
            "from": draw(st.sampled_from(SAFE_MODULES)),
            "parameters": draw(st.none() | st.dictionaries(TEXT, yaml_scalars, max_size=2))}
    doc = {"name": draw(TEXT), "paradigms": ["LeftRightImagery"], "pipeline": [step]}
    for key in draw(st.lists(st.sampled_from([*doc, "name/from", "extra"]), max_size=2)):
        if key == "extra":
            doc[draw(TEXT)] = draw(yaml_values)
        elif key == "name/from":
            step.pop(draw(st.sampled_from(["name", "from"])), None)
        elif draw(st.booleans()):
            doc.pop(key, None)
        else:
            doc[key] = draw(yaml_values)
    return doc


@pytest.mark.parametrize("n", EXAMPLES)
def test_random_pipeline_documents(n: int, tmp_path: Path) -> None:
    """Any document: pipelines, or an eegdec error of one line naming the file."""
    from eegdec.evaluation.decoders import moabb_pipelines

    @settings(max_examples=n)
    @given(pipeline_docs() | yaml_values | st.tuples(TEXT))  # a tuple: raw text
    def check(doc: object) -> None:
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        path = folder / "p.yml"
        text = doc[0] if isinstance(doc, tuple) else yaml.safe_dump(doc, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        try:
            specs = moabb_pipelines(str(folder), "LeftRightImagery")
        except EEGDecError as exc:
            assert str(path) in str(exc) and "\n" not in str(exc), str(exc)
            assert FIX.search(str(exc)), str(exc)
        else:
            assert all(hasattr(s.pipeline, "fit") for s in specs)

    check()


# == preprocessing YAML (Pipeline.from_yaml) ====================================================
PREPROCESSING_CASES = {  # YAML text: words the message must hold
    "steps:\n  - bandpass: {l_freq: 8\n": "line 3: invalid YAML",
    "steps:\n\t- bandpass: {}\n": "line 2: invalid YAML",
    "": "needs a 'steps' list",
    "# only a comment\n": "needs a 'steps' list",
    "42\n": "needs a 'steps' list",
    "steps: 5\n": "'steps' must be a list",
    "steps: {bandpass: {}}\n": "'steps' must be a list",
    "steps: []\nbad_chanels: drop\n": "Did you mean: bad_channels",
    "steps: []\nbad_channels: [drop]\n": "bad_channels=",
    "steps:\n  - bandpas: {}\n": "Did you mean: bandpass",
    "steps:\n  - null\n": "mapping with one key",
    "steps:\n  - bandpass: {}\n    resample: 100\n": "mapping with one key",
    "steps:\n  - bandpass: {lfreq: 8}\n": "Did you mean: l_freq",
    "steps:\n  - bandpass: {l_freq: abc}\n": "l_freq must be a finite number or None",
    "steps:\n  - bandpass: {l_freq: .nan}\n": "l_freq must be",
    "steps:\n  - bandpass: {l_freq: -3}\n": "l_freq must be positive",
    "steps:\n  - bandpass: {l_freq: 30, h_freq: 8}\n": "below h_freq",
    "steps:\n  - bandpass: {method: fft}\n": "one of 'iir', 'fir'",
    "steps:\n  - bandpass: {method: fir, phase: causal}\n": "use method: iir",
    "steps:\n  - notch: {phase: forward}\n": "one of 'zero', 'causal'",
    "steps:\n  - resample: fast\n": "sfreq must be a finite number",
    "steps:\n  - resample: 0\n": "sfreq must be positive",  # was the 128 Hz default
    "steps:\n  - resample: [1, 2]\n": "sfreq must be",
    "steps:\n  - channels: C3\n": "names must be a list of strings",
    "steps:\n  - channels: 5\n": "names must be a list of strings",
    "steps:\n  - channels: []\n": "names is empty",
    "steps:\n  - notch: {freqs: abc}\n": "freqs must be",
    "steps:\n  - notch: -50\n": "positive frequencies",
    "steps:\n  - rereference: 5\n": "ref must be",
    "steps:\n  - rereference: []\n": "ref is empty",
    "steps:\n  - ems: {factor_new: -1}\n": "factor_new must be in",
    "steps:\n  - ems: {init_block_size: big}\n": "init_block_size must be",
    "steps:\n  - window: {tmin: a}\n": "tmin must be",
    "steps:\n  - window: {tmin: true}\n": "tmin must be",
    "steps:\n  - window: {tmin: 2, tmax: 1}\n": "must be before",
    "steps:\n  - window: {}\n  - window: {}\n": "one window step",
    "steps:\n  - baseline: {tmin: 1, tmax: 0}\n": "must not be after",
    "steps:\n  - standardize: {eps: tiny}\n": "eps must be",
    "steps:\n  - standardize: {eps: -1}\n": "eps must be >= 0",
}


@pytest.mark.parametrize("text", sorted(PREPROCESSING_CASES), ids=repr)
def test_preprocessing_yaml_cases(text: str, tmp_path: Path) -> None:
    from eegdec.preprocessing import Pipeline

    path = tmp_path / "prep.yaml"
    path.write_text(text)
    with pytest.raises(EEGDecError) as err:
        Pipeline.from_yaml(path)
    msg = str(err.value)
    assert str(path) in msg and PREPROCESSING_CASES[text] in msg and "\n" not in msg, msg
    assert FIX.search(msg), msg


def test_preprocessing_file_that_is_not_text(tmp_path: Path) -> None:
    from eegdec.preprocessing import Pipeline

    path = tmp_path / "prep.yaml"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(BadInputError, match="not UTF-8 text"):
        Pipeline.from_yaml(path)


@st.composite
def preprocessing_docs(draw: st.DrawFn) -> object:
    from eegdec.preprocessing.steps import STEPS

    key = draw(st.sampled_from(sorted(STEPS)) | TEXT)
    params = draw(st.none() | yaml_scalars | st.lists(yaml_scalars, max_size=3)
                  | st.dictionaries(st.sampled_from(["l_freq", "h_freq", "method", "sfreq",
                                                     "names", "freqs", "tmin", "tmax", "eps",
                                                     "ref", "factor_new", "phase"]) | TEXT,
                                    yaml_scalars | st.lists(yaml_scalars, max_size=2),
                                    max_size=3))
    doc = {"steps": [{key: params}], "bad_channels": draw(st.sampled_from(["raise", "drop"])
                                                          | yaml_values)}
    return draw(st.just(doc) | yaml_values)


@pytest.mark.parametrize("n", EXAMPLES)
def test_random_preprocessing_documents(n: int, tmp_path: Path) -> None:
    """Any document: a Pipeline whose steps all passed their checks, or a one-line eegdec
    error naming the file."""
    from eegdec.preprocessing import Pipeline

    @settings(max_examples=n)
    @given(preprocessing_docs())
    @example({"steps": [{"resample": 0}]})
    def check(doc: object) -> None:
        path = Path(tempfile.mkdtemp(dir=tmp_path)) / "prep.yml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        try:
            pipe = Pipeline.from_yaml(path)
        except EEGDecError as exc:
            assert str(path) in str(exc) and "\n" not in str(exc), str(exc)
        else:
            assert Pipeline.from_config(pipe.config()).config() == pipe.config()

    check()


# == datasets.yaml entries (registry) ===========================================================
GOOD_ENTRY = {"loader": "simulated", "paradigms": ["MI"], "classes": {"a": 1, "b": 2},
              "window": [0.0, 4.0], "sfreq": 250, "n_channels": 3, "subjects": 2}
ENTRY_CASES = {
    **{f"missing-{k}": ({k: None}, f"missing key '{k}'")
       for k in ("classes", "window", "sfreq", "n_channels", "subjects")},
    "classes-list": ({"classes": ["a", "b"]}, "'classes' must be a mapping of strings"),
    "classes-code": ({"classes": {"a": "x"}}, "a mapping of strings to integers"),
    "classes-empty": ({"classes": {}}, "'classes' is empty"),
    "window-one": ({"window": [1]}, "[start, end]"),
    "window-text": ({"window": "0-4"}, "'window' must be a list of finite numbers"),
    "window-reversed": ({"window": [4, 0]}, "start < end"),
    "sfreq-text": ({"sfreq": "fast"}, "'sfreq' must be a finite number"),
    "sfreq-negative": ({"sfreq": -1}, "'sfreq' must be positive"),
    "n_channels-zero": ({"n_channels": 0}, "'n_channels' must be positive"),
    "channels-count": ({"channels": ["C3"]}, "n_channels says 3"),
    "subjects-zero": ({"subjects": 0}, "'subjects' must be a count"),
    "subjects-empty": ({"subjects": []}, "'subjects' must be a count"),
    "subjects-text": ({"subjects": "all"}, "'subjects' must be an integer"),
    "paradigms-text": ({"paradigms": "MI"}, "'paradigms' must be a list"),
    "paradigms-unknown": ({"paradigms": ["P300"]}, "Unknown paradigm 'P300'"),
    "sessions-text": ({"sessions": "01"}, "'sessions' must be a list"),
    "sessions-empty": ({"sessions": []}, "'sessions' is empty"),
    "unknown-key": ({"sfrq": 250}, "Did you mean: sfreq"),
    "loader": ({"loader": "nope"}, "loader 'nope' is not one of"),
    "moabb-class": ({"loader": "moabb"}, "needs a 'moabb' class name"),
    "options-list": ({"options": [1]}, "'options' must be a mapping"),
    "layout-text": ({"layout": "x"}, "'layout' must be a mapping"),
    "runs-list": ({"runs": [1]}, "'runs' must be a mapping"),
}


@pytest.mark.parametrize("case", sorted(ENTRY_CASES))
def test_dataset_entry_cases(case: str) -> None:
    from eegdec.data.registry import _spec

    change, words = ENTRY_CASES[case]
    entry = {k: v for k, v in {**GOOD_ENTRY, **change}.items() if v is not None}
    with pytest.raises(BadInputError) as err:
        _spec("X", entry)
    msg = str(err.value)
    assert msg.startswith("datasets.yaml: X: ") and words in msg and "\n" not in msg, msg
    assert "fix the entry" in msg


@pytest.mark.parametrize("text", ["datasets:\n  X: {a: 1\n", "datasets: [1]\n", "5\n", "",
                                  "datasets:\n", "datasets:\n  X:\n", "datasets:\n  X: 3\n"],
                         ids=repr)
def test_registry_file_cases(text: str, tmp_path: Path) -> None:
    from eegdec.data.registry import _load_registry

    path = tmp_path / "datasets.yaml"
    path.write_text(text)
    with pytest.raises(BadInputError) as err:
        _load_registry(str(path))
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert FIX.search(str(err.value))


@pytest.mark.parametrize("n", EXAMPLES)
def test_random_dataset_entries(n: int) -> None:
    """Any entry: a spec whose facts are usable, or a one-line error naming the entry."""
    from eegdec.data.registry import KEYS, _spec

    @settings(max_examples=n)
    @given(st.dictionaries(st.sampled_from(sorted(KEYS)) | TEXT, yaml_values, max_size=3),
           st.lists(st.sampled_from(sorted(GOOD_ENTRY)), max_size=2))
    def check(change: dict, drop: list[str]) -> None:
        entry = {k: v for k, v in {**GOOD_ENTRY, **change}.items() if k not in drop}
        try:
            spec = _spec("X", entry)
        except BadInputError as exc:
            assert str(exc).startswith("datasets.yaml: X: ") and "\n" not in str(exc)
        else:
            assert spec.sfreq > 0 and spec.n_channels > 0 and spec.subjects and spec.classes
            assert spec.window[0] < spec.window[1] and spec.sessions
            assert all(isinstance(c, int) for c in spec.classes.values())

    check()


# == arrays given to EEGDecClassifier ===========================================================
@pytest.fixture
def tiny_clf():
    from test_training_core import TINY

    from eegdec import EEGDecClassifier

    return lambda: EEGDecClassifier(TINY, epochs=1, batch_size=16, random_state=0, sfreq=128)


@pytest.fixture
def no_fit_module(monkeypatch: pytest.MonkeyPatch) -> None:
    from eegdec.training import trainer

    def trained(*args, **kwargs):
        raise AssertionError("trained on bad input")

    monkeypatch.setattr(trainer, "fit_module", trained)


def _data(n: int = 32, c: int = 4, t: int = 128) -> tuple[np.ndarray, np.ndarray]:
    from test_training_core import band_power_data

    return band_power_data(n, n_chans=c, n_times=t)


def _poison(X: np.ndarray, value: float) -> np.ndarray:
    X = X.astype(np.float64)
    X[3, 1, 5] = value
    return X


ARRAY_CASES = {  # name: (X transform, y transform, error type, words)
    "nan": (lambda X: _poison(X, np.nan), None, BadInputError, "NaN or inf"),
    "inf": (lambda X: _poison(X, np.inf), None, BadInputError, "NaN or inf"),
    "beyond-float32": (lambda X: _poison(X, 1e300), None, BadInputError, "beyond float32"),
    "1-d": (lambda X: X[0, 0], lambda y: y[:1], BadInputError, "Reshape your data"),
    "4-d": (lambda X: X[:, None], None, BadInputError, "Reshape your data"),
    "complex": (lambda X: X.astype(complex), None, BadInputError, "Complex data not supported"),
    "zero-trials": (lambda X: X[:0], lambda y: y[:0], ValueError, "0 sample(s)"),
    "zero-channels": (lambda X: X[:, :0], None, BadInputError, "at least one channel"),
    "zero-times": (lambda X: X[:, :, :0], None, BadInputError, "one time sample"),
    "one-class": (None, lambda y: np.zeros_like(y), BadInputError, "at least two"),
    "y-length": (None, lambda y: y[:5], ValueError, "inconsistent numbers of samples"),
    "y-nan": (None, lambda y: np.where(y == 0, np.nan, 1.0), ValueError, "NaN"),
    "y-continuous": (None, lambda y: np.linspace(0, 1, len(y)), ValueError, "continuous"),
}


@pytest.mark.usefixtures("no_fit_module")
@pytest.mark.parametrize("case", sorted(ARRAY_CASES))
def test_fit_refuses_bad_arrays(case: str, tiny_clf) -> None:
    fx, fy, error, words = ARRAY_CASES[case]
    X, y = _data()
    X, y = (fx or (lambda a: a))(X), (fy or (lambda a: a))(y)
    with pytest.raises(error) as err:
        tiny_clf().fit(X, y)
    assert words in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_predict_refuses_mismatched_arrays(tiny_clf) -> None:
    from sklearn.exceptions import NotFittedError

    X, y = _data()
    with pytest.raises(NotFittedError):
        tiny_clf().predict(X)
    clf = tiny_clf().fit(X, y)
    cases = {"3 channels but the model was fitted on 4": X[:, :3],
             "100 time samples but the model was fitted on 128": X[:, :, :100],
             "NaN or inf": _poison(X, np.nan), "Reshape your data": X[:, None]}
    for words, bad in cases.items():
        for method in (clf.predict, clf.predict_proba, lambda Z: clf.fine_tune(Z, y)):
            with pytest.raises(BadInputError, match=re.escape(words)):
                method(bad)


def test_integer_float64_and_strided_arrays_work(tiny_clf) -> None:
    X, y = _data()
    ints = np.round(X * 100).astype(np.int16)
    clf = tiny_clf().fit(ints, y)
    ref = clf.predict_proba(ints.astype(np.float32))
    strided = np.asfortranarray(np.repeat(ints.astype(np.float64), 2, axis=2)[:, :, ::2])
    assert not strided.flags.c_contiguous
    for same in (ints.astype(np.int64), ints.astype(np.float64), strided, ints.tolist()):
        np.testing.assert_allclose(clf.predict_proba(same), ref, rtol=1e-5, atol=1e-6)
    tiny_clf().fit(X.astype(np.float64)[:, ::-1], y).predict(X[:, ::-1])


@pytest.mark.parametrize("n", EXAMPLES)
def test_random_arrays_are_converted_or_refused(n: int, tiny_clf) -> None:
    """Any dtype, layout and poison: validation gives float32 C-contiguous ``(n, C, T)``
    equal to the input, or a one-line ValueError (eegdec's BadInputError or scikit-learn's)."""
    from eegdec.training.classifier import EEGDecClassifier

    dtypes = st.sampled_from([np.float16, np.float32, np.float64, np.int8, np.int32,
                              np.int64, np.uint8, np.bool_, np.complex64, object])

    @settings(max_examples=n)
    @given(st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(0, 5)), dtypes,
           st.booleans(), st.sampled_from([None, np.nan, np.inf, -np.inf, 1e40]),
           st.sampled_from([1, 2, 3, 4]))
    def check(shape, dtype, fortran, poison, ndim) -> None:
        n, c, t = shape
        X = np.arange(n * c * t, dtype=np.float64).reshape(shape) % 7
        if poison is not None and X.size:
            X.flat[X.size // 2] = poison
        X = {1: X.ravel(), 2: X.reshape(n, c * t), 3: X, 4: X[:, None]}[ndim]
        X = np.asfortranarray(X.astype(dtype)) if fortran else X.astype(dtype)
        clf: EEGDecClassifier = tiny_clf()
        try:
            out = clf._validate_X(X, reset=True)
        except ValueError as exc:
            assert "\n" not in str(exc), str(exc)
        else:
            assert out.dtype == np.float32 and out.flags.c_contiguous and out.ndim == 3
            assert np.array_equal(out.reshape(X.shape[:1] + (-1,)),
                                  np.asarray(X, dtype=np.float32).reshape(X.shape[:1] + (-1,)))

    check()


# == damaged data files =========================================================================
def _edf_bytes() -> bytes:
    import edfio

    signals = [edfio.EdfSignal(np.sin(np.arange(256 * 8) / 10.0) * 50, 256, label=f"EEG {c}",
                               physical_range=(-100, 100)) for c in ("Fp1", "Fp2")]
    path = Path(tempfile.mkdtemp()) / "x.edf"
    edfio.Edf(signals).write(path)
    return path.read_bytes()


@pytest.mark.parametrize("n", EXAMPLES)
def test_random_truncations_of_an_edf(n: int, tmp_path: Path) -> None:
    """An EDF cut anywhere is refused, naming the file (MNE alone reads a cut file silently)."""
    from eegdec.data.seizure._edf import read_edf

    full = _edf_bytes()
    path = tmp_path / "rec.edf"
    path.write_bytes(full)
    assert read_edf(path, "URL").n_times == 256 * 8

    @settings(max_examples=n)
    @given(st.integers(0, len(full) - 1))
    @example(0)
    @example(100)
    @example(len(full) // 2)
    def check(size: int) -> None:
        path.write_bytes(full[:size])
        with pytest.raises(CorruptFileError) as err:
            read_edf(path, "URL")
        assert str(path) in str(err.value) and "re-download" in str(err.value)
        assert "\n" not in str(err.value)

    check()


def _other_formats() -> dict[str, bytes]:
    import io

    from scipy.io import savemat

    npz, mat = io.BytesIO(), io.BytesIO()
    np.savez(npz, X=np.zeros(3))
    savemat(mat, {"data": np.zeros(3)})
    return {"empty": b"", "text": b"hello world\n" * 100, "npz": npz.getvalue(),
            "mat": mat.getvalue(), "random": bytes(range(256)) * 40}


OTHER_FORMATS = ["empty", "text", "npz", "mat", "random"]


@requires_shared
@pytest.mark.parametrize("damage", ["truncated", "header-only", "crlf", *OTHER_FORMATS])
def test_physionet_edf_damage(damage: str, tmp_path: Path) -> None:
    """A damaged run is named; skip_bad_files reads the others (MNE alone loaded 37 of the
    45 trials of a half-truncated run, silently)."""
    from eegdec.preprocessing.load import load_epochs

    subject_dir = tmp_path / "MNE-eegbci-data/files/eegmmidb/1.0.0/S001"
    subject_dir.mkdir(parents=True)
    for run in ("R08", "R12"):
        (subject_dir / f"S001{run}.edf").symlink_to(PHYSIONET_DIR / "S001" / f"S001{run}.edf")
    src = (PHYSIONET_DIR / "S001" / "S001R04.edf").read_bytes()
    data = {"truncated": src[: len(src) // 2], "header-only": src[:256 * 66],
            "crlf": CORRUPT_EDF.read_bytes(), **_other_formats()}[damage]
    bad = subject_dir / "S001R04.edf"
    bad.write_bytes(data)
    with pytest.raises(CorruptFileError) as err:
        load_epochs("PhysionetMI", [1], paradigm="LR", data_dir=tmp_path, cache=False)
    assert str(bad) in str(err.value) and "download it again" in str(err.value)
    if damage != "truncated":
        return
    ep = load_epochs("PhysionetMI", [1], paradigm="LR", data_dir=tmp_path, cache=False,
                     skip_bad_files=True)
    assert sorted(ep.metadata.run.unique()) == ["R08", "R12"]


@pytest.mark.parametrize("damage", ["truncated", "edf", "no-data-key", "wrong-content",
                                    *OTHER_FORMATS])
def test_bnci_mat_damage(damage: str, tmp_path: Path) -> None:
    from bnci_files import write_bnci2014001
    from scipy.io import savemat

    from eegdec.preprocessing.load import load_epochs

    path = write_bnci2014001(tmp_path, [1], trials_per_run=8, runs=1)[0]
    full = path.read_bytes()
    if damage == "no-data-key":
        savemat(path, {"x": np.zeros(3)})
    elif damage == "wrong-content":
        savemat(path, {"data": np.zeros(3)})
    else:
        path.write_bytes({"truncated": full[: len(full) // 2], "edf": _edf_bytes(),
                          **_other_formats()}[damage])
    with pytest.raises(CorruptFileError) as err:  # "truncated" was "file not found"
        load_epochs("BNCI2014001", [1], data_dir=tmp_path, cache=False)
    assert "BNCI2014001 subject 1" in str(err.value) and "download it again" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("damage", ["truncated", "edf", *OTHER_FORMATS])
def test_epoch_cache_damage_is_rebuilt(damage: str, tmp_path: Path, caplog) -> None:
    from test_data_bad_input import _ep

    from eegdec.data.cache import load_or_build

    good = _ep(1, 250.0)
    path = good.save(tmp_path / "sub-001.npz")
    path.write_bytes({"truncated": path.read_bytes()[:200], "edf": _edf_bytes(),
                      **_other_formats()}[damage])
    rebuilt = load_or_build(path, lambda: good)
    assert np.array_equal(rebuilt.X, good.X) and "Rebuilding" in caplog.text
    assert str(path) in caplog.text


@pytest.mark.parametrize("damage", ["truncated", "letters", "two-columns", "edf", "empty"])
def test_bonn_segment_damage(damage: str, tmp_path: Path) -> None:
    from eegdec.data.seizure.bonn import _read_segment

    path = tmp_path / "S001.txt"
    text = {"truncated": "\n".join(["12"] * 2000), "letters": "12\nnot-a-number\n",
            "two-columns": "1 2\n3 4\n", "empty": ""}
    if damage == "edf":
        path.write_bytes(_edf_bytes())
    else:
        path.write_text(text[damage])
    with pytest.raises(CorruptFileError) as err:
        _read_segment(path, "URL")
    assert str(path) in str(err.value) and "re-download" in str(err.value)
