"""Continuous recordings -> :class:`EpochsData`, the same way for MOABB and simulated data.

Events come from the stim channel (``mne.find_events``) or, without one, from annotations
placed at the cue (shifted back to the marker), as MOABB's ``RawToEvents`` does. Per recording:
pipeline raw steps -> ``mne.Epochs`` over the window -> volts to microvolts (MOABB's
``unit_factor``) -> pipeline epoch steps after all runs are stacked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eegdec.data.epochs import EpochsData, Preprocessor
from eegdec.errors import BadInputError

if TYPE_CHECKING:  # pragma: no cover
    import mne

    from eegdec.data.registry import DatasetSpec

UNIT_FACTOR = 1e6  # volts -> microvolts, as MOABB's paradigms return


def find_events(raw: mne.io.BaseRaw, spec: DatasetSpec, classes: Sequence[str]) -> np.ndarray:
    """``(n, 3)`` MNE events of the requested ``classes`` at the event markers."""
    import mne

    codes = {spec.classes[c] for c in classes}
    stim = mne.pick_types(raw.info, stim=True, exclude=[])
    if len(stim):
        events = mne.find_events(raw, shortest_event=0, verbose=False)
    else:
        event_id = {c: spec.classes[c] for c in classes}
        present = set(raw.annotations.description)
        if not present & set(event_id):
            return np.zeros((0, 3), dtype=int)
        events, _ = mne.events_from_annotations(
            raw, event_id={k: v for k, v in event_id.items() if k in present}, verbose=False
        )
        events[:, 0] -= int(round(spec.window[0] * raw.info["sfreq"]))
    return events[np.isin(events[:, 2], list(codes))]


def epochs_from_raws(
    raws: Mapping[str, Mapping[str, mne.io.BaseRaw]],
    spec: DatasetSpec,
    subject: int,
    classes: Sequence[str],
    pipeline: Preprocessor,
) -> EpochsData:
    """Epoch every run of ``{session: {run: raw}}`` for one subject; trials in recording order."""
    import mne

    tmin, tmax = pipeline.epoch_window(spec.window)
    code_to_class = {spec.classes[c]: i for i, c in enumerate(classes)}
    Xs, ys, metas, ch_names, sfreq = [], [], [], None, None
    for session, runs in raws.items():
        n_before = 0
        for run, raw in runs.items():
            if not len(find_events(raw, spec, classes)):
                continue
            raw = pipeline.apply_raw(raw)
            events = find_events(raw, spec, classes)  # after resampling, if any
            epochs = mne.Epochs(
                raw, events, event_id=None, tmin=spec.window[0] + tmin,
                tmax=spec.window[0] + tmax, baseline=None, picks="eeg", preload=True,
                proj=False, event_repeated="drop", on_missing="ignore", verbose=False,
            )
            if ch_names is not None and epochs.ch_names != ch_names:
                raise BadInputError(
                    f"{spec.name} subject {subject} session {session} run {run} has channels "
                    f"that differ from earlier runs: add a `channels:` step to the pipeline."
                )
            ch_names, sfreq = epochs.ch_names, epochs.info["sfreq"]
            kept = epochs.events
            Xs.append(epochs.get_data(copy=False) * UNIT_FACTOR)
            ys.append(np.array([code_to_class[c] for c in kept[:, 2]]))
            n = len(kept)
            metas.append(pd.DataFrame({
                "subject": subject, "session": str(session), "run": str(run),
                "trial": np.arange(n_before, n_before + n),
                "onset": kept[:, 0] / raw.info["sfreq"] + spec.window[0],
            }))
            n_before += n
    if not Xs:
        raise BadInputError(
            f"{spec.name} subject {subject} has no trials of {', '.join(classes)}: "
            "check the events/paradigm requested."
        )
    ep = EpochsData(
        np.concatenate(Xs), np.concatenate(ys), list(classes),
        pd.concat(metas, ignore_index=True), list(ch_names), float(sfreq), spec.montage,
        spec.name, {"tmin": float(tmin)},
    )
    return pipeline.apply_epochs(ep)
