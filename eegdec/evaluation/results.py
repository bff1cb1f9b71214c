"""The run directory: config, per-fold rows appended atomically, artefacts, summary.

Layout (see docs/design.md section 4)::

    RUN_DIR/config.yaml          resolved config + its hash
    RUN_DIR/results.csv          one row per fold, columns COLUMNS
    RUN_DIR/summary.{csv,md}     mean ± sd per dataset × model × protocol (× N for online)
    RUN_DIR/predictions/<fold_id>.npz, curves/<fold_id>.csv, attention/<fold_id>.npz,
    RUN_DIR/checkpoints/<fold_id>.pt, logs/run.log

Every write goes to a temporary file that is flushed, fsynced and renamed over the target, and
``results.csv`` is rewritten that way under an exclusive lock (several worker processes may
finish folds at once). A process killed at any instant therefore leaves either the old or the
new complete file, never a torn row; a fold's artefacts are written before its row, so a row
on disk means the fold is complete.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eegdec.errors import BadInputError, CorruptFileError
from eegdec.evaluation.metrics import METRICS

COLUMNS: tuple[str, ...] = (
    "fold_id", "dataset", "paradigm", "protocol", "model", "subject", "session", "fold",
    "seed", "alignment", "n_calib", "n_train", "n_test", "n_classes", "classes", "chance_level",
    *METRICS,
    "fit_seconds", "predict_seconds", "eegdec_version", "config_hash",
)
GROUP_KEYS = ("dataset", "paradigm", "protocol", "model", "alignment")
SUMMARY_METRICS = ("accuracy", "balanced_accuracy", "kappa")
SEIZURE_SUMMARY = ("sensitivity", "specificity", "false_alarms_per_hour")


def _summary_metrics(rows: pd.DataFrame) -> tuple[str, ...]:
    seizure = "paradigm" in rows and (rows["paradigm"] == "seizure").any()
    return SUMMARY_METRICS + (SEIZURE_SUMMARY if seizure else ())


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


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


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
        _atomic_write(self.root / "config.yaml", text.encode())

    def read_config(self) -> dict[str, Any] | None:
        import yaml

        path = self.root / "config.yaml"
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

    def read_rows(self) -> pd.DataFrame:
        """All rows so far (empty frame with :data:`COLUMNS` if none)."""
        if not self.results_path.exists():
            return pd.DataFrame(columns=list(COLUMNS))
        return pd.read_csv(self.results_path, dtype={"subject": str, "session": str})

    def done(self) -> set[str]:
        """``fold_id`` of every finished fold."""
        return set(self.read_rows()["fold_id"].astype(str))

    def append_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        """Add rows (ignoring fold ids already present) with one atomic file replacement."""
        new = pd.DataFrame(list(rows))
        if new.empty:
            return
        missing = set(COLUMNS) - set(new.columns)
        if missing:
            raise ValueError(f"Result rows lack columns {sorted(missing)}.")
        with self._lock():
            old = self.read_rows()
            new = new[~new["fold_id"].isin(set(old["fold_id"].astype(str)))]
            frames = [f for f in (old, new[list(COLUMNS)]) if not f.empty]
            if not frames:
                return
            table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            buf = io.StringIO()
            table.to_csv(buf, index=False)
            _atomic_write(self.results_path, buf.getvalue().encode())

    # -- artefacts ---------------------------------------------------------------------------
    def save_npz(self, kind: str, fid: str, **arrays: Any) -> Path:
        """Write ``<kind>/<fid>.npz`` atomically (kind: predictions, attention)."""
        buf = io.BytesIO()
        np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
        path = self.root / kind / f"{fid}.npz"
        _atomic_write(path, buf.getvalue())
        return path

    def save_curve(self, fid: str, history: pd.DataFrame) -> Path:
        path = self.root / "curves" / f"{fid}.csv"
        _atomic_write(path, history.to_csv(index=False).encode())
        return path

    def save_checkpoint(self, fid: str, payload: dict[str, Any]) -> Path:
        import torch

        buf = io.BytesIO()
        torch.save(payload, buf)
        path = self.root / "checkpoints" / f"{fid}.pt"
        _atomic_write(path, buf.getvalue())
        return path

    # -- readers -----------------------------------------------------------------------------
    def artefacts(self, kind: str) -> list[tuple[FoldId, Path]]:
        """``(fold id, path)`` of every ``<kind>/<fold_id>.*`` file, sorted by path."""
        ext = {"predictions": "npz", "attention": "npz", "curves": "csv",
               "checkpoints": "pt"}[kind]
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
        path = self.root / "curves" / f"{_fid(fid)}.csv"
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
        table = summarise(self.read_rows())
        _atomic_write(self.root / "summary.csv", table.to_csv(index=False).encode())
        _atomic_write(self.root / "summary.md", summary_markdown(table).encode())
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
    subjects when there are several, else across folds), and the table keeps the classes
    and chance level.
    """
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
    out["n"] = grouped.size().to_numpy()
    out["sd_over"] = unit
    out["n_calib"] = out["n_calib"].where(out["n_calib"] >= 0, pd.NA)
    return out


def summary_markdown(table: pd.DataFrame) -> str:
    """Markdown table: ``mean ± sd`` per metric, with classes and chance level."""
    if table.empty:
        return "No finished folds yet.\n"
    lines = []
    online = table["n_calib"].notna().any()
    metrics = [m for m in SUMMARY_METRICS + SEIZURE_SUMMARY if f"{m}_mean" in table]
    head = ["dataset", "protocol", "model", "alignment", *(["N"] if online else []),
            "classes", "chance", *metrics, "n"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for _, r in table.iterrows():
        cells = [r["dataset"], r["protocol"], r["model"], r["alignment"]]
        if online:
            cells.append("" if pd.isna(r["n_calib"]) else str(int(r["n_calib"])))
        cells += [r["classes"], f"{r['chance_level']:.2f}"]
        for m in metrics:
            sd = r[f"{m}_std"]
            cells.append(f"{r[f'{m}_mean']:.3f} ± {0.0 if pd.isna(sd) else sd:.3f}")
        cells.append(f"{int(r['n'])} {r['sd_over']}s")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
