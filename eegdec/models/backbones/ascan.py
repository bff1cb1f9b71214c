"""AsCAN (asymmetric convolution-attention network) as an EEG time-series encoder.

A. Kag, H. Coskun, J. Chen, J. Cao, W. Menapace, A. Siarohin, S. Tulyakov, J. Ren, "AsCAN:
Asymmetric Convolution-Attention Networks for Efficient Recognition and Generation",
NeurIPS 2024.

Input: ``(B, n_chans, n_times)`` or ``(B, 1, n_chans, n_times)``.

AsCAN's point is the *layout* of a hybrid network rather than a new block: convolution and
attention blocks are distributed asymmetrically over the stages, many convolutions where the
feature maps are large and more attention where they are small, so attention is paid only
where it is cheap and global context matters most. Here, after the shared spatial stem, stage
``i`` of ``S`` has its last ``floor(depth_i * i / (S - 1))`` blocks as transformer blocks and the
rest as convolution blocks: the tiny model (depths 1, 2, 1) is ``C | C T | T``, the small one
(1, 3, 1) ``C | C C T | T``. The first stage (~50 Hz, the most time steps) is convolution only.
Convolution blocks are fused MBConv blocks in 1-D (a full 5-step temporal convolution that
expands the width x2, BatchNorm, GELU, pointwise projection, layer-scaled residual), as AsCAN
uses; transformer blocks are pre-norm multi-head self-attention and MLP (positions come from
the convolutions before them).
"""

from __future__ import annotations

from torch import nn

from eegdec.models.backbones.common import (
    ConvMLP,
    EEGBackbone,
    MetaBlock,
    NeXtBlock,
    SelfAttention1d,
    n_heads,
    scaled_variants,
    variant_spec,
)

VARIANTS = scaled_variants({"dims": (24, 48, 96), "depths": (1, 2, 1)})


def attention_blocks(depths: tuple[int, ...]) -> list[int]:
    """How many of each stage's blocks (its last ones) are attention blocks."""
    last = max(1, len(depths) - 1)
    return [depth * stage // last for stage, depth in enumerate(depths)]


class FusedMBConv1d(nn.Sequential):
    """Full temporal convolution expanding the width, BatchNorm, GELU (the block's mixer)."""

    def __init__(self, dim: int, kernel_size: int = 5, expand: int = 2) -> None:
        super().__init__(nn.Conv1d(dim, expand * dim, kernel_size, padding=kernel_size // 2,
                                   bias=False),
                         nn.BatchNorm1d(expand * dim), nn.GELU())


class AsCAN1d(EEGBackbone):
    """Convolution blocks early, attention blocks late, in the proportions of the rule above."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", head_dim: int = 8, kernel_size: int = 5,
                 expand: int = 2, mlp_ratio: int = 4, layer_scale: float = 1e-6,
                 drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "AsCAN")
        depths = tuple(spec["depths"])
        n_attn = attention_blocks(depths)
        built = [0] * len(depths)
        self.layout = "|".join("C" * (d - a) + "T" * a for d, a in zip(depths, n_attn))

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            index = built[stage]
            built[stage] += 1
            if index >= depths[stage] - n_attn[stage]:
                return MetaBlock(dim, SelfAttention1d(dim, n_heads(dim, head_dim)),
                                 ConvMLP(dim, mlp_ratio * dim), dp, layer_scale)
            return NeXtBlock(dim, FusedMBConv1d(dim, kernel_size, expand),
                             nn.Conv1d(expand * dim, dim, 1), dp, layer_scale,
                             norm=nn.Identity())

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
