"""CHB-MIT and Helsinki loaders on small EDF files written in the published layouts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from eegdec.data.registry import get_dataset_spec
from eegdec.data.seizure import chbmit, helsinki
from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError
from eegdec.preprocessing.pipeline import Pipeline

PIPE = Pipeline.for_dataset(get_dataset_spec("CHB-MIT"))
HPIPE = Pipeline.for_dataset(get_dataset_spec("HelsinkiNeonatal"))

SFREQ = 256


def _write_edf(path, labels, seconds, seizures=()):
    """Noise at 20 uV with a 5 Hz, 400 uV rhythm during ``seizures`` (s) on every channel."""
    import edfio

    t = np.arange(seconds * SFREQ) / SFREQ
    burst = np.zeros_like(t)
    for start, end in seizures:
        burst[(t >= start) & (t < end)] = 400 * np.sin(2 * np.pi * 5 * t[(t >= start) & (t < end)])
    rng = np.random.default_rng(len(labels))
    signals = [edfio.EdfSignal(rng.normal(0, 20, t.size) + burst, SFREQ, label=label,
                               physical_dimension="uV", physical_range=(-1000, 1000))
               for label in labels]
    path.parent.mkdir(parents=True, exist_ok=True)
    edfio.Edf(signals).write(path)


CHB_LABELS = chbmit.CHANNELS[:14] + ["T8-P8", "P8-O2", "FZ-CZ", "CZ-PZ", "-", "FT9-FT10",
                                     "T8-P8"]  # CHB-MIT repeats T8-P8 and has a "-" channel
SUMMARY = """Data Sampling Rate: 256 Hz
*************************

Channels in EDF Files:
**********************
Channel 1: FP1-F7

File Name: chb01_01.edf
File Start Time: 11:42:54
File End Time: 11:43:54
Number of Seizures in File: 0

File Name: chb01_03.edf
File Start Time: 13:43:04
File End Time: 13:44:04
Number of Seizures in File: 2
Seizure 1 Start Time: 12 seconds
Seizure 1 End Time: 24 seconds
Seizure 2 Start Time:  40 seconds
Seizure 2 End Time:  48 seconds

File Name: chb01_04.edf
File Start Time: 14:43:12
File End Time: 14:44:12
Number of Seizures in File: 0
"""


@pytest.fixture
def chb_root(tmp_path):
    root = tmp_path / "chb-mit-scalp-eeg-database-1.0.0"
    (root / "chb01").mkdir(parents=True)
    (root / "chb01" / "chb01-summary.txt").write_text(SUMMARY)
    _write_edf(root / "chb01" / "chb01_01.edf", CHB_LABELS, 60)
    _write_edf(root / "chb01" / "chb01_03.edf", CHB_LABELS, 60, [(12, 24), (40, 48)])
    _write_edf(root / "chb01" / "chb01_04.edf", CHB_LABELS[:10], 60)  # montage change
    return tmp_path


def test_chbmit_summary_formats(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text(SUMMARY.replace("Seizure 1 ", "Seizure ").replace("Seizure 2 ", "Seizure "))
    parsed = chbmit.parse_summary(path)
    assert parsed == {"chb01_01.edf": [], "chb01_03.edf": [(12.0, 24.0), (40.0, 48.0)],
                      "chb01_04.edf": []}
    path.write_text(SUMMARY.replace("Number of Seizures in File: 2", "Number of Seizures in "
                                                                      "File: 3"))
    with pytest.raises(CorruptFileError, match="announces 3"):
        chbmit.parse_summary(path)


def test_chbmit_loads_windows_with_labels(chb_root):
    ep = chbmit.load_chbmit(1, data_dir=chb_root, pipeline=PIPE, events=["non_seizure", "seizure"])
    assert ep.info["skipped"] == ["chb01_04.edf"]  # lacks most channels: skipped, not fatal
    assert ep.ch_names == chbmit.CHANNELS and ep.sfreq == 100.0
    assert ep.X.shape == (30, 18, 400)
    meta = ep.metadata
    assert list(meta["recording"].unique()) == ["1/chb01_01", "1/chb01_03"]
    sz = meta.index[ep.y == 1]
    # seizures 12-24 s and 40-48 s -> windows at 12, 16, 20, 40, 44 s of chb01_03
    assert meta.loc[sz, "run"].eq("chb01_03").all()
    assert meta.loc[sz, "onset"].tolist() == [12.0, 16.0, 20.0, 40.0, 44.0]
    power = ep.X.std(axis=(1, 2))
    assert power[ep.y == 1].min() > 5 * power[ep.y == 0].max()  # labels line up with the signal
    spec = replace(get_dataset_spec("CHB-MIT"), options={"records": "seizure"})
    only = chbmit.load_subject(spec, 1, data_dir=chb_root, pipeline=PIPE)
    assert set(only.metadata["run"]) == {"chb01_03"}


def test_chbmit_missing_and_corrupt(chb_root, tmp_path):
    spec = get_dataset_spec("CHB-MIT")
    with pytest.raises(DataNotFoundError, match="physionet.org"):
        chbmit.load_subject(spec, 2, data_dir=chb_root / "empty", pipeline=PIPE)
    (chb_root / "chb-mit-scalp-eeg-database-1.0.0" / "chb01" / "chb01_01.edf").write_bytes(
        b"0       garbage header")
    with pytest.raises(CorruptFileError, match="chb01_01.edf"):
        chbmit.load_subject(spec, 1, data_dir=chb_root, pipeline=PIPE)
    ep = chbmit.load_subject(spec, 1, data_dir=chb_root, skip_bad_files=True, pipeline=PIPE)
    assert ep.info["skipped"] == ["chb01_01.edf", "chb01_04.edf"] and ep.n_trials == 15
    with pytest.raises(BadInputError, match="no subject"):
        chbmit.load_subject(spec, 99, data_dir=chb_root, pipeline=PIPE)
    with pytest.raises(BadInputError, match="--events"):
        chbmit.load_subject(spec, 1, events=["seizure", "left_hand"], data_dir=chb_root,
                            pipeline=PIPE)
    with pytest.raises(BadInputError, match="--paradigm seizure"):
        chbmit.load_subject(spec, 1, paradigm="LR", data_dir=chb_root, pipeline=PIPE)


HELSINKI_LABELS = [f"EEG {c}-REF" for c in helsinki.CHANNELS] + ["ECG EKG-REF", "Resp Effort-REF"]


@pytest.fixture
def helsinki_root(tmp_path):
    root = tmp_path / "helsinki-neonatal-eeg"
    _write_edf(root / "eeg1.edf", HELSINKI_LABELS, 40, [(8, 20)])
    _write_edf(root / "eeg2.edf", HELSINKI_LABELS, 24)
    a, b, c = (np.zeros((40, 2)) for _ in range(3))
    a[8:20, 0] = b[8:20, 0] = c[12:20, 0] = 1  # C sees a shorter seizure
    b[30:36, 0] = 1  # only B marks a second event
    for name, table in zip("ABC", (a, b, c)):
        rows = [",".join(f"{v:g}" for v in row[:1]) + "," + (f"{row[1]:g}" if i < 24 else "")
                for i, row in enumerate(table)]
        (root / f"annotations_2017_{name}.csv").write_text('"1","2"\n' + "\n".join(rows) + "\n")
    return tmp_path


def test_helsinki_consensus_and_expert_labels(helsinki_root):
    folder = helsinki_root / "helsinki-neonatal-eeg"
    ann = helsinki.read_annotations(folder)
    assert ann["A"].shape == (40, 2) and ann["A"][2].isna().sum() == 16
    assert np.flatnonzero(helsinki.seizure_labels(ann, 1, "all")).tolist() == list(range(12, 20))
    assert np.flatnonzero(helsinki.seizure_labels(ann, 1, "majority")).tolist() == list(
        range(8, 20))
    assert np.flatnonzero(helsinki.seizure_labels(ann, 1, "any")).size == 12 + 6
    assert np.flatnonzero(helsinki.seizure_labels(ann, 1, "B")).size == 12 + 6
    assert len(helsinki.seizure_labels(ann, 2)) == 24 and not helsinki.seizure_labels(ann, 2).any()
    with pytest.raises(BadInputError, match="annotator"):
        helsinki.seizure_labels(ann, 1, "D")


def test_helsinki_loads_windows(helsinki_root):
    ep = helsinki.load_helsinki(1, data_dir=helsinki_root, pipeline=HPIPE)
    assert ep.ch_names == helsinki.CHANNELS and ep.X.shape == (10, 19, 400)
    assert ep.montage == get_dataset_spec("Helsinki").montage and ep.info["annotator"] == "all"
    # consensus seizure 12-20 s: windows at 12 and 16 s
    assert ep.metadata["onset"][ep.y == 1].tolist() == [12.0, 16.0]
    assert helsinki.load_helsinki(2, data_dir=helsinki_root, pipeline=HPIPE).y.sum() == 0
    with pytest.raises(DataNotFoundError, match="zenodo"):
        helsinki.load_helsinki(1, data_dir=helsinki_root / "nothing", pipeline=HPIPE)
    (helsinki_root / "helsinki-neonatal-eeg" / "eeg2.edf").unlink()
    with pytest.raises(DataNotFoundError, match="eeg2.edf"):
        helsinki.load_helsinki(2, data_dir=helsinki_root, pipeline=HPIPE)
