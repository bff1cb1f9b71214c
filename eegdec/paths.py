"""Where eegdec looks for data, caches and its packaged resource files."""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Data directory: ``explicit``, else ``$EEGDEC_DATA``, ``$MNE_DATA``, ``~/mne_data``."""
    for cand in (explicit, os.environ.get("EEGDEC_DATA"), os.environ.get("MNE_DATA")):
        if cand:
            return Path(cand).expanduser().resolve()
    return Path("~/mne_data").expanduser().resolve()


def cache_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Epoch cache: ``explicit``, else ``$EEGDEC_CACHE``, else ``~/.cache/eegdec``."""
    cand = explicit or os.environ.get("EEGDEC_CACHE")
    return Path(cand or "~/.cache/eegdec").expanduser().resolve()


def resource(name: str) -> Path:
    """Path of a packaged resource (``datasets.yaml``, ``pipelines/``).

    A wheel ships them inside the package; an editable install reads them at the repo root.
    """
    inside = _PKG / name
    return inside if inside.exists() else _PKG.parent / name
