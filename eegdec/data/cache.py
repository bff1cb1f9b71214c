"""On-disk epoch cache: one ``.npz`` per (dataset, subject, events, pipeline, versions).

Writes are atomic (:meth:`EpochsData.save`); a file that cannot be read (truncated, corrupt)
is reported in the log, deleted and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eegdec.data.epochs import EpochsData
from eegdec.errors import CorruptFileError

log = logging.getLogger(__name__)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from eegdec._version import __version__

    out = {"eegdec": __version__}
    for pkg in ("mne", "moabb"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[pkg] = "none"
    return out


def cache_key(dataset_config: dict[str, Any], subject: int, paradigm: str,
              events: Sequence[str], pipeline_config: dict[str, Any]) -> str:
    """Hex digest of everything that determines one subject's epochs."""
    blob = json.dumps(
        {"dataset": dataset_config, "subject": subject, "paradigm": paradigm,
         "events": list(events), "pipeline": pipeline_config, "versions": _versions()},
        sort_keys=True, default=str,
    ).encode()
    return hashlib.sha256(blob).hexdigest()


def cache_path(root: Path, dataset: str, subject: int, key: str) -> Path:
    return root / dataset / f"sub-{subject:03d}_{key[:20]}.npz"


def load_or_build(path: Path, build: Callable[[], EpochsData]) -> EpochsData:
    """Read ``path`` if valid, else ``build()`` and save it atomically."""
    if path.is_file():
        try:
            return EpochsData.load(path)
        except CorruptFileError as exc:
            log.warning("%s Rebuilding it.", exc)
            path.unlink(missing_ok=True)
    epochs = build()
    epochs.save(path)
    return epochs
