"""Pipeline construction (Python/YAML), its config and each step's effect on real signals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from eegdec.data.registry import get_dataset_spec
from eegdec.errors import BadInputError, UnknownNameError
from eegdec.preprocessing import BandPass, Pipeline, Resample, Window
from eegdec.preprocessing.load import load_epochs

YAML = """
steps:
  - bandpass: {l_freq: 8, h_freq: 30, method: fir}
  - notch: 50
  - resample: 125
  - channels: [C3, Cz, C4]
  - window: {tmin: 0.5, tmax: 2.5}
  - baseline: {tmin: 0.5, tmax: 1.0}
  - standardize: {}
bad_channels: drop
"""


@pytest.fixture(scope="module")
def spec():
    s = get_dataset_spec("SimMI-2class")
    return dataclasses.replace(s, sessions=("0",), options={**s.options, "trials_per_class": 5})


def _psd(x: np.ndarray, sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    f = np.fft.rfftfreq(x.shape[-1], 1 / sfreq)
    return f, (np.abs(np.fft.rfft(x, axis=-1)) ** 2).mean(axis=tuple(range(x.ndim - 1)))


def test_yaml_round_trip_and_hash():
    pipe = Pipeline.from_yaml(YAML)
    assert [type(s).__name__ for s in pipe.steps] == [
        "BandPass", "Notch", "Resample", "PickChannels", "Window", "Baseline", "Standardize"]
    again = Pipeline.from_yaml(pipe.to_yaml())
    assert again.config() == pipe.config() and again.hash() == pipe.hash()
    assert Pipeline.default().hash() != pipe.hash()
    assert Pipeline([BandPass(8, 30, "fir"), Resample(125)]).config()["steps"][1] == {
        "resample": {"sfreq": 125}}


def test_default_is_moabb_motor_imagery():
    assert Pipeline.default().config() == {
        "steps": [{"bandpass": {"l_freq": 8.0, "h_freq": 32.0, "method": "iir"}}],
        "bad_channels": "raise"}


def test_bad_pipeline_specs():
    with pytest.raises(UnknownNameError, match="Did you mean: bandpass"):
        Pipeline([{"bandpas": {}}])
    with pytest.raises(BadInputError, match="parameters"):
        Pipeline([{"bandpass": {"low": 8}}])
    with pytest.raises(BadInputError, match="l_freq must be below h_freq"):
        Pipeline([{"bandpass": {"l_freq": 30, "h_freq": 8}}])
    with pytest.raises(BadInputError, match="tmin=2.0 s must be before"):
        Window(2.0, 1.0)


def test_full_yaml_pipeline_on_simulated(spec):
    ep = load_epochs(spec, [1], pipeline=Pipeline.from_yaml(YAML), cache=False)
    assert ep.ch_names == ["C3", "Cz", "C4"] and ep.sfreq == 125
    assert ep.n_times == 251 and ep.info["tmin"] == 0.5
    np.testing.assert_allclose(ep.X.mean(axis=2), 0, atol=1e-4)
    np.testing.assert_allclose(ep.X.std(axis=2), 1, atol=1e-3)


def test_bandpass_removes_out_of_band_power(spec):
    raw = load_epochs(spec, [1], pipeline=[], cache=False)
    filt = load_epochs(spec, [1], pipeline=[{"bandpass": {"l_freq": 8, "h_freq": 13}}],
                       cache=False)
    f, p_raw = _psd(raw.X, raw.sfreq)
    _, p_f = _psd(filt.X, filt.sfreq)
    out = (f > 25) & (f < 45)
    inside = (f > 9) & (f < 12)
    assert p_f[out].sum() < 0.01 * p_raw[out].sum()
    assert p_f[inside].sum() > 0.5 * p_raw[inside].sum()


def test_notch_removes_line_noise(spec):
    raw = load_epochs(spec, [1], pipeline=[], cache=False)
    notched = load_epochs(spec, [1], pipeline=[{"notch": 50}], cache=False)
    f, p_raw = _psd(raw.X, raw.sfreq)
    _, p_n = _psd(notched.X, notched.sfreq)
    line = np.abs(f - 50) < 0.5
    assert p_n[line].sum() < 0.1 * p_raw[line].sum()


def test_rereference_and_baseline(spec):
    car = load_epochs(spec, [1], pipeline=[{"rereference": "average"}], cache=False)
    np.testing.assert_allclose(car.X.mean(axis=1), 0, atol=1e-3)
    pipe = [{"window": {"tmin": -0.5, "tmax": 2.0}}, {"baseline": {"tmax": 0.0}}]
    based = load_epochs(spec, [1], pipeline=pipe, cache=False)
    np.testing.assert_allclose(based.X[:, :, :126].mean(axis=2), 0, atol=1e-3)
    with pytest.raises(BadInputError, match="outside the epoch"):
        load_epochs(spec, [1], pipeline=[{"window": {"tmin": 0.5}},
                                          {"baseline": {"tmin": -1, "tmax": 0}}], cache=False)


def test_exponential_moving_standardize(spec):
    pytest.importorskip("braindecode")
    ep = load_epochs(spec, [1], pipeline=[{"bandpass": {}}, {"ems": {"init_block_size": 500}}],
                     cache=False)
    assert 0.3 < ep.X.std() < 3  # unitless, near unit variance
