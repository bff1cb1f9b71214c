"""On-disk epoch cache: one ``.npz`` per (dataset, subject, events, pipeline, versions,
source files).

The key includes the identity of every source file the loader reads for the subject
(:func:`source_identity`: resolved path, size, modification time), so another data directory,
a replaced or touched file, or a new copy of a dataset is read afresh. Writes are atomic and
safe under concurrent writers (:meth:`EpochsData.save`); a file that cannot be read
(truncated, corrupt) is reported in the log, deleted and rebuilt.
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


def source_identity(files: Sequence[Path]) -> list[list[Any]]:
    """``[resolved path, size, mtime_ns]`` per file (``None, None`` for a missing one).

    File metadata rather than a content hash: a warm load stays at milliseconds whatever the
    dataset's size; a replaced, rewritten or touched file changes its mtime (a copy that keeps
    content but not mtime costs one rebuild).
    """
    out = []
    for f in files:
        path = Path(f).resolve()
        try:
            st = path.stat()
        except FileNotFoundError:
            out.append([str(path), None, None])
        else:
            out.append([str(path), st.st_size, st.st_mtime_ns])
    return out


def cache_key(dataset_config: dict[str, Any], subject: int, paradigm: str,
              events: Sequence[str], pipeline_config: dict[str, Any],
              source: dict[str, Any] | None = None) -> str:
    """Hex digest of everything that determines one subject's epochs.

    ``source`` (data directory and :func:`source_identity`) is left out for built-in datasets,
    whose keys therefore do not depend on any file.
    """
    parts = {"dataset": dataset_config, "subject": subject, "paradigm": paradigm,
             "events": list(events), "pipeline": pipeline_config, "versions": _versions()}
    if source is not None:
        parts["source"] = source
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
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
