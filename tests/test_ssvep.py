"""SSVEP: the Kalunga2016 loader on the real files (both layouts), the SSVEP paradigms, the
filter-bank step, CCA/TRCA, MOABB's leave-one-session-out, the default SSVEP decoders, and
full `eegdec run`s above chance on one subject."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA, requires_ssvepexo

from eegdec.cli import main
from eegdec.data.paradigms import check_paradigm, resolve_events, stimulus_frequencies
from eegdec.data.registry import get_dataset_spec
from eegdec.errors import BadInputError, DataNotFoundError
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.decoders import default_decoders, model_specs, shipped_pipelines
from eegdec.evaluation.splits import leave_one_session_out
from eegdec.models.ssvep import CCA, TRCA, BandsLast, fill_stimulus
from eegdec.preprocessing import FilterBank, Pipeline
from eegdec.preprocessing.load import load_epochs

SFREQ = 256.0
FREQS = [13.0, 17.0, 21.0]


def synthetic_ssvep(n_per_class: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """8 channels, 2 s; classes 0-2 carry a 13/17/21 Hz response (+ 2nd harmonic) at a random
    phase, class 3 is noise only (rest)."""
    rng = np.random.default_rng(seed)
    t = np.arange(512) / SFREQ
    y = np.repeat(np.arange(4), n_per_class)
    X = rng.standard_normal((len(y), 8, 512))
    gain = np.linspace(1.0, 0.3, 8)[:, None]
    for i, c in enumerate(y):
        if c < 3:
            ph = rng.uniform(0, 2 * np.pi)
            s = np.sin(2 * np.pi * FREQS[c] * t + ph) + 0.5 * np.sin(4 * np.pi * FREQS[c] * t + ph)
            X[i] += 0.6 * gain * s
    return X, y


def test_paradigm_names_and_frequencies() -> None:
    assert check_paradigm("ssvep") == "SSVEP" and check_paradigm("FBSSVEP") == "FilterBankSSVEP"
    spec = get_dataset_spec("SSVEPExo")
    assert spec.name == get_dataset_spec("kalunga_2016").name == "Kalunga2016"
    assert resolve_events(spec, "SSVEP") == ("SSVEP", ["13", "17", "21", "rest"])
    assert spec.classes == {"13": 2, "17": 4, "21": 3, "rest": 1}  # MOABB's codes
    assert stimulus_frequencies(["13", "17Hz", "rest"]) == [13.0, 17.0]
    with pytest.raises(BadInputError, match="offers paradigms"):
        resolve_events(spec, "MI")


def test_default_pipelines_follow_moabb() -> None:
    spec = get_dataset_spec("SSVEPExo")
    fb = Pipeline.for_dataset(spec, None, "FilterBankSSVEP", ["13", "17", "21", "rest"])
    assert fb.config()["steps"] == [{"filterbank": {"freqs": FREQS, "width": 1.0}}]
    plain = Pipeline.for_dataset(spec, None, "SSVEP", ["13", "17", "21", "rest"])
    assert plain.config()["steps"][0]["bandpass"]["l_freq"] == 7.0
    with pytest.raises(BadInputError, match="positive"):
        FilterBank([0.2])


def test_cca_learns_frequency_classes_and_rest_threshold() -> None:
    X, y = synthetic_ssvep(seed=1)
    Xt, yt = synthetic_ssvep(seed=2)
    perm = np.array([2, 0, 3, 1])  # label order must not matter
    clf = CCA(freqs=FREQS, sfreq=SFREQ).fit(X, perm[y])
    assert (clf.predict(Xt) == perm[yt]).mean() >= 0.9
    assert clf.rest_class_ == 1 and np.isfinite(clf.threshold_)
    assert np.allclose(clf.predict_proba(Xt).sum(axis=1), 1.0)
    with pytest.raises(BadInputError, match="needs freqs"):
        CCA().fit(X, y)
    with pytest.raises(BadInputError, match="at most one rest"):
        CCA(freqs=[13.0], sfreq=SFREQ).fit(X, y)


def test_trca_learns_phase_locked_responses() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(512) / SFREQ
    y = np.repeat(np.arange(3), 10)
    X = rng.standard_normal((30, 8, 512))
    X += 0.5 * np.sin(2 * np.pi * np.array(FREQS)[y][:, None, None] * t)  # same phase
    clf = TRCA().fit(X[::2], y[::2])
    assert (clf.predict(X[1::2]) == y[1::2]).mean() >= 0.9


def test_bands_last_matches_moabb_layout_and_stimulus_fill() -> None:
    from moabb.pipelines import ExtendedSSVEPSignal
    from sklearn.pipeline import make_pipeline

    X = np.arange(2 * 6 * 5).reshape(2, 6, 5).astype(float)  # 3 bands x 2 channels
    four = BandsLast(3).fit_transform(X)
    assert four.shape == (2, 2, 5, 3) and np.array_equal(four[:, 1, :, 2], X[:, 5])
    assert np.array_equal(ExtendedSSVEPSignal().transform(four), X)  # round trip
    pipe = fill_stimulus(make_pipeline(CCA(sfreq=128.0)), 256.0, FREQS)
    assert pipe.steps[0][1].freqs == FREQS and pipe.steps[0][1].sfreq == 128.0


def test_leave_one_session_out_trains_on_every_other_session() -> None:
    """MOABB's CrossSessionEvaluation: each session tested once, trained on all the others
    (eegdec's ``cross-session`` trains on the first session only)."""
    rows = [{"subject": 7, "session": s, "trial": t} for s in ("2", "0", "1") for t in range(4)]
    meta = pd.DataFrame(rows).iloc[::-1].reset_index(drop=True)  # row order != recording order
    sessions = meta["session"].to_numpy()
    splits = leave_one_session_out(meta)
    assert [sp.session for sp in splits] == ["0", "1", "2"]
    for sp in splits:
        assert set(sessions[sp.test]) == {sp.session}
        assert set(sessions[sp.train]) == {"0", "1", "2"} - {sp.session}
        assert len(sp.train) == 8 and len(sp.test) == 4
        assert list(meta["trial"].to_numpy()[sp.test]) == [0, 1, 2, 3]  # recording order
    with pytest.raises(BadInputError, match="one session"):
        leave_one_session_out(meta[sessions == "0"])


def test_default_decoders_are_the_ssvep_pipelines_under_ssvep_paradigms() -> None:
    assert default_decoders("MI") == (["dbconformer", "csp-lda"], None)
    for paradigm in ("SSVEP", "fbssvep"):
        assert default_decoders(paradigm) == ([], str(shipped_pipelines()))
    assert (shipped_pipelines() / "ssvep-mdm.yml").is_file()
    from eegdec.cli import build_parser
    from eegdec.commands.run import _config

    def config(*argv: str) -> RunConfig:
        return _config(build_parser().parse_args(["run", "--dataset", "SSVEPExo", *argv]))[0]

    cfg = config("--paradigm", "SSVEP")
    assert cfg.models == [] and cfg.pipelines == str(shipped_pipelines())
    assert cfg.alignment == "none"  # causal EA lowers the filter-bank pipelines
    assert config("--paradigm", "SSVEP", "--alignment", "euclidean").alignment == "euclidean"
    explicit = config("--paradigm", "SSVEP", "--model", "eegnet")
    assert explicit.models == ["eegnet"] and explicit.pipelines is None
    assert explicit.alignment == "euclidean"  # the deep models need it (docs/results.md)
    assert config("--paradigm", "SSVEP", "--model", "ts-lr").alignment == "none"
    assert config("--paradigm", "MI").alignment == "euclidean"
    # Under SSVEP the FilterBankSSVEP pipelines come along, on filter-bank epochs.
    specs = {s.name: s.paradigm for s in model_specs(cfg.resolved())}
    assert specs == {"CCA": None, "TRCA": None, "FB+MDM": "FilterBankSSVEP",
                     "FB+TS+LR": "FilterBankSSVEP"}
    fb_only = {s.name: s.paradigm for s in model_specs(
        config("--paradigm", "FilterBankSSVEP").resolved())}
    assert fb_only == {"FB+MDM": None, "FB+TS+LR": None}


# ------------------------------------------------------------------------------ real files
@requires_ssvepexo
def test_loader_shapes_counts_and_excluded_session() -> None:
    ep = load_epochs("SSVEPExo", [1, 8], paradigm="SSVEP", data_dir=SHARED_DATA, cache=False)
    assert ep.X.shape == (128, 8, 513) and ep.sfreq == 256.0
    assert ep.ch_names == ["Oz", "O1", "O2", "PO3", "POz", "PO7", "PO8", "PO4"]
    counts = pd.crosstab([ep.metadata.subject, ep.metadata.session], ep.y)
    assert (counts.values == 8).all() and counts.shape == (4, 4)  # 8 trials/class/session
    assert "record-[2013.04.06-16.22.32]" not in set(ep.metadata.run)
    spec = dataclasses.replace(get_dataset_spec("SSVEPExo"),
                               options={"keep_excluded": True})
    kept = load_epochs(spec, 8, paradigm="SSVEP", data_dir=SHARED_DATA, cache=False)
    assert kept.metadata.run.iloc[0] == "record-[2013.04.06-16.22.32]"
    assert kept.metadata.session.nunique() == 3
    fb = load_epochs("SSVEPExo", 1, paradigm="FilterBankSSVEP", data_dir=SHARED_DATA,
                     cache=False)
    assert fb.X.shape == (64, 24, 513) and fb.ch_names[8] == "Oz_17Hz"


@requires_ssvepexo
def test_same_file_name_in_two_subjects_reads_each_subjects_own() -> None:
    """Subjects 03 and 07 both hold record-[2012.07.11-15.33.08]; each reads its own file.

    The two files differ in bytes (subject id in the header) but hold the same samples and
    events: one recording filed under two subjects (see docs/datasets.md)."""
    from eegdec.data.ssvepexo import read_session, session_files

    spec = get_dataset_spec("SSVEPExo")
    name = "record-[2012.07.11-15.33.08]"
    a, b = (session_files(spec, s, SHARED_DATA)[name] for s in (3, 7))
    assert (a.parent.name, b.parent.name) == ("subject03", "subject07")
    ra, rb = read_session(a), read_session(b)
    assert (ra.info["subject_info"]["id"], rb.info["subject_info"]["id"]) == (3, 7)
    assert np.array_equal(ra.get_data(), rb.get_data())


@requires_ssvepexo
def test_missing_subject_names_file_and_places(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as err:
        load_epochs("SSVEPExo", 9, paradigm="SSVEP", data_dir=SHARED_DATA, cache=False)
    msg = str(err.value)
    assert "\n" not in msg and "subject09/record-*_raw.fif" in msg
    assert "MNE-ssvepexo-data" in msg and "subject09_run*_raw.fif" in msg


@requires_ssvepexo
def test_moabb_layout_gives_the_same_epochs(tmp_path: Path) -> None:
    import mne

    from eegdec.data.ssvepexo import read_session

    src = sorted((SHARED_DATA / "ssvepexo" / "subject01").glob("*_raw.fif"))
    dest = tmp_path / "MNE-ssvepexo-data" / "zenodo.org" / "record" / "2392979" / "files"
    dest.mkdir(parents=True)
    for k, path in enumerate(src, start=1):  # MOABB's packaging: stim channel, no -eve file
        read_session(path).save(dest / f"subject01_run{k}_raw.fif", verbose="ERROR")
    mine = load_epochs("SSVEPExo", 1, paradigm="SSVEP", data_dir=tmp_path, cache=False)
    ref = load_epochs("SSVEPExo", 1, paradigm="SSVEP", data_dir=SHARED_DATA, cache=False)
    assert list(mine.metadata.run.unique()) == ["run1", "run2"]
    np.testing.assert_allclose(mine.X, ref.X, rtol=1e-5, atol=1e-3)
    assert np.array_equal(mine.y, ref.y)
    assert mne.io.read_info(dest / "subject01_run1_raw.fif", verbose="ERROR")["nchan"] == 9


@requires_ssvepexo
def test_run_fb_mdm_above_chance_on_one_subject(tmp_path: Path) -> None:
    out = tmp_path / "run"
    pipes = tmp_path / "pipes"
    pipes.mkdir()
    root = Path(__file__).resolve().parents[1]
    (pipes / "ssvep-mdm.yml").write_text((root / "pipelines" / "ssvep-mdm.yml").read_text())
    argv = ["run", "--paradigm", "FilterBankSSVEP", "--dataset", "SSVEPExo", "--data-dir",
            str(SHARED_DATA), "--subjects", "1", "--pipelines", str(pipes), "--alignment",
            "none", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    rows = pd.read_csv(out / "results.csv")
    assert len(rows) == 10 and rows.accuracy.mean() > 0.5  # chance 0.25


@requires_ssvepexo
def test_one_command_runs_the_default_ssvep_decoders_leave_one_session_out(
        tmp_path: Path) -> None:
    """`eegdec run --paradigm SSVEP` without --model: every shipped SSVEP pipeline, each on
    its own epochs; subject 07's three sessions each tested by a model of the other two."""
    out = tmp_path / "run"
    argv = ["run", "--paradigm", "SSVEP", "--dataset", "SSVEPExo", "--data-dir",
            str(SHARED_DATA), "--subjects", "7", "--protocol", "leave-one-session-out",
            "--out", str(out), "--quiet"]
    assert main(argv) == 0
    rows = pd.read_csv(out / "results.csv", dtype={"session": str})
    assert set(rows.model) == {"FB+MDM", "FB+TS+LR", "CCA", "TRCA"}
    assert dict(zip(rows.model, rows.paradigm))["FB+MDM"] == "FilterBankSSVEP"
    assert dict(zip(rows.model, rows.paradigm))["CCA"] == "SSVEP"
    assert sorted(rows.session.unique()) == ["0", "1", "2"]
    assert (rows.n_train == 64).all() and (rows.n_test == 32).all()
    best = rows.groupby("model").accuracy.mean()
    assert best["FB+MDM"] > 0.5 and best["FB+TS+LR"] > 0.5  # chance 0.25


@requires_ssvepexo
def test_eegdec_matches_the_mne_pyriemann_reference_session_by_session() -> None:
    """benchmarks/ssvep_reference.py (plain MNE + pyRiemann) and eegdec's FB+MDM / FB+TS+LR
    give the same accuracy on every held-out session of subject 07 (leave-one-session-out)
    and every session's 5-fold CV: the reference points of docs/results.md are eegdec's."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import ssvep_reference

    ref = ssvep_reference.reference(SHARED_DATA, [7])
    ours = ssvep_reference.eegdec_scores(SHARED_DATA, [7])
    key = ["protocol", "pipeline", "session"]
    ref["session"] = ref.groupby(["protocol", "pipeline"]).cumcount().astype(str)
    both = ref.merge(ours.astype({"session": str}), on=key, suffixes=("_ref", "_eegdec"))
    assert len(both) == len(ref) == 12  # 2 protocols x 2 pipelines x 3 sessions
    np.testing.assert_allclose(both.accuracy_eegdec, both.accuracy_ref, atol=1e-9)
