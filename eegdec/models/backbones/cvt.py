"""CvT blocks (convolutional token embedding and projection) as an EEG time-series encoder.

H. Wu, B. Xiao, N. Codella, M. Liu, X. Dai, L. Yuan, L. Zhang, "CvT: Introducing Convolutions
to Vision Transformers", ICCV 2021.

Adaptation to EEG: CvT's *convolutional token embedding* is the shared stem (strided
overlapping temporal convolution after the electrode mixing) and the LayerNorm + overlapping
strided convolution that starts each later stage, so tokens are time steps whose rate drops
stage by stage. Each block is a pre-norm transformer block whose *convolutional projection*
makes queries, keys and values with a 3-step depthwise convolution + BatchNorm + pointwise
projection; keys and values use stride 2 (CvT's squeezed projection), halving attention cost.
There is no positional embedding: the convolutions carry position, as in CvT.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eegdec.models.backbones.common import (
    ConvMLP,
    EEGBackbone,
    MetaBlock,
    depthwise,
    n_heads,
    variant_spec,
)

VARIANTS = {
    "tiny": {"dims": (24, 48, 96), "depths": (1, 1, 1)},
    "small": {"dims": (32, 64, 128), "depths": (1, 2, 1)},
}


def _conv_projection(dim: int, kernel_size: int, stride: int) -> nn.Sequential:
    return nn.Sequential(depthwise(dim, kernel_size, stride=stride, bias=False),
                         nn.BatchNorm1d(dim), nn.Conv1d(dim, dim, 1))


class ConvProjectionAttention1d(nn.Module):
    """Multi-head attention with depthwise-convolutional q/k/v projections (k, v strided)."""

    def __init__(self, dim: int, heads: int, kernel_size: int = 3, kv_stride: int = 2) -> None:
        super().__init__()
        self.heads = heads
        self.q = _conv_projection(dim, kernel_size, 1)
        self.k = _conv_projection(dim, kernel_size, kv_stride)
        self.v = _conv_projection(dim, kernel_size, kv_stride)
        self.proj = nn.Conv1d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, d, t = x.shape

        def split(z: torch.Tensor) -> torch.Tensor:  # (b, d, n) -> (b, heads, n, d/heads)
            return z.view(b, self.heads, d // self.heads, -1).transpose(-1, -2)

        out = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)))
        return self.proj(out.transpose(-1, -2).reshape(b, d, t))


class CvT1d(EEGBackbone):
    """CvT over time: convolutional token embedding per stage, convolutional projections."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", head_dim: int = 8, kv_stride: int = 2,
                 mlp_ratio: int = 4, drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "CvT")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            attn = ConvProjectionAttention1d(dim, n_heads(dim, head_dim), kv_stride=kv_stride)
            return MetaBlock(dim, attn, ConvMLP(dim, mlp_ratio * dim), dp, layer_scale=1.0)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
