"""Bonn loader: real files from ../shared/data/bonn and a small layout written by the test."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BONN_DIR, requires_bonn

from eegdec.data.registry import get_dataset_spec
from eegdec.data.seizure import bonn
from eegdec.data.seizure.splits import seizure_cv
from eegdec.data.seizure.windows import WindowConfig
from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError
from eegdec.preprocessing.pipeline import Pipeline

PIPE = Pipeline.for_dataset(get_dataset_spec("Bonn"))


@pytest.fixture(scope="module")
def zonf_vs_s():
    # what eegdec.preprocessing.load passes without --events: every set of the registry entry
    return bonn.load_subject(get_dataset_spec("bonn"), 1, paradigm="seizure",
                             events=list("ZONFS"), pipeline=PIPE, data_dir=BONN_DIR.parent,
                             skip_bad_files=False)


@requires_bonn
def test_bonn_default_task_shapes_labels_counts(zonf_vs_s):
    ep = zonf_vs_s
    # 500 segments of 23.6 s at 100 Hz -> 5 whole 4 s windows each
    assert ep.X.shape == (2500, 1, 400) and ep.sfreq == 100.0
    assert ep.classes == ["non_seizure", "seizure"] and np.bincount(ep.y).tolist() == [2000, 500]
    meta = ep.metadata
    assert meta["set"].value_counts().to_dict() == dict.fromkeys("ZONFS", 500)
    assert (ep.y == (meta["set"] == "S")).all()
    assert meta["recording"].nunique() == 500 and meta.groupby("recording").size().eq(5).all()
    assert meta["onset"].iloc[:5].tolist() == [0.0, 4.0, 8.0, 12.0, 16.0]
    assert "1/N001" in set(meta["recording"])  # set N ships as upper-case .TXT
    assert ep.info["task"] == "ZONF-vs-S" and np.isfinite(ep.X).all()
    assert 50 < ep.X[ep.y == 1].std() < 2000  # microvolts; ictal activity larger than the rest
    assert ep.X[ep.y == 1].std() > 2 * ep.X[ep.y == 0].std()


@requires_bonn
def test_bonn_tasks_and_windows():
    ep = bonn.load_bonn(BONN_DIR, "z_vs_s", window=WindowConfig(length=2.0, overlap=0.5),
                        pipeline=Pipeline.coerce([{"bandpass": {"l_freq": 1.0, "h_freq": 40.0}},
                                                  {"resample": {"sfreq": 100.0}}]))
    # 2360 samples at 100 Hz: onsets every 1 s, 22 whole 2 s windows per segment
    assert ep.X.shape == (200 * 22, 1, 200)
    assert set(ep.metadata["set"]) == {"Z", "S"} and ep.info["task"] == "Z-vs-S"
    assert bonn.parse_task(["F", "S"]) == ("F", "S")
    assert bonn.parse_task(["S", "Z", "O"]) == ("ZO", "S")
    assert bonn.parse_task(None) == bonn.parse_task("ZONF vs S") == ("ZONF", "S")
    for bad in ("Q-vs-S", "S-vs-S", "ZS", ["Z", "O"]):
        with pytest.raises(BadInputError, match="Bonn"):
            bonn.parse_task(bad)


@requires_bonn
def test_bonn_simple_features_detect_seizures_across_segments(zonf_vs_s):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    ep = zonf_vs_s
    feats = np.c_[np.log(ep.X.var(axis=2)), np.log(np.abs(np.diff(ep.X, axis=2)).mean(axis=2))]
    accs = []
    for train, test in seizure_cv(ep, n_splits=5, seed=0):
        clf = LinearDiscriminantAnalysis().fit(feats[train], ep.y[train])
        accs.append(np.mean(clf.predict(feats[test]) == ep.y[test]))
    assert np.mean(accs) > 0.85  # chance 0.8 (majority class); measured ~0.93


def _write_set(folder, letter, n, ext, value):
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        rng = np.random.default_rng(i)
        (folder / f"{letter}{i:03d}{ext}").write_text(
            "\n".join(str(int(v)) for v in rng.normal(0, value, 4097)))


def test_bonn_case_insensitive_layout_and_errors(tmp_path):
    root = tmp_path / "bonn"
    for letter, ext, folder in (("Z", ".txt", "z"), ("O", ".TXT", "O"), ("N", ".TXT", "N"),
                                ("F", ".Txt", "f"), ("S", ".txt", "S")):
        _write_set(root / folder, letter.lower() if letter == "F" else letter, 2, ext,
                   300 if letter == "S" else 50)
    ep = bonn.load_bonn(tmp_path, "ZONF-vs-S", pipeline=PIPE)
    assert ep.n_trials == 10 * 5 and sorted(ep.metadata["set"].unique()) == list("FNOSZ")
    assert np.bincount(ep.y).tolist() == [40, 10]
    # data_dir may also be the bonn folder itself
    ep2 = bonn.load_bonn(root, "F-vs-S", pipeline=PIPE)
    assert ep2.n_trials == 20
    (root / "S" / "S002.txt").write_text("12\nnot-a-number\n")
    with pytest.raises(CorruptFileError, match="S002"):
        bonn.load_bonn(tmp_path, "F-vs-S", pipeline=PIPE)
    assert bonn.load_bonn(tmp_path, "F-vs-S", skip_bad_files=True, pipeline=PIPE).n_trials == 15
    with pytest.raises(DataNotFoundError, match="ukbonn"):
        bonn.load_bonn(tmp_path / "nowhere", pipeline=PIPE)
    with pytest.raises(BadInputError, match="--paradigm seizure"):
        bonn.load_subject(get_dataset_spec("Bonn"), 1, paradigm="MI", data_dir=tmp_path,
                          pipeline=PIPE)
    with pytest.raises(BadInputError, match="subject"):
        bonn.load_subject(get_dataset_spec("Bonn"), 2, data_dir=tmp_path, pipeline=PIPE)
