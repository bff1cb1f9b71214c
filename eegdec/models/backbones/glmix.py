"""GLMix blocks (convolution on the grid, attention on semantic slots) as an EEG encoder.

L. Zhu, X. Wang, W. Zhang, R. W. H. Lau, "Revisiting the Integration of Convolution and
Attention for Vision Backbone" (GLMix), NeurIPS 2024.

Input: ``(B, n_chans, n_times)`` or ``(B, 1, n_chans, n_times)``.

GLMix represents an image twice: as the pixel grid, mixed locally by convolution, and as a few
*semantic slots*, soft clusters of the grid features, mixed globally by multi-head
self-attention; the slots are computed from the grid by soft clustering and dispatched back
to it, and the two branches are fused. In 1-D the grid is the time axis after the shared
spatial stem: a 7-step depthwise convolution mixes neighbouring time steps, and 8 learned slot
centres gather the time steps by cosine similarity (a softmax over time, with a learned
temperature: one soft k-means step from learned initial centres), the 8 slots attend to each
other (so distant parts of the trial, e.g. cue response and late ERD, exchange information at
a cost linear in time), and every time step reads the slots back with a softmax over slots of
the same similarities. A pointwise convolution fuses the concatenated local and global
features. Each block is this mixer and an MLP, pre-norm residual.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eegdec.models.backbones.common import (
    ConvMLP,
    EEGBackbone,
    MetaBlock,
    TokenAttention,
    depthwise,
    n_heads,
    scaled_variants,
    variant_spec,
)

VARIANTS = scaled_variants({"dims": (24, 48, 96), "depths": (1, 1, 1)})


class GLMixer1d(nn.Module):
    """Local depthwise conv over time + self-attention over soft-clustered slots, fused."""

    def __init__(self, dim: int, heads: int, n_slots: int = 8, kernel_size: int = 7) -> None:
        super().__init__()
        self.local = depthwise(dim, kernel_size)
        self.centres = nn.Parameter(torch.randn(n_slots, dim))
        self.logit_scale = nn.Parameter(torch.tensor(10.0))
        self.slot_norm = nn.LayerNorm(dim)
        self.slot_attn = TokenAttention(dim, heads)
        self.fuse = nn.Conv1d(2 * dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sim = self.logit_scale * torch.einsum(
            "bdt,kd->bkt", F.normalize(x, dim=1), F.normalize(self.centres, dim=-1))
        slots = torch.einsum("bkt,bdt->bkd", torch.softmax(sim, dim=-1), x)  # gather
        slots = slots + self.slot_attn(self.slot_norm(slots))
        glob = torch.einsum("bkt,bkd->bdt", torch.softmax(sim, dim=1), slots)  # dispatch
        return self.fuse(torch.cat([self.local(x), glob], dim=1))


class GLMix1d(EEGBackbone):
    """GLMix over time: grid convolution and slot attention mixed in every block."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", head_dim: int = 8, n_slots: int = 8,
                 kernel_size: int = 7, mlp_ratio: int = 4, layer_scale: float = 1e-6,
                 drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "GLMix")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            mixer = GLMixer1d(dim, n_heads(dim, head_dim), n_slots, kernel_size)
            return MetaBlock(dim, mixer, ConvMLP(dim, mlp_ratio * dim), dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
