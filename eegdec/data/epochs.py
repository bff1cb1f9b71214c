"""The one epochs container that flows from loaders to models, evaluation and reports."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from eegdec.errors import BadInputError, CorruptFileError

if TYPE_CHECKING:
    import mne

META_COLUMNS = ("subject", "session", "run", "trial", "onset")


class Preprocessor(Protocol):
    """What a loader needs of a preprocessing pipeline (one is passed to every loader).

    :class:`eegdec.preprocessing.pipeline.Pipeline` is the implementation; loaders depend on
    this interface only, so the data layer never imports the preprocessing layer.
    """

    steps: list[Any]

    def apply_raw(self, raw: mne.io.BaseRaw) -> mne.io.BaseRaw: ...

    def apply_epochs(self, epochs: EpochsData) -> EpochsData: ...

    def epoch_window(self, trial_window: tuple[float, float]) -> tuple[float, float]: ...

    def config(self) -> dict[str, Any]: ...


@dataclass
class EpochsData:
    """Epoched EEG ready for decoding.

    Attributes
    ----------
    X : float32 array (n_trials, n_chans, n_times)
    y : int64 array (n_trials,), indices into ``classes``
    classes : class names; ``classes[y[i]]`` is trial i's label
    metadata : one row per trial with at least ``subject, session, run, trial, onset``
        (``trial`` is the index in recording order within subject and session; ``onset`` in s)
    ch_names, sfreq, montage : channel names, sampling rate (Hz), MNE montage name
    dataset : registry name of the source dataset
    """

    X: np.ndarray
    y: np.ndarray
    classes: list[str]
    metadata: pd.DataFrame
    ch_names: list[str]
    sfreq: float
    montage: str | None = "standard_1005"
    dataset: str = ""
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.X = np.ascontiguousarray(self.X, dtype=np.float32)
        self.y = np.asarray(self.y, dtype=np.int64)
        self.metadata = self.metadata.reset_index(drop=True)
        if self.X.ndim != 3:
            raise BadInputError(
                f"X must be (n_trials, n_chans, n_times), got shape {self.X.shape}."
            )
        n, c, _ = self.X.shape
        if len(self.y) != n or len(self.metadata) != n:
            raise BadInputError(
                f"X has {n} trials but y has {len(self.y)} and metadata {len(self.metadata)}."
            )
        if len(self.ch_names) != c:
            raise BadInputError(f"X has {c} channels but ch_names lists {len(self.ch_names)}.")

    # -- views -------------------------------------------------------------------------------
    @property
    def n_trials(self) -> int:
        return self.X.shape[0]

    @property
    def n_chans(self) -> int:
        return self.X.shape[1]

    @property
    def n_times(self) -> int:
        return self.X.shape[2]

    @property
    def labels(self) -> np.ndarray:
        """Class names per trial."""
        return np.asarray(self.classes, dtype=object)[self.y]

    def subset(self, index: np.ndarray | list[int] | pd.Series) -> EpochsData:
        """Trials selected by a boolean mask or an integer index, in the given order."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return EpochsData(
            self.X[idx], self.y[idx], list(self.classes), self.metadata.iloc[idx],
            list(self.ch_names), self.sfreq, self.montage, self.dataset, dict(self.info),
        )

    def subjects(self) -> list:
        return pd.unique(self.metadata["subject"]).tolist()

    def domains(self) -> np.ndarray:
        """Each trial's recording domain, ``"<subject>/<session>"`` (alignment references)."""
        return (self.metadata["subject"].astype(str) + "/"
                + self.metadata["session"].astype(str)).to_numpy()

    @staticmethod
    def concat(parts: list[EpochsData]) -> EpochsData:
        """Stack trials of several containers with identical channels, rate and classes."""
        if not parts:
            raise BadInputError("Nothing to concatenate: the list of epochs is empty.")
        first = parts[0]
        for p in parts[1:]:
            if p.ch_names != first.ch_names:
                raise BadInputError("Cannot concatenate epochs with different channels.")
            if p.sfreq != first.sfreq:
                raise BadInputError(
                    f"Cannot concatenate epochs at {first.sfreq} Hz and {p.sfreq} Hz: "
                    "add a resample step to the pipeline."
                )
            if p.classes != first.classes:
                raise BadInputError(f"Class lists differ: {first.classes} vs {p.classes}.")
        return EpochsData(
            np.concatenate([p.X for p in parts]), np.concatenate([p.y for p in parts]),
            list(first.classes), pd.concat([p.metadata for p in parts], ignore_index=True),
            list(first.ch_names), first.sfreq, first.montage, first.dataset, dict(first.info),
        )

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write to one ``.npz`` file atomically, safe under concurrent writers.

        Each writer fills its own temporary file (pid + random suffix) beside ``path`` and
        renames it over ``path``: a reader sees the old file or a whole new one, never a part,
        and when two processes write the same file the last rename wins.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {
            "classes": list(self.classes), "ch_names": list(self.ch_names),
            "sfreq": float(self.sfreq), "montage": self.montage, "dataset": self.dataset,
            "info": self.info, "metadata": self.metadata.to_json(orient="split"),
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, X=self.X, y=self.y, header=np.frombuffer(
                    json.dumps(header).encode(), dtype=np.uint8))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | Path) -> EpochsData:
        """Read a file written by :meth:`save`; raise :class:`CorruptFileError` if damaged."""
        from io import StringIO

        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(bytes(z["header"]).decode())
                X, y = z["X"], z["y"]
            meta = pd.read_json(StringIO(header["metadata"]), orient="split", dtype=False)
        except Exception as exc:  # zipfile/json/ValueError all mean the same for the user
            raise CorruptFileError(
                f"Cannot read epochs file {path} ({type(exc).__name__}): delete it and "
                "rebuild (the cache rebuilds automatically)."
            ) from exc
        return cls(X, y, header["classes"], meta, header["ch_names"], header["sfreq"],
                   header["montage"], header["dataset"], header.get("info", {}))

    def __repr__(self) -> str:
        return (
            f"EpochsData(dataset={self.dataset!r}, n_trials={self.n_trials}, "
            f"n_chans={self.n_chans}, n_times={self.n_times}, sfreq={self.sfreq}, "
            f"classes={self.classes}, subjects={self.subjects()})"
        )
