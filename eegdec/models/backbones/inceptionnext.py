"""InceptionNeXt blocks as an EEG time-series encoder.

W. Yu, P. Zhou, S. Yan, X. Wang, "InceptionNeXt: When Inception Meets ConvNeXt", CVPR 2024.

Adaptation to EEG: after the shared spatial stem, each block is a MetaNeXt block whose token
mixer is the inception depthwise convolution in 1-D: the features are split into an identity
part (most of them, left untouched), a small-kernel part (3 steps, the "small square" kernel)
and band-kernel parts. With a single (time) axis the two orthogonal 1xk / kx1 bands of the
image version become two temporal bands of different lengths (11 and 23 steps), so one branch
sees ~0.2 s and one ~0.5 s at the first stage. The rest follows ConvNeXt: LayerNorm, inverted
MLP, layer scale, stochastic depth.
"""

from __future__ import annotations

import torch
from torch import nn

from eegdec.models.backbones.common import (
    ConvMLP,
    EEGBackbone,
    NeXtBlock,
    depthwise,
    variant_spec,
)

VARIANTS = {
    "tiny": {"dims": (24, 48, 96), "depths": (1, 1, 1)},
    "small": {"dims": (32, 64, 128), "depths": (1, 2, 2)},
}


class InceptionDWConv1d(nn.Module):
    """Split features: identity | small kernel | short band | long band (each conv branch 1/8)."""

    def __init__(self, dim: int, small_kernel: int = 3, band_kernels: tuple[int, int] = (11, 23),
                 branch_ratio: float = 0.125) -> None:
        super().__init__()
        width = max(1, int(dim * branch_ratio))
        kernels = (small_kernel, *band_kernels)
        self.splits = (dim - width * len(kernels),) + (width,) * len(kernels)
        self.branches = nn.ModuleList(depthwise(width, k) for k in kernels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity, *parts = torch.split(x, self.splits, dim=1)
        return torch.cat([identity] + [conv(p) for conv, p in zip(self.branches, parts)], dim=1)


class InceptionNeXt1d(EEGBackbone):
    """InceptionNeXt over time: inception depthwise conv in a ConvNeXt-style block."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", band_kernels: tuple[int, int] = (11, 23),
                 mlp_ratio: int = 4, layer_scale: float = 1e-6, drop_path: float = 0.0,
                 dropout: float = 0.0, chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "InceptionNeXt")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            return NeXtBlock(dim, InceptionDWConv1d(dim, band_kernels=band_kernels),
                             ConvMLP(dim, mlp_ratio * dim), dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
