"""Inception-ResNet blocks as an EEG time-series encoder.

C. Szegedy, S. Ioffe, V. Vanhoucke, A. Alemi, "Inception-v4, Inception-ResNet and the Impact of
Residual Connections on Learning", AAAI 2017 (arXiv:1602.07261, 2016).

Input: ``(B, n_chans, n_times)`` or ``(B, 1, n_chans, n_times)``.

Inception-ResNet keeps Inception's parallel branches of different receptive fields, each opened
by a 1x1 bottleneck, concatenates them, projects back with a linear 1x1 convolution (no
activation), *scales* the result (0.1-0.3, which the paper found necessary for stable training)
and adds it to the block input, followed by ReLU. Its three block types differ by stage: A
(35x35 grid: 1x1, 3x3 and two stacked 3x3 branches), B (17x17: a factorised 1x7 then 7x1 branch)
and C (8x8: 1x3 then 3x1). In 1-D over time after the shared spatial stem, stage 1 uses A
(pointwise | 3 steps | 3 + 3 steps), stage 2 uses B, whose two orthogonal 7-tap factors become
two stacked 7-step temporal convolutions, the second dilated by 2 (19 steps, ~0.75 s at
25 Hz), and stage 3 uses C (pointwise | 3 + dilated 3 steps). Every branch convolution has
BatchNorm and ReLU as in the paper; each branch is half the block width; the residual
scale is 0.2.
"""

from __future__ import annotations

import torch
from torch import nn

from eegdec.models.backbones.common import EEGBackbone, scaled_variants, variant_spec

VARIANTS = scaled_variants({"dims": (24, 48, 96), "depths": (1, 1, 1)})

# block type per stage: each branch is a list of (kernel, dilation) after its 1x1 bottleneck
BRANCHES: dict[str, tuple[tuple[tuple[int, int], ...], ...]] = {
    "A": ((), ((3, 1),), ((3, 1), (3, 1))),
    "B": ((), ((7, 1), (7, 2))),
    "C": ((), ((3, 1), (3, 2))),
}
STAGE_BLOCKS = ("A", "B", "C")


def _conv_bn(cin: int, cout: int, kernel: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(cin, cout, kernel, padding=dilation * (kernel // 2),
                                   dilation=dilation, bias=False),
                         nn.BatchNorm1d(cout), nn.ReLU())


class InceptionResBlock1d(nn.Module):
    """``ReLU(x + scale * up(concat(branches(x))))`` with Inception branches over time."""

    def __init__(self, dim: int, kind: str, scale: float = 0.2) -> None:
        super().__init__()
        width = max(4, dim // 2)
        self.scale = scale
        self.branches = nn.ModuleList(
            nn.Sequential(_conv_bn(dim, width), *(_conv_bn(width, width, k, r) for k, r in convs))
            for convs in BRANCHES[kind])
        self.up = nn.Conv1d(width * len(self.branches), dim, 1)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = self.up(torch.cat([branch(x) for branch in self.branches], dim=1))
        return self.act(x + self.scale * mixed)


class InceptionResNet1d(EEGBackbone):
    """Inception-ResNet-A, -B, -C blocks in the three stages over time."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", residual_scale: float = 0.2, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "Inception-ResNet")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            return InceptionResBlock1d(dim, STAGE_BLOCKS[min(stage, 2)], residual_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=0.0, dropout=dropout, chs_info=chs_info)
