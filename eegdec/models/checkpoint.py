"""Rebuild a trained torch model from ``RUN_DIR/checkpoints/<fold_id>.pt``.

The file (written by :func:`eegdec.evaluation.artefacts.checkpoint`) is a dict with ``model``
(registry name), ``build`` (``n_chans, n_outputs, n_times, sfreq`` and model kwargs),
``state_dict``, ``classes``, ``ch_names``, ``montage`` and ``eegdec_version``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from eegdec.errors import CorruptFileError, DataNotFoundError

REQUIRED_KEYS = ("model", "build", "state_dict")


def load_checkpoint(path: str | os.PathLike, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """The model in eval mode with its trained weights, and the checkpoint's metadata."""
    import torch

    from eegdec.models.registry import create_model

    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(
            f"No checkpoint at {path}: run `eegdec run --save-checkpoints` and pass a file from "
            "RUN_DIR/checkpoints/."
        )
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # pickle, zip and torch errors all mean an unreadable file
        raise CorruptFileError(
            f"Cannot read checkpoint {path} ({type(exc).__name__}): re-run the fold with "
            "--save-checkpoints."
        ) from exc
    missing = [k for k in REQUIRED_KEYS if k not in payload] if isinstance(payload, dict) \
        else list(REQUIRED_KEYS)
    if missing:
        raise CorruptFileError(
            f"{path} is not an eegdec checkpoint (missing {missing}): pass a file from "
            "RUN_DIR/checkpoints/."
        )
    model = create_model(payload["model"], **payload["build"])
    model.load_state_dict(payload["state_dict"])
    model.to(device).eval()
    meta = {k: v for k, v in payload.items() if k != "state_dict"}
    return model, meta
