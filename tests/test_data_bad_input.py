"""Bad input: corrupt EDF, empty subject list, unknown channel/paradigm/class, bad window,
NaN/flat channels, different sampling rates."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import CORRUPT_EDF, PHYSIONET_DIR, requires_shared

from eegdec.data.epochs import EpochsData
from eegdec.data.registry import get_dataset_spec
from eegdec.errors import BadInputError, CorruptFileError, EEGDecError, UnknownNameError
from eegdec.preprocessing import Pipeline
from eegdec.preprocessing.load import combine, load_epochs


@pytest.fixture(scope="module")
def tiny_sim():
    spec = get_dataset_spec("SimMI-2class")
    return dataclasses.replace(spec, sessions=("0",), options={**spec.options,
                                                               "trials_per_class": 6})


@requires_shared
def test_corrupt_edf_is_named_and_can_be_skipped(tmp_path):
    subject_dir = tmp_path / "MNE-eegbci-data/files/eegmmidb/1.0.0/S001"
    subject_dir.mkdir(parents=True)
    for run in ("R04", "R08"):
        (subject_dir / f"S001{run}.edf").symlink_to(PHYSIONET_DIR / "S001" / f"S001{run}.edf")
    bad = subject_dir / "S001R12.edf"
    bad.symlink_to(CORRUPT_EDF)
    with pytest.raises(CorruptFileError) as err:
        load_epochs("PhysionetMI", [1], paradigm="LR", data_dir=tmp_path, cache=False)
    msg = str(err.value)
    assert str(bad) in msg and "download it again" in msg and "checksum" in msg
    assert "\n" not in msg
    ep = load_epochs("PhysionetMI", [1], paradigm="LR", data_dir=tmp_path, cache=False,
                     skip_bad_files=True)
    assert ep.X.shape == (30, 64, 481)
    assert sorted(ep.metadata.run.unique()) == ["R04", "R08"]


def test_empty_subject_list(tiny_sim):
    with pytest.raises(BadInputError, match="subject list is empty"):
        load_epochs(tiny_sim, subjects=[])


def test_unknown_subject(tiny_sim):
    with pytest.raises(BadInputError, match="no subject 99: valid subjects are 1..6"):
        load_epochs(tiny_sim, subjects=[99])


def test_unknown_paradigm_and_class(tiny_sim):
    with pytest.raises(UnknownNameError, match="Unknown paradigm"):
        load_epochs(tiny_sim, subjects=[1], paradigm="P300x")
    with pytest.raises(UnknownNameError, match="Did you mean: left_hand"):
        load_epochs(tiny_sim, subjects=[1], events=["left_hnd", "right_hand"])
    with pytest.raises(BadInputError, match="offers paradigms"):
        load_epochs(tiny_sim, subjects=[1], paradigm="seizure")


def test_unknown_channel_names_it_and_suggests(tiny_sim):
    pipe = Pipeline([{"channels": ["C3", "Cz", "C44"]}])
    with pytest.raises(UnknownNameError, match="'C44'.*Did you mean: C4"):
        load_epochs(tiny_sim, subjects=[1], pipeline=pipe, cache=False)


def test_channel_names_match_across_spellings(tiny_sim):
    pipe = Pipeline([{"channels": ["c3..", "CZ", "C4."]}])
    ep = load_epochs(tiny_sim, subjects=[1], pipeline=pipe, cache=False)
    assert ep.ch_names == ["C3", "Cz", "C4"]


@pytest.mark.parametrize("window", [{"tmin": -3.0, "tmax": 1.0}, {"tmin": 0.0, "tmax": 4.5}])
def test_window_outside_trial(tiny_sim, window):
    with pytest.raises(BadInputError, match="outside the trial"):
        load_epochs(tiny_sim, subjects=[1], pipeline=[{"window": window}])


def _raw_with(nan: str | None = None, flat: str | None = None):
    import mne

    from eegdec.data.channels import make_montage

    names = ["C3", "Cz", "C4", "FC3", "CP3", "FC4", "CP4"]
    data = np.random.default_rng(0).standard_normal((len(names), 2000)) * 1e-5
    if nan:
        data[names.index(nan), 100:110] = np.nan
    if flat:
        data[names.index(flat)] = 0.0
    raw = mne.io.RawArray(data, mne.create_info(names, 250.0, "eeg"), verbose=False)
    return raw.set_montage(make_montage("standard_1005"))


def test_nan_and_flat_channels_are_named():
    with pytest.raises(BadInputError, match=r"NaN in Cz; flat CP4.*interpolate"):
        Pipeline.default().apply_raw(_raw_with(nan="Cz", flat="CP4"))


def test_only_kept_channels_are_checked():
    raw = Pipeline([{"channels": ["c3", "cz"]}]).apply_raw(_raw_with(flat="CP4"))
    assert raw.ch_names == ["C3", "Cz"]


@pytest.mark.filterwarnings("ignore:Only 7 head digitization points")
def test_bad_channels_drop_and_interpolate():
    dropped = Pipeline([], bad_channels="drop").apply_raw(_raw_with(nan="Cz", flat="CP4"))
    assert "Cz" not in dropped.ch_names and "CP4" not in dropped.ch_names
    fixed = Pipeline([], bad_channels="interpolate").apply_raw(_raw_with(nan="Cz"))
    data = fixed.get_data()
    assert fixed.ch_names[1] == "Cz" and np.isfinite(data).all() and data[1].std() > 0


def test_bad_channel_mode_validated():
    with pytest.raises(BadInputError, match="bad_channels="):
        Pipeline([], bad_channels="ignore")


def _ep(subject: int, sfreq: float) -> EpochsData:
    meta = pd.DataFrame({"subject": [subject] * 2, "session": "0", "run": "0",
                         "trial": [0, 1], "onset": [0.0, 1.0]})
    return EpochsData(np.zeros((2, 3, 10)), [0, 1], ["a", "b"], meta, ["C3", "Cz", "C4"], sfreq)


def test_different_sampling_rates_refused_with_fix():
    with pytest.raises(BadInputError, match=r"subject 1: 250 Hz, subject 2: 160 Hz.*resample"):
        combine([_ep(1, 250.0), _ep(2, 160.0)])


def test_resample_step_gives_common_rate(tiny_sim):
    ep = load_epochs(tiny_sim, subjects=[1], pipeline=[{"bandpass": {}}, {"resample": 160}],
                     cache=False)
    assert ep.sfreq == 160 and ep.n_times == 641


def test_errors_are_one_line_eegdec_errors(tiny_sim):
    for call in (lambda: load_epochs("NoSuchSet"), lambda: load_epochs(tiny_sim, subjects=[])):
        with pytest.raises(EEGDecError) as err:
            call()
        assert "\n" not in str(err.value)


def test_unreadable_subject_skipped_only_when_asked(tiny_sim, monkeypatch):
    from eegdec.data import simulated
    from eegdec.preprocessing import load

    def flaky(spec, subject, **kw):
        if subject == 2:
            raise CorruptFileError(f"Cannot read sub-2.mat: damaged (subject {subject}).")
        return simulated.load_subject(spec, subject, **kw)

    monkeypatch.setattr(load, "get_loader", lambda kind: flaky)
    with pytest.raises(CorruptFileError, match="sub-2.mat"):
        load_epochs(tiny_sim, [1, 2], cache=False)
    ep = load_epochs(tiny_sim, [1, 2], cache=False, skip_bad_files=True)
    assert ep.subjects() == [1]
