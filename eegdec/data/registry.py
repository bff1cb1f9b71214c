"""Dataset registry: what ``datasets.yaml`` says about each dataset.

Light to import (no MNE/MOABB): ``eegdec datasets`` lists and checks presence by file layout.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eegdec.data.loaders import LOADERS
from eegdec.errors import BadInputError, UnknownNameError, suggest
from eegdec.paths import data_dir as _data_dir
from eegdec.paths import resource


@dataclass(frozen=True)
class DatasetSpec:
    """One ``datasets.yaml`` entry.

    ``window`` is the trial window in seconds relative to the event marker (MOABB's
    ``interval``); ``classes`` maps class names to the dataset's event codes.
    """

    name: str
    loader: str
    paradigms: tuple[str, ...]
    classes: dict[str, int]
    window: tuple[float, float]
    sfreq: float
    n_channels: int
    subjects: tuple[int, ...]
    sessions: tuple[str, ...]
    channels: tuple[str, ...] = ()
    moabb: str | None = None
    montage: str | None = "standard_1005"
    aliases: tuple[str, ...] = ()
    citation: str = ""
    doi: str = ""
    url: str = ""
    download_size: str = ""
    layout: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, list[int]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def trial_length(self) -> float:
        """Length of the trial window in seconds."""
        return self.window[1] - self.window[0]

    def subject_files(self, subject: int, root: str | os.PathLike | None = None) -> list[Path]:
        """Files expected on disk for ``subject`` (from ``layout.files``) under the data dir;
        a glob pattern stands for the files it matches (itself when it matches none)."""
        base = _data_dir(root) / self.layout.get("root", "")
        out = []
        for pattern in (p.format(subject=subject) for p in self.layout.get("files", [])):
            found = sorted(base.glob(pattern)) if any(c in pattern for c in "*?[") else []
            out += found or [base / pattern]
        return out

    @property
    def built_in(self) -> bool:
        """Generated in memory (``loader: simulated``): no files, no data directory."""
        return self.loader == "simulated"

    def run_files(self, subject: int, events: Sequence[str],
                  root: str | os.PathLike | None = None) -> dict[int, Path]:
        """Run number -> file, for the runs holding ``events`` (entries with ``runs:``)."""
        base = _data_dir(root) / self.layout["root"]
        runs = sorted({r for c in events for r in self.runs[c]})
        return {r: base / self.layout["run_file"].format(subject=subject, run=r) for r in runs}

    def source_files(self, subject: int, events: Sequence[str],
                     root: str | os.PathLike | None = None) -> list[Path]:
        """Every file whose content determines ``subject``'s epochs for ``events``.

        PhysionetMI-style entries (``runs:``): the runs holding ``events``. MOABB entries with
        ``layout.files``: those files (what MOABB reads per subject). Otherwise (seizure sets,
        whose ``files`` are presence markers, or no file list): every file under the dataset
        folder, or under the data directory when that is the dataset folder itself.
        Built-in datasets: none.
        """
        if self.built_in:
            return []
        if self.runs and "run_file" in self.layout:
            return list(self.run_files(subject, events, root).values())
        if self.loader == "moabb" and self.layout.get("files"):
            return self.subject_files(subject, root)
        base = _data_dir(root) / self.layout.get("root", "")
        folder = base if base.is_dir() else _data_dir(root)
        return sorted(p for p in folder.rglob("*") if p.is_file())

    def presence(self, root: str | os.PathLike | None = None) -> str:
        """``built-in``, ``yes``, ``partial (k/n subjects)`` or ``no``, from the file layout."""
        if self.built_in:
            return "built-in"
        if not self.layout.get("root"):
            return "unknown"
        base = _data_dir(root) / self.layout["root"]
        if not base.is_dir():
            return "no"
        if not self.layout.get("files"):
            return "yes" if any(base.iterdir()) else "no"
        n_ok = sum(all(f.is_file() for f in self.subject_files(s, root)) for s in self.subjects)
        if n_ok == len(self.subjects):
            return "yes"
        n_any = sum(any(f.is_file() for f in self.subject_files(s, root)) for s in self.subjects)
        return f"partial ({n_any}/{len(self.subjects)} subjects)" if n_any else "no"


def normalise(name: str) -> str:
    """Lower-case key with ``_``, ``-`` and spaces removed (``BNCI2014_001`` == ``bnci2014001``)."""
    return re.sub(r"[\s_\-]", "", name).lower()


# Keys of a datasets.yaml entry and the type each one takes; REQUIRED have no default.
KEYS: dict[str, Any] = {
    "loader": str, "moabb": str | None, "paradigms": list[str], "classes": dict[str, int],
    "window": list[float], "sfreq": float, "n_channels": int, "subjects": int | list[int],
    "sessions": list[str | int], "channels": list[str], "montage": str | None,
    "aliases": list[str], "citation": str, "doi": str, "url": str,
    "download_size": str | float, "layout": dict[str, Any], "runs": dict[str, list[int]],
    "options": dict, "description": str,
}
REQUIRED = ("classes", "window", "sfreq", "n_channels", "subjects")
LAYOUT_KEYS: dict[str, Any] = {"root": str, "files": list[str], "run_file": str}


def _subjects(value: int | list[int]) -> tuple[int, ...]:
    return tuple(range(1, value + 1)) if isinstance(value, int) else tuple(value)


def _entry_problem(entry: Any) -> str | None:
    """What is wrong with a ``datasets.yaml`` entry (``None``: nothing)."""
    from eegdec.data.paradigms import check_paradigm
    from eegdec.validate import describe, matches

    if not isinstance(entry, dict):
        return f"the entry must be a mapping of keys ({', '.join(REQUIRED)}...), got {entry!r}"
    unknown = [k for k in entry if k not in KEYS]
    if unknown:
        return f"unknown key {unknown[0]!r}.{suggest(str(unknown[0]), list(KEYS))}"
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        return f"missing key {missing[0]!r}"
    for key, value in entry.items():
        if not matches(value, KEYS[key]):
            return f"{key!r} must be {describe(KEYS[key])}, got {value!r}"
    layout = entry.get("layout", {})
    for key, value in layout.items():
        if key not in LAYOUT_KEYS or not matches(value, LAYOUT_KEYS[key]):
            return (f"layout key {key!r} must be one of {', '.join(LAYOUT_KEYS)} "
                    f"({', '.join(describe(t) for t in LAYOUT_KEYS.values())}), got {value!r}")
    loader = entry.get("loader", "moabb")
    window, subjects = entry["window"], entry["subjects"]
    checks = [
        (loader in LOADERS, f"loader {loader!r} is not one of {', '.join(LOADERS)}"),
        (loader != "moabb" or entry.get("moabb"), "loader moabb needs a 'moabb' class name"),
        (bool(entry["classes"]), "'classes' is empty"),
        (len(window) == 2 and window[0] < window[1],
         f"'window' must be [start, end] with start < end, got {window}"),
        (entry["sfreq"] > 0, f"'sfreq' must be positive, got {entry['sfreq']}"),
        (entry["n_channels"] > 0, f"'n_channels' must be positive, got {entry['n_channels']}"),
        (subjects > 0 if isinstance(subjects, int) else
         bool(subjects) and min(subjects) > 0 and len(set(subjects)) == len(subjects),
         f"'subjects' must be a count or a list of distinct positive numbers, got {subjects}"),
        (entry.get("sessions", ["0"]) != [], "'sessions' is empty"),
        (len(entry.get("channels", ())) in (0, entry["n_channels"]),
         f"'channels' lists {len(entry.get('channels', ()))} names, n_channels says "
         f"{entry['n_channels']}"),
    ]
    problem = next((msg for ok, msg in checks if not ok), None)
    if problem is None:
        for paradigm in entry.get("paradigms", ["MI"]):
            check_paradigm(paradigm)
    return problem


def _spec(name: str, entry: dict[str, Any], source: str = "datasets.yaml") -> DatasetSpec:
    try:
        problem = _entry_problem(entry)
    except UnknownNameError as exc:
        problem = str(exc)
    if problem:
        raise BadInputError(f"{source}: {name}: {problem.rstrip('.')}; fix the entry.")
    return DatasetSpec(
        name=name,
        loader=entry.get("loader", "moabb"),
        paradigms=tuple(entry.get("paradigms", ["MI"])),
        classes=dict(entry["classes"]),
        window=tuple(float(w) for w in entry["window"]),
        sfreq=float(entry["sfreq"]),
        n_channels=int(entry["n_channels"]),
        subjects=_subjects(entry["subjects"]),
        sessions=tuple(str(s) for s in entry.get("sessions", ["0"])),
        channels=tuple(entry.get("channels", ())),
        moabb=entry.get("moabb"),
        montage=entry.get("montage", "standard_1005"),
        aliases=tuple(entry.get("aliases", ())),
        citation=entry.get("citation", ""),
        doi=entry.get("doi", ""),
        url=entry.get("url", ""),
        download_size=str(entry.get("download_size", "")),
        layout=dict(entry.get("layout", {})),
        runs={k: list(v) for k, v in entry.get("runs", {}).items()},
        options=dict(entry.get("options", {})),
        description=entry.get("description", ""),
    )


@functools.lru_cache(maxsize=4)
def _load_registry(path: str) -> dict[str, DatasetSpec]:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise BadInputError(f"{path}{line}: not valid YAML ({problem}): fix the file.") from exc
    datasets = raw.get("datasets") if isinstance(raw, dict) else None
    if not isinstance(datasets, dict):
        raise BadInputError(f"{path}: no 'datasets' mapping of name: entry; fix the file.")
    return {str(name): _spec(str(name), entry, path) for name, entry in datasets.items()}


def _registry() -> dict[str, DatasetSpec]:
    return _load_registry(str(resource("datasets.yaml")))


def list_datasets(loader: str | None = None) -> list[str]:
    """Registered dataset names, in file order (optionally of one ``loader`` kind)."""
    return [n for n, s in _registry().items() if loader is None or s.loader == loader]


def get_dataset_spec(name: str) -> DatasetSpec:
    """Spec of ``name`` (case-, ``_``- and ``-``-insensitive; aliases accepted)."""
    if isinstance(name, DatasetSpec):
        return name
    reg = _registry()
    key = normalise(str(name))
    for spec in reg.values():
        if key == normalise(spec.name) or key in {normalise(a) for a in spec.aliases}:
            return spec
    names = list(reg)
    raise UnknownNameError(
        f"Unknown dataset {name!r}.{suggest(str(name), names)} "
        "Run `eegdec datasets` for the full list."
    )


def check_subjects(spec: DatasetSpec, subjects: Sequence[int] | int | None) -> list[int]:
    """``subjects`` as a list of ints, each checked against the entry (``None``: all)."""
    if subjects is None:
        return list(spec.subjects)
    if isinstance(subjects, int):
        subjects = [subjects]
    subjects = [int(s) for s in subjects]
    if not subjects:
        raise BadInputError(
            f"The subject list is empty: pass subjects from {spec.name}'s "
            f"{spec.subjects[0]}..{spec.subjects[-1]}, or None for all."
        )
    bad = [s for s in subjects if s not in spec.subjects]
    if bad:
        raise BadInputError(
            f"{spec.name} has no subject {bad[0]}: valid subjects are "
            f"{spec.subjects[0]}..{spec.subjects[-1]}."
        )
    return subjects
