"""SSVEP Exoskeleton (Kalunga et al. 2016; MOABB's ``Kalunga2016``), read from either layout.

- The authors' layout: ``<root>/subjectNN/record-[date]_raw.fif`` with its events in
  ``record-[date]-eve.fif`` beside it (no stim channel); one file is one session.
- MOABB's cache: ``MNE-ssvepexo-data/**/subjectNN_runK_raw.fif`` with a stim channel; MOABB
  calls every run session ``0``, eegdec makes each file a session, as in the authors' layout.

Sessions are numbered ``0, 1, ...`` in recording order per subject; the ``run`` column keeps
the file's own name. Sessions the authors excluded (``options.exclude``: subject 08's
``record-[2013.04.06-16.22.32]``, which MOABB's packaging leaves out too) are skipped unless
``options.keep_excluded`` is true.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from eegdec.data.moabb_loader import corrupt_message
from eegdec.errors import CorruptFileError, DataNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    import mne

    from eegdec.data.epochs import EpochsData, Preprocessor
    from eegdec.data.registry import DatasetSpec

log = logging.getLogger(__name__)

MOABB_ROOT = "MNE-ssvepexo-data"
_RUN = re.compile(r"_run(\d+)_raw\.fif$")


def session_files(spec: DatasetSpec, subject: int, root: Path) -> dict[str, Path]:
    """Run name -> raw file of ``subject``, in recording order, excluded sessions dropped.

    The authors' layout wins when both are on disk. Raises :class:`DataNotFoundError` naming
    the files looked for and where.
    """
    authors = root / spec.layout["root"] / f"subject{subject:02d}"
    files = sorted(authors.glob("record-*_raw.fif"))
    if files:
        skip = set() if spec.options.get("keep_excluded") else set(
            spec.options.get("exclude", {}).get(subject, []))
        return {f.name.removesuffix("_raw.fif"): f for f in files
                if f.name.removesuffix("_raw.fif") not in skip}
    moabb = {int(_RUN.search(p.name).group(1)): p
             for p in (root / MOABB_ROOT).rglob(f"subject{subject:02d}_run*_raw.fif")}
    if moabb:
        return {f"run{k}": moabb[k] for k in sorted(moabb)}
    raise DataNotFoundError(
        f"{spec.name} subject {subject}: no recording found: looked for "
        f"{authors}/record-*_raw.fif (authors' layout) and "
        f"{root / MOABB_ROOT}/**/subject{subject:02d}_run*_raw.fif (MOABB's); "
        f"copy the files there or pass the data directory that holds them."
    )


def read_session(path: Path) -> mne.io.Raw:
    """One session as MNE Raw with a ``STI`` channel holding the cue events."""
    import mne
    import numpy as np

    raw = mne.io.read_raw_fif(path, preload=True, verbose="ERROR")
    if len(mne.pick_types(raw.info, stim=True)):
        return raw
    eve = path.with_name(path.name.removesuffix("_raw.fif") + "-eve.fif")
    if not eve.is_file():
        raise DataNotFoundError(f"{path.name}: event file not found: {eve}; copy it beside "
                                "the recording (authors' layout: record-[date]-eve.fif).")
    events = mne.read_events(eve, verbose="ERROR")
    info = mne.create_info(["STI"], raw.info["sfreq"], "stim")
    raw.add_channels([mne.io.RawArray(np.zeros((1, raw.n_times)), info, verbose="ERROR")],
                     force_update_info=True)
    raw.add_events(events, stim_channel="STI")
    return raw


def load_subject(
    spec: DatasetSpec, subject: int, *, paradigm: str, events: list[str], pipeline: Preprocessor,
    data_dir: Path, skip_bad_files: bool = False,
) -> EpochsData:
    """Read one subject's sessions (either layout) and epoch them."""
    from eegdec.data.epoching import epochs_from_raws

    raws = {}
    for run, path in session_files(spec, subject, Path(data_dir)).items():
        try:
            raw = read_session(path)
        except DataNotFoundError:
            raise
        except Exception as exc:  # MNE raises many kinds on damaged FIF files
            if not skip_bad_files:
                raise CorruptFileError(corrupt_message(path, exc)) from exc
            log.warning("Skipping %s", corrupt_message(path, exc))
            continue
        raws[str(len(raws))] = {run: raw}
    if not raws:
        raise CorruptFileError(f"{spec.name} subject {subject}: no session could be read; "
                               "copy the files again.")
    return epochs_from_raws(raws, spec, subject, events, pipeline)
