"""HorNet blocks as an EEG time-series encoder.

Y. Rao, W. Zhao, Y. Tang, J. Zhou, S.-N. Lim, J. Lu, "HorNet: Efficient High-Order Spatial
Interactions with Recursive Gated Convolutions", NeurIPS 2022.

Adaptation to EEG: after the shared spatial stem, each block is a HorNet block in 1-D:
LayerNorm -> recursive gated convolution g^nConv -> residual, then LayerNorm -> MLP ->
residual (layer scale, stochastic depth). g^nConv projects the features, filters the gating
part with one depthwise temporal convolution (15 steps, the 1-D counterpart of the 7x7
kernel), and multiplies it in recursively at doubling widths, giving interactions of order
n = 2, 3, 4 in the three stages.
"""

from __future__ import annotations

import torch
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
    "small": {"dims": (32, 64, 128), "depths": (1, 2, 1)},
}


class GnConv1d(nn.Module):
    """Recursive gated convolution of order ``order`` over time."""

    def __init__(self, dim: int, order: int, kernel_size: int = 15, scale: float = 1 / 3) -> None:
        super().__init__()
        if dim % 2 ** (order - 1):
            raise BadInputError(
                f"HorNet width {dim} is not divisible by 2**(order-1)={2 ** (order - 1)}; "
                "use widths that are multiples of 8."
            )
        self.dims = [dim // 2 ** i for i in range(order)][::-1]
        self.scale = scale
        self.proj_in = nn.Conv1d(dim, 2 * dim, 1)
        self.dw = depthwise(sum(self.dims), kernel_size)
        self.pws = nn.ModuleList(nn.Conv1d(self.dims[i], self.dims[i + 1], 1)
                                 for i in range(order - 1))
        self.proj_out = nn.Conv1d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p, q = torch.split(self.proj_in(x), (self.dims[0], sum(self.dims)), dim=1)
        gates = torch.split(self.dw(q) * self.scale, self.dims, dim=1)
        x = p * gates[0]
        for pw, gate in zip(self.pws, gates[1:]):
            x = pw(x) * gate
        return self.proj_out(x)


class HorNet1d(EEGBackbone):
    """HorNet over time: g^nConv token mixing with order rising per stage."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", orders: tuple[int, ...] = (2, 3, 4),
                 kernel_size: int = 15, mlp_ratio: int = 4, layer_scale: float = 1e-6,
                 drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "HorNet")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            return MetaBlock(dim, GnConv1d(dim, orders[stage], kernel_size),
                             ConvMLP(dim, mlp_ratio * dim), dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
