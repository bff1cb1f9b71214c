"""WaveMix blocks as an EEG time-series encoder.

P. Jeevan, K. Viswanathan, A. A. S, A. Sethi, "WaveMix: A Resource-efficient Neural Network
for Image Analysis", arXiv:2205.14375 (2022-2023).

Adaptation to EEG: after the shared spatial stem, each block mixes tokens in the wavelet
domain over time. The features are reduced to half width and decomposed level by level with
a 1-D discrete wavelet transform; at each level the approximation and detail bands are
concatenated (back to full width, at 1/2, 1/4, ... of the time resolution), mixed by a
pointwise MLP, and brought back to full resolution by a transposed convolution, as WaveMix does
with its 2-D subbands. The levels are summed, batch-normalised and added to the input. The
number of levels adapts to the stage length (at most ``levels``), so short windows still work.

The DWT is ``ptwt`` (PyTorch Wavelet Toolbox): a maintained, differentiable torch
implementation that accepts any PyWavelets wavelet name (default ``"haar"``, as in WaveMix).
"""

from __future__ import annotations

import math

import ptwt
import pywt
import torch
from torch import nn

from eegdec.errors import UnknownNameError, suggest
from eegdec.models.backbones.common import EEGBackbone, variant_spec

VARIANTS = {
    "tiny": {"dims": (24, 48, 96), "depths": (1, 1, 1)},
    "small": {"dims": (32, 64, 128), "depths": (1, 2, 1)},
}


class WaveMixBlock(nn.Module):
    """Multi-level DWT token mixing with residual: ``x + BN(sum_l up_l(mlp_l([a_l, d_l])))``."""

    def __init__(self, dim: int, levels: int, wavelet: str = "haar", mlp_ratio: int = 2,
                 drop: float = 0.0) -> None:
        super().__init__()
        self.wavelet = wavelet
        self.reduce = nn.Conv1d(dim, dim // 2, 1)
        width = 2 * (dim // 2)
        self.mixers = nn.ModuleList(
            nn.Sequential(nn.Conv1d(width, mlp_ratio * dim, 1), nn.GELU(), nn.Dropout(drop),
                          nn.Conv1d(mlp_ratio * dim, dim, 1))
            for _ in range(levels)
        )
        self.ups = nn.ModuleList(nn.ConvTranspose1d(dim, dim, 2 ** lv, stride=2 ** lv, groups=dim)
                                 for lv in range(1, levels + 1))
        self.norm = nn.BatchNorm1d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[-1]
        approx, out = self.reduce(x), 0
        for mixer, up in zip(self.mixers, self.ups):
            approx, detail = ptwt.wavedec(approx, self.wavelet, level=1, mode="zero")
            out = out + up(mixer(torch.cat([approx, detail], dim=1)))[..., :t]
        return x + self.norm(out)


class WaveMix1d(EEGBackbone):
    """WaveMix over time: multi-level 1-D DWT token mixing per block (no stochastic depth)."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", levels: int = 3, wavelet: str = "haar",
                 mlp_ratio: int = 2, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "WaveMix")
        _check_wavelet(wavelet)

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            n_levels = max(1, min(levels, int(math.log2(max(2, n_tokens)))))
            return WaveMixBlock(dim, n_levels, wavelet, mlp_ratio)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=0.0, dropout=dropout, chs_info=chs_info)


def _check_wavelet(name: str) -> None:
    if name not in pywt.wavelist(kind="discrete"):
        raise UnknownNameError(
            f"Unknown discrete wavelet {name!r}.{suggest(name, pywt.wavelist(kind='discrete'))} "
            "See pywt.wavelist(kind='discrete')."
        )
