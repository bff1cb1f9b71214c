"""Where eegdec looks for data, caches and its packaged resource files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from eegdec.errors import DataNotFoundError

_PKG = Path(__file__).resolve().parent


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Data directory: ``explicit``, else ``$EEGDEC_DATA``, ``$MNE_DATA``, ``~/mne_data``."""
    for cand in (explicit, os.environ.get("EEGDEC_DATA"), os.environ.get("MNE_DATA")):
        if cand:
            return Path(cand).expanduser().resolve()
    return Path("~/mne_data").expanduser().resolve()


def existing_data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """:func:`data_dir`; a directory the user chose (argument or environment) must exist.

    Only the default ``~/mne_data`` may be missing: a download creates it.
    """
    root = data_dir(explicit)
    origin = next((name for name, cand in (("--data-dir", explicit),
                                           ("$EEGDEC_DATA", os.environ.get("EEGDEC_DATA")),
                                           ("$MNE_DATA", os.environ.get("MNE_DATA")))
                   if cand), None)
    if origin is not None and not root.is_dir():
        state = "is not a folder" if root.exists() else "does not exist"
        raise DataNotFoundError(
            f"Data directory {root} (from {origin}) {state}: point {origin} at the folder "
            "that holds the dataset files (see `eegdec datasets --data-dir DIR`), or fetch "
            "them there with `eegdec download --data-dir DIR`."
        )
    return root


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


def file_sha256(path: Path) -> str:
    """Hex sha256 of the file at ``path``, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a flushed, fsynced temporary file and one rename: a
    process killed at any instant leaves the old or the new complete file, never a torn one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
