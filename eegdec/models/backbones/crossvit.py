"""CrossViT (two token scales fused by cross-attention) as an EEG time-series encoder.

C.-F. Chen, Q. Fan, R. Panda, "CrossViT: Cross-Attention Multi-Scale Vision Transformer for
Image Classification", ICCV 2021.

Input: ``(B, n_chans, n_times)`` or ``(B, 1, n_chans, n_times)``; the position embeddings are
sized for the token counts that ``n_times`` and ``sfreq`` give, so the model takes windows of
exactly ``n_times`` samples (another length is a one-line error).

CrossViT runs two vision transformers side by side on small and large image patches, each with
its own class token, and fuses them with *cross-attention on the class token*: the class token
of one branch, projected to the other branch's width, queries that branch's patch tokens and is
projected back, which costs linear rather than quadratic time in the number of tokens. Here the
patches are time patches after the shared spatial stem (~50 Hz): a *fine* branch with 2-step
patches (40 ms, width 24: fast transients, phase) and a *coarse* branch with 8-step patches
(160 ms, width 48, more blocks, as CrossViT makes the large-patch branch the primary one:
rhythm envelopes, ERD over ~1 s). Each branch has a class token and learned position
embeddings; two multi-scale encoders each run the branches' transformer blocks and then fuse
both class tokens with the other branch. Each class token is normalised and classified, and
the two branches' logits are averaged, as in the paper.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from eegdec.models.backbones.common import (
    SpatialStem,
    TokenAttention,
    TokenBlock,
    as_chans_time,
    check_build_args,
    check_length,
    n_heads,
    plan_strides,
    scaled_variants,
    variant_spec,
)

# dims and depths: (fine branch, coarse branch) width and blocks per multi-scale encoder
VARIANTS = scaled_variants({"dims": (24, 48), "depths": (1, 2)})


class PatchEmbed1d(nn.Module):
    """Non-overlapping time patches -> tokens, a class token in front, position embeddings."""

    def __init__(self, in_dim: int, dim: int, patch: int, n_steps: int) -> None:
        super().__init__()
        self.patch, self.n_steps = patch, n_steps
        self.proj = nn.Conv1d(in_dim, dim, patch, stride=patch)
        self.cls = nn.Parameter(nn.init.trunc_normal_(torch.empty(1, 1, dim), std=0.02))
        self.pos = nn.Parameter(nn.init.trunc_normal_(
            torch.empty(1, math.ceil(n_steps / patch) + 1, dim), std=0.02))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_length(x, self.n_steps, "CrossViT")
        x = F.pad(x, (0, -x.shape[-1] % self.patch))
        tokens = self.proj(x).transpose(1, 2)  # (B, N, D)
        return torch.cat([self.cls.expand(len(x), -1, -1), tokens], dim=1) + self.pos


class CrossAttentionFusion(nn.Module):
    """The class token of one branch attends to the patch tokens of the other branch."""

    def __init__(self, dim: int, other_dim: int, heads: int) -> None:
        super().__init__()
        self.to_other = nn.Linear(dim, other_dim)
        self.norm = nn.LayerNorm(other_dim)
        self.attn = TokenAttention(other_dim, heads)
        self.back = nn.Linear(other_dim, dim)

    def forward(self, tokens: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        cls = self.to_other(tokens[:, :1])
        context = self.norm(torch.cat([cls, other[:, 1:]], dim=1))
        cls = cls + self.attn(context[:, :1], context)
        return torch.cat([self.back(cls), tokens[:, 1:]], dim=1)


class CrossViT1d(nn.Module):
    """Fine and coarse time-patch transformers, class tokens fused by cross-attention."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", patches: tuple[int, int] = (2, 8), n_encoders: int = 2,
                 head_dim: int = 8, mlp_ratio: int = 4, drop_path: float = 0.0,
                 dropout: float = 0.0, chs_info: list | None = None) -> None:
        super().__init__()
        check_build_args(type(self).__name__, n_chans, n_outputs, n_times, sfreq)
        spec = variant_spec(VARIANTS, variant, "CrossViT")
        dims, depths = spec["dims"], spec["depths"]
        self.n_chans, self.n_outputs, self.n_times, self.sfreq = n_chans, n_outputs, n_times, sfreq
        stem_stride, _, _ = plan_strides(n_times, sfreq, 1)
        n_steps = math.ceil(n_times / stem_stride)
        self.stem = SpatialStem(n_chans, dims[0], stem_stride)
        self.embed = nn.ModuleList(PatchEmbed1d(dims[0], d, p, n_steps)
                                   for d, p in zip(dims, patches))
        rates = iter(torch.linspace(0, drop_path, n_encoders * sum(depths)).tolist())
        self.encoders = nn.ModuleList()
        for _ in range(n_encoders):
            branches = nn.ModuleList(
                nn.Sequential(*(TokenBlock(d, n_heads(d, head_dim), mlp_ratio, next(rates))
                                for _ in range(depth)))
                for d, depth in zip(dims, depths))
            fusions = nn.ModuleList([
                CrossAttentionFusion(dims[0], dims[1], n_heads(dims[1], head_dim)),
                CrossAttentionFusion(dims[1], dims[0], n_heads(dims[0], head_dim)),
            ])
            self.encoders.append(nn.ModuleDict({"branches": branches, "fusions": fusions}))
        self.norms = nn.ModuleList(nn.LayerNorm(d) for d in dims)
        self.heads = nn.ModuleList(nn.Sequential(nn.Dropout(dropout), nn.Linear(d, n_outputs))
                                   for d in dims)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Both normalised class tokens, concatenated: ``(B, dims[0] + dims[1])``."""
        x = self.stem(as_chans_time(x, self.n_chans, type(self).__name__))
        fine, coarse = (embed(x) for embed in self.embed)
        for encoder in self.encoders:
            fine, coarse = (branch(t) for branch, t in zip(encoder["branches"], (fine, coarse)))
            fuse_fine, fuse_coarse = encoder["fusions"]
            fine, coarse = fuse_fine(fine, coarse), fuse_coarse(coarse, fine)
        return torch.cat([norm(t[:, 0]) for norm, t in zip(self.norms, (fine, coarse))], dim=1)

    def forward(self, x: torch.Tensor, return_features: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        features = self.forward_features(x)
        parts = features.split([head[-1].in_features for head in self.heads], dim=1)
        logits = torch.stack([head(p) for head, p in zip(self.heads, parts)]).mean(dim=0)
        return (logits, {"features": features}) if return_features else logits
