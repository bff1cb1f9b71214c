"""Causal preprocessing: streaming steps with state equal one offline pass, offline
``phase: causal`` runs the same filter, and ``eegdec run --causal-filter`` says so."""

from __future__ import annotations

import dataclasses
import json
import logging

import numpy as np
import pandas as pd
import pytest
from conftest import PHYSIONET_DIR, requires_shared
from scipy import signal

from eegdec.errors import BadInputError, UnknownNameError
from eegdec.preprocessing import Pipeline
from eegdec.preprocessing.causal import (
    CausalChain,
    SOSFilter,
    StreamEMS,
    StreamRereference,
    design_bandpass,
    design_notch,
)

CAUSAL_STEPS = [{"bandpass": {"l_freq": 8, "h_freq": 30, "phase": "causal"}},
                {"notch": {"freqs": 50, "phase": "causal"}},
                {"rereference": "average"},
                {"ems": {"init_block_size": 400, "phase": "causal"}}]


@pytest.fixture(scope="module")
def raw():
    """PhysionetMI S001R04: 64 EEG channels, 160 Hz, 125 s of imagery."""
    if not PHYSIONET_DIR.exists():
        pytest.skip(f"real EEG not found at {PHYSIONET_DIR} (../shared/data beside the checkout)")
    import mne

    return mne.io.read_raw_edf(PHYSIONET_DIR / "S001" / "S001R04.edf", preload=True,
                               verbose=False)


def _stream(chain: CausalChain, x: np.ndarray, seed: int = 0, high: int = 512) -> np.ndarray:
    """``x`` through ``chain`` in random chunks of 1..``high`` samples."""
    rng = np.random.default_rng(seed)
    cuts = np.cumsum(rng.integers(1, high + 1, x.shape[1]))
    cuts = cuts[cuts < x.shape[1]]
    return np.concatenate([chain.process(c) for c in np.split(x, cuts, axis=1)], axis=1)


def _rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


@requires_shared
def test_random_chunks_equal_one_offline_pass(raw):
    pipe = Pipeline(CAUSAL_STEPS)
    offline = pipe.apply_raw(raw.copy()).get_data()
    chain = CausalChain.from_pipeline(pipe, raw.info["sfreq"], raw.ch_names)
    assert [s.kind for s in chain.steps] == ["sos", "sos", "rereference", "ems"]
    x = raw.get_data()
    for seed in (0, 1):
        chain.reset()
        assert _rel_err(_stream(chain, x, seed), offline) < 1e-6
    chain.reset()  # one-sample chunks too
    assert _rel_err(_stream(chain, x[:, :3000], high=1), offline[:, :3000]) < 1e-6
    assert np.abs(offline - x).max() > 0.5 * np.abs(x).max()  # the chain did change the signal


@requires_shared
def test_offline_causal_bandpass_is_the_plain_butterworth_forward(raw):
    x = raw.get_data()
    out = Pipeline(CAUSAL_STEPS[:1]).apply_raw(raw.copy()).get_data()
    sos = signal.butter(4, [8, 30], "bandpass", fs=160, output="sos")
    np.testing.assert_allclose(out, signal.sosfilt(sos, x, axis=1), rtol=0, atol=1e-15)
    zero = Pipeline([{"bandpass": {"l_freq": 8, "h_freq": 30}}]).apply_raw(raw.copy()).get_data()
    assert _rel_err(out, zero) > 0.1  # causal and zero-phase outputs differ


def test_offline_epochs_equal_the_stream_at_the_same_samples():
    """A simulated session epoched with phase: causal, against the session streamed."""
    from eegdec.data.registry import get_dataset_spec
    from eegdec.data.simulated import simulate_raw
    from eegdec.preprocessing.load import load_epochs

    base = get_dataset_spec("SimMI-2class")
    spec = dataclasses.replace(base, sessions=("0",), options={**base.options,
                                                               "trials_per_class": 4})
    pipe = Pipeline(CAUSAL_STEPS)
    ep = load_epochs(spec, [1], pipeline=pipe, cache=False)
    raw = simulate_raw(spec, 1, "0")
    chain = CausalChain.from_pipeline(pipe, raw.info["sfreq"], raw.ch_names)
    streamed = _stream(chain, raw.get_data(), high=64) * 1e6  # epochs hold microvolts
    starts = np.round((ep.metadata["onset"] + ep.info["tmin"]) * ep.sfreq).astype(int)
    for i, s in enumerate(starts):
        np.testing.assert_allclose(ep.X[i], streamed[:, s:s + ep.n_times], rtol=1e-5,
                                   atol=1e-5 * np.abs(ep.X[i]).max())


def _filtered(pipe: Pipeline, x: np.ndarray, sfreq: float) -> np.ndarray:
    import mne

    raw = mne.io.RawArray(x, mne.create_info(len(x), sfreq, "eeg"), verbose=False)
    return pipe.apply_raw(raw).get_data()


def test_causal_output_ignores_the_future_zero_phase_does_not():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4000)) * 1e-5
    later = x.copy()
    later[:, 2000:] += rng.standard_normal((3, 2000)) * 1e-5  # change only the future
    bands = {"l_freq": 8.0, "h_freq": 30.0}
    for phase in ("causal", "zero"):
        pipe = Pipeline([{"bandpass": {**bands, "phase": phase}},
                         {"notch": {"freqs": 50, "phase": phase}}])
        a, b = _filtered(pipe, x, 250.0), _filtered(pipe, later, 250.0)
        past = np.abs(a[:, :2000] - b[:, :2000]).max() / np.abs(a).max()
        if phase == "causal":
            assert past == 0.0
        else:
            assert past > 1e-3  # the zero-phase filter looked ahead


def test_filter_bank_streams_like_the_offline_step():
    pipe = Pipeline([{"filterbank": {"freqs": [13, 17, 21], "phase": "causal"}}])
    x = np.random.default_rng(1).standard_normal((2, 3000)) * 1e-5
    offline = _filtered(pipe, x, 256.0)
    chain = CausalChain.from_pipeline(pipe, 256.0, ["Oz", "O1"])
    assert chain.n_out == 6 and offline.shape == (6, 3000)
    assert _rel_err(_stream(chain, x, high=100), offline) < 1e-6


def test_stream_ems_is_braindecode_after_its_initial_block():
    from braindecode.preprocessing.preprocess import exponential_moving_standardize

    rng = np.random.default_rng(2)
    x = (rng.standard_normal((4, 3000)) * 20 + 5).cumsum(axis=1) * 1e-6  # volts, drifting
    ours = StreamEMS(4, init_block_size=500)
    out = _stream(ours, x, high=300) * 1e6
    ref = exponential_moving_standardize(x * 1e6, init_block_size=500)
    np.testing.assert_allclose(out[:, 500:], ref[:, 500:], rtol=1e-9, atol=1e-9)
    assert not np.allclose(out[:, 1:500], ref[:, 1:500])  # braindecode's block looks ahead
    # Inside the block: standardised by the mean and sd of the samples so far.
    t = 99
    seen = x[:, : t + 1] * 1e6
    np.testing.assert_allclose(out[:, t], (seen[:, t] - seen.mean(1)) / seen.std(1), rtol=1e-9)
    block_free = StreamEMS(4, init_block_size=None)
    np.testing.assert_allclose(block_free.process(x) * 1e6,
                               exponential_moving_standardize(x * 1e6), rtol=1e-9, atol=1e-9)


def test_dict_round_trip_is_json_and_restarts_the_state():
    names = ["C3", "Cz", "C4", "Pz"]
    pipe = Pipeline([*CAUSAL_STEPS[:2], {"rereference": ["Cz"]}, CAUSAL_STEPS[3],
                     {"filterbank": {"freqs": [10, 20], "width": 2, "phase": "causal"}}])
    chain = CausalChain.from_pipeline(pipe, 250.0, names)
    x = np.random.default_rng(3).standard_normal((4, 2000)) * 1e-5
    chain.process(x[:, :100])  # state that the copy must not inherit
    d = json.loads(json.dumps(chain.to_dict()))
    assert d["chain"][0]["sos"] == design_bandpass(8, 30, 250.0).tolist()
    assert d["chain"][2]["ref"] == [1] and "steps" not in d  # not a pipeline config
    again = CausalChain.from_dict(d)
    chain.reset()
    np.testing.assert_array_equal(again.process(x), chain.process(x))
    assert again.describe() == chain.describe() == (
        "causal 8-30 Hz Butterworth order 4; causal 50 Hz IIR notch (Q 30); reference to "
        "channel(s) 1; causal EMS (factor_new 0.001); causal Butterworth order 4 filter bank "
        "of 2 Hz bands at 10/20 Hz")
    with pytest.raises(BadInputError, match="Unknown causal chain step kind 'fir'"):
        CausalChain.from_dict({**d, "chain": [{"kind": "fir"}]})
    with pytest.raises(BadInputError, match="format"):
        CausalChain.from_dict(Pipeline.default().config())


def test_zero_phase_pipeline_is_refused_strictly_and_converted_otherwise(caplog):
    names = ["C3", "Cz", "C4"]
    with pytest.raises(BadInputError, match="train with --causal-filter"):
        CausalChain.from_pipeline(Pipeline.default(), 160.0, names)
    with pytest.raises(BadInputError, match="'ems'.*train with --causal-filter"):
        CausalChain.from_pipeline(Pipeline([{"ems": {}}]), 160.0, names)
    # braindecode's EMS without an initial block is causal already: accepted as it is
    assert CausalChain.from_pipeline(Pipeline([{"ems": {"init_block_size": None}}]), 160.0,
                                     names).steps[0].kind == "ems"
    fir = Pipeline([{"bandpass": {"l_freq": 8, "h_freq": 30, "method": "fir"}}])
    with caplog.at_level(logging.WARNING, logger="eegdec.preprocessing.causal"):
        loose = CausalChain.from_pipeline(fir, 160.0, names, strict=False)
    assert "zero-phase 8-30 Hz FIR" in caplog.text and "--causal-filter" in caplog.text
    assert loose.describe() == "causal 8-30 Hz Butterworth order 4"
    causal = CausalChain.from_pipeline(fir.causal(), 160.0, names)
    np.testing.assert_array_equal(causal.steps[0].sos, loose.steps[0].sos)


def test_clear_errors():
    names = ["C3", "Cz", "C4"]
    with pytest.raises(BadInputError, match="h_freq 90 Hz is not between 0 and Nyquist"):
        design_bandpass(8, 90, 160.0)
    with pytest.raises(BadInputError, match="Notch frequency 50 Hz .* Nyquist"):
        design_notch(50, 100.0)
    with pytest.raises(BadInputError, match="'resample' .* stream at 128 Hz"):
        CausalChain.from_pipeline(Pipeline([{"resample": 128}]), 160.0, names)
    assert CausalChain.from_pipeline(Pipeline([{"resample": 160}]), 160.0, names).steps == []
    with pytest.raises(BadInputError, match="'rereference' comes before 'channels'"):
        CausalChain.from_pipeline(Pipeline([{"rereference": "average"},
                                            {"channels": ["C3", "C4"]}]), 160.0, names)
    with pytest.raises(UnknownNameError, match="Unknown channel 'Oz'"):
        CausalChain.from_pipeline(Pipeline([{"rereference": ["Oz"]}]), 160.0, names)
    with pytest.raises(BadInputError, match="use method: iir"):
        Pipeline([{"bandpass": {"method": "fir", "phase": "causal"}}])
    with pytest.raises(BadInputError, match="phase"):
        Pipeline([{"notch": {"phase": "acausal"}}])
    with pytest.raises(BadInputError, match=r"shape \(100, 3\) is not \(n_chans=3"):
        SOSFilter(design_notch(50, 250.0), 3).process(np.zeros((100, 3)))
    with pytest.raises(BadInputError, match="gives 3 channels but the next step"):
        CausalChain([SOSFilter(design_notch(50, 250.0), 3), StreamRereference(4)])


def test_pipeline_causal_and_cache_compatible_config():
    zero = Pipeline.default()
    assert zero.config()["steps"] == [{"bandpass": {"l_freq": 8.0, "h_freq": 32.0,
                                                    "method": "iir"}}]  # keys as before
    causal = zero.causal()
    assert causal.config()["steps"][0]["bandpass"]["phase"] == "causal"
    assert causal.hash() != zero.hash() and zero.steps[0].phase == "zero"  # a copy
    assert Pipeline.from_yaml(causal.to_yaml()).config() == causal.config()
    assert zero.describe_filter() == "zero-phase 8-32 Hz Butterworth order 4"
    assert causal.describe_filter() == "causal 8-32 Hz Butterworth order 4"
    assert Pipeline([{"resample": 128}]).describe_filter() == "none"


def test_cli_run_with_causal_filter_says_so(tmp_path):
    from eegdec.cli import main
    from eegdec.evaluation.config import RunConfig

    assert "causal_filter" not in RunConfig().hashed()  # older runs keep their hash
    assert RunConfig(causal_filter=True).hashed()["causal_filter"] is True
    out = tmp_path / "run"
    assert main(["run", "--dataset", "SimMI-2class", "--quiet", "--subjects", "1",
                 "--protocol", "within-co", "--model", "csp-lda", "--causal-filter",
                 "--out", str(out)]) == 0
    rows = pd.read_csv(out / "results.csv")
    assert set(rows["filter"]) == {"causal 8-32 Hz Butterworth order 4"}
    assert rows["accuracy"].mean() > 0.7
    assert "causal_filter: true" in (out / "config.yaml").read_text()
    assert "Filter: causal 8-32 Hz Butterworth order 4" in (out / "summary.md").read_text()
