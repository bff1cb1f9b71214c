"""Vision backbones reused as EEG time-series encoders (one module per family).

Each family registers a ``tiny`` default under its plain name (``convnext``) and a ``small``
variant (``convnext-small``); the families from ConViT on derive ``small`` from ``tiny`` with
the scaling rule :func:`eegdec.models.backbones.common.scale_config`. The builders import their
family module (and torch) only when a model is created, so listing the registry stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from eegdec.models.registry import register_model

# name, "module:Class", family, paper, what the family block does
_FAMILIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("convnext", "convnext:ConvNeXt1d", "ConvNeXt",
     "Liu et al. 2022, A ConvNet for the 2020s (CVPR)",
     "depthwise large-kernel temporal conv, LayerNorm, inverted MLP, layer scale"),
    ("inceptionnext", "inceptionnext:InceptionNeXt1d", "InceptionNeXt",
     "Yu et al. 2024, InceptionNeXt: When Inception Meets ConvNeXt (CVPR)",
     "inception depthwise conv: identity split, small kernel, two band kernels"),
    ("unireplknet", "unireplknet:UniRepLKNet1d", "UniRepLKNet",
     "Ding et al. 2024, UniRepLKNet: A Universal Perception Large-Kernel ConvNet (CVPR)",
     "dilated re-parameterisable large-kernel conv, SE, GRN MLP; reparameterize() for inference"),
    ("hornet", "hornet:HorNet1d", "HorNet",
     "Rao et al. 2022, HorNet: Efficient High-Order Spatial Interactions (NeurIPS)",
     "recursive gated convolution g^nConv, order 2-4 by stage"),
    ("lsnet", "lsnet:LSNet1d", "LSNet",
     "Wang et al. 2025, LSNet: See Large, Focus Small (CVPR)",
     "LS conv: large-kernel perception predicts small-kernel dynamic aggregation"),
    ("spartan", "spartan:SpaRTAN1d", "SpaRTAN",
     "Pay et al. 2025, SpaRTAN: Spatial Reinforcement Token-based Aggregation Network (IJCNN)",
     "multi-order dilated gated conv, wave-based channel aggregation"),
    ("wavemix", "wavemix:WaveMix1d", "WaveMix",
     "Jeevan et al. 2023, WaveMix: A Resource-efficient Neural Network for Image Analysis",
     "multi-level 1-D DWT (ptwt) token mixing"),
    ("transnext", "transnext:TransNeXt1d", "TransNeXt",
     "Shi 2024, TransNeXt: Robust Foveal Visual Perception for Vision Transformers (CVPR)",
     "aggregated (sliding-window + pooled) attention, Convolutional GLU"),
    ("cvt", "cvt:CvT1d", "CvT",
     "Wu et al. 2021, CvT: Introducing Convolutions to Vision Transformers (ICCV)",
     "convolutional token embedding per stage, convolutional q/k/v projection"),
    ("convit", "convit:ConViT1d", "ConViT",
     "d'Ascoli et al. 2021, ConViT: Improving Vision Transformers with Soft Convolutional "
     "Inductive Biases (ICML)",
     "gated positional self-attention initialised as a temporal convolution"),
    ("crossvit", "crossvit:CrossViT1d", "CrossViT",
     "Chen et al. 2021, CrossViT: Cross-Attention Multi-Scale Vision Transformer (ICCV)",
     "fine (40 ms) and coarse (160 ms) time-patch branches, class tokens fused by "
     "cross-attention"),
    ("halonet", "halonet:HaloNet1d", "HaloNet",
     "Vaswani et al. 2021, Scaling Local Self-Attention for Parameter Efficient Visual "
     "Backbones (CVPR)",
     "blocked local self-attention over time with halos and relative positions"),
    ("ascan", "ascan:AsCAN1d", "AsCAN",
     "Kag et al. 2024, AsCAN: Asymmetric Convolution-Attention Networks (NeurIPS)",
     "convolution blocks early, attention blocks late (asymmetric layout)"),
    ("glmix", "glmix:GLMix1d", "GLMix",
     "Zhu et al. 2024, Revisiting the Integration of Convolution and Attention for Vision "
     "Backbone (NeurIPS)",
     "depthwise conv on the time grid + attention on 8 soft-clustered slots, fused"),
    ("ninformer", "ninformer:NiNformer1d", "NiNformer",
     "Abdullah & Aydin 2025, NiNformer: A Network in Network Transformer with Token Mixing "
     "Generated Gating Function (Neural Comput Appl; arXiv:2403.02411)",
     "MLP-Mixer sub-network generates an element-wise gate (token mixing over time)"),
    ("duoformer", "duoformer:DuoFormer1d", "DuoFormer",
     "Tang et al. 2025, DuoFormer: Leveraging Hierarchical Visual Representations by Local and "
     "Global Attention (MIDL; arXiv:2506.12982)",
     "1-D ResNet stages -> multi-scale tokens; scale (local) and patch (global) attention"),
    ("tvconv", "tvconv:TVConvNet1d", "TVConv",
     "Chen et al. 2022, TVConv: Efficient Translation Variant Convolution for Layout-aware "
     "Visual Processing (CVPR)",
     "per-electrode and per-time-step kernels generated from learned affinity maps"),
    ("inceptionresnet", "inceptionresnet:InceptionResNet1d", "Inception-ResNet",
     "Szegedy et al. 2017, Inception-v4, Inception-ResNet and the Impact of Residual "
     "Connections on Learning (AAAI; arXiv:1602.07261)",
     "Inception branches (A/B/C by stage) with scaled residual connections"),
    ("dico", "dico:DiCo1d", "DiCo",
     "Ai et al. 2025, DiCo: Revitalizing ConvNets for Scalable and Efficient Diffusion "
     "Modeling (NeurIPS; arXiv:2505.11196)",
     "pointwise/depthwise conv block with compact channel attention"),
)


def _lazy_builder(target: str) -> Callable[..., Any]:
    module, cls = target.split(":")

    def build(n_chans: int, n_outputs: int, n_times: int, sfreq: float, **kwargs: Any) -> Any:
        model_cls = getattr(importlib.import_module(f"{__name__}.{module}"), cls)
        return model_cls(n_chans, n_outputs, n_times, sfreq, **kwargs)

    build.__qualname__ = build.__name__ = f"build_{cls}"
    return build


for _name, _target, _family, _paper, _what in _FAMILIES:
    _build = _lazy_builder(_target)
    register_model(_name, family=_family, paper=_paper, description=f"{_what} (tiny)")(_build)
    register_model(f"{_name}-small", family=_family, paper=_paper,
                   description=f"{_what} (small)", variant="small")(_build)
