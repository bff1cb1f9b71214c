"""HaloNet blocks (blocked local self-attention with halos) as an EEG time-series encoder.

A. Vaswani, P. Ramachandran, A. Srinivas, N. Parmar, B. Hechtman, J. Shlens, "Scaling Local
Self-Attention for Parameter Efficient Visual Backbones", CVPR 2021.

Input: ``(B, n_chans, n_times)`` or ``(B, 1, n_chans, n_times)``.

Adaptation to EEG: after the shared spatial stem, tokens are time steps. HaloNet cuts the
image into non-overlapping ``b x b`` query blocks; each block attends to its own pixels plus a
*halo* of ``h`` pixels around it, so attention stays local but blocks overlap in what they
read, and the cost is linear in the number of pixels. In 1-D the time axis is cut into blocks of
``block`` steps (8: 0.16 s at the first stage) and each block attends to itself plus ``halo``
steps on either side (4), with HaloNet's relative position embeddings (content-position logits
``q . r_{j-i}``, one embedding per offset). Keys beyond the window's ends are masked, so no
zero padding is attended to. Stages downsample time, so the same block spans 0.16, 0.32 and
0.64 s. Each block is a pre-norm transformer block (attention, then an MLP).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from eegdec.models.backbones.common import (
    ConvMLP,
    EEGBackbone,
    MetaBlock,
    n_heads,
    scaled_variants,
    variant_spec,
)

VARIANTS = scaled_variants({"dims": (24, 48, 96), "depths": (1, 1, 1)})


class HaloAttention1d(nn.Module):
    """Attention of each ``block`` of time steps to itself plus ``halo`` steps either side."""

    def __init__(self, dim: int, heads: int, block: int = 8, halo: int = 4) -> None:
        super().__init__()
        self.heads, self.block, self.halo = heads, block, halo
        dh = dim // heads
        self.q = nn.Conv1d(dim, dim, 1)
        self.kv = nn.Conv1d(dim, 2 * dim, 1)
        self.proj = nn.Conv1d(dim, dim, 1)
        self.rel = nn.Parameter(torch.randn(2 * (block + halo) - 1, dh) * dh ** -0.5)
        window = block + 2 * halo
        offsets = torch.arange(window)[None, :] - halo - torch.arange(block)[:, None]
        self.register_buffer("rel_index", offsets + block + halo - 1, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, d, t = x.shape
        h, dh, bs, halo = self.heads, d // self.heads, self.block, self.halo
        nb = math.ceil(t / bs)
        pad = nb * bs - t
        window = bs + 2 * halo
        q = F.pad(self.q(x), (0, pad)).view(b, h, dh, nb, bs).permute(0, 1, 3, 4, 2)
        kv = F.pad(self.kv(x), (halo, halo + pad)).unfold(-1, window, bs)  # (b, 2d, nb, w)
        k, v = kv.reshape(b, 2, h, dh, nb, window).permute(1, 0, 2, 4, 5, 3).unbind(0)
        logits = q @ k.transpose(-1, -2) + torch.einsum(
            "bhnid,ijd->bhnij", q, self.rel[self.rel_index])
        pos = (torch.arange(nb, device=x.device)[:, None] * bs - halo
               + torch.arange(window, device=x.device)[None, :])
        outside = ((pos < 0) | (pos >= t))[None, None, :, None, :]
        att = torch.softmax((logits * dh ** -0.5).masked_fill(outside, float("-inf")), dim=-1)
        out = (att @ v).permute(0, 1, 4, 2, 3).reshape(b, d, nb * bs)[..., :t]
        return self.proj(out)


class HaloNet1d(EEGBackbone):
    """HaloNet over time: blocked local self-attention with halos, then an MLP, per block."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", head_dim: int = 8, block: int = 8, halo: int = 4,
                 mlp_ratio: int = 4, layer_scale: float = 1e-6, drop_path: float = 0.0,
                 dropout: float = 0.0, chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "HaloNet")

        def make(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            attn = HaloAttention1d(dim, n_heads(dim, head_dim), block, halo)
            return MetaBlock(dim, attn, ConvMLP(dim, mlp_ratio * dim), dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=make,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
