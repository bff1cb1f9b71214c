"""TransNeXt blocks (aggregated attention + Convolutional GLU) as an EEG time-series encoder.

D. Shi, "TransNeXt: Robust Foveal Visual Perception for Vision Transformers", CVPR 2024.

Adaptation to EEG: after the shared spatial stem, each block is a pre-norm transformer block
over time steps whose channel mixer is TransNeXt's *Convolutional GLU*: a pointwise projection
split into a value half and a gate half, the gate passing a 3-step depthwise convolution and
GELU (which also gives the block its positional information; there is no positional
embedding). The token mixer is a 1-D form of TransNeXt's *aggregated attention*: each time
step attends, within one softmax, to its own neighbourhood (a 7-step sliding window with a
learned relative-position bias, the "foveal" part) and to a few average-pooled tokens of the
whole window (the coarse, global part). The paper's query embedding, learnable tokens and
length-scaled cosine attention are left out at these sizes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eegdec.models.backbones.common import (
    ChannelLayerNorm,
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


class ConvGLU(nn.Module):
    """Convolutional GLU: ``fc2(GELU(dwconv(gate)) * value)``."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv1d(dim, 2 * hidden, 1)
        self.dw = depthwise(hidden, 3)
        self.act = nn.GELU()
        self.fc2 = nn.Conv1d(hidden, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, value = self.fc1(x).chunk(2, dim=1)
        return self.fc2(self.act(self.dw(gate)) * value)


class AggregatedAttention1d(nn.Module):
    """One softmax over a local sliding window and a set of pooled global tokens."""

    def __init__(self, dim: int, heads: int, window: int = 7, pool_tokens: int = 8) -> None:
        super().__init__()
        self.heads, self.window, self.pool_tokens = heads, window, pool_tokens
        self.q = nn.Conv1d(dim, dim, 1)
        self.kv = nn.Conv1d(dim, 2 * dim, 1)
        self.pool_norm = ChannelLayerNorm(dim)
        self.pool_kv = nn.Conv1d(dim, 2 * dim, 1)
        self.local_bias = nn.Parameter(torch.zeros(heads, 1, window))
        self.proj = nn.Conv1d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, d, t = x.shape
        h, w, pad = self.heads, self.window, self.window // 2
        q = self.q(x).view(b, h, d // h, t) * (d // h) ** -0.5
        k, v = self.kv(x).view(b, 2, h, d // h, t).unbind(1)
        k_loc = F.pad(k, (pad, pad)).unfold(-1, w, 1)  # (b, h, dh, t, w)
        v_loc = F.pad(v, (pad, pad)).unfold(-1, w, 1)
        s_loc = (q.unsqueeze(-1) * k_loc).sum(dim=2) + self.local_bias  # (b, h, t, w)
        pos = torch.arange(t, device=x.device)[:, None] + torch.arange(w, device=x.device) - pad
        s_loc = s_loc.masked_fill((pos < 0) | (pos >= t), float("-inf"))
        pooled = self.pool_norm(F.adaptive_avg_pool1d(x, min(self.pool_tokens, t)))
        k_pool, v_pool = self.pool_kv(pooled).view(b, 2, h, d // h, -1).unbind(1)
        s_pool = torch.einsum("bhct,bhcp->bhtp", q, k_pool)
        a_loc, a_pool = torch.softmax(torch.cat([s_loc, s_pool], -1), -1).split(
            [w, s_pool.shape[-1]], dim=-1)
        out = (a_loc.unsqueeze(2) * v_loc).sum(-1) + torch.einsum("bhtp,bhcp->bhct", a_pool, v_pool)
        return self.proj(out.reshape(b, d, t))


class TransNeXt1d(EEGBackbone):
    """TransNeXt over time: aggregated attention and Convolutional GLU."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", head_dim: int = 8, window: int = 7,
                 pool_tokens: int = 8, mlp_ratio: int = 4, layer_scale: float = 1e-6,
                 drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "TransNeXt")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            attn = AggregatedAttention1d(dim, n_heads(dim, head_dim), window, pool_tokens)
            return MetaBlock(dim, attn, ConvGLU(dim, 2 * mlp_ratio * dim // 3), dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
