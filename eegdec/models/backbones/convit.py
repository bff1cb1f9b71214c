"""ConViT blocks (gated positional self-attention) as an EEG time-series encoder.

S. d'Ascoli, H. Touvron, M. Leavitt, A. Morcos, G. Biroli, L. Sagun, "ConViT: Improving Vision
Transformers with Soft Convolutional Inductive Biases", ICML 2021.

Input: ``(B, n_chans, n_times)`` or ``(B, 1, n_chans, n_times)``.

Adaptation to EEG: after the shared spatial stem, tokens are time steps (~50 Hz). ConViT's
*gated positional self-attention* (GPSA) mixes, per head, a content softmax ``q.k`` and a
positional softmax over relative positions, with a learned gate ``sigmoid(lambda_h)``. In 2-D
the positional scores of a head are ``v_h . (dx, dy, dx^2 + dy^2)``; in 1-D they are
``v_h . (d, d^2)`` with ``d`` the time offset. They are initialised as a convolution:
``v_h = alpha (2 c_h, -1)`` gives ``-alpha (d - c_h)^2`` (up to a constant), so head ``h``
starts by attending to the step ``c_h`` away, the heads' centres spread around 0 (3 heads: -1,
0, +1: a 3-tap temporal convolution), and the gate starts at ``sigmoid(1)`` towards position.
Training may then free each head into content attention. As ConViT uses GPSA in its early
layers and plain self-attention in the last ones, the first two stages use GPSA and the last
plain multi-head self-attention; there is no positional embedding.
"""

from __future__ import annotations

import torch
from torch import nn

from eegdec.models.backbones.common import (
    ConvMLP,
    EEGBackbone,
    MetaBlock,
    SelfAttention1d,
    n_heads,
    scaled_variants,
    variant_spec,
)

VARIANTS = scaled_variants({"dims": (24, 48, 96), "depths": (1, 1, 1)})


class GPSA1d(nn.Module):
    """Gated positional self-attention over time, initialised as a temporal convolution."""

    def __init__(self, dim: int, heads: int, locality_strength: float = 1.0,
                 gate_init: float = 1.0) -> None:
        super().__init__()
        self.heads = heads
        self.qk = nn.Conv1d(dim, 2 * dim, 1)
        self.v = nn.Conv1d(dim, dim, 1)
        self.proj = nn.Conv1d(dim, dim, 1)
        centres = torch.arange(heads, dtype=torch.float32) - heads // 2
        self.pos = nn.Parameter(locality_strength * torch.stack(
            [2 * centres, -torch.ones(heads)], dim=1))  # weights of (d, d^2) per head
        self.gate = nn.Parameter(torch.full((heads,), float(gate_init)))

    def positional_scores(self, t: int, device: torch.device) -> torch.Tensor:
        """``(heads, t, t)`` scores of key ``j`` for query ``i`` from the offset ``j - i``."""
        steps = torch.arange(t, device=device, dtype=self.pos.dtype)
        d = steps[None, :] - steps[:, None]
        return self.pos[:, 0, None, None] * d + self.pos[:, 1, None, None] * d ** 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, dim, t = x.shape
        h, dh = self.heads, dim // self.heads
        q, k = self.qk(x).view(b, 2, h, dh, t).unbind(1)
        v = self.v(x).view(b, h, dh, t)
        content = torch.softmax(q.transpose(-1, -2) @ k * dh ** -0.5, dim=-1)  # (b, h, t, t)
        position = torch.softmax(self.positional_scores(t, x.device), dim=-1)
        g = torch.sigmoid(self.gate)[:, None, None]
        att = (1 - g) * content + g * position
        return self.proj((v @ att.transpose(-1, -2)).reshape(b, dim, t))


class ConViT1d(EEGBackbone):
    """ConViT over time: GPSA in the first stages, plain self-attention in the last."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", head_dim: int = 8, gpsa_stages: int = 2,
                 locality_strength: float = 1.0, mlp_ratio: int = 4, layer_scale: float = 1e-6,
                 drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "ConViT")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            heads = n_heads(dim, head_dim)
            attn = (GPSA1d(dim, heads, locality_strength) if stage < gpsa_stages
                    else SelfAttention1d(dim, heads))
            return MetaBlock(dim, attn, ConvMLP(dim, mlp_ratio * dim), dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
