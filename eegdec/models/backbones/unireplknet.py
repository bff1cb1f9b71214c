"""UniRepLKNet blocks as an EEG time-series encoder.

X. Ding, Y. Zhang, Y. Ge, S. Zhao, L. Song, X. Yue, Y. Shan, "UniRepLKNet: A Universal
Perception Large-Kernel ConvNet for Audio, Video, Point Cloud, Time-Series and Image
Recognition", CVPR 2024.

Adaptation to EEG: after the shared spatial stem, each block is the UniRepLKNet block in 1-D:
a dilated re-parameterisable large-kernel depthwise temporal convolution (a 13-step kernel plus
parallel small dilated kernels, each followed by BatchNorm), BatchNorm, squeeze-and-excitation,
an inverted MLP with global response normalisation (GRN), layer scale and stochastic depth.
The branch kernel sizes and dilations are the paper's for each large kernel size.
:meth:`UniRepLKNet1d.reparameterize` merges every branch and its BatchNorm, and the block's
BatchNorm, into one depthwise convolution with bias for inference; outputs are unchanged in
eval mode (up to float rounding).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eegdec.errors import BadInputError
from eegdec.models.backbones.common import EEGBackbone, NeXtBlock, depthwise, variant_spec

VARIANTS = {
    "tiny": {"dims": (24, 48, 96), "depths": (1, 1, 1)},
    "small": {"dims": (32, 64, 128), "depths": (1, 2, 2)},
}

# large kernel -> (branch kernel sizes, dilations), as in the paper
BRANCHES: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {
    17: ((5, 9, 3, 3, 3), (1, 2, 4, 5, 7)),
    15: ((5, 7, 3, 3, 3), (1, 2, 3, 5, 7)),
    13: ((5, 7, 3, 3, 3), (1, 2, 3, 4, 5)),
    11: ((5, 5, 3, 3, 3), (1, 2, 3, 4, 5)),
    9: ((5, 5, 3, 3), (1, 2, 3, 4)),
    7: ((5, 3, 3), (1, 2, 3)),
    5: ((3, 3), (1, 2)),
}


def _fuse_bn(weight: torch.Tensor, bias: torch.Tensor | None, bn: nn.BatchNorm1d
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Kernel and bias of ``bn(conv(x))`` as a single convolution (eval-mode statistics)."""
    std = (bn.running_var + bn.eps).sqrt()
    scale = bn.weight / std
    b = bias if bias is not None else torch.zeros_like(bn.running_mean)
    return weight * scale[:, None, None], bn.bias + (b - bn.running_mean) * scale


def _dilated_to_dense(weight: torch.Tensor, dilation: int) -> torch.Tensor:
    """The dense kernel (zeros between taps) equivalent to a dilated depthwise kernel."""
    if dilation == 1:
        return weight
    k = weight.shape[-1]
    dense = weight.new_zeros(weight.shape[:-1] + (dilation * (k - 1) + 1,))
    dense[..., ::dilation] = weight
    return dense


class DilatedReparamConv(nn.Module):
    """Large depthwise kernel + parallel dilated small kernels, each with BatchNorm, summed."""

    def __init__(self, dim: int, kernel_size: int = 13) -> None:
        super().__init__()
        if kernel_size not in BRANCHES:
            raise BadInputError(
                f"UniRepLKNet kernel_size={kernel_size} is not supported; use one of "
                f"{sorted(BRANCHES)}."
            )
        self.kernel_size = kernel_size
        self.large = depthwise(dim, kernel_size, bias=False)
        self.large_bn = nn.BatchNorm1d(dim)
        kernels, dilations = BRANCHES[kernel_size]
        self.dilations = dilations
        self.branches = nn.ModuleList(depthwise(dim, k, r, bias=False)
                                      for k, r in zip(kernels, dilations))
        self.branch_bns = nn.ModuleList(nn.BatchNorm1d(dim) for _ in kernels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.large_bn(self.large(x))
        for conv, bn in zip(self.branches, self.branch_bns):
            out = out + bn(conv(x))
        return out

    @torch.no_grad()
    def merged(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Kernel ``(dim, 1, kernel_size)`` and bias of the equivalent single convolution."""
        weight, bias = _fuse_bn(self.large.weight, None, self.large_bn)
        for conv, bn, r in zip(self.branches, self.branch_bns, self.dilations):
            w, b = _fuse_bn(_dilated_to_dense(conv.weight, r), None, bn)
            pad = (self.kernel_size - w.shape[-1]) // 2
            weight = weight + F.pad(w, (pad, pad))
            bias = bias + b
        return weight, bias


class SqueezeExcite(nn.Module):
    """Channel gating from the time-averaged features (ratio 1/4)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(nn.Conv1d(dim, max(1, dim // 4), 1), nn.ReLU(),
                                  nn.Conv1d(max(1, dim // 4), dim, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x.mean(dim=-1, keepdim=True))


class GRN(nn.Module):
    """Global response normalisation (ConvNeXt V2) over time, channels-first."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(dim, 1))
        self.beta = nn.Parameter(torch.zeros(dim, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gx = x.norm(p=2, dim=-1, keepdim=True)
        nx = gx / (gx.mean(dim=1, keepdim=True) + 1e-6)
        return self.gamma * (x * nx) + self.beta + x


class UniRepLKBlock(NeXtBlock):
    """Dilated reparam conv -> BatchNorm -> SE -> MLP with GRN, layer-scaled residual."""

    def __init__(self, dim: int, kernel_size: int, mlp_ratio: int, drop_path: float,
                 layer_scale: float) -> None:
        mlp = nn.Sequential(nn.Conv1d(dim, mlp_ratio * dim, 1), nn.GELU(),
                            GRN(mlp_ratio * dim), nn.Conv1d(mlp_ratio * dim, dim, 1))
        super().__init__(dim, DilatedReparamConv(dim, kernel_size),
                         nn.Sequential(SqueezeExcite(dim), mlp), drop_path, layer_scale,
                         norm=nn.BatchNorm1d(dim))

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Replace the branches and both BatchNorms by one depthwise conv with bias."""
        if not isinstance(self.mixer, DilatedReparamConv):
            return
        weight, bias = self.mixer.merged()
        conv = depthwise(weight.shape[0], weight.shape[-1]).to(weight.device)
        conv.weight.copy_(weight)
        conv.bias.copy_(bias)
        weight, bias = _fuse_bn(conv.weight, conv.bias, self.norm)
        conv.weight.copy_(weight)
        conv.bias.copy_(bias)
        self.mixer, self.norm = conv, nn.Identity()


class UniRepLKNet1d(EEGBackbone):
    """UniRepLKNet over time; call :meth:`reparameterize` before deployment."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", kernel_size: int = 13, mlp_ratio: int = 4,
                 layer_scale: float = 1e-6, drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "UniRepLKNet")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            return UniRepLKBlock(dim, kernel_size, mlp_ratio, dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)

    def reparameterize(self) -> UniRepLKNet1d:
        """Merge each block's parallel branches and BatchNorms into one conv (inference form)."""
        for module in self.modules():
            if isinstance(module, UniRepLKBlock):
                module.reparameterize()
        return self
