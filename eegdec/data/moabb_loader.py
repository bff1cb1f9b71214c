"""MOABB datasets, offline-friendly.

eegdec never re-implements a dataset MOABB has; it wraps MOABB's dataset classes and:

- points MNE/MOABB at the data directory through environment variables for the duration of
  the load (no write to ``~/.mne``), with ``MOABB_DOWNLOAD_PROVIDER=upstream`` so MOABB does
  not query its remote index first (~40 s of retries offline). MOABB reads the location from
  nowhere else, so the load must stay in this process and thread:
  :func:`eegdec.preprocessing.load.iter_subject_epochs` runs MOABB's joblib calls
  sequentially, and a lock keeps two threads from swapping the variables under each other;
- checks the files named in datasets.yaml's ``layout`` before calling MOABB, so a missing file
  fails in milliseconds offline with the exact path and how to get it;
- for PhysionetMI, configures MOABB's ``hand_runs``/``feet_runs`` so that only the runs holding
  the requested classes are read (MOABB alone reads, and tries to download, all six), one run
  at a time so that an unreadable file can be reported or skipped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from eegdec.data.edf import check_edf_size
from eegdec.errors import CorruptFileError, DataNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    import mne

    from eegdec.data.epochs import EpochsData, Preprocessor
    from eegdec.data.registry import DatasetSpec

log = logging.getLogger(__name__)


_ENV_LOCK = threading.RLock()


@contextlib.contextmanager
def mne_data_env(root: Path) -> Iterator[None]:
    """Make MNE and MOABB read (and download) under ``root`` while the block runs.

    Holds a process-wide lock: a second thread waits instead of seeing, or restoring, the
    first one's variables mid-load.
    """
    import mne

    with _ENV_LOCK:
        keys = {"MNE_DATA": str(root), "MOABB_DOWNLOAD_PROVIDER":
                os.environ.get("MOABB_DOWNLOAD_PROVIDER", "upstream")}
        # A per-dataset path in ~/.mne/mne-python.json would win over MNE_DATA: override it.
        for key in mne.get_config():
            if key.startswith("MNE_DATASETS_") and key.endswith("_PATH"):
                keys[key] = str(root)
        keys.setdefault("MNE_DATASETS_EEGBCI_PATH", str(root))
        keys.setdefault("MNE_DATASETS_BNCI_PATH", str(root))
        saved = {k: os.environ.get(k) for k in keys}
        os.environ.update(keys)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def is_online(url: str, timeout: float = 3.0) -> bool:
    """Whether ``url``'s host accepts a TCP connection within ``timeout`` seconds."""
    parsed = urlparse(url)
    host = parsed.hostname
    if not host:
        return False
    try:
        with socket.create_connection((host, parsed.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def missing_message(spec: DatasetSpec, subject: int, missing: Sequence[Path], root: Path,
                    what: str = "") -> str:
    listing = ", ".join(str(p) for p in missing[:3]) + (" ..." if len(missing) > 3 else "")
    return (
        f"{spec.name} subject {subject}{what}: file not found: {listing}. Get it with "
        f"`eegdec download --dataset {spec.name} --subjects {subject} --data-dir {root}`"
        + (f" or from {spec.url}" if spec.url else "") + " (needs internet)."
    )


def corrupt_message(path: Path | str, exc: BaseException) -> str:
    detail = str(exc).splitlines()[0][:80] if str(exc) else ""
    return (
        f"Cannot read {path} ({type(exc).__name__}: {detail}): the file is damaged; delete it "
        "and download it again (or verify it against the dataset's checksums, e.g. "
        "`sha256sum -c SHA256SUMS`), or pass skip_bad_files=True to load the other files."
    )


def make_dataset(spec: DatasetSpec) -> Any:
    """Instantiate the MOABB dataset class named by ``spec.moabb``."""
    import moabb.datasets

    return getattr(moabb.datasets, spec.moabb)(**spec.options)


def _present(path: Path, base: Path) -> bool:
    """``path`` exists, or a file with its last two path parts does under ``base`` (older
    MOABB versions moved some files, e.g. Schirrmeister2017's ``train/1.edf``)."""
    if path.is_file():
        return True
    tail = Path(*path.relative_to(base).parts[-2:])
    return base.is_dir() and any(base.rglob(str(tail)))


def _check_files(spec: DatasetSpec, subject: int, root: Path) -> None:
    """Fail fast, offline, when a file that datasets.yaml lists for ``subject`` is missing."""
    base = root / spec.layout.get("root", "")
    missing = [p for p in spec.subject_files(subject, root) if not _present(p, base)]
    if missing and not is_online(spec.url):
        raise DataNotFoundError(missing_message(spec, subject, missing, root))
    for path in spec.subject_files(subject, root):
        if path.suffix.lower() == ".edf" and path.is_file():
            try:
                check_edf_size(path)
            except ValueError as exc:
                raise CorruptFileError(corrupt_message(path, exc)) from exc


def _physionet_raws(spec: DatasetSpec, subject: int, events: Sequence[str], root: Path,
                    skip_bad_files: bool) -> dict[str, dict[str, mne.io.BaseRaw]]:
    """Read only the PhysionetMI runs that hold ``events``, one run at a time."""
    paths = spec.run_files(subject, events, root)
    runs = list(paths)
    missing = [p for p in paths.values() if not p.is_file()]
    if missing and not is_online(spec.url):
        need = ", ".join(f"R{r:02d}" for r, p in paths.items() if p in missing)
        raise DataNotFoundError(missing_message(
            spec, subject, missing, root, f" needs runs {need} for {', '.join(events)}"))
    hand = set(spec.runs["left_hand"])
    out: dict[str, mne.io.BaseRaw] = {}
    for run, path in paths.items():
        ds = make_dataset(spec)
        ds.hand_runs = [run] if run in hand else []
        ds.feet_runs = [] if run in hand else [run]
        try:
            if path.is_file():
                check_edf_size(path)  # MNE reads a truncated EDF without a word
            data = ds.get_data([subject])
        except Exception as exc:  # MNE raises many kinds on damaged EDFs
            if not path.is_file():
                raise DataNotFoundError(missing_message(spec, subject, [path], root)) from exc
            if not skip_bad_files:
                raise CorruptFileError(corrupt_message(path, exc)) from exc
            log.warning("Skipping %s", corrupt_message(path, exc))
            continue
        (raw,) = data[subject]["0"].values()
        out[f"R{run:02d}"] = raw
    if not out:
        raise CorruptFileError(
            f"{spec.name} subject {subject}: none of the runs {', '.join(map(str, runs))} "
            "could be read; download them again."
        )
    return {"0": out}


def load_subject(
    spec: DatasetSpec, subject: int, *, paradigm: str, events: list[str], pipeline: Preprocessor,
    data_dir: Path, skip_bad_files: bool = False,
) -> EpochsData:
    """Load one subject through MOABB (offline when the files exist) and epoch it."""
    from eegdec.data.epoching import epochs_from_raws

    raws = load_raws(spec, subject, events=events, data_dir=data_dir,
                     skip_bad_files=skip_bad_files)
    return epochs_from_raws(raws, spec, subject, events, pipeline)


def load_raws(spec: DatasetSpec, subject: int, *, events: Sequence[str], data_dir: Path,
              skip_bad_files: bool = False) -> dict[str, dict[str, mne.io.BaseRaw]]:
    """One subject's continuous recordings ``{session: {run: raw}}`` through MOABB, before
    any preprocessing (PhysionetMI: only the runs holding ``events``, named ``R04``...)."""
    import mne

    root = Path(data_dir)
    with mne_data_env(root), mne.utils.use_log_level("WARNING"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
        if spec.runs:
            raws = _physionet_raws(spec, subject, events, root, skip_bad_files)
        else:
            _check_files(spec, subject, root)
            try:
                raws = make_dataset(spec).get_data([subject])[subject]
            except OSError as exc:
                files = spec.subject_files(subject, root)
                if files and all(f.is_file() for f in files):  # present, so damaged
                    raise CorruptFileError(corrupt_message(
                        f"the files of {spec.name} subject {subject} under {root}", exc)) from exc
                raise DataNotFoundError(
                    missing_message(spec, subject, [root / spec.layout.get("root", "")], root)
                ) from exc
            except Exception as exc:
                raise CorruptFileError(corrupt_message(
                    f"the files of {spec.name} subject {subject} under {root}", exc)) from exc
    return raws


def run_annotations(spec: DatasetSpec, subject: int, run: str, data_dir: Path
                    ) -> mne.Annotations | None:
    """The annotations of one PhysionetMI-style run file as recorded (``T0``/``T1``/``T2``
    with their true durations, 4.1-4.2 s; MOABB sets every duration to its trial window), or
    ``None`` for datasets without ``runs``."""
    import mne

    if not spec.runs or "run_file" not in spec.layout or not run.startswith("R"):
        return None
    path = (Path(data_dir) / spec.layout["root"]
            / spec.layout["run_file"].format(subject=subject, run=int(run[1:])))
    if not path.is_file():
        raise DataNotFoundError(missing_message(spec, subject, [path], Path(data_dir)))
    try:
        return mne.read_annotations(path)
    except Exception as exc:  # MNE raises many kinds on damaged EDFs
        raise CorruptFileError(corrupt_message(path, exc)) from exc
