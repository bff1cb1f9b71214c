"""Channel names matched across spellings (``C3..``, ``C3``, ``c3``) and montage helpers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from eegdec.errors import UnknownNameError, suggest


def channel_key(name: str) -> str:
    """Spelling-independent key: ``'Fc5.'``, ``'FC5'`` and ``'fc5'`` all give ``'fc5'``."""
    return re.sub(r"[\s.\-_]", "", name).lower()


def match_channels(wanted: Sequence[str], available: Sequence[str]) -> list[str]:
    """Names in ``available`` matching each of ``wanted`` (in ``wanted``'s order).

    Raises :class:`UnknownNameError` naming the first unknown channel and the closest ones.
    """
    index = {channel_key(a): a for a in available}
    out = []
    for name in wanted:
        key = channel_key(name)
        if key not in index:
            raise UnknownNameError(
                f"Unknown channel {name!r}: not among the {len(available)} channels of the "
                f"recording.{suggest(name, list(available))} Fix the channel list."
            )
        out.append(index[key])
    return out


def make_montage(name: str | None = "standard_1005"):
    """MNE standard montage by name; ``standard_10xx`` maps to MNE's ``colin27_10xx``.

    MNE 1.13 deprecates ``standard_1005``/``standard_1020`` in favour of the same positions
    under the ``colin27_*`` names; this keeps older names working without warnings.
    """
    import mne

    if name is None:
        return None
    builtin = mne.channels.get_builtin_montages()
    alias = name.replace("standard_", "colin27_")
    return mne.channels.make_standard_montage(alias if alias in builtin else name)
