"""Download registered datasets with MOABB/MNE (for machines with internet)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from eegdec.data.moabb_loader import is_online, make_dataset, mne_data_env
from eegdec.data.paradigms import resolve_events
from eegdec.data.registry import check_subjects, get_dataset_spec
from eegdec.errors import BadInputError, DataNotFoundError
from eegdec.paths import data_dir as _data_dir


def download(
    dataset: str,
    subjects: Sequence[int] | None = None,
    *,
    events: Sequence[str] | None = None,
    data_dir: str | os.PathLike | None = None,
) -> list[Path]:
    """Fetch the files of ``subjects`` into the data directory; return the files now present.

    PhysionetMI goes through :func:`mne.datasets.eegbci.load_data` (only the runs holding
    ``events``); other MOABB datasets through the dataset's own ``download``.
    """
    spec = get_dataset_spec(dataset)
    root = _data_dir(data_dir)
    if spec.loader == "simulated":
        return []
    if spec.loader != "moabb":
        raise BadInputError(
            f"{spec.name} is not downloaded by eegdec: get it from {spec.url} and unpack it "
            f"to {root / spec.layout.get('root', '')}."
        )
    subs = check_subjects(spec, subjects)
    classes = resolve_events(spec, "MI", events)[1]
    if not is_online(spec.url):
        raise DataNotFoundError(
            f"Cannot reach {spec.url}: `eegdec download` needs internet. On an offline "
            f"machine copy the files into {root / spec.layout.get('root', '')} instead."
        )
    root.mkdir(parents=True, exist_ok=True)
    with mne_data_env(root):
        if spec.runs:
            import mne

            runs = sorted({r for c in classes for r in spec.runs[c]})
            for s in subs:
                mne.datasets.eegbci.load_data(s, runs, path=str(root), update_path=False)
        else:
            make_dataset(spec).download(subject_list=subs, path=str(root), update_path=False,
                                        accept=bool(spec.options.get("accept", False)))
    return [f for s in subs for f in spec.subject_files(s, root) if f.is_file()]
