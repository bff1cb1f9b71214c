"""The checkpoint format: ``RUN_DIR/checkpoints/<fold_id>.pt`` made and read back.

The file (made by :func:`make_checkpoint`, saved by ``eegdec run --save-checkpoints``) is a
dict with ``model``
(registry name), ``build`` (``n_chans, n_outputs, n_times, sfreq`` and model kwargs),
``state_dict``, ``classes``, ``ch_names``, ``montage`` and ``eegdec_version``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eegdec.errors import CorruptFileError, DataNotFoundError

REQUIRED_KEYS = ("model", "build", "state_dict")


def make_checkpoint(model: str, build: dict[str, Any], module: Any, classes: Sequence[str],
                    ch_names: Sequence[str], montage: str | None) -> dict[str, Any]:
    """The checkpoint payload: weights plus what rebuilds the network with
    ``create_model(model, **build)``."""
    from eegdec._version import __version__

    return {
        "model": model,
        "build": dict(build),
        "state_dict": {k: v.detach().cpu() for k, v in module.state_dict().items()},
        "classes": list(classes),
        "ch_names": list(ch_names),
        "montage": montage,
        "eegdec_version": __version__,
    }


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
    try:
        model = create_model(payload["model"], **payload["build"])
        model.load_state_dict(payload["state_dict"])
    except Exception as exc:  # unknown model, bad build arguments, weights of another shape
        detail = (str(exc).splitlines() or [""])[0][:80]
        raise CorruptFileError(
            f"{path} does not rebuild its model ({type(exc).__name__}: {detail}): pass a "
            "checkpoint this eegdec version wrote, or re-run the fold with --save-checkpoints."
        ) from exc
    model.to(device).eval()
    meta = {k: v for k, v in payload.items() if k != "state_dict"}
    return model, meta
