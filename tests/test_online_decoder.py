"""The online Decoder: decisions due per chunk, offline parity, channel map, causality."""

from __future__ import annotations

import numpy as np
import pytest

from eegdec.errors import BadInputError, UnknownNameError
from eegdec.online.decoder import Decoder, torch_model

SFREQ, N_CHANS, WINDOW_S, HOP_S = 100.0, 6, 1.0, 0.1
CHANNELS = ["C3", "Cz", "C4", "FC3", "FC4", "Pz"]


@pytest.fixture(scope="module")
def net():
    import torch

    from eegdec.models.registry import create_model

    torch.manual_seed(0)
    return create_model("shallowconvnet", n_chans=N_CHANS, n_outputs=2,
                        n_times=int(WINDOW_S * SFREQ), sfreq=SFREQ).eval()


def _signal(n: int, seed: int = 0) -> np.ndarray:
    """Volts, with channel-specific scales so that alignment matters."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N_CHANS, n)) * 1e-5 * np.linspace(1, 3, N_CHANS)[:, None]


def _decoder(net, **kw) -> Decoder:
    return Decoder(torch_model(net), ch_names=CHANNELS, sfreq=SFREQ, classes=["left", "right"],
                   window_s=WINDOW_S, hop_s=HOP_S, **kw)


def _push_in_chunks(dec: Decoder, x: np.ndarray, seed: int) -> list:
    rng = np.random.default_rng(seed)
    out, i = [], 0
    while i < x.shape[1]:
        n = int(rng.integers(1, 64))
        out += dec.push(x[:, i:i + n])
        i += n
    return out


def test_one_decision_per_hop_after_a_full_window_whatever_the_chunks(net) -> None:
    x = _signal(1000)
    a = _push_in_chunks(_decoder(net), x, seed=1)
    b = _push_in_chunks(_decoder(net), x, seed=2)
    expected = list(range(100, 1001, 10))
    assert [d.sample for d in a] == expected == [d.sample for d in b]
    np.testing.assert_allclose([d.proba for d in a], [d.proba for d in b], atol=1e-6)
    assert [d.time for d in a] == pytest.approx([(e - 1) / SFREQ for e in expected])
    assert all(d.label in ("left", "right") and d.latency >= 0 for d in a)
    np.testing.assert_allclose([d.proba.sum() for d in a], 1.0, atol=1e-6)


def test_a_decision_equals_the_offline_prediction_of_the_epoch_ending_there(net) -> None:
    x = _signal(800, seed=3)
    calib = _signal(1000, seed=4)[None] * 1e6  # one calibration trial in model units
    calib = calib.reshape(N_CHANS, 10, 100).transpose(1, 0, 2)
    dec = _decoder(net, alignment="euclidean", calibration=calib, update_s=None)
    decisions = _push_in_chunks(dec, x, seed=5)
    offline = np.stack([x[:, e - 100:e] for e in (100, 350, 800)]) * 1e6
    want = dec.decide(offline)
    got = {d.sample: d.proba for d in decisions}
    np.testing.assert_allclose(np.stack([got[e] for e in (100, 350, 800)]), want, atol=1e-5)


def test_incremental_alignment_never_uses_future_signal(net) -> None:
    x = _signal(900, seed=6)
    y = x.copy()
    y[:, 600:] *= 5  # the future changes
    a = _decoder(net, alignment="euclidean").push(x, np.arange(900) / SFREQ)
    b = _decoder(net, alignment="euclidean").push(y, np.arange(900) / SFREQ)
    before = [i for i, d in enumerate(a) if d.sample <= 600]
    assert before and len(before) < len(a)
    for i in before:
        np.testing.assert_array_equal(a[i].proba, b[i].proba)
    assert not np.allclose(a[-1].proba, b[-1].proba)


def test_alignment_changes_the_decisions(net) -> None:
    x = _signal(500, seed=7)
    plain = _decoder(net).push(x)
    aligned = _decoder(net, alignment="euclidean").push(x)
    assert not np.allclose([d.proba for d in plain], [d.proba for d in aligned])


def test_stream_channels_are_mapped_by_name(net) -> None:
    x = _signal(300, seed=8)
    order = [5, 3, 0, 1, 4, 2]
    names = [f"{CHANNELS[i].lower()}.." for i in order] + ["EOG"]
    stream = np.vstack([x[order], np.ones((1, 300))])
    mapped = _decoder(net).connect(names).push(stream)
    direct = _decoder(net).push(x)
    np.testing.assert_allclose([d.proba for d in mapped], [d.proba for d in direct], atol=1e-6)


def test_bad_input_gives_one_line_errors(net) -> None:
    with pytest.raises(UnknownNameError, match="lacks channel 'Pz'"):
        _decoder(net).connect(CHANNELS[:5])
    with pytest.raises(BadInputError, match="NaN"):
        _decoder(net).push(np.full((N_CHANS, 10), np.nan))
    with pytest.raises(BadInputError, match="connect"):
        _decoder(net).push(np.zeros((N_CHANS + 1, 10)))
    with pytest.raises(BadInputError, match="cannot run online"):
        _decoder(net, alignment="euclidean-transductive")
    with pytest.raises(BadInputError, match="timestamps"):
        _decoder(net).push(np.zeros((N_CHANS, 10)), np.arange(3))


def test_reset_starts_the_stream_over(net) -> None:
    x = _signal(300, seed=9)
    dec = _decoder(net, alignment="euclidean")
    first = dec.push(x)
    second = dec.reset().push(x)
    np.testing.assert_array_equal([d.proba for d in first], [d.proba for d in second])
