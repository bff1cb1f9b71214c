"""Pieces shared by every vision-backbone family: stem, stages, norms, residual blocks, head.

A backbone here is ``SpatialStem -> stages of family blocks (1-D over time) -> LayerNorm ->
mean over time -> Linear``. The stem first mixes electrodes with a pointwise convolution (a
learned spatial filter bank, as the first layer of EEGNet or FBCSP-style decoders do), then a
strided temporal convolution brings any sampling rate to about ``STEM_RATE`` Hz. Each later
stage halves the time axis while at least ``MIN_TOKENS`` steps remain, so 0.5 s at 100 Hz and
5 s at 1000 Hz both end with a few tokens. Family modules only supply the block.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from eegdec.errors import BadInputError, UnknownNameError

STEM_RATE = 50.0  # Hz after the stem: keeps the 4-40 Hz MI/ERD bands, drops broadband noise
MIN_TOKENS = 4  # later stages stop downsampling below this many time steps
MIN_TIMES = 8  # shortest window (samples) a backbone accepts

BlockFactory = Callable[[int, int, float, int], nn.Module]
"""``block(stage, dim, drop_path, n_tokens) -> nn.Module`` mapping ``(B, dim, L)`` to itself."""


def plan_strides(n_times: int, sfreq: float, n_stages: int) -> tuple[int, list[int], list[int]]:
    """Stem stride, per-stage strides (1 or 2; the first is 1) and time steps after each stage."""
    stem = max(1, int(sfreq // STEM_RATE))
    stem = min(stem, max(1, n_times // MIN_TOKENS))
    length = math.ceil(n_times / stem)
    strides, lengths = [], []
    for stage in range(n_stages):
        stride = 2 if stage > 0 and math.ceil(length / 2) >= MIN_TOKENS else 1
        length = math.ceil(length / stride)
        strides.append(stride)
        lengths.append(length)
    return stem, strides, lengths


def variant_spec(variants: dict[str, dict], variant: str, family: str) -> dict:
    """The size settings of ``variant`` (e.g. ``"tiny"``, ``"small"``) of ``family``."""
    if variant not in variants:
        raise UnknownNameError(
            f"Unknown {family} variant {variant!r}; use one of {', '.join(variants)}."
        )
    return variants[variant]


class ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm over the feature axis of channels-first ``(B, D, T)`` tensors."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class DropPath(nn.Module):
    """Stochastic depth: drop a whole residual branch per sample while training."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


class LayerScale(nn.Module):
    """Per-feature learnable scale of a residual branch (CaiT / ConvNeXt), on ``(B, D, T)``."""

    def __init__(self, dim: int, init: float) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim, 1), float(init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class ConvMLP(nn.Sequential):
    """Inverted bottleneck over features: pointwise ``dim -> hidden -> dim`` with GELU."""

    def __init__(self, dim: int, hidden: int, drop: float = 0.0) -> None:
        super().__init__(
            nn.Conv1d(dim, hidden, 1), nn.GELU(), nn.Dropout(drop), nn.Conv1d(hidden, dim, 1)
        )


def depthwise(dim: int, kernel_size: int, dilation: int = 1, stride: int = 1,
              bias: bool = True) -> nn.Conv1d:
    """Depthwise temporal convolution with 'same' zero padding (odd ``kernel_size``)."""
    return nn.Conv1d(dim, dim, kernel_size, stride=stride, padding=dilation * (kernel_size // 2),
                     dilation=dilation, groups=dim, bias=bias)


class NeXtBlock(nn.Module):
    """ConvNeXt-style block: ``x + drop_path(scale * mlp(norm(mixer(x))))``."""

    def __init__(self, dim: int, mixer: nn.Module, mlp: nn.Module, drop_path: float,
                 layer_scale: float, norm: nn.Module | None = None) -> None:
        super().__init__()
        self.mixer = mixer
        self.norm = norm if norm is not None else ChannelLayerNorm(dim)
        self.mlp = mlp
        self.scale = LayerScale(dim, layer_scale)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop_path(self.scale(self.mlp(self.norm(self.mixer(x)))))


class MetaBlock(nn.Module):
    """MetaFormer block: ``x + mixer(norm(x))`` then ``x + mlp(norm(x))``, scaled and dropped."""

    def __init__(self, dim: int, mixer: nn.Module, mlp: nn.Module, drop_path: float,
                 layer_scale: float) -> None:
        super().__init__()
        self.norm1, self.mixer, self.scale1 = ChannelLayerNorm(dim), mixer, LayerScale(
            dim, layer_scale)
        self.norm2, self.mlp, self.scale2 = ChannelLayerNorm(dim), mlp, LayerScale(
            dim, layer_scale)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.scale1(self.mixer(self.norm1(x))))
        return x + self.drop_path(self.scale2(self.mlp(self.norm2(x))))


class SpatialStem(nn.Sequential):
    """Pointwise electrode mixing (spatial filters), a strided temporal convolution, GELU.

    The GELU matters for EEG: oscillatory power (the MI signal) averages to zero over time
    unless a nonlinearity comes before the pooling, and layer scale starts every block as
    (almost) the identity, so without it a fresh model cannot see band power at all.
    """

    def __init__(self, n_chans: int, dim: int, stride: int) -> None:
        super().__init__(
            nn.Conv1d(n_chans, dim, 1, bias=False),
            ChannelLayerNorm(dim),
            nn.Conv1d(dim, dim, 2 * stride + 1, stride=stride, padding=stride),
            ChannelLayerNorm(dim),
            nn.GELU(),
        )


class Downsample(nn.Sequential):
    """Between stages: LayerNorm and an overlapping strided convolution to the new width."""

    def __init__(self, in_dim: int, out_dim: int, stride: int) -> None:
        kernel = 3 if stride == 2 else 1
        super().__init__(
            ChannelLayerNorm(in_dim),
            nn.Conv1d(in_dim, out_dim, kernel, stride=stride, padding=kernel // 2),
        )


class EEGBackbone(nn.Module):
    """Stem, stages of family blocks over time, LayerNorm, global average pool and a linear head.

    Parameters
    ----------
    n_chans, n_outputs, n_times, sfreq : input channels, classes, window length (samples) and
        sampling rate (Hz); they fix the stem stride and where the stages downsample.
    dims, depths : width and number of blocks of each stage.
    block : ``block(stage, dim, drop_path, n_tokens)`` building one family block.
    drop_path : stochastic-depth rate of the last block (linearly increasing from 0).
    dropout : dropout before the linear head.
    chs_info : accepted for registry uniformity (MNE channel info); unused.
    """

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 dims: Sequence[int], depths: Sequence[int], block: BlockFactory,
                 drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        if n_chans < 1 or n_outputs < 1 or sfreq <= 0:
            raise BadInputError(
                f"{name} needs n_chans >= 1, n_outputs >= 1 and sfreq > 0 "
                f"(got {n_chans}, {n_outputs}, {sfreq}); pass the data's shape and rate."
            )
        if n_times < MIN_TIMES:
            raise BadInputError(
                f"{name} needs windows of at least {MIN_TIMES} samples, got n_times={n_times}; "
                "use longer epochs."
            )
        if len(dims) != len(depths):
            raise BadInputError(
                f"{name}: dims {tuple(dims)} and depths {tuple(depths)} differ in length; "
                "give one width per stage."
            )
        self.n_chans, self.n_outputs, self.n_times, self.sfreq = n_chans, n_outputs, n_times, sfreq
        stem_stride, strides, lengths = plan_strides(n_times, sfreq, len(dims))
        self.stem = SpatialStem(n_chans, dims[0], stem_stride)
        rates = torch.linspace(0, drop_path, sum(depths)).tolist()
        stages, k, prev = [], 0, dims[0]
        for stage, (dim, depth, stride, length) in enumerate(zip(dims, depths, strides, lengths)):
            layers: list[nn.Module] = [] if stage == 0 else [Downsample(prev, dim, stride)]
            for _ in range(depth):
                layers.append(block(stage, dim, rates[k], length))
                k += 1
            stages.append(nn.Sequential(*layers))
            prev = dim
        self.stages = nn.Sequential(*stages)
        self.norm = nn.LayerNorm(dims[-1])
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(dims[-1], n_outputs))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled feature vector ``(B, dims[-1])`` of ``(B, C, T)`` or ``(B, 1, C, T)`` input."""
        if x.ndim == 4 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 3 or x.shape[1] != self.n_chans:
            raise BadInputError(
                f"{type(self).__name__} expects (batch, {self.n_chans}, time) or "
                f"(batch, 1, {self.n_chans}, time), got {tuple(x.shape)}; check the channels."
            )
        return self.norm(self.stages(self.stem(x)).mean(dim=-1))

    def forward(self, x: torch.Tensor, return_features: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        features = self.forward_features(x)
        logits = self.head(features)
        return (logits, {"features": features}) if return_features else logits
