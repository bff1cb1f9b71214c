"""Pieces shared by every vision-backbone family: stem, stages, norms, residual blocks, head.

A backbone here is ``SpatialStem -> stages of family blocks (1-D over time) -> LayerNorm ->
mean over time -> Linear``. The stem first mixes electrodes with a pointwise convolution (a
learned spatial filter bank, as the first layer of EEGNet or FBCSP-style decoders do), then a
strided temporal convolution brings any sampling rate to about ``STEM_RATE`` Hz. Each later
stage halves the time axis while at least ``MIN_TOKENS`` steps remain, so 0.5 s at 100 Hz and
5 s at 1000 Hz both end with a few tokens. Family modules only supply the block.

:func:`scale_config` is the width/depth scaling rule (Dollar et al. 2021) that derives a
family's ``small`` variant from its ``tiny`` one; :class:`SelfAttention1d` is the plain
multi-head self-attention that several hybrid families share.
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

# The scaling rule (see scale_config): "small" costs SCALE_FLOPS times the FLOPs of "tiny", and
# ALPHA of that increase (in log terms) goes to width, the rest to depth.
SCALE_FLOPS = 4.0
SCALE_ALPHA = 0.8
WIDTH_QUANTUM = 8


def scale_config(dims: Sequence[int], depths: Sequence[int], flops: float = SCALE_FLOPS,
                 alpha: float = SCALE_ALPHA, quantum: int = WIDTH_QUANTUM
                 ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Widths and depths of a model costing about ``flops`` times those of ``(dims, depths)``.

    P. Dollar, M. Singh, R. Girshick, "Fast and Accurate Model Scaling", CVPR 2021: to scale a
    network's FLOPs by ``s``, scale mostly its width. Their compound rule multiplies depth by
    ``s ** e_d``, width by ``s ** (e_w / 2)`` and resolution by ``s ** (e_r / 2)`` with
    ``e_d + e_w + e_r = 1`` (a block's FLOPs grow with depth, the square of width and the
    square of resolution) and recommends ``e_w = alpha = 0.8`` ("dWr" scaling). An EEG
    window's resolution is fixed by the data (the stem brings it to ~50 Hz), so here
    ``e_r = 0`` and depth takes the rest: ``e_d = 1 - alpha`` ("dW" scaling). With the defaults
    (``s = 4``, ``alpha = 0.8``) widths grow x1.74 and the total depth x1.32.

    Widths are rounded to multiples of ``quantum`` (as RegNet quantises them). The total number
    of blocks is rounded to the nearest integer; each stage gets at least one block and
    ``floor`` of its share, and the remaining blocks go to the stages with the largest
    fractional shares, ties to the middle stage, then to later stages (tokens are fewer there,
    so a block costs less time).
    """
    if len(dims) != len(depths) or not dims:
        raise BadInputError(f"scale_config needs one width per stage, got dims {tuple(dims)} "
                            f"and depths {tuple(depths)}.")
    width_mult, depth_mult = flops ** (alpha / 2), flops ** (1 - alpha)
    new_dims = tuple(max(quantum, round(d * width_mult / quantum) * quantum) for d in dims)
    targets = [d * depth_mult for d in depths]
    total = max(len(depths), round(sum(targets)))
    new_depths = [max(1, math.floor(t)) for t in targets]
    mid = (len(depths) - 1) / 2
    order = sorted(range(len(depths)),
                   key=lambda i: (-(targets[i] - math.floor(targets[i])), abs(i - mid), -i))
    k = 0
    while sum(new_depths) < total:
        new_depths[order[k % len(order)]] += 1
        k += 1
    return new_dims, tuple(new_depths)


def scaled_variants(tiny: dict) -> dict[str, dict]:
    """``{"tiny": tiny, "small": tiny with dims and depths from scale_config}``."""
    dims, depths = scale_config(tiny["dims"], tiny["depths"])
    return {"tiny": dict(tiny), "small": {**tiny, "dims": dims, "depths": depths}}


def check_build_args(name: str, n_chans: int, n_outputs: int, n_times: int,
                     sfreq: float) -> None:
    """One-line errors for shapes no backbone can be built for."""
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


def as_chans_time(x: torch.Tensor, n_chans: int, name: str) -> torch.Tensor:
    """``(B, C, T)`` from ``(B, C, T)`` or ``(B, 1, C, T)``; a wrong layout is a one-line error."""
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3 or x.shape[1] != n_chans:
        raise BadInputError(
            f"{name} expects (batch, {n_chans}, time) or (batch, 1, {n_chans}, time), got "
            f"{tuple(x.shape)}; check the channels."
        )
    return x


def check_length(x: torch.Tensor, n_tokens: int, name: str) -> None:
    """For mixers whose weights are tied to the stage length (built from ``n_times``)."""
    if x.shape[-1] != n_tokens:
        raise BadInputError(
            f"{name} was built for {n_tokens} time steps at this stage, got {x.shape[-1]}; "
            "rebuild the model with the n_times of the data."
        )


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
        check_build_args(name, n_chans, n_outputs, n_times, sfreq)
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
        x = as_chans_time(x, self.n_chans, type(self).__name__)
        return self.norm(self.stages(self.stem(x)).mean(dim=-1))

    def forward(self, x: torch.Tensor, return_features: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        features = self.forward_features(x)
        logits = self.head(features)
        return (logits, {"features": features}) if return_features else logits


def n_heads(dim: int, head_dim: int) -> int:
    """Number of attention heads of width ``head_dim`` in ``dim`` features."""
    if dim % head_dim:
        raise BadInputError(
            f"Width {dim} is not divisible by head_dim={head_dim}; pick a divisor of the widths."
        )
    return dim // head_dim


class TokenAttention(nn.Module):
    """Multi-head attention on token-last ``(B, N, D)`` tensors: queries from ``x``, keys and
    values from ``context`` (``x`` itself by default: self-attention; ``kv_dim`` its width)."""

    def __init__(self, dim: int, heads: int, kv_dim: int | None = None) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(kv_dim or dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        context = x if context is None else context
        b, n, d = x.shape
        h = self.heads
        q = self.q(x).view(b, n, h, d // h).transpose(1, 2)
        k, v = self.kv(context).view(b, -1, 2, h, d // h).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) * (d // h) ** -0.5, dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, n, d))


class SelfAttention1d(nn.Module):
    """Plain multi-head self-attention over the time steps of ``(B, D, T)`` (no position)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.attn = TokenAttention(dim, heads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x.transpose(1, 2)).transpose(1, 2)


class TokenBlock(nn.Module):
    """Pre-norm transformer block on token-last ``(B, N, D)`` tensors (attention, then MLP)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int = 4, drop_path: float = 0.0) -> None:
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), TokenAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(),
                                 nn.Linear(mlp_ratio * dim, dim))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))
