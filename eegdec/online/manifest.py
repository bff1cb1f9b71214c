"""The export folder: ``model.onnx`` plus ``manifest.json``, everything a decoder needs.

``manifest.json`` holds, besides what the caller gives :func:`write_export`:
``format_version``, ``eegdec_version`` and ``onnx_sha256`` (checked by :func:`read_export`).
The caller's keys (see ``REQUIRED``):

- ``model``: registry name; ``channels``: channel names in the model's input order;
- ``sfreq`` (Hz), ``window_s`` and ``hop_s`` (s): the model's rate, input window and decision
  interval;
- ``classes``: class names in logit order;
- ``unit_scale``: factor from the stream's volts to the model's units (1e6: microvolts);
- ``preprocessing``: the causal preprocessing, a JSON object (opaque here);
- ``alignment``: ``null`` or ``{"mode": ..., "matrix": R^{-1/2} as nested lists, ...}``.

Reading needs only json, hashlib and numpy (no torch). Files are replaced atomically.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from eegdec._version import __version__
from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError
from eegdec.paths import atomic_write, file_sha256

FORMAT_VERSION = 1
MODEL_FILE, MANIFEST_FILE = "model.onnx", "manifest.json"
REQUIRED = ("model", "channels", "sfreq", "window_s", "hop_s", "classes", "unit_scale",
            "preprocessing", "alignment")
REEXPORT = "re-export with `eegdec export RUN_DIR --format onnx`"



def write_export(folder: str | os.PathLike, onnx: str | os.PathLike | bytes,
                 manifest: dict[str, Any]) -> Path:
    """Write ``folder/model.onnx`` (from a file or bytes) and ``folder/manifest.json``.

    ``manifest`` needs the ``REQUIRED`` keys; numpy arrays and scalars become JSON lists and
    numbers. The manifest is written last, so a folder is never left with a manifest that
    vouches for another model file. Returns the folder.
    """
    folder = Path(folder)
    missing = [key for key in REQUIRED if key not in manifest]
    if missing:
        raise BadInputError(f"The export manifest lacks {', '.join(missing)}: give every key "
                            f"of eegdec.online.manifest.REQUIRED ({', '.join(REQUIRED)}).")
    _check(manifest)
    data = onnx if isinstance(onnx, bytes) else Path(onnx).read_bytes()
    meta = {"format_version": FORMAT_VERSION, "eegdec_version": __version__,
            "onnx_sha256": hashlib.sha256(data).hexdigest(), **_plain(manifest)}
    try:
        text = json.dumps(meta, indent=1, allow_nan=False)
    except ValueError as exc:
        raise BadInputError(f"The export manifest holds a NaN or infinite number ({exc}): "
                            "export a fitted decoder with finite parameters.") from exc
    atomic_write(folder / MODEL_FILE, data)
    atomic_write(folder / MANIFEST_FILE, (text + "\n").encode())
    return folder


def read_export(folder: str | os.PathLike) -> tuple[Path, dict[str, Any]]:
    """``(path of model.onnx, manifest dict)`` of an export folder, its sha256 verified."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataNotFoundError(f"Export folder {folder} does not exist: point at the folder "
                                f"`eegdec export` wrote, or {REEXPORT}.")
    model, meta_path = folder / MODEL_FILE, folder / MANIFEST_FILE
    for path in (meta_path, model):
        if not path.is_file():
            raise CorruptFileError(f"{path} is missing: {REEXPORT}.")
    try:
        meta = json.loads(meta_path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptFileError(f"{meta_path} is not valid JSON ({exc}): {REEXPORT}.") from exc
    if not isinstance(meta, dict):
        raise CorruptFileError(f"{meta_path} is not a JSON object: {REEXPORT}.")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CorruptFileError(f"{meta_path} has export format {version!r}, this eegdec reads "
                               f"up to {FORMAT_VERSION}: upgrade eegdec or {REEXPORT}.")
    missing = [key for key in (*REQUIRED, "onnx_sha256") if key not in meta]
    if missing:
        raise CorruptFileError(f"{meta_path} lacks {', '.join(missing)}: {REEXPORT}.")
    if file_sha256(model) != meta["onnx_sha256"]:
        raise CorruptFileError(f"{model} does not match the sha256 in {meta_path} (changed or "
                               f"truncated after export): {REEXPORT}.")
    return model, meta


def _check(manifest: dict[str, Any]) -> None:
    """Reject manifests a decoder could not use, naming the key."""
    channels, classes = manifest["channels"], manifest["classes"]
    for key, names in (("channels", channels), ("classes", classes)):
        if (isinstance(names, str) or not names
                or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names)):
            raise BadInputError(f"Export manifest {key!r} must be a non-empty list of distinct "
                                f"names; got {names!r}.")
    for key in ("sfreq", "window_s", "hop_s", "unit_scale"):
        value = manifest[key]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
                math.isfinite(value) and value > 0):
            raise BadInputError(f"Export manifest {key!r} must be a positive number; "
                                f"got {value!r}.")
    if not isinstance(manifest["preprocessing"], dict):
        raise BadInputError("Export manifest 'preprocessing' must be a dict (JSON object); "
                            f"got {type(manifest['preprocessing']).__name__}.")
    align = manifest["alignment"]
    if align is None:
        return
    n = len(channels)
    if not isinstance(align, dict) or "mode" not in align or "matrix" not in align:
        raise BadInputError("Export manifest 'alignment' must be null or a dict with 'mode' and "
                            f"'matrix'; got {type(align).__name__}.")
    matrix = np.asarray(align["matrix"], dtype=float)
    if matrix.shape != (n, n) or not np.isfinite(matrix).all():
        raise BadInputError(f"Export manifest alignment matrix must be finite ({n}, {n}) for "
                            f"{n} channels; got shape {matrix.shape}.")


def _plain(value: Any) -> Any:
    """``value`` with numpy arrays, scalars and tuples turned into JSON types."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
