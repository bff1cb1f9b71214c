"""NiNformer blocks (token mixing by a generated gating function) as an EEG encoder.

A. N. Abdullah, T. Aydin, "NiNformer: A Network in Network Transformer with Token Mixing
Generated Gating Function", Neural Computing and Applications 2025 (arXiv:2403.02411, 2024).

Input: ``(B, n_chans, n_times)`` or ``(B, 1, n_chans, n_times)``; the token-mixing MLPs are
sized for the stage lengths that ``n_times`` and ``sfreq`` give, so the model takes windows of
exactly ``n_times`` samples (another length is a one-line error).

NiNformer replaces a transformer's attention by a *network in network*: a small MLP-Mixer
unit (a token-mixing MLP across positions, then a channel MLP) computes, from the input, a
gating function that multiplies a linear projection of the same input element-wise. The
gating is dynamic (input-dependent, like attention) but costs an MLP. In 1-D the tokens are
the time steps after the shared spatial stem, so the token-mixing MLP is a learned map across
the whole window's time steps (hidden width 64) at every stage: it can weigh, e.g., the first
second after the cue differently from the rest. Each block is this gated mixer and an MLP,
pre-norm residual, with layer scale.
"""

from __future__ import annotations

import torch
from torch import nn

from eegdec.models.backbones.common import (
    ChannelLayerNorm,
    ConvMLP,
    EEGBackbone,
    MetaBlock,
    check_length,
    scaled_variants,
    variant_spec,
)

VARIANTS = scaled_variants({"dims": (24, 48, 96), "depths": (1, 1, 1)})


class NiNGate1d(nn.Module):
    """``proj(G(x) * value(x))`` with ``G`` an MLP-Mixer layer (token MLP, channel MLP)."""

    def __init__(self, dim: int, n_tokens: int, token_hidden: int = 64,
                 channel_ratio: int = 2) -> None:
        super().__init__()
        self.n_tokens = n_tokens
        self.value = nn.Conv1d(dim, dim, 1)
        self.token_norm = ChannelLayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(n_tokens, token_hidden), nn.GELU(),
                                       nn.Linear(token_hidden, n_tokens))
        self.channel_norm = ChannelLayerNorm(dim)
        self.channel_mlp = ConvMLP(dim, channel_ratio * dim)
        self.proj = nn.Conv1d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_length(x, self.n_tokens, "NiNformer")
        gate = x + self.token_mlp(self.token_norm(x))  # mixes time steps, per feature
        gate = gate + self.channel_mlp(self.channel_norm(gate))
        return self.proj(gate * self.value(x))


class NiNformer1d(EEGBackbone):
    """NiNformer over time: MLP-Mixer-generated gating instead of attention."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", token_hidden: int = 64, channel_ratio: int = 2,
                 mlp_ratio: int = 2, layer_scale: float = 1e-6, drop_path: float = 0.0,
                 dropout: float = 0.0, chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "NiNformer")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            return MetaBlock(dim, NiNGate1d(dim, n_tokens, token_hidden, channel_ratio),
                             ConvMLP(dim, mlp_ratio * dim), dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
