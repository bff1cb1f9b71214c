"""Exceptions with one-line messages that name the problem and the fix.

Every error eegdec raises on bad user input derives from :class:`EEGDecError`; the CLI prints
``error: <message>`` and exits with status 2 instead of a traceback.
"""

from __future__ import annotations


class EEGDecError(Exception):
    """Base class: a user-facing problem with a one-line explanation and fix."""


class UnknownNameError(EEGDecError, KeyError):
    """An unknown dataset, model, pipeline, protocol or channel name."""

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""


class DataNotFoundError(EEGDecError, FileNotFoundError):
    """A data file is missing on disk (and could not be downloaded)."""


class CorruptFileError(EEGDecError, ValueError):
    """A data or cache file exists but cannot be read."""


class BadInputError(EEGDecError, ValueError):
    """Input data or arguments that cannot be used (NaNs, empty subject list, bad window...)."""


def suggest(name: str, choices: list[str] | tuple[str, ...], n: int = 3) -> str:
    """Return ``" Did you mean: a, b?"`` for the closest ``choices`` to ``name`` (or ``""``)."""
    import difflib

    norm = {c.lower().replace("_", "").replace("-", ""): c for c in choices}
    key = name.lower().replace("_", "").replace("-", "")
    close = difflib.get_close_matches(key, list(norm), n=n, cutoff=0.5)
    return f" Did you mean: {', '.join(norm[c] for c in close)}?" if close else ""
