"""The one epochs container that flows from loaders to models, evaluation and reports."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
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
        first = check_compatible(parts, "concatenate")
        return EpochsData(
            np.concatenate([p.X for p in parts]), np.concatenate([p.y for p in parts]),
            list(first.classes), pd.concat([p.metadata for p in parts], ignore_index=True),
            list(first.ch_names), first.sfreq, first.montage, first.dataset, dict(first.info),
        )

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write to one uncompressed ``.npz`` file atomically, safe under concurrent writers.

        Each writer fills its own temporary file (pid + random suffix) beside ``path`` and
        renames it over ``path``: a reader sees the old file or a whole new one, never a part,
        and when two processes write the same file the last rename wins.

        The members are stored, not compressed, and a padding member placed first puts the
        data of ``X`` at a 64-byte boundary of the file, so ``load(path, mmap=True)`` maps
        ``X`` in place (any ``.npz`` reader still reads the file as usual).
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {
            "classes": list(self.classes), "ch_names": list(self.ch_names),
            "sfreq": float(self.sfreq), "montage": self.montage, "dataset": self.dataset,
            "info": self.info, "metadata": self.metadata.to_json(orient="split"),
        }
        blob = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        X = np.ascontiguousarray(self.X, dtype="<f4")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            pad = _predicted_pad(X)
            for _ in range(2):  # a second write only if the predicted padding was wrong
                with open(tmp, "wb") as fh:
                    np.savez(fh, **{PAD_MEMBER: np.zeros(pad, np.uint8)}, X=X, y=self.y,
                             header=blob)
                    fh.flush()
                    os.fsync(fh.fileno())
                start = _member_layout(tmp, "X")[1]
                if start % MAP_ALIGN == 0:
                    break
                pad = (pad - start) % MAP_ALIGN
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | Path, *, mmap: bool = False, verify: bool = True) -> EpochsData:
        """Read a file written by :meth:`save`; raise :class:`CorruptFileError` if damaged.

        ``mmap=True`` maps ``X`` read-only from the file (no copy in memory; pages are read
        when touched) when the file allows it (an uncompressed float32 ``X``, as :meth:`save`
        writes), else reads it whole. ``verify`` checks the mapped bytes against the file's
        CRC-32 with ordinary reads (the whole file passes through the page cache once, never
        through this process's memory); ``verify=False`` trusts a file checked before (a
        worker reopening what the main process verified).
        """
        from io import StringIO

        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(bytes(z["header"]).decode())
                y = z["y"]
                X = _map_member(path, "X", verify) if mmap else None
                if X is None:
                    X = z["X"]
            meta = pd.read_json(StringIO(header["metadata"]), orient="split", dtype=False)
        except Exception as exc:  # zipfile/json/ValueError all mean the same for the user
            raise CorruptFileError(
                f"Cannot read epochs file {path} ({type(exc).__name__}): delete it and "
                "rebuild (the cache rebuilds automatically)."
            ) from exc
        out = cls(X, y, header["classes"], meta, header["ch_names"], header["sfreq"],
                  header["montage"], header["dataset"], header.get("info", {}))
        if isinstance(X, np.memmap):
            out._mapped = (str(path.resolve()), out.X, out.y, out.metadata)
        return out

    @property
    def mapped_file(self) -> str | None:
        """The file ``X`` is memory-mapped from (``None``: ``X`` is in memory, or the arrays
        were replaced since :meth:`load`)."""
        m = self.__dict__.get("_mapped")
        if m is None or m[1] is not self.X or m[2] is not self.y or m[3] is not self.metadata:
            return None
        return m[0]

    def __reduce_ex__(self, protocol: int) -> Any:
        # A mapped container pickles as its file name: parallel workers (loky, dask, ray)
        # open the map themselves instead of receiving the arrays.
        path = self.mapped_file
        if path is not None:
            return (_open_mapped, (path,))
        return super().__reduce_ex__(protocol)

    def __repr__(self) -> str:
        return (
            f"EpochsData(dataset={self.dataset!r}, n_trials={self.n_trials}, "
            f"n_chans={self.n_chans}, n_times={self.n_times}, sfreq={self.sfreq}, "
            f"classes={self.classes}, subjects={self.subjects()})"
        )


PAD_MEMBER = "_pad"
MAP_ALIGN = 64  # byte boundary of X's data in a saved file (numpy aligns .npy data to 64)
_LOCAL_HEADER = 30  # fixed part of a ZIP local file header


def _open_mapped(path: str) -> EpochsData:
    """Unpickle a mapped :class:`EpochsData`: map its file again (checked when first read)."""
    return EpochsData.load(path, mmap=True, verify=False)


def _npy_header_size(X: np.ndarray) -> int:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(X))
    return buf.tell()


def _predicted_pad(X: np.ndarray) -> int:
    """Padding bytes that put X's data at a multiple of ``MAP_ALIGN`` in ``np.savez``'s
    layout (local header with a ZIP64 extra field of 20 bytes, then the ``.npy`` header).
    ``save`` checks the result and corrects it if the layout differs."""
    zip64 = 20
    pad0 = np.zeros(0, np.uint8)
    before = (_LOCAL_HEADER + len(PAD_MEMBER) + 4 + zip64 + _npy_header_size(pad0)
              + _LOCAL_HEADER + len("X.npy") + zip64 + _npy_header_size(X))
    return (-before) % MAP_ALIGN


def _member_layout(path: Path, name: str) -> tuple[int, int, Any, tuple, bool, np.dtype]:
    """Where ``name.npy`` lies in an ``.npz``: ``(member start, array data start, ZipInfo,
    shape, fortran order, dtype)``; ``ValueError`` when it is compressed or damaged."""
    import struct
    import zipfile

    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(f"{name}.npy")
    if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
        raise ValueError(f"{name}.npy is compressed")
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(_LOCAL_HEADER)
        if len(local) != _LOCAL_HEADER or local[:4] != b"PK\x03\x04":
            raise ValueError(f"{name}.npy: bad local header")
        n_name, n_extra = struct.unpack("<HH", local[26:30])
        member = info.header_offset + _LOCAL_HEADER + n_name + n_extra
        fh.seek(member)
        version = np.lib.format.read_magic(fh)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read(fh)
        return member, fh.tell(), info, tuple(shape), fortran, dtype


def _map_member(path: Path, name: str, verify: bool) -> np.ndarray | None:
    """Member ``name`` of an uncompressed ``.npz`` memory-mapped read-only (``None`` when it
    cannot be mapped: compressed, or not little-endian float32 in C order, or empty).
    ``verify`` checks the member's CRC-32 with ordinary chunked reads."""
    import zlib

    try:
        member, start, info, shape, fortran, dtype = _member_layout(path, name)
    except ValueError as exc:
        if "compressed" in str(exc):
            return None
        raise
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if fortran or dtype != np.dtype("<f4") or nbytes == 0 or start % MAP_ALIGN:
        return None  # unaligned: a file of an earlier eegdec (the cache rewrites it)
    if start + nbytes != member + info.file_size or member + info.file_size > \
            path.stat().st_size:
        raise ValueError(f"{name}.npy: its size does not match its shape")
    if verify:
        with open(path, "rb") as fh:
            fh.seek(member)
            crc, left = 0, info.file_size
            while left:
                chunk = fh.read(min(left, 1 << 24))
                if not chunk:
                    raise ValueError(f"{name}.npy is truncated")
                crc = zlib.crc32(chunk, crc)
                left -= len(chunk)
        if crc != info.CRC:
            raise ValueError(f"{name}.npy fails its CRC-32 check")
    return np.memmap(path, dtype=dtype, mode="r", offset=start, shape=shape)


def check_compatible(parts: Sequence[EpochsData], verb: str) -> EpochsData:
    """The first of ``parts`` once all share its channels, rate and classes (else a one-line
    error saying what cannot be ``verb``-ed)."""
    if not parts:
        raise BadInputError(f"Nothing to {verb}: the list of epochs is empty.")
    first = parts[0]
    for p in parts[1:]:
        if p.ch_names != first.ch_names:
            raise BadInputError(f"Cannot {verb} epochs with different channels.")
        if p.sfreq != first.sfreq:
            raise BadInputError(f"Cannot {verb} epochs at {first.sfreq} Hz and {p.sfreq} Hz: "
                                "add a resample step to the pipeline.")
        if p.classes != first.classes:
            raise BadInputError(f"Class lists differ: {first.classes} vs {p.classes}.")
    return first
