"""One continuous recording in any format MNE reads (EDF, BDF, FIF, BrainVision...), with
one-line errors: a missing file, a format MNE does not know, a damaged or truncated file.

Used where a whole recording is needed as it is (``eegdec replay``), not epoched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eegdec.data.edf import check_edf_size
from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError

EDF_SUFFIXES = (".edf", ".bdf")


def read_recording(path: str | Path, *, preload: bool = True) -> Any:
    """The ``mne.io.Raw`` of ``path``; eegdec errors (one line, with the fix) when it cannot
    be read. EDF/BDF files are checked against their header first: MNE reads a truncated EDF
    without a word."""
    import mne

    path = Path(path)
    if path.is_dir() and not path.name.lower().endswith(".ds"):  # CTF recordings are folders
        raise BadInputError(f"{path} is a folder: pass a recording file (EDF, BDF, FIF...).")
    if not path.exists():
        raise DataNotFoundError(f"Recording {path} not found: check the path.")
    try:
        if path.suffix.lower() in EDF_SUFFIXES:
            check_edf_size(path)
        raw = mne.io.read_raw(path, preload=preload, verbose="error")
    except ValueError as exc:
        if "Unsupported file type" in str(exc) or "not supported" in str(exc).lower():
            raise BadInputError(
                f"Cannot read {path}: MNE does not know the format {path.suffix or '(none)'!r}; "
                "convert it to FIF or EDF (see mne.io.read_raw for the formats)."
            ) from exc
        raise CorruptFileError(_damaged(path, exc)) from exc
    except Exception as exc:  # MNE raises many kinds on damaged files
        raise CorruptFileError(_damaged(path, exc)) from exc
    if not len(raw.times):
        raise CorruptFileError(f"{path} holds no samples: record or export it again.")
    return raw


def _damaged(path: Path, exc: BaseException) -> str:
    detail = (str(exc).splitlines() or [""])[0][:80]
    return (f"Cannot read {path} ({type(exc).__name__}: {detail}): the file is damaged or "
            "truncated; copy or export it again.")
