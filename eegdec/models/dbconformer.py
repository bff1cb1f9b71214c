"""DBConformer: dual-branch convolutional transformer for EEG decoding.

Z. Wang, H. Wang, T. Jia, X. He, S. Li, D. Wu, "DBConformer: Dual-Branch Convolutional
Transformer for EEG Decoding", arXiv:2506.21140, 2025. Written from the paper's description
(``../shared/specs/dbconformer.md``); the authors' code is not reused.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from eegdec.errors import BadInputError


class _Attention(nn.Module):
    """Multi-head self-attention with scores scaled by ``sqrt(emb_size)`` (EEG Conformer style)."""

    def __init__(self, emb_size: int, n_heads: int, drop_prob: float) -> None:
        super().__init__()
        if emb_size % n_heads:
            raise BadInputError(
                f"emb_size={emb_size} is not divisible by n_heads={n_heads}; pick a divisor."
            )
        self.n_heads = n_heads
        self.scale = 1.0 / math.sqrt(emb_size)
        self.qkv = nn.Linear(emb_size, 3 * emb_size)
        self.proj = nn.Linear(emb_size, emb_size)
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor, need_weights: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        b, n, e = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.n_heads, e // self.n_heads).permute(2, 0, 3, 1, 4)
        p = self.drop_prob if self.training else 0.0
        if not need_weights and p == 0.0:  # inference: PyTorch's fused kernel
            out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
            return self.proj(out.transpose(1, 2).reshape(b, n, e)), None
        att = torch.softmax((q @ k.transpose(-2, -1)) * self.scale, dim=-1)
        if p > 0.0:  # a uniform-noise mask: ~2x faster on CPU than F.dropout or SDPA's dropout
            att_d = att * (torch.rand_like(att) >= p) / (1.0 - p)
        else:
            att_d = att
        out = (att_d @ v).transpose(1, 2).reshape(b, n, e)
        return self.proj(out), att.mean(dim=1) if need_weights else None


class _EncoderBlock(nn.Module):
    """Pre-LayerNorm transformer block: attention and a GELU feed-forward, each residual."""

    def __init__(self, emb_size: int, n_heads: int, ff_expansion: int, drop_prob: float,
                 att_drop_prob: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(emb_size)
        self.attn = _Attention(emb_size, n_heads, att_drop_prob)
        self.norm2 = nn.LayerNorm(emb_size)
        self.ff = nn.Sequential(
            nn.Linear(emb_size, ff_expansion * emb_size), nn.GELU(), nn.Dropout(drop_prob),
            nn.Linear(ff_expansion * emb_size, emb_size),
        )
        self.drop = nn.Dropout(drop_prob)

    def forward(self, x: torch.Tensor, need_weights: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        a, att = self.attn(self.norm1(x), need_weights)
        x = x + self.drop(a)
        return x + self.drop(self.ff(self.norm2(x))), att


class _Encoder(nn.Module):
    def __init__(self, depth: int, **block_kw: float) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(_EncoderBlock(**block_kw) for _ in range(depth))

    def forward(self, x: torch.Tensor, need_weights: bool = False
                ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        maps = []
        for block in self.blocks:
            x, att = block(x, need_weights)
            if att is not None:
                maps.append(att)
        return x, maps


class DBConformer(nn.Module):
    """Dual-branch conformer: a temporal (T-) and a spatial (S-) conformer, fused by an MLP.

    Input ``(batch, n_chans, n_times)`` or ``(batch, 1, n_chans, n_times)``; output logits
    ``(batch, n_outputs)``. The temporal branch mixes channels pointwise, filters each map in time
    and pools it into ``P = n_times // patch`` tokens (``patch = round(patch_seconds * sfreq)``)
    for a transformer; the spatial branch embeds each channel's time series as one token, runs a
    transformer across channels and pools the tokens with learned channel attention.

    Parameters
    ----------
    n_chans, n_outputs, n_times, sfreq
        Input channels, classes, samples per trial and sampling rate (Hz).
    branches
        ``"both"`` (the paper), or ``"temporal"`` / ``"spatial"`` for the single-branch ablations.
    channel_attention
        Pool the spatial tokens with attention weights (``True``) or by their mean (``False``).
    depth_t, depth_s
        Transformer depth of the temporal and spatial branch.
    emb_size, n_heads, ff_expansion
        Token size (40), heads (10) and feed-forward expansion (4).
    temporal_kernel, patch_seconds
        Depthwise temporal kernel (63 samples) and pooling patch length (0.5 s).
    drop_prob, att_drop_prob
        Dropout after each sub-block and on the attention weights (0.5).

    ``forward(x, return_features=True)`` returns ``(logits, extras)`` with ``"features"``
    (the fused vector, ``(batch, F)``), ``"channel_attention"`` ``(batch, n_chans)`` (uniform
    weights when ``channel_attention=False``; absent without the spatial branch),
    ``"temporal_attention"`` and ``"spatial_attention"`` (per layer, head-averaged
    ``(batch, P, P)`` and ``(batch, n_chans, n_chans)``).
    """

    def __init__(
        self,
        n_chans: int,
        n_outputs: int,
        n_times: int,
        sfreq: float,
        *,
        branches: Literal["both", "temporal", "spatial"] = "both",
        channel_attention: bool = True,
        depth_t: int = 2,
        depth_s: int = 2,
        emb_size: int = 40,
        n_heads: int = 10,
        ff_expansion: int = 4,
        temporal_kernel: int = 63,
        patch_seconds: float = 0.5,
        spatial_filters: int = 16,
        drop_prob: float = 0.5,
        att_drop_prob: float = 0.5,
    ) -> None:
        super().__init__()
        if branches not in ("both", "temporal", "spatial"):
            raise BadInputError(
                f"branches={branches!r} is not one of 'both', 'temporal', 'spatial'."
            )
        self.n_chans, self.n_outputs, self.n_times, self.sfreq = n_chans, n_outputs, n_times, sfreq
        self.patch = max(1, round(patch_seconds * sfreq))
        self.use_temporal = branches in ("both", "temporal")
        self.use_spatial = branches in ("both", "spatial")
        self.channel_attention = channel_attention
        if self.use_temporal and n_times < self.patch:
            raise BadInputError(
                f"DBConformer needs n_times >= {self.patch} (one {patch_seconds} s patch at "
                f"{sfreq:g} Hz), got {n_times}; use longer windows or a smaller patch_seconds."
            )
        block_kw = dict(emb_size=emb_size, n_heads=n_heads, ff_expansion=ff_expansion,
                        drop_prob=drop_prob, att_drop_prob=att_drop_prob)
        n_features = 0
        if self.use_temporal:
            self.n_tokens = n_times // self.patch
            # Time runs along the height of (B, E, T, 1) maps: PyTorch's CPU kernels for a long
            # depthwise kernel are several times faster on that layout than on Conv1d's.
            self.t_stem = nn.Sequential(
                nn.Conv2d(n_chans, emb_size, 1, bias=False),
                nn.BatchNorm2d(emb_size),
                nn.Conv2d(emb_size, emb_size, (temporal_kernel, 1), padding="same",
                          groups=emb_size, bias=False),
                nn.BatchNorm2d(emb_size),
                nn.GELU(),
                nn.AvgPool2d((self.patch, 1)),
                nn.Dropout(drop_prob),
            )
            self.t_pos = nn.Parameter(torch.randn(1, self.n_tokens, emb_size))
            self.t_encoder = _Encoder(depth_t, **block_kw)
            n_features += emb_size
        if self.use_spatial:
            self.s_conv = nn.Conv1d(1, spatial_filters, 25, stride=5, padding=12)
            self.s_embed = nn.Linear(spatial_filters, emb_size)
            self.s_pos = nn.Parameter(torch.randn(1, n_chans, emb_size))
            self.s_encoder = _Encoder(depth_s, **block_kw)
            if channel_attention:
                self.s_score = nn.Sequential(
                    nn.Linear(emb_size, emb_size), nn.Tanh(), nn.Linear(emb_size, 1)
                )
            n_features += emb_size
        self.n_features = n_features
        self.head = nn.Sequential(
            nn.Linear(n_features, 64), nn.ELU(), nn.Dropout(drop_prob),
            nn.Linear(64, 32), nn.ELU(), nn.Dropout(0.3),
            nn.Linear(32, n_outputs),
        )
        self._init_weights()

    def _init_weights(self) -> None:
        if self.use_temporal:
            for m in self.t_stem:
                if isinstance(m, nn.Conv2d):
                    nn.init.trunc_normal_(m.weight, std=0.01, a=-0.02, b=0.02)  # +-2 sd
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4 and x.shape[1] == 1:
            x = x.squeeze(1)
        if x.dim() != 3 or x.shape[1] != self.n_chans or x.shape[2] != self.n_times:
            raise BadInputError(
                f"DBConformer expects input (batch, {self.n_chans}, {self.n_times}), got "
                f"{tuple(x.shape)}; rebuild the model for this input shape."
            )
        return x

    def forward(self, x: torch.Tensor, return_features: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, dict[str, object]]:
        x = self._check_input(x)
        feats, extras = [], {}
        if self.use_temporal:
            t = self.t_stem(x.unsqueeze(-1)).squeeze(-1).transpose(1, 2) + self.t_pos  # (B, P, E)
            t, extras["temporal_attention"] = self.t_encoder(t, return_features)
            feats.append(t.mean(dim=1))
        else:
            extras["temporal_attention"] = []
        if self.use_spatial:
            b, c, n = x.shape
            s = F.elu(self.s_conv(x.reshape(b * c, 1, n))).mean(dim=-1)  # one conv over B*C
            s = self.s_embed(s).view(b, c, -1) + self.s_pos  # (B, C, E)
            s, extras["spatial_attention"] = self.s_encoder(s, return_features)
            if self.channel_attention:
                alpha = torch.softmax(self.s_score(s).squeeze(-1), dim=-1)  # (B, C)
            else:
                alpha = s.new_full((b, c), 1.0 / c)
            feats.append(torch.einsum("bc,bce->be", alpha, s))
            extras["channel_attention"] = alpha
        else:
            extras["spatial_attention"] = []
        fused = torch.cat(feats, dim=1) if len(feats) > 1 else feats[0]
        logits = self.head(fused)
        if not return_features:
            return logits
        extras["features"] = fused
        return logits, extras
