"""Find EEG channels holding NaN or a flat line, and raise, interpolate or drop them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from eegdec.errors import BadInputError

if TYPE_CHECKING:  # pragma: no cover
    import mne

BAD_CHANNEL_MODES = ("raise", "interpolate", "drop")
FLAT_PTP = 1e-13  # volts: below this peak-to-peak a channel carries no signal


def find_bad_channels(raw: mne.io.BaseRaw, only: Sequence[str] | None = None
                      ) -> tuple[list[str], list[str]]:
    """``(nan_channels, flat_channels)`` among the EEG channels of ``raw`` (or ``only``)."""
    import mne

    picks = mne.pick_types(raw.info, eeg=True, exclude=[])
    if only is not None:
        keep = set(only)
        picks = np.array([i for i in picks if raw.ch_names[i] in keep], dtype=int)
    data = raw.get_data(picks=picks)
    names = [raw.ch_names[i] for i in picks]
    has_nan = ~np.isfinite(data).all(axis=1)
    ptp = np.ptp(np.nan_to_num(data), axis=1)
    flat = ~has_nan & (ptp < FLAT_PTP)
    return ([n for n, b in zip(names, has_nan) if b], [n for n, b in zip(names, flat) if b])


def handle_bad_channels(raw: mne.io.BaseRaw, mode: str = "raise",
                        only: Sequence[str] | None = None) -> mne.io.BaseRaw:
    """Apply the ``mode`` policy to NaN/flat channels (among ``only``, if given); return
    ``raw`` (modified in place)."""
    nan, flat = find_bad_channels(raw, only)
    bad = nan + flat
    if not bad:
        return raw
    if mode == "raise":
        parts = [f"NaN in {', '.join(nan)}" if nan else "", f"flat {', '.join(flat)}" if flat
                 else ""]
        raise BadInputError(
            f"Bad channels ({'; '.join(p for p in parts if p)}): pass "
            "bad_channels='interpolate' or 'drop' to the Pipeline, or fix the recording."
        )
    if mode == "drop":
        return raw.drop_channels(bad)
    if nan:
        idx = [raw.ch_names.index(n) for n in nan]
        raw._data[idx] = 0.0
    if raw.get_montage() is None:
        raise BadInputError(
            f"Cannot interpolate {', '.join(bad)}: the recording has no channel positions; "
            "use bad_channels='drop'."
        )
    raw.info["bads"] = sorted(set(raw.info["bads"]) | set(bad))
    return raw.interpolate_bads(reset_bads=True, verbose=False)
