"""A decoder to and from an export folder (``model.onnx`` + ``manifest.json``).

:func:`export_decoder` converts the decoder's torch network with
:func:`eegdec.online.onnx.export_onnx` and records everything else the decoder holds (channels,
rate, window, hop, classes, units, causal filter coefficients, alignment reference) with
:func:`eegdec.online.manifest.write_export`. :func:`load_export` rebuilds the same decoder on
ONNX Runtime; it needs numpy, scipy and onnxruntime only.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from eegdec.errors import BadInputError
from eegdec.online.decoder import Decoder, logits_model

FORMATS = ("onnx",)


def export_decoder(decoder: Decoder, folder: str | os.PathLike, fmt: str = "onnx") -> Path:
    """Write ``decoder`` to ``folder``; returns the folder."""
    from eegdec.online.manifest import write_export
    from eegdec.online.onnx import export_onnx

    if fmt not in FORMATS:
        raise BadInputError(f"Unknown export format {fmt!r}: use {', '.join(FORMATS)}.")
    module = getattr(decoder.model, "module", None)
    if module is None:
        raise BadInputError("Only torch models export to ONNX; a classical pipeline decodes "
                            "with its fitted estimator (Decoder.from_pipeline).")
    with tempfile.TemporaryDirectory() as tmp:
        onnx = export_onnx(module, decoder.n_chans, decoder.window_n, Path(tmp) / "model.onnx")
        return write_export(folder, onnx, decoder.describe())


def load_export(folder: str | os.PathLike, threads: int = 1, **kw: Any) -> Decoder:
    """The decoder an export folder holds, on ONNX Runtime (``threads`` per decision);
    ``kw`` overrides the manifest's settings (e.g. ``hop_s``)."""
    from eegdec.online.manifest import read_export
    from eegdec.online.onnx import OnnxModel

    path, manifest = read_export(folder)
    model = OnnxModel(path, threads=threads)
    return Decoder.from_description(logits_model(model.logits), manifest, **kw)
