"""Training: Lightning module and data module, trainer, recipes, sklearn estimator factory.

Names are imported lazily so that ``eegdec.training.recipes`` loads without torch/Lightning.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "EEGDecModule": "eegdec.training.module",
    "EpochsDataModule": "eegdec.training.data",
    "TensorBatches": "eegdec.training.data",
    "fit_module": "eegdec.training.trainer",
    "predict_proba": "eegdec.training.trainer",
    "resolve_device": "eegdec.training.trainer",
    "load_recipe": "eegdec.training.recipes",
    "make_estimator": "eegdec.training.estimators",
}
__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'eegdec.training' has no attribute {name!r}")
