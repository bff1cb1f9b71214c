"""Export-time rewrite of braindecode's filter banks into one matrix product: the same output
as the FFT filtering, the model it came from untouched, and an ONNX graph without DFT."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from braindecode.models import FBLightConvNet, FBMSNet
from braindecode.modules import FilterBankLayer

from eegdec.models import create_model
from eegdec.online import onnx_rewrite
from eegdec.online.onnx_rewrite import (
    MatrixFilterBank,
    impulse_response,
    matrix_filter_bank,
    without_fft_filter_banks,
)

C, T, SFREQ, K = 8, 500, 250.0, 3  # 8 channels x 2 s at 250 Hz, 3 classes


def _braindecode(cls: type[torch.nn.Module]) -> torch.nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(n_chans=C, n_outputs=K, n_times=T, sfreq=SFREQ).eval()


MODELS = {
    "fbcnet": lambda: create_model("fbcnet", C, K, T, SFREQ, seed=0).eval(),
    "ifnet": lambda: create_model("ifnet", C, K, T, SFREQ, seed=0).eval(),
    "FBMSNet": lambda: _braindecode(FBMSNet),
    "FBLightConvNet": lambda: _braindecode(FBLightConvNet),
}


def _x(n: int = 3, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, C, T, generator=torch.Generator().manual_seed(seed))


def _banks(module: torch.nn.Module, kind: type) -> list[str]:
    return [name for name, sub in module.named_modules() if isinstance(sub, kind)]


def _close(got: torch.Tensor, expected: torch.Tensor, rtol: float) -> None:
    """``got`` equals ``expected`` to ``rtol`` of ``expected``'s largest magnitude."""
    assert got.shape == expected.shape
    scale = float(expected.abs().max())
    assert scale > 0
    assert float((got - expected).abs().max()) <= rtol * scale


@pytest.mark.parametrize("name", list(MODELS))
def test_rewritten_filter_bank_and_logits_equal_the_fft_ones(name: str) -> None:
    torch.manual_seed(0)
    model = MODELS[name]()
    banks = _banks(model, FilterBankLayer)
    assert banks  # every model here filters with braindecode's FilterBankLayer
    rewritten = without_fft_filter_banks(model, C, T)
    assert _banks(rewritten, FilterBankLayer) == []
    assert _banks(rewritten, MatrixFilterBank) == banks
    x = _x()
    with torch.no_grad():
        for path in banks:
            bank, matrix = model.get_submodule(path), rewritten.get_submodule(path)
            assert matrix.matrix.dtype == torch.float32
            _close(matrix(x), bank(x), 1e-5)
        _close(rewritten(x), model(x), 1e-5)


def test_the_original_model_is_untouched() -> None:
    model = MODELS["fbcnet"]()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rewritten = without_fft_filter_banks(model, C, T)
    assert rewritten is not model
    assert type(model.model.spectral_filtering) is FilterBankLayer
    after = model.state_dict()
    assert after.keys() == before.keys()
    assert all(torch.equal(after[k], before[k]) for k in before)
    assert all(p.dtype == torch.float32 for p in model.parameters())  # no float64 probe left
    # the copy shares no tensor with the original
    ptrs = {t.data_ptr() for t in model.state_dict().values()}
    assert not ptrs & {t.data_ptr() for t in rewritten.state_dict().values()}


def test_models_without_a_filter_bank_are_returned_unchanged() -> None:
    for name in ("eegnet", "dbconformer"):
        model = create_model(name, C, K, T, SFREQ, seed=0).eval()
        assert without_fft_filter_banks(model, C, T) is model


def test_impulse_response_is_the_fir_filter_centred() -> None:
    bank = FilterBankLayer(C, SFREQ, band_filters=[(8, 12), (12, 30)], verbose=False)
    kernel = impulse_response(bank, C, T)
    assert kernel.shape == (2, T, T) and kernel.dtype == torch.float64
    for b, fir in enumerate(bank.fir_list):
        h = fir.detach().double()
        half = len(h) // 2  # "same" convolution: the filter centred on the impulse
        np.testing.assert_allclose(
            kernel[b, T // 2, T // 2 - half : T // 2 + half + 1], h, atol=1e-6
        )
        assert float(kernel[b, T // 2, : T // 2 - half - 1].abs().max()) < 1e-6


@pytest.mark.parametrize("params", [{"method": "iir"}, {"phase": "forward"}])
def test_iir_and_causal_banks_become_the_same_matrix(params: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bank = FilterBankLayer(C, SFREQ, band_filters=[(8, 12), (12, 30)], verbose=False, **params)
    x = _x()
    with torch.no_grad():
        _close(matrix_filter_bank(bank, C, T)(x), bank(x), 1e-5)


class SquaredBank(FilterBankLayer):
    """Not linear in its input: the matrix form cannot hold it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x) ** 2


def test_a_bank_that_is_not_linear_is_kept_with_a_warning() -> None:
    model = torch.nn.Sequential(SquaredBank(C, SFREQ, band_filters=[(8, 12)], verbose=False))
    with pytest.warns(UserWarning, match="not one linear filter"):
        rewritten = without_fft_filter_banks(model, C, T)
    assert isinstance(rewritten[0], SquaredBank) and rewritten is not model


def test_a_window_too_long_for_the_matrix_keeps_the_fft_with_a_warning(monkeypatch) -> None:
    model = MODELS["ifnet"]()  # 2 bands: a 2 x 500 x 500 float32 matrix is 2,000,000 bytes
    monkeypatch.setattr(onnx_rewrite, "MAX_MATRIX_BYTES", 1_999_999)
    with pytest.warns(UserWarning, match="500-sample window makes a 2 MiB matrix"):
        rewritten = without_fft_filter_banks(model, C, T)
    assert type(rewritten.model.spectral_filtering) is FilterBankLayer
    monkeypatch.setattr(onnx_rewrite, "MAX_MATRIX_BYTES", 2_000_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rewritten = without_fft_filter_banks(model, C, T)
    assert type(rewritten.model.spectral_filtering) is MatrixFilterBank


@pytest.mark.parametrize("name", ["fbcnet", "ifnet"])
def test_onnx_export_has_no_dft_and_matches_pytorch(name: str, tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx", reason="onnx is missing: pip install -e '.[online]'")
    pytest.importorskip("onnxruntime", reason="onnxruntime is missing: pip install -e '.[online]'")
    from eegdec.online.onnx import OnnxModel, export_onnx

    model = MODELS[name]()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    path = export_onnx(model, C, T, tmp_path / "model.onnx")
    proto = onnx.load(path)
    ops = {node.op_type for g in (proto.graph, *proto.functions) for node in g.node}
    assert "DFT" not in ops and "MatMul" in ops
    x = _x(seed=2) * 20  # microvolts
    with torch.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(OnnxModel(path).logits(x.numpy()), expected, rtol=0, atol=1e-4)
    assert type(model.model.spectral_filtering) is FilterBankLayer
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())


def test_an_exported_fbcnet_decoder_decides_as_the_torch_one(tmp_path: Path) -> None:
    """Decoder.export (the path of `eegdec export`) gets the rewrite; the decoder loaded back
    gives the torch decoder's probabilities, and the torch decoder keeps its FFT bank."""
    onnx = pytest.importorskip("onnx", reason="onnx is missing: pip install -e '.[online]'")
    pytest.importorskip("onnxruntime", reason="onnxruntime is missing: pip install -e '.[online]'")
    from eegdec.online.decoder import Decoder, torch_model

    model = MODELS["fbcnet"]()
    decoder = Decoder(
        torch_model(model),
        ch_names=[f"C{i}" for i in range(C)],
        sfreq=SFREQ,
        classes=["left", "right", "feet"],
        window_s=T / SFREQ,
        hop_s=0.2,
    )
    decoder.export(tmp_path / "decoder")
    proto = onnx.load(tmp_path / "decoder" / "model.onnx")
    assert "DFT" not in {node.op_type for g in (proto.graph, *proto.functions) for node in g.node}
    loaded = Decoder.from_export(tmp_path / "decoder")
    stream = np.random.default_rng(4).standard_normal((C, 2 * T)) * 1e-5  # volts, 4 s
    ours, theirs = decoder.push(stream), loaded.push(stream)
    assert len(ours) == len(theirs) == 11  # 2 s after the first window, one per 0.2 s
    np.testing.assert_allclose([d.proba for d in theirs], [d.proba for d in ours], atol=1e-5)
    assert type(model.model.spectral_filtering) is FilterBankLayer
