"""LSNet blocks as an EEG time-series encoder.

A. Wang, H. Chen, Z. Lin, J. Han, G. Ding, "LSNet: See Large, Focus Small", CVPR 2025.

Adaptation to EEG: after the shared spatial stem, each block is an LSNet block in 1-D: a
residual depthwise 3-step convolution (local mixing), then the LS convolution, then an MLP,
each residual with layer scale and stochastic depth. The LS convolution has two parts:
*large-kernel perception* (pointwise reduction, a 15-step depthwise temporal convolution,
pointwise projection) predicts, at every time step, a small kernel for each group of features;
*small-kernel aggregation* then applies those dynamic 3-step kernels to the input around that
time step. Wide context decides the weights; the aggregation itself stays local.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eegdec.errors import BadInputError
from eegdec.models.backbones.common import (
    ConvMLP,
    EEGBackbone,
    MetaBlock,
    depthwise,
    variant_spec,
)

VARIANTS = {
    "tiny": {"dims": (24, 48, 96), "depths": (1, 1, 1)},
    "small": {"dims": (32, 64, 128), "depths": (1, 2, 2)},
}


class LSConv1d(nn.Module):
    """Large-kernel perception predicts per-step small kernels; small-kernel aggregation."""

    def __init__(self, dim: int, large_kernel: int = 15, small_kernel: int = 3,
                 groups: int = 8) -> None:
        super().__init__()
        if dim % groups:
            raise BadInputError(
                f"LSNet width {dim} is not divisible by groups={groups}; use multiples of 8."
            )
        hidden = max(1, dim // 2)
        self.groups, self.small_kernel = groups, small_kernel
        self.perceive = nn.Sequential(
            nn.Conv1d(dim, hidden, 1), nn.BatchNorm1d(hidden), nn.ReLU(),
            depthwise(hidden, large_kernel), nn.BatchNorm1d(hidden),
            nn.Conv1d(hidden, groups * small_kernel, 1),
        )
        self.norm = nn.BatchNorm1d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, d, t = x.shape
        k, g = self.small_kernel, self.groups
        weights = self.perceive(x).view(b, g, 1, k, t)
        patches = F.pad(x, (k // 2, k // 2)).unfold(-1, k, 1)  # (b, d, t, k)
        patches = patches.reshape(b, g, d // g, t, k).transpose(-1, -2)  # (b, g, d/g, k, t)
        return self.norm((patches * weights).sum(dim=3).reshape(b, d, t))


class _LocalResidual(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(depthwise(dim, 3), nn.BatchNorm1d(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x)


class LSNet1d(EEGBackbone):
    """LSNet over time: local depthwise residual, LS convolution, MLP."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", large_kernel: int = 15, small_kernel: int = 3,
                 mlp_ratio: int = 4, layer_scale: float = 1e-6, drop_path: float = 0.0,
                 dropout: float = 0.0, chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "LSNet")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            return nn.Sequential(
                _LocalResidual(dim),
                MetaBlock(dim, LSConv1d(dim, large_kernel, small_kernel),
                          ConvMLP(dim, mlp_ratio * dim), dp, layer_scale),
            )

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
