"""ConvNeXt blocks as an EEG time-series encoder.

Z. Liu, H. Mao, C.-Y. Wu, C. Feichtenhofer, T. Darrell, S. Xie, "A ConvNet for the 2020s",
CVPR 2022.

Adaptation to EEG: the 4x4 patchify stem becomes the shared spatial stem (pointwise electrode
mixing, then a strided temporal convolution to ~50 Hz); each block keeps the ConvNeXt recipe in
1-D: a depthwise large-kernel temporal convolution (15 steps, ~0.3 s in the first stage, the
1-D counterpart of the 7x7 kernel), LayerNorm, an inverted MLP (ratio 4, GELU), layer scale and
stochastic depth. Stages downsample time by 2 with LayerNorm + strided convolution.
"""

from __future__ import annotations

from torch import nn

from eegdec.models.backbones.common import (
    ConvMLP,
    EEGBackbone,
    NeXtBlock,
    depthwise,
    variant_spec,
)

VARIANTS = {
    "tiny": {"dims": (24, 48, 96), "depths": (1, 1, 1)},
    "small": {"dims": (32, 64, 128), "depths": (1, 2, 2)},
}


class ConvNeXt1d(EEGBackbone):
    """ConvNeXt over time: depthwise conv -> LayerNorm -> inverted MLP, layer-scaled residual."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float, *,
                 variant: str = "tiny", kernel_size: int = 15, mlp_ratio: int = 4,
                 layer_scale: float = 1e-6, drop_path: float = 0.0, dropout: float = 0.0,
                 chs_info: list | None = None) -> None:
        spec = variant_spec(VARIANTS, variant, "ConvNeXt")

        def block(stage: int, dim: int, dp: float, n_tokens: int) -> nn.Module:
            return NeXtBlock(dim, depthwise(dim, kernel_size), ConvMLP(dim, mlp_ratio * dim),
                             dp, layer_scale)

        super().__init__(n_chans, n_outputs, n_times, sfreq, **spec, block=block,
                         drop_path=drop_path, dropout=dropout, chs_info=chs_info)
