"""DiCo blocks (plain ConvNet block with compact channel attention) as an EEG encoder.

Y. Ai, Q. Fan, X. Hu, Z. Yang, R. He, H. Huang, "DiCo: Revitalizing ConvNets for Scalable and
Efficient Diffusion Modeling", NeurIPS 2025 (arXiv:2505.11196).

Input: ``(B, n_chans, n_times)`` or ``(B, 1, n_chans, n_times)``.

DiCo observes that a plain convolution block (pointwise -> depthwise -> pointwise) that
replaces self-attention leaves many channels redundant or inactive, and fixes it with *compact
channel attention* (CCA): global average pooling, one pointwise layer (no bottleneck, unlike
squeeze-and-excitation) and a sigmoid that re-weights the channels, activating a more diverse
set. The conv module is pointwise conv -> depthwise conv -> GELU -> CCA -> pointwise conv,
followed by an MLP, each a pre-norm residual. In 1-D after the shared spatial stem the
depthwise convolution runs over time (7 steps, ~0.14 s at the first stage; the 1-D
counterpart of DiCo's 3x3 window) and CCA pools over the whole window, so it re-weights
features by their activity in the trial (e.g. by band power).
"""

from __future__ import annotations

import torch
from torch import nn

from eegdec.models.backbones.common import (
    ConvMLP,
    EEGBackbone,
    MetaBlock,
    depthwise,
    scaled_variants,
    variant_spec,
)

VARIANTS = scaled_variants({"dims": (24, 48, 96), "depths": (1, 1, 1)})


class CompactChannelAttention(nn.Module):
    """``x * sigmoid(W mean_t(x))`` with a single pointwise layer ``W``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc = nn.Conv1d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.fc(x.mean(dim=-1, keepdim=True)))


class DiCoConv1d(nn.Sequential):
    """Pointwise -> depthwise over time -> GELU -> compact channel attention -> pointwise."""

    def __init__(self, dim: int, kernel_size: int = 7) -> None:
        super().__init__(nn.Conv1d(dim, dim, 1), depthwise(dim, kernel_size), nn.GELU(),
                         CompactChannelAttention(dim), nn.Conv1d(dim, dim, 1))


class DiCo1d(EEGBackbone):
    """DiCo over time: conv module with compact channel attention, then an MLP."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", kernel_size: int = 7, mlp_ratio: int = 4,
                 layer_scale: float = 1e-6, drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "DiCo")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            return MetaBlock(dim, DiCoConv1d(dim, kernel_size), ConvMLP(dim, mlp_ratio * dim),
                             dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
