"""Preprocessing: ordered pipelines of MNE-based steps, and Euclidean alignment.

``Pipeline`` and the steps are in :mod:`eegdec.preprocessing.pipeline` and
:mod:`eegdec.preprocessing.steps`; alignment transformers in
:mod:`eegdec.preprocessing.alignment` (imported lazily: it pulls in scikit-learn).
"""

from __future__ import annotations

from typing import Any

from eegdec.preprocessing.pipeline import Pipeline
from eegdec.preprocessing.steps import (
    BandPass,
    Baseline,
    ExponentialMovingStandardize,
    FilterBank,
    Notch,
    PickChannels,
    Rereference,
    Resample,
    Standardize,
    Window,
)

__all__ = [
    "Pipeline", "BandPass", "FilterBank", "Notch", "Resample", "PickChannels", "Rereference",
    "Window",
    "Baseline", "Standardize", "ExponentialMovingStandardize", "EuclideanAlignment",
    "IncrementalEuclideanAlignment",
]


def __getattr__(name: str) -> Any:
    if name in ("EuclideanAlignment", "IncrementalEuclideanAlignment"):
        from eegdec.preprocessing import alignment

        return getattr(alignment, name)
    raise AttributeError(f"module 'eegdec.preprocessing' has no attribute {name!r}")
