"""Export-time rewrite of braindecode's FFT filter banks into one matrix product.

braindecode's :class:`~braindecode.modules.FilterBankLayer` (FBCNet, IFNet, FBMSNet,
FBLightConvNet) filters each band by FFT convolution (``torchaudio.functional.fftconvolve``:
``rfft``/``irfft`` of ``n_times + filter_length - 1`` points, 584, 496, 452, ... for 320
samples), or by ``lfilter``/``filtfilt`` for IIR designs. ONNX Runtime's CPU ``DFT`` kernel is
fast only for powers of two: one ``DFT`` of 64 x 584 points takes 6.7 ms against 0.6 ms at 512,
and it was 94-96% of FBCNet's (55.6 ms p50) and IFNet's (17.5 ms) ONNX Runtime time, which
missed the 10 ms online budget (docs/benchmarks.md, "Online decoding latency (#13)").

For a fixed window length the filter bank is a linear map of each channel's ``n_times``
samples, the same for every channel. :func:`without_fft_filter_banks` measures that map once
(the bank's response to unit impulses, in float64) and, on a deep copy of the model, replaces
the bank by :class:`MatrixFilterBank`: one ``(n_times, n_bands * n_times)`` matrix product,
equal to the FFT filtering to float32 rounding, which every ONNX backend runs fast. The
replacement is checked against the original bank on random input before it is used.
"""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn

from eegdec.errors import BadInputError

#: Largest difference (relative to the output's largest magnitude) between a float64
#: :class:`MatrixFilterBank` and the bank it replaces: FIR banks agree to ~1e-15, IIR banks
#: (``filtfilt`` recursions) to ~3e-9; a bank that is not linear is off by order 1.
REWRITE_RTOL = 1e-6
#: Largest float32 matrix the rewrite builds (it is stored in the ONNX file, and protobuf caps
#: a file at 2 GiB): 9 bands up to 2,730 samples per window, 2 bands up to 5,790. A longer
#: window keeps the FFT filtering (measured: the matrix is still 12x faster in ONNX Runtime
#: than its DFT at 64 x 2,000 samples, 48 against 582 ms, but the file holds 144 MB).
MAX_MATRIX_BYTES = 256 * 2**20


class MatrixFilterBank(nn.Module):
    """A filter bank as one matrix product: ``(B, C, T)`` -> ``(B, n_bands, C, T)``.

    ``kernel`` ``(n_bands, T, T)``: ``kernel[b, s, t]`` is band ``b``'s output at sample ``t``
    for a unit impulse at sample ``s``; the same for every channel.
    """

    def __init__(self, kernel: torch.Tensor) -> None:
        super().__init__()
        self.n_bands, n_times, _ = kernel.shape
        self.register_buffer("matrix", kernel.permute(1, 0, 2).reshape(n_times, -1).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, n_chans, n_times = x.shape
        y = torch.matmul(x, self.matrix)  # (B, C, n_bands * T)
        return y.reshape(batch, n_chans, self.n_bands, n_times).transpose(1, 2)


def _fft_filter_bank_types() -> tuple[type[nn.Module], ...]:
    from braindecode.modules import FilterBankLayer

    return (FilterBankLayer,)


def impulse_response(bank: nn.Module, n_chans: int, n_times: int) -> torch.Tensor:
    """``(n_bands, n_times, n_times)``: ``bank``'s output for a unit impulse at each sample.

    One forward pass in float64 on a copy of ``bank``: channel ``c`` of trial ``i`` holds the
    impulse at sample ``i * n_chans + c`` (the bank filters every channel alike).
    """
    probe = copy.deepcopy(bank).double().eval()
    n_trials = -(-n_times // n_chans)
    eye = torch.zeros(n_trials * n_chans, n_times, dtype=torch.float64)
    eye[:n_times] = torch.eye(n_times, dtype=torch.float64)
    with torch.no_grad():
        out = probe(eye.reshape(n_trials, n_chans, n_times))  # (trials, bands, C, T)
    return out.permute(1, 0, 2, 3).reshape(out.shape[1], -1, n_times)[:, :n_times]


def matrix_filter_bank(bank: nn.Module, n_chans: int, n_times: int) -> MatrixFilterBank:
    """``bank`` as a float32 :class:`MatrixFilterBank` for ``(n_chans, n_times)`` input.

    The float64 matrix is checked against ``bank`` (float64) on random input first: a bank
    that is not one linear filter for every channel (relative error above ``REWRITE_RTOL``),
    or a matrix above ``MAX_MATRIX_BYTES``, raises :class:`~eegdec.errors.BadInputError`.
    """
    size = 4 * int(bank.n_bands) * n_times**2
    if size > MAX_MATRIX_BYTES:
        raise BadInputError(
            f"a {n_times}-sample window makes a {size / 2**20:.0f} MiB matrix (above "
            f"MAX_MATRIX_BYTES, {MAX_MATRIX_BYTES / 2**20:.0f} MiB); decode shorter windows "
            "for the fast form"
        )
    replacement = MatrixFilterBank(impulse_response(bank, n_chans, n_times))
    x = torch.randn(
        2, n_chans, n_times, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    with torch.no_grad():
        expected = copy.deepcopy(bank).double().eval()(x)
        got = replacement(x)
    err = float((got - expected).abs().max() / expected.abs().max().clamp_min(1e-300))
    if not err <= REWRITE_RTOL:
        raise BadInputError(
            f"{type(bank).__name__} is not one linear filter for every channel (its matrix "
            f"form is off by {err:.2g})"
        )
    return replacement.float()


def without_fft_filter_banks(module: nn.Module, n_chans: int, n_times: int) -> nn.Module:
    """``module`` with every braindecode filter bank replaced by a :class:`MatrixFilterBank`
    for ``(n_chans, n_times)`` input: a deep copy when there is one (``module`` itself is never
    modified), else ``module``. A bank :func:`matrix_filter_bank` refuses is kept as it is,
    with a warning (it exports, only slower in ONNX Runtime)."""
    kinds = _fft_filter_bank_types()
    names = [name for name, sub in module.named_modules() if isinstance(sub, kinds)]
    if not names:
        return module
    rewritten = copy.deepcopy(module)
    for name in names:
        parent_name, _, attr = name.rpartition(".")
        parent = rewritten.get_submodule(parent_name)
        try:
            setattr(parent, attr, matrix_filter_bank(getattr(parent, attr), n_chans, n_times))
        except BadInputError as exc:
            warnings.warn(f"{name} keeps its FFT filtering in the ONNX export: {exc}", stacklevel=2)
    return rewritten
