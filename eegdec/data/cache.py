"""On-disk epoch cache: one ``.npz`` per (dataset, subject, events, pipeline, versions,
source files), read memory-mapped.

The key includes the identity of every source file the loader reads for the subject
(:func:`source_identity`: resolved path, size, modification time), so another data directory,
a replaced or touched file, or a new copy of a dataset is read afresh. Writes are atomic and
safe under concurrent writers (:meth:`EpochsData.save`); a file that cannot be read
(truncated, corrupt) is reported in the log, deleted and rebuilt.

Out of core: the files are uncompressed ``.npz`` whose ``X`` member starts at a 64-byte
boundary (:meth:`EpochsData.save`), so :func:`load_or_build` maps the epochs from disk
instead of reading them (``EpochsData.load(mmap=True)``). A subject costs memory only for the pages
that are touched, a set larger than memory is read from disk as needed, and a mapped
:class:`EpochsData` pickles as its file name (parallel workers map the file themselves).
One file per subject rather than per session: the file is the cache entry, so one atomic
rename still publishes a whole entry, and a session is only a list of rows in it. A chunked
format (zarr) would add a dependency and a directory of chunks per entry, which cannot be
published by one rename; LOSO reads whole subjects, so chunking buys nothing here.
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


def load_or_build(path: Path, build: Callable[[], EpochsData], *, mmap: bool = True
                  ) -> EpochsData:
    """Read ``path`` if valid, else ``build()`` and save it atomically.

    With ``mmap`` (default) the epochs come back memory-mapped from the file, a freshly built
    entry too (so a cold run does not keep every subject in memory either); a valid file of an
    earlier layout (not mappable) is rewritten once in the mappable one.
    """
    if path.is_file():
        try:
            epochs = EpochsData.load(path, mmap=mmap)
        except CorruptFileError as exc:
            log.warning("%s Rebuilding it.", exc)
            path.unlink(missing_ok=True)
        else:
            if not mmap or epochs.mapped_file is not None:
                return epochs
            log.info("Rewriting %s in the memory-mappable layout.", path)
            return _saved(epochs, path)
    epochs = build()
    if not mmap:
        epochs.save(path)
        return epochs
    return _saved(epochs, path)


def _saved(epochs: EpochsData, path: Path) -> EpochsData:
    """Save ``epochs`` and return them mapped from the file (in memory when not mappable)."""
    epochs.save(path)
    try:
        mapped = EpochsData.load(path, mmap=True, verify=False)
    except CorruptFileError:  # replaced under us by a damaged file: keep what we built
        return epochs
    return mapped if mapped.mapped_file is not None else epochs

