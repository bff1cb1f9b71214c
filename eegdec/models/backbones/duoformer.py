"""DuoFormer (local scale attention and global patch attention on multi-scale CNN features)
as an EEG time-series encoder.

X. Tang, B. Zhang, M. M. Ho, B. S. Knudsen, T. Tasdizen, "DuoFormer: Leveraging Hierarchical
Visual Representations by Local and Global Attention", MIDL 2025 (arXiv:2506.12982).

Input: ``(B, n_chans, n_times)`` or ``(B, 1, n_chans, n_times)``; the position embeddings are
sized for the stage lengths that ``n_times`` and ``sfreq`` give, so the model takes windows of
exactly ``n_times`` samples (another length is a one-line error).

DuoFormer takes the feature maps of every stage of a CNN backbone (ResNet), turns each into
patch tokens at one common patch grid, and runs a transformer whose blocks alternate *scale
attention* (local: the tokens of the different scales at one patch attend to each other) and
*patch attention* (global: the patches attend to each other). Here the CNN is three stages of
1-D ResNet basic blocks over time after the shared spatial stem (~50, 25 and 12 Hz for 4 s
windows); each stage's output is average-pooled to the coarsest stage's time steps and projected
to the token width, with a learned embedding per scale and per time step, giving ``3 x L``
tokens. A DuoFormer block then applies scale attention within each time step (the three
resolutions of the same moment), patch attention across time steps within each scale, and an
MLP. The head averages all tokens. The widths and depths of the CNN stages and of the token
transformer (last entry) follow the shared scaling rule.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eegdec.models.backbones.common import (
    DropPath,
    EEGBackbone,
    TokenAttention,
    as_chans_time,
    check_length,
    n_heads,
    plan_strides,
    scaled_variants,
    variant_spec,
)

# dims/depths: three CNN stages, then the token transformer (width, number of DuoFormer blocks)
VARIANTS = scaled_variants({"dims": (24, 48, 96, 48), "depths": (1, 1, 1, 1)})


class BasicBlock1d(nn.Module):
    """ResNet basic block over time: two 3-step convolutions with BatchNorm, residual, ReLU."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(dim, dim, 3, padding=1, bias=False), nn.BatchNorm1d(dim), nn.ReLU(),
            nn.Conv1d(dim, dim, 3, padding=1, bias=False), nn.BatchNorm1d(dim))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x))


class DuoBlock(nn.Module):
    """Scale attention (per time step, across scales), patch attention (per scale, across time),
    MLP; each pre-norm residual, on ``(B, S, L, D)`` tokens."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int = 4, drop_path: float = 0.0) -> None:
        super().__init__()
        self.scale_norm, self.scale_attn = nn.LayerNorm(dim), TokenAttention(dim, heads)
        self.patch_norm, self.patch_attn = nn.LayerNorm(dim), TokenAttention(dim, heads)
        self.mlp_norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(),
                                 nn.Linear(mlp_ratio * dim, dim))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, n, d = x.shape
        local = x.transpose(1, 2).reshape(b * n, s, d)
        local = self.scale_attn(self.scale_norm(local)).view(b, n, s, d).transpose(1, 2)
        x = x + self.drop_path(local)
        glob = self.patch_attn(self.patch_norm(x.reshape(b * s, n, d))).view(b, s, n, d)
        x = x + self.drop_path(glob)
        return x + self.drop_path(self.mlp(self.mlp_norm(x)))


class DuoFormer1d(EEGBackbone):
    """1-D ResNet stages, multi-scale tokens, DuoFormer blocks (local + global attention)."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", head_dim: int = 8, mlp_ratio: int = 4,
                 drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "DuoFormer")
        (*cnn_dims, dim), (*cnn_depths, depth) = spec["dims"], spec["depths"]
        super().__init__(n_chans, n_outputs, n_times, sfreq, dims=cnn_dims, depths=cnn_depths,
                         block=lambda stage, d, dp, n: BasicBlock1d(d), dropout=dropout,
                         chs_info=chs_info)
        self.n_tokens = plan_strides(n_times, sfreq, len(cnn_dims))[2][-1]
        self.to_tokens = nn.ModuleList(nn.Conv1d(d, dim, 1) for d in cnn_dims)
        self.scale_embed = nn.Parameter(
            nn.init.trunc_normal_(torch.empty(1, len(cnn_dims), 1, dim), std=0.02))
        self.pos = nn.Parameter(nn.init.trunc_normal_(torch.empty(1, 1, self.n_tokens, dim),
                                                      std=0.02))
        rates = torch.linspace(0, drop_path, depth).tolist()
        self.blocks = nn.Sequential(*(DuoBlock(dim, n_heads(dim, head_dim), mlp_ratio, r)
                                      for r in rates))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, n_outputs))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Mean of the normalised multi-scale tokens, ``(B, token width)``."""
        x = self.stem(as_chans_time(x, self.n_chans, type(self).__name__))
        maps = []
        for stage in self.stages:
            x = stage(x)
            maps.append(x)
        check_length(maps[-1], self.n_tokens, "DuoFormer")
        tokens = torch.stack([proj(F.adaptive_avg_pool1d(m, self.n_tokens))
                              for proj, m in zip(self.to_tokens, maps)], dim=1)  # (B, S, D, L)
        tokens = tokens.transpose(-1, -2) + self.scale_embed + self.pos
        return self.norm(self.blocks(tokens).mean(dim=(1, 2)))
