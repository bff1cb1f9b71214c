"""EDF reading shared by the CHB-MIT and Helsinki loaders: clear errors, channel matching."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eegdec.data.edf import check_edf_size
from eegdec.errors import CorruptFileError, DataNotFoundError


def read_edf(path: Path, url: str) -> Any:
    """Open an EDF lazily with MNE; missing or unreadable files raise eegdec errors."""
    import mne

    if not path.is_file():
        raise DataNotFoundError(f"EDF file {path} is missing: download it from {url}.")
    try:
        check_edf_size(path)
        return mne.io.read_raw_edf(path, preload=False, verbose="error")
    except Exception as exc:  # MNE raises ValueError/RuntimeError/OSError on damaged files
        detail = (str(exc).splitlines() or [""])[0][:80]
        raise CorruptFileError(
            f"Cannot read EDF file {path} ({type(exc).__name__}: {detail}): re-download it from "
            f"{url} and verify its checksum."
        ) from exc


def pick_channels(raw: Any, wanted: list[str], normalise: Callable[[str], str]) -> Any | None:
    """Load ``wanted`` channels (compared after ``normalise``) in that order, renamed to
    ``wanted``; ``None`` if some are missing. Duplicates (MNE's ``name-0``, ``name-1``) keep
    the first."""
    found: dict[str, str] = {}
    for name in raw.ch_names:
        key = normalise(re.sub(r"-\d+$", "", name) if name not in wanted else name)
        found.setdefault(key, name)
    keys = [normalise(w) for w in wanted]
    if any(k not in found for k in keys):
        return None
    raw = raw.copy().pick([found[k] for k in keys]).load_data(verbose="error")
    raw.rename_channels(dict(zip(raw.ch_names, wanted)))
    return raw
