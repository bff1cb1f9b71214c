"""eegdec: EEG decoding for brain-computer interfaces.

Heavy dependencies (torch, MNE, MOABB, braindecode) are imported lazily so that the CLI's
``--help``, ``datasets`` and ``models`` answer in about a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eegdec._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from eegdec.data.epochs import EpochsData
    from eegdec.training.classifier import EEGDecClassifier

__all__ = ["__version__", "EEGDecClassifier", "EpochsData", "load_epochs", "create_model"]

_LAZY = {
    "EEGDecClassifier": ("eegdec.training.classifier", "EEGDecClassifier"),
    "EpochsData": ("eegdec.data.epochs", "EpochsData"),
    "load_epochs": ("eegdec.preprocessing.load", "load_epochs"),
    "create_model": ("eegdec.models.registry", "create_model"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'eegdec' has no attribute {name!r}")
