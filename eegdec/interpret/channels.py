"""Channel names to scalp positions: name normalisation and MNE ``Info`` with a montage.

Recordings spell 10-20 names many ways (PhysioNet ``C3..``/``Fc5.``, ``EEG FP1-REF``, ``CZ``);
:func:`normalize_ch_name` strips the decorations and :func:`resolve_ch_names` matches the rest
case-insensitively against the montage, so MNE's own position lookup can do the geometry.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from eegdec.errors import BadInputError, UnknownNameError, suggest

if TYPE_CHECKING:
    import mne

DEFAULT_MONTAGE = "standard_1005"
# MNE 1.13 renamed the template montages; use the new name where it exists (same positions).
_RENAMED = {"standard_1005": "colin27_1005", "standard_1020": "colin27_1020"}
_PREFIX_SUFFIX = re.compile(r"^EEG[\s_-]*|[\s_-]+(REF|LE|RE|AVG|AR)$", re.IGNORECASE)


def normalize_ch_name(name: str) -> str:
    """Strip recording decorations: ``"C3.." -> "C3"``, ``"EEG Fp1-REF" -> "Fp1"``.

    Case is kept; :func:`resolve_ch_names` matches case-insensitively.
    """
    return _PREFIX_SUFFIX.sub("", str(name).strip(". ")).replace(".", "").replace(" ", "")


def get_montage(montage: str | mne.channels.DigMontage | None = None) -> mne.channels.DigMontage:
    """A built-in MNE montage by name (default ``standard_1005``), or ``montage`` itself."""
    import mne

    if montage is None or isinstance(montage, str):
        name = montage or DEFAULT_MONTAGE
        builtin = mne.channels.get_builtin_montages()
        name = _RENAMED.get(name, name) if _RENAMED.get(name) in builtin else name
        if name not in builtin:
            raise UnknownNameError(
                f"Unknown montage {montage!r}.{suggest(name, builtin)} "
                "Use a name from mne.channels.get_builtin_montages()."
            )
        return mne.channels.make_standard_montage(name)
    return montage


def resolve_ch_names(
    ch_names: list[str], montage: str | mne.channels.DigMontage | None = None
) -> list[str]:
    """Montage spelling of each channel name; an unknown channel raises naming it."""
    mont = get_montage(montage)
    lookup = {n.lower(): n for n in mont.ch_names}
    out = []
    for raw in ch_names:
        key = normalize_ch_name(raw).lower()
        if key not in lookup:
            raise UnknownNameError(
                f"Channel {raw!r} has no position in the montage.{suggest(key, mont.ch_names)} "
                "Rename it to its 10-05 name or pick the dataset's montage."
            )
        out.append(lookup[key])
    if len(set(out)) != len(out):
        dup = sorted({n for n in out if out.count(n) > 1})
        raise BadInputError(f"Channels {dup} map to the same scalp position: drop duplicates.")
    return out


def make_info(
    ch_names: list[str], montage: str | mne.channels.DigMontage | None = None,
    sfreq: float = 100.0,
) -> mne.Info:
    """EEG ``mne.Info`` with montage positions (channel names as the montage spells them)."""
    import mne

    names = resolve_ch_names(ch_names, montage)
    info = mne.create_info(names, sfreq=sfreq, ch_types="eeg")
    info.set_montage(get_montage(montage), on_missing="raise")
    return info
