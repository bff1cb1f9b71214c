"""SpaRTAN blocks as an EEG time-series encoder.

Q. B. Pay, V. M. Baskaran, J. Y. Loo, K. Wong, S. See, "SpaRTAN: Spatial Reinforcement
Token-based Aggregation Network for Visual Recognition", IJCNN 2025 (arXiv:2507.10999).

The paper's two modules are rebuilt from its description: (1) *multi-order spatial* mixing
with depthwise kernels whose receptive fields differ by kernel size and dilation, gated by a
parallel branch; (2) *wave-based channel aggregation*, which treats each hidden feature as a
wave with an amplitude and a learned, input-dependent phase (as in Wave-MLP's phase-aware
token mixing, Tang et al. CVPR 2022) and aggregates channels from its real and imaginary
parts, so features can reinforce or cancel each other instead of needing a wide MLP.

Adaptation to EEG: after the shared spatial stem, the multi-order mixer runs over time: a
5-step depthwise conv on all features, then 3/8 of them through a 5-step kernel with dilation
2 and half of them through a 7-step kernel with dilation 3 (reaching ~0.4 s at the first
stage), a pointwise fusion and a SiLU gate. The wave channel aggregation replaces the MLP (ratio
2 for each of the cosine and sine parts, so it costs what a ratio-4 MLP costs).
"""

from __future__ import annotations

import torch
from torch import nn

from eegdec.models.backbones.common import EEGBackbone, MetaBlock, depthwise, variant_spec

VARIANTS = {
    "tiny": {"dims": (24, 48, 96), "depths": (1, 1, 1)},
    "small": {"dims": (32, 64, 128), "depths": (1, 2, 1)},
}


class MultiOrderMixer(nn.Module):
    """Gated multi-order depthwise convolutions (kernel 5 d1, kernel 5 d2, kernel 7 d3)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        mid, far = dim * 3 // 8, dim // 2
        self.splits = (dim - mid - far, mid, far)
        self.gate = nn.Sequential(nn.Conv1d(dim, dim, 1), nn.SiLU())
        self.value = nn.Conv1d(dim, dim, 1)
        self.local = depthwise(dim, 5)
        self.mid = depthwise(mid, 5, dilation=2)
        self.far = depthwise(far, 7, dilation=3)
        self.fuse = nn.Conv1d(dim, dim, 1)
        self.act = nn.SiLU()
        self.proj = nn.Conv1d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        near, mid, far = torch.split(self.local(self.value(x)), self.splits, dim=1)
        value = self.act(self.fuse(torch.cat([near, self.mid(mid), self.far(far)], dim=1)))
        return self.proj(self.gate(x) * value)


class WaveChannelAggregation(nn.Module):
    """Hidden features as waves ``a * exp(i theta)``; channels aggregated from both parts."""

    def __init__(self, dim: int, ratio: int = 2) -> None:
        super().__init__()
        hidden = ratio * dim
        self.amplitude = nn.Sequential(nn.Conv1d(dim, hidden, 1), nn.GELU())
        self.phase = nn.Sequential(nn.Conv1d(dim, hidden, 1), nn.BatchNorm1d(hidden), nn.ReLU())
        self.aggregate = nn.Conv1d(2 * hidden, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        amp, theta = self.amplitude(x), self.phase(x)
        return self.aggregate(torch.cat([amp * torch.cos(theta), amp * torch.sin(theta)], dim=1))


class SpaRTAN1d(EEGBackbone):
    """SpaRTAN over time: multi-order gated mixing and wave-based channel aggregation."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", wave_ratio: int = 2, layer_scale: float = 1e-6,
                 drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "SpaRTAN")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            return MetaBlock(dim, MultiOrderMixer(dim), WaveChannelAggregation(dim, wave_ratio),
                             dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
