"""Loader kinds: each ``loader:`` of datasets.yaml maps to one ``load_subject`` function.

``load_subject(spec, subject, *, paradigm, events, pipeline, data_dir, skip_bad_files)
-> EpochsData`` reads one subject's files, applies ``pipeline`` (any object with the
:class:`~eegdec.data.epochs.Preprocessor` methods) and epochs them. Functions are imported
lazily from the dotted paths in :data:`LOADERS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from eegdec.errors import BadInputError

LOADERS: dict[str, str] = {
    "moabb": "eegdec.data.moabb_loader:load_subject",
    "simulated": "eegdec.data.simulated:load_subject",
    "bonn": "eegdec.data.seizure.bonn:load_subject",
    "chbmit": "eegdec.data.seizure.chbmit:load_subject",
    "helsinki": "eegdec.data.seizure.helsinki:load_subject",
    "ssvepexo": "eegdec.data.ssvepexo:load_subject",
}


def get_loader(kind: str) -> Callable:
    """The ``load_subject`` function of a loader kind."""
    module, _, attr = LOADERS[kind].partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as exc:
        raise BadInputError(
            f"The {kind!r} loader ({LOADERS[kind]}) is not available in this install: "
            "update eegdec."
        ) from exc
