"""The run directory: config, per-fold rows appended atomically, artefacts, summary.

Layout (see docs/design.md section 4)::

    RUN_DIR/config.yaml          resolved config + its hash
    RUN_DIR/results.csv          one row per fold, columns COLUMNS
    RUN_DIR/summary.{csv,md}     mean ± sd per dataset × model × protocol (× N for online)
    RUN_DIR/predictions/<fold_id>.npz, curves/<fold_id>.csv, attention/<fold_id>.npz,
    RUN_DIR/checkpoints/<fold_id>.pt, logs/run.log
    RUN_DIR/splits/<fold_id>.json   train and test trials of the fold (eegdec.evaluation.audit)
    RUN_DIR/audit.csv            the leakage audit, one row per fold
    RUN_DIR/fingerprint.json     what ran it: one entry per start (eegdec.evaluation.fingerprint)
    RUN_DIR/selection/<fold_id>.csv  inner scores of nested model selection (--select)

Every write goes to a temporary file that is flushed, fsynced and renamed over the target, and
``results.csv`` is rewritten that way under an exclusive lock (several worker processes may
finish folds at once). A process killed at any instant therefore leaves either the old or the
new complete file, never a torn row; a fold's artefacts are written before its row, so a row
on disk means the fold is complete.

``results.csv`` is still checked whenever it is read, against damage from outside (a full
disk, an edit, a copy cut short): a row that does not parse or breaks the schema (see
:func:`parse_row`), or repeats a ``fold_id``, is moved to ``results.rejected.csv`` with its line
number and the reason, a one-line warning (``logging``) and a line in ``logs/run.log`` say so,
and the valid rows are rewritten atomically. The rejected folds are then no longer done, so a
resumed run fits them again.

Columns added since the first release (:data:`OPTIONAL_COLUMNS`: ``filter``,
``target_data_seen``, ``methods`` (the transfer methods a row used,
:mod:`eegdec.evaluation.transfer`), ``selected`` and the pseudo-online metrics) may be missing
from an older ``results.csv``: its rows read with those fields empty, and the file gains the
columns when a row is next appended.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import logging
import math
import os
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eegdec.errors import BadInputError, CorruptFileError
from eegdec.evaluation.metrics import METRICS
from eegdec.evaluation.stream_metrics import STREAM_METRICS
from eegdec.paths import atomic_write

log = logging.getLogger(__name__)
COLUMNS: tuple[str, ...] = (
    "fold_id", "dataset", "paradigm", "protocol", "model", "subject", "session", "fold",
    "seed", "alignment", "filter", "target_data_seen", "methods", "n_calib", "n_train",
    "n_test", "n_classes", "classes", "chance_level",
    *METRICS, *STREAM_METRICS,
    "fit_seconds", "predict_seconds", "eegdec_version", "config_hash", "selected",
)
# The schema of a row beyond its columns: text that must not be empty, integers >= 0 (only
# n_calib may be missing), bounds of the numbers (others: any finite value), and the numbers
# every fold has. A missing number is an empty field.
TEXT_COLUMNS = ("fold_id", "dataset", "paradigm", "protocol", "model", "subject", "session",
                "alignment", "classes", "eegdec_version", "config_hash")
INT_COLUMNS = ("fold", "seed", "n_calib", "n_train", "n_test", "n_classes", "n_decisions")
# Columns added later, absent (empty) in older files; the text ones may be empty.
OPTIONAL_TEXT = ("filter", "target_data_seen", "methods", "selected")  # selected: JSON
OPTIONAL_COLUMNS: tuple[str, ...] = (*OPTIONAL_TEXT, *STREAM_METRICS)
LEGACY_COLUMNS = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)  # the first layout
BOUNDS: dict[str, tuple[float, float]] = {
    **dict.fromkeys(INT_COLUMNS, (0, math.inf)),
    **dict.fromkeys(("chance_level", "accuracy", "balanced_accuracy", "f1_macro", "roc_auc",
                     "sensitivity", "specificity", "event_sensitivity", "trial_accuracy",
                     "epoch_accuracy", "stable_fraction"), (0, 1)),
    "kappa": (-1, 1),
    **dict.fromkeys(("false_alarms_per_hour", "detection_latency_s", "fit_seconds",
                     "predict_seconds", "itr_bits_per_min", "time_to_stable_s",
                     "false_activations_per_min", "latency_p50_ms", "latency_p99_ms"),
                    (0, math.inf)),
}
REQUIRED = ("fold", "seed", "n_train", "n_test", "n_classes", "chance_level", "accuracy",
            "balanced_accuracy", "fit_seconds", "predict_seconds")
REJECTED_COLUMNS = ("rejected_at", "line", "reason", "text")
_MAX_WARNINGS = 10  # rejected lines warned about one by one; the rest in one line
Valid = dict[str, tuple[int, str, dict[str, Any]]]  # fold_id: (line number, line, typed row)
Rejected = list[tuple[int, str, str]]  # (line number, reason, line)
GROUP_KEYS = ("dataset", "paradigm", "protocol", "model", "alignment")
SUMMARY_METRICS = ("accuracy", "balanced_accuracy", "kappa")
SEIZURE_SUMMARY = ("sensitivity", "specificity", "false_alarms_per_hour")
STREAM_SUMMARY = ("trial_accuracy", "epoch_accuracy", "itr_bits_per_min", "time_to_stable_s",
                  "latency_p50_ms", "latency_p99_ms")


def _summary_metrics(rows: pd.DataFrame) -> tuple[str, ...]:
    seizure = "paradigm" in rows and (rows["paradigm"] == "seizure").any()
    stream = "trial_accuracy" in rows and rows["trial_accuracy"].notna().any()
    return (SUMMARY_METRICS + (SEIZURE_SUMMARY if seizure else ())
            + (STREAM_SUMMARY if stream else ()))


def fold_id(model: str, subject: Any, session: Any, fold: Any, seed: int,
            n_calib: int | None = None) -> str:
    """``<model>__<subject>__<session>__<fold>__<seed>`` (plus ``__N<n>`` for online)."""
    parts = [model, subject, session, fold, seed] + ([f"N{n_calib}"] if n_calib is not None
                                                     else [])
    return "__".join(str(p).replace("/", "-").replace(os.sep, "-") for p in parts)


@dataclass(frozen=True)
class FoldId:
    """The parts of a fold id (:func:`fold_id` writes it, :meth:`parse` reads it)."""

    model: str
    subject: str
    session: str
    fold: str
    seed: str
    n_calib: int | None = None

    @classmethod
    def parse(cls, fid: str) -> FoldId:
        parts = str(fid).split("__")
        if len(parts) not in (5, 6) or (len(parts) == 6 and not parts[5][1:].isdigit()):
            raise CorruptFileError(
                f"{fid!r} is not an eegdec fold id (<model>__<subject>__<session>__<fold>__"
                "<seed>[__N<n>]): delete that file or re-run the fold."
            )
        n = int(parts[5][1:]) if len(parts) == 6 else None
        return cls(*parts[:5], n_calib=n)

    @property
    def label(self) -> str:
        """Readable form: ``eegnet, subject 3, session 0, fold 1, seed 1[, N=8]``."""
        text = (f"{self.model}, subject {self.subject}, session {self.session}, "
                f"fold {self.fold}, seed {self.seed}")
        return text + (f", N={self.n_calib}" if self.n_calib is not None else "")


def config_hash(config: dict[str, Any]) -> str:
    """Short stable hash of a JSON-serialisable config (keys sorted)."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:10]


def _number(col: str, text: str) -> float:
    """The value of a numeric field (``nan`` when empty); ValueError names what is wrong."""
    if not text:
        value = math.nan
    else:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{col} {text!r} is not a number") from None
    if math.isnan(value):
        if col in REQUIRED:
            raise ValueError(f"{col} is missing")
        return value
    lo, hi = BOUNDS.get(col, (-math.inf, math.inf))
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{col} {text} is not a finite number in [{lo}, {hi}]")
    if col in INT_COLUMNS:
        if not value.is_integer():
            raise ValueError(f"{col} {text} is not an integer")
        return int(value)
    return value


def parse_row(fields: list[str], digest: str | None = None) -> dict[str, Any]:
    """Typed row from the CSV fields of one line of ``results.csv``.

    Raises ValueError naming the first problem: wrong number of fields, empty text, a number
    that is missing where required, not finite or out of :data:`BOUNDS`, a ``fold_id`` other
    than :func:`fold_id` of the row's model/subject/session/fold/seed/n_calib, or a
    ``config_hash`` other than ``digest`` (when given).
    """
    if len(fields) != len(COLUMNS):
        raise ValueError(f"{len(fields)} fields instead of {len(COLUMNS)} (torn or junk line)")
    row: dict[str, Any] = dict(zip(COLUMNS, fields))
    for col in COLUMNS:
        if col in TEXT_COLUMNS:
            if not row[col].strip():
                raise ValueError(f"{col} is empty")
        elif col not in OPTIONAL_TEXT:
            row[col] = _number(col, row[col])
    n_calib = None if math.isnan(row["n_calib"]) else row["n_calib"]
    expected = fold_id(row["model"], row["subject"], row["session"], row["fold"], row["seed"],
                       n_calib)
    if row["fold_id"] != expected:
        raise ValueError(f"fold_id {row['fold_id']!r} does not match its model, subject, "
                         f"session, fold and seed ({expected!r})")
    if digest is not None and row["config_hash"] != digest:
        raise ValueError(f"config_hash {row['config_hash']!r} is not this run's ({digest})")
    return row


def _fields(line: str) -> list[str]:
    try:
        return next(csv.reader([line]), [])
    except csv.Error as exc:
        raise ValueError(f"not CSV ({exc})") from None


def _line(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue().removesuffix("\n")


def scan_results(text: str, digest: str | None = None) -> tuple[Valid, Rejected]:
    """Split the text of ``results.csv`` into valid and rejected lines.

    Returns ``{fold_id: (line number, line, typed row)}`` for the valid rows, in file order,
    and ``[(line number, reason, line)]`` for the others (lines count from 1, the header).
    Empty lines are skipped; a repeated ``fold_id`` keeps its first valid row; when the header
    is not :data:`COLUMNS` less some :data:`OPTIONAL_COLUMNS` (an older file, e.g.
    :data:`LEGACY_COLUMNS`) no line can be read, and all are rejected. Lines under an older
    header are returned in the current layout (the missing columns empty).
    """
    if not text.strip():
        return {}, []
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    valid: Valid = {}
    rejected: Rejected = []
    try:
        header = _fields(lines[0])
    except ValueError:
        header = []
    header_ok = _known_header(header)
    legacy = header_ok and header != list(COLUMNS)
    if not header_ok:
        rejected.append((1, "damaged header (not the columns of eegdec.evaluation.results."
                            "COLUMNS)", lines[0]))
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        if not header_ok:
            rejected.append((number, "unreadable: the header (line 1) is damaged", line))
            continue
        try:
            fields = _fields(line)
            if legacy and len(fields) == len(header):
                fields = [dict(zip(header, fields)).get(c, "") for c in COLUMNS]
            row = parse_row(fields, digest)
        except ValueError as exc:
            rejected.append((number, str(exc), line))
            continue
        first = valid.get(row["fold_id"])
        if first is not None:
            rejected.append((number, f"duplicate of line {first[0]} (fold_id "
                                     f"{row['fold_id']})", line))
        else:
            valid[row["fold_id"]] = (number, _line(fields) if legacy else line, row)
    return valid, rejected


def _known_header(header: list[str]) -> bool:
    """:data:`COLUMNS`, or an older layout: the same order without some optional columns."""
    if len(set(header)) != len(header) or set(COLUMNS) - set(header) - set(OPTIONAL_COLUMNS):
        return False
    return header == [c for c in COLUMNS if c in header]


def _line(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue().removesuffix("\n")



class RunStore:
    """Read and write one run directory (safe across processes)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    # -- config ------------------------------------------------------------------------------
    def write_config(self, config: dict[str, Any], digest: str) -> None:
        """Write ``config.yaml``; refuse a directory holding a different config."""
        import yaml

        old = self.read_config()
        if old is not None and old.get("config_hash") != digest:
            raise BadInputError(
                f"{self.root} holds results of another config (hash {old.get('config_hash')} "
                f"!= {digest}): pass a new --out, or --resume {self.root} alone to continue it."
            )
        for sub in ("predictions", "curves", "logs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump({"config_hash": digest, **config}, sort_keys=False)
        atomic_write(self.root / "config.yaml", text.encode())

    @property
    def config_path(self) -> Path:
        return self.root / "config.yaml"

    def is_run_dir(self) -> bool:
        """Whether the folder holds a run (a config or results)."""
        return self.root.is_dir() and (self.config_path.exists() or self.results_path.exists())

    def read_config(self) -> dict[str, Any] | None:
        import yaml

        path = self.config_path
        if not path.exists():
            return None
        try:
            return yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise CorruptFileError(
                f"Cannot parse {path}: fix or delete it, or start a fresh run with --out."
            ) from exc

    # -- rows --------------------------------------------------------------------------------
    @property
    def results_path(self) -> Path:
        return self.root / "results.csv"

    @contextmanager
    def _lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @property
    def rejected_path(self) -> Path:
        return self.root / "results.rejected.csv"

    def _digest(self) -> str | None:
        config = self.read_config() or {}
        return None if config.get("config_hash") is None else str(config["config_hash"])

    def _scan(self, digest: str | None) -> tuple[Valid, Rejected]:
        if not self.results_path.exists():
            return {}, []
        return scan_results(self.results_path.read_bytes().decode(errors="replace"), digest)

    def _write_lines(self, lines: Iterable[str]) -> None:
        text = "".join(f"{line}\n" for line in (",".join(COLUMNS), *lines))
        atomic_write(self.results_path, text.encode())

    def _checked(self, digest: str | None) -> Valid:
        """The valid rows, after moving the rejected lines aside (hold the lock)."""
        valid, rejected = self._scan(digest)
        if not rejected:
            return valid
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        old = self.rejected_path.read_bytes() if self.rejected_path.exists() else b""
        if not old:
            writer.writerow(REJECTED_COLUMNS)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        writer.writerows((stamp, number, reason, line) for number, reason, line in rejected)
        atomic_write(self.rejected_path, old + buf.getvalue().encode())
        self._write_lines(line for _, line, _ in valid.values())
        where = f"moved to {self.rejected_path}"
        messages = [f"{self.results_path} line {number}: {reason}; {where}"
                    for number, reason, _ in rejected[:_MAX_WARNINGS]]
        if len(rejected) > _MAX_WARNINGS:
            messages.append(f"{self.results_path}: {len(rejected) - _MAX_WARNINGS} more "
                            f"rejected line(s) {where}")
        for message in messages:
            log.warning(message)
            self.log(f"rejected {message}")
        return valid

    def read_rows(self) -> pd.DataFrame:
        """All valid rows so far (empty frame with :data:`COLUMNS` if none).

        Invalid lines are moved aside first (see the module docstring).
        """
        digest = self._digest()
        valid, rejected = self._scan(digest)
        if rejected:
            with self._lock():  # another process may be repairing or appending: scan again
                valid = self._checked(digest)
        return pd.DataFrame([row for _, _, row in valid.values()], columns=list(COLUMNS))

    def done(self) -> set[str]:
        """``fold_id`` of every finished fold (valid row)."""
        return set(self.read_rows()["fold_id"].astype(str))

    def append_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        """Add rows (ignoring fold ids already present) with one atomic file replacement.

        Lines already in the file are kept byte for byte (the invalid ones are moved aside);
        a new row that breaks the schema raises ValueError and nothing is written.
        """
        new = pd.DataFrame(list(rows))
        if new.empty:
            return
        missing = set(COLUMNS) - set(new.columns)
        if missing:
            raise ValueError(f"Result rows lack columns {sorted(missing)}.")
        with self._lock():
            digest = self._digest()
            valid = self._checked(digest)
            new = new.drop_duplicates("fold_id")
            new = new[~new["fold_id"].astype(str).isin(set(valid))]
            if new.empty:
                return
            text = new[list(COLUMNS)].to_csv(index=False, header=False, lineterminator="\n")
            added = text.removesuffix("\n").split("\n")
            for line in added:
                try:
                    parse_row(_fields(line), digest)
                except ValueError as exc:
                    raise ValueError(f"Result row {line.split(',')[0]!r} breaks the schema: "
                                     f"{exc}.") from None
            self._write_lines([*(line for _, line, _ in valid.values()), *added])

    # -- artefacts ---------------------------------------------------------------------------
    def save_npz(self, kind: str, fid: str, **arrays: Any) -> Path:
        """Write ``<kind>/<fid>.npz`` atomically (kind: predictions, attention)."""
        buf = io.BytesIO()
        np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
        path = self.root / kind / f"{fid}.npz"
        atomic_write(path, buf.getvalue())
        return path

    def save_curve(self, fid: str, history: pd.DataFrame) -> Path:
        path = self.root / "curves" / f"{fid}.csv"
        atomic_write(path, history.to_csv(index=False).encode())
        return path

    def save_timecourse(self, fid: str, curve: pd.DataFrame) -> Path:
        """``timecourse/<fid>.csv``: pseudo-online accuracy per bin of time since cue onset."""
        path = self.root / "timecourse" / f"{fid}.csv"
        atomic_write(path, curve.to_csv(index=False).encode())
        return path

    def save_selection(self, fid: str, table: pd.DataFrame) -> Path:
        """``selection/<fid>.csv``: the inner scores behind the fold's ``selected`` params."""
        path = self.root / "selection" / f"{fid}.csv"
        atomic_write(path, table.to_csv(index=False).encode())
        return path

    def read_selection(self, fid: str | FoldId) -> pd.DataFrame:
        return self._read_fold_csv("selection", fid)

    def read_timecourse(self, fid: str | FoldId) -> pd.DataFrame:
        return self._read_fold_csv("timecourse", fid)

    def save_checkpoint(self, fid: str, payload: dict[str, Any]) -> Path:
        import torch

        buf = io.BytesIO()
        torch.save(payload, buf)
        path = self.root / "checkpoints" / f"{fid}.pt"
        atomic_write(path, buf.getvalue())
        return path

    def save_split(self, fid: str, record: dict[str, Any]) -> Path:
        """``splits/<fid>.json``: the fold's train and test trials (see
        :func:`eegdec.evaluation.audit.split_record`)."""
        path = self.root / "splits" / f"{fid}.json"
        atomic_write(path, json.dumps(record, default=str).encode())
        return path

    def read_split(self, fid: str | FoldId) -> dict[str, Any] | None:
        """The fold's split record (``None`` for a fold run before splits were recorded)."""
        path = self.root / "splits" / f"{_fid(fid)}.json"
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CorruptFileError(f"Cannot read {path}: delete it and re-run that fold.") \
                from exc

    @property
    def audit_path(self) -> Path:
        return self.root / "audit.csv"

    def write_audit(self, table: pd.DataFrame) -> Path:
        """``audit.csv`` (see :func:`eegdec.evaluation.audit.audit_run`)."""
        atomic_write(self.audit_path, table.to_csv(index=False).encode())
        return self.audit_path

    @property
    def fingerprint_path(self) -> Path:
        return self.root / "fingerprint.json"

    def read_fingerprints(self) -> list[dict[str, Any]]:
        """One fingerprint per start of the run, oldest first (empty for older runs)."""
        path = self.fingerprint_path
        if not path.exists():
            return []
        try:
            return list(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise CorruptFileError(f"Cannot read {path}: delete it (it is rewritten when the "
                                   "run is resumed).") from exc

    def add_fingerprint(self, fp: dict[str, Any]) -> None:
        """Append this start's fingerprint to ``fingerprint.json`` (a resumed run may have
        run on several machines or versions: each start is kept)."""
        with self._lock():
            fps = self.read_fingerprints() + [{"started": time.strftime("%Y-%m-%d %H:%M:%S"),
                                                **fp}]
            atomic_write(self.fingerprint_path, json.dumps(fps, indent=1).encode())

    # -- readers -----------------------------------------------------------------------------
    def artefacts(self, kind: str) -> list[tuple[FoldId, Path]]:
        """``(fold id, path)`` of every ``<kind>/<fold_id>.*`` file, sorted by path."""
        ext = {"predictions": "npz", "attention": "npz", "curves": "csv",
               "checkpoints": "pt", "decisions": "npz", "timecourse": "csv",
               "splits": "json", "selection": "csv"}[kind]
        folder = self.root / kind
        paths = sorted(folder.glob(f"*.{ext}")) if folder.is_dir() else []
        return [(FoldId.parse(p.stem), p) for p in paths]

    def has(self, kind: str, fid: str | FoldId) -> bool:
        """Whether ``<kind>/<fold_id>.npz`` exists."""
        return (self.root / kind / f"{_fid(fid)}.npz").is_file()

    def read_npz(self, kind: str, fid: str | FoldId) -> dict[str, np.ndarray]:
        """Arrays of ``<kind>/<fold_id>.npz`` (predictions, attention)."""
        return read_npz(self.root / kind / f"{_fid(fid)}.npz")

    def read_curve(self, fid: str | FoldId) -> pd.DataFrame:
        return self._read_fold_csv("curves", fid)

    def _read_fold_csv(self, kind: str, fid: str | FoldId) -> pd.DataFrame:
        path = self.root / kind / f"{_fid(fid)}.csv"
        try:
            return pd.read_csv(path)
        except (OSError, ValueError) as exc:
            raise CorruptFileError(f"Cannot read {path}: delete it and re-run that fold.") \
                from exc

    def log(self, line: str) -> None:
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        with open(self.root / "logs" / "run.log", "a") as fh:
            fh.write(line.rstrip("\n") + "\n")

    # -- summary -----------------------------------------------------------------------------
    def write_summary(self) -> pd.DataFrame:
        """Write ``summary.csv`` and ``summary.md`` from the rows; return the summary."""
        from eegdec.evaluation.fingerprint import fingerprint_line

        table = summarise(self.read_rows())
        fps = self.read_fingerprints()
        ran = "".join(f"\nRan with: {fingerprint_line(fp)}\n" for fp in fps[-1:])
        atomic_write(self.root / "summary.csv", table.to_csv(index=False).encode())
        atomic_write(self.root / "summary.md", (summary_markdown(table) + ran).encode())
        return table


def _fid(fid: str | FoldId) -> str:
    if isinstance(fid, str):
        return fid
    return fold_id(fid.model, fid.subject, fid.session, fid.fold, fid.seed, fid.n_calib)


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an artefact file (no pickles); a damaged file is a one-line error."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise CorruptFileError(f"Cannot read {path}: delete it and re-run that fold.") from exc


def run_dir_of(checkpoint: str | os.PathLike) -> RunStore:
    """The run directory holding ``RUN_DIR/checkpoints/<fold_id>.pt``."""
    return RunStore(Path(checkpoint).resolve().parent.parent)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd of the main metrics per dataset × model × protocol (× N for online).

    Rows are first averaged over folds and seeds within each subject (so ``sd`` is across
    subjects when there are several, else across folds), and the table keeps the classes,
    chance level, filter and the target data the folds saw (``target_data_seen``, merged
    over folds by :func:`~eegdec.evaluation.audit.merge_seen`).
    """
    from eegdec.evaluation.audit import merge_seen

    if rows.empty:
        return pd.DataFrame()
    rows = rows.copy()
    rows["n_calib"] = rows["n_calib"].fillna(-1).astype(int)
    keys = [*GROUP_KEYS, "classes", "n_calib"]
    metrics = list(_summary_metrics(rows))
    by_subject = rows.groupby([*keys, "subject"], dropna=False, sort=False)
    per_subject = by_subject[[*metrics, "chance_level"]].mean().reset_index()
    unit = "subject" if per_subject["subject"].nunique() > 1 else "fold"
    src = per_subject if unit == "subject" else rows
    grouped = src.groupby(keys, dropna=False, sort=False)
    out = grouped[metrics].agg(["mean", "std"])
    out.columns = [f"{m}_{s}" for m, s in out.columns]
    out = out.reset_index()
    out["chance_level"] = grouped["chance_level"].mean().to_numpy()
    # One run has one filter; rows written before the column existed leave it unknown.
    for text in ("filter", "methods"):
        out[text] = (rows.groupby(keys, dropna=False, sort=False)[text]
                     .agg(lambda s: next((f for f in s if isinstance(f, str) and f), None))
                     .to_numpy())
    out["target_data_seen"] = (rows.groupby(keys, dropna=False, sort=False)["target_data_seen"]
                               .agg(merge_seen).to_numpy())
    out["n"] = grouped.size().to_numpy()
    out["sd_over"] = unit
    out["n_calib"] = out["n_calib"].where(out["n_calib"] >= 0, pd.NA)
    return out


def summary_markdown(table: pd.DataFrame) -> str:
    """Markdown table: ``mean ± sd`` per metric, with classes and chance level; the filter of
    the continuous signal in a line above it (a column when the rows used several)."""
    if table.empty:
        return "No finished folds yet.\n"
    lines = []
    online = table["n_calib"].notna().any()
    metrics = [m for m in SUMMARY_METRICS + SEIZURE_SUMMARY + STREAM_SUMMARY
               if f"{m}_mean" in table]
    filters = _filters(table)
    if len(filters) == 1:
        lines += [f"Filter: {filters[0]}", ""]
    for model, methods in _methods(table):
        lines += [f"Transfer methods ({model}): {methods}", ""]
    several = len(filters) > 1
    seen = "target_data_seen" in table and table["target_data_seen"].astype(bool).any()
    head = ["dataset", "protocol", "model", "alignment", *(["filter"] if several else []),
            *(["N"] if online else []), *(["target data seen"] if seen else []), "classes",
            "chance", *metrics, "n"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for _, r in table.iterrows():
        cells = [r["dataset"], r["protocol"], r["model"], r["alignment"]]
        if several:
            cells.append(r["filter"])
        if online:
            cells.append("" if pd.isna(r["n_calib"]) else str(int(r["n_calib"])))
        if seen:
            cells.append(r["target_data_seen"])
        cells += [r["classes"], f"{r['chance_level']:.2f}"]
        cells += [_mean_sd(r, m) for m in metrics]
        cells.append(f"{int(r['n'])} {r['sd_over']}s")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def summary_console(table: pd.DataFrame, width: int = 100) -> str:
    """The summary for a terminal: one header line per dataset/protocol/classes, then a row per
    model (accuracy and kappa as ``mean ± sd``), no line wider than ``width``."""
    if table.empty:
        return "No finished folds yet.\n"
    online = table["n_calib"].notna().any()
    lines = []
    for (dataset, protocol, classes), group in table.groupby(
            ["dataset", "protocol", "classes"], sort=False):
        chance = group["chance_level"].mean()
        head = f"{dataset}, {protocol}: {classes} (chance {chance:.2f})"
        for text in (head, *(f"  filter: {f}" for f in _filters(group))):
            lines.append(text if len(text) <= width else text[: width - 3] + "...")
        cells = [["model", "alignment", *(["N"] if online else []), "accuracy", "kappa", "n"]]
        for _, r in group.iterrows():
            cells.append([
                str(r["model"]), str(r["alignment"]),
                *([("" if pd.isna(r["n_calib"]) else str(int(r["n_calib"])))] if online else []),
                _mean_sd(r, "accuracy"), _mean_sd(r, "kappa"),
                f"{int(r['n'])} {r['sd_over']}s"])
        widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
        widths[0] = min(widths[0], max(width - sum(widths[1:]) - 2 * len(widths), 12))
        for row in cells:
            row[0] = row[0] if len(row[0]) <= widths[0] else row[0][: widths[0] - 1] + "~"
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines) + "\n"


def _filters(table: pd.DataFrame) -> list[str]:
    """The distinct non-empty filters of a summary (none for rows written before the column)."""
    return list(dict.fromkeys(f for f in table.get("filter", []) if isinstance(f, str) and f))


def _methods(table: pd.DataFrame) -> list[tuple[str, str]]:
    """``(model, methods)`` of the rows that used transfer methods (column ``methods``)."""
    pairs = zip(table["model"], table.get("methods", [None] * len(table)))
    return list(dict.fromkeys((m, t) for m, t in pairs if isinstance(t, str) and t))


def _mean_sd(row: pd.Series, metric: str) -> str:
    sd = row[f"{metric}_std"]
    return f"{row[f'{metric}_mean']:.3f} ± {0.0 if pd.isna(sd) else sd:.3f}"
