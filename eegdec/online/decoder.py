"""One decoder for live streams, exports and pseudo-online replays.

A :class:`Decoder` turns a signal arriving in chunks into decisions, causally::

    stream channels --channel map--> causal preprocessing (state kept across chunks)
        --> ring buffer of one window --> incremental Euclidean alignment --> model

``push(samples, timestamps)`` takes a chunk ``(n_stream_chans, n_samples)`` in the stream's
units (volts for MNE and LSL EEG) and returns the :class:`Decision` objects due in it: one
every ``hop_s`` seconds once a whole window has arrived, each computed on the last
``window_s`` seconds, exactly the samples an offline epoch ending at the same sample would
hold. The model sees what it was trained on: the causal chain runs on volts, then the signal is
scaled to the training units (``scale``, 1e6: microvolts as MOABB delivers them), then aligned.

Alignment (``"euclidean"``) keeps a running mean covariance, seeded with calibration trials
and updated with each new non-overlapping block of ``update_s`` seconds of the stream (never
with a sample that has not arrived); ``update_s=None`` freezes it after seeding.

This module imports numpy alone; the model is any callable mapping ``(n, C, T)`` float32 to
class probabilities (:func:`torch_model`, :func:`proba_model`, or an ONNX Runtime session
from :mod:`eegdec.online.onnx`), so a decoder loaded from an export needs neither torch nor
scikit-learn.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eegdec.errors import BadInputError, UnknownNameError
from eegdec.preprocessing.reference import CAUSAL_ALIGNMENTS, RunningReference

ProbaFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Decision:
    """One decision: ``time`` of the window's last sample (stream clock, or seconds since the
    first sample without timestamps), ``sample`` (index one past the window's last sample),
    class probabilities, label, and ``latency`` (seconds from the chunk's arrival in
    :meth:`Decoder.push` to this decision)."""

    time: float
    sample: int
    proba: np.ndarray
    label: str
    latency: float


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def torch_model(module: Any) -> ProbaFn:
    """Softmax probabilities of a torch ``nn.Module`` (eval mode, no autograd)."""
    import torch

    module.eval()

    def proba(X: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            logits = module(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)))
        return _softmax(logits.double().numpy())

    proba.module = module  # what an ONNX export converts
    return proba


def logits_model(logits: Callable[[np.ndarray], np.ndarray]) -> ProbaFn:
    """Softmax probabilities of any logits function (e.g. ONNX Runtime)."""
    return lambda X: _softmax(np.asarray(logits(np.ascontiguousarray(X, dtype=np.float32)),
                                         dtype=np.float64))


def proba_model(estimator: Any) -> ProbaFn:
    """``predict_proba`` of a fitted scikit-learn pipeline (classical decoders)."""
    return lambda X: np.asarray(estimator.predict_proba(X), dtype=np.float64)


class Decoder:
    """Causal decoder of a continuous multichannel stream.

    Parameters
    ----------
    model : callable ``(n, C, T) float32 -> (n, n_classes)`` probabilities
    ch_names : the model's channels, in its input order
    sfreq : the rate the model was trained at; the stream must have it
    classes : class names, in the model's output order
    window_s : window the model takes (``n_times / sfreq``)
    hop_s : seconds between decisions
    preprocessing : a causal chain (``process(chunk)``, ``reset()``, ``to_dict()``; see
        :mod:`eegdec.preprocessing.causal`) or ``None``
    alignment : ``"none"`` or ``"euclidean"`` (incremental, causal)
    calibration : trials ``(n, C, T)`` in model units, preprocessed like the stream, that seed
        the alignment reference
    update_s : seconds of stream per alignment update (default: ``window_s``); ``None`` freezes
        the reference after seeding
    scale : factor from the stream's units to the model's (volts -> microvolts: 1e6)
    name : the model's registry name (recorded in exports)
    """

    def __init__(
        self,
        model: ProbaFn,
        *,
        ch_names: Sequence[str],
        sfreq: float,
        classes: Sequence[str],
        window_s: float,
        hop_s: float = 0.1,
        preprocessing: Any = None,
        alignment: str = "none",
        calibration: np.ndarray | None = None,
        update_s: float | None = -1.0,
        scale: float = 1e6,
        name: str = "",
    ) -> None:
        if alignment not in CAUSAL_ALIGNMENTS:
            raise BadInputError(
                f"Alignment {alignment!r} cannot run online: use one of "
                f"{', '.join(CAUSAL_ALIGNMENTS)} (transductive alignment needs future trials)."
            )
        self.model = model
        self.ch_names = list(ch_names)
        self.sfreq = float(sfreq)
        self.classes = [str(c) for c in classes]
        self.window_n = int(round(window_s * self.sfreq))
        self.hop_n = int(round(hop_s * self.sfreq))
        if self.window_n < 1 or self.hop_n < 1:
            raise BadInputError(f"window_s={window_s} and hop_s={hop_s} must each span at least "
                                f"one sample at {self.sfreq:g} Hz.")
        self.preprocessing = preprocessing
        self.alignment = alignment
        self.update_n = (self.window_n if update_s is not None and update_s < 0
                         else None if update_s is None else int(round(update_s * self.sfreq)))
        self.scale = float(scale)
        self.name = name
        self._seed = None if calibration is None else np.asarray(calibration)
        self._seed_reference: RunningReference | None = None
        self._stream_index: np.ndarray | None = None
        self.reset()

    # -- properties ----------------------------------------------------------------------------
    @property
    def window_s(self) -> float:
        return self.window_n / self.sfreq

    @property
    def hop_s(self) -> float:
        return self.hop_n / self.sfreq

    @property
    def n_chans(self) -> int:
        return len(self.ch_names)

    def __repr__(self) -> str:
        return (f"Decoder({self.n_chans} channels at {self.sfreq:g} Hz, window {self.window_s:g}"
                f" s, hop {self.hop_s:g} s, classes {self.classes}, alignment "
                f"{self.alignment!r})")

    # -- state ---------------------------------------------------------------------------------
    def reset(self) -> Decoder:
        """Forget the stream: filter state, buffer, sample count and alignment updates (the
        calibration seed stays)."""
        if self.preprocessing is not None:
            self.preprocessing.reset()
        self._buffer = np.zeros((self.n_chans, 0))
        self._n = 0  # samples pushed so far
        self._t0: float | None = None
        self.reference: RunningReference | None = None
        if self.alignment == "euclidean":
            if self._seed_reference is not None:
                self.reference = RunningReference.from_dict(self._seed_reference.to_dict())
            else:
                self.reference = RunningReference(self.n_chans)
            if self._seed is not None and len(self._seed):
                self.reference.update(self._seed)
        self._block = np.zeros((self.n_chans, 0))  # signal not yet in the reference
        return self

    def connect(self, stream_ch_names: Sequence[str]) -> Decoder:
        """Map the stream's channels to the model's by name (``C3..``, ``c3`` and ``C3`` match);
        a channel the model needs and the stream lacks is an error naming it."""
        from eegdec.data.channels import channel_key

        index = {channel_key(n): i for i, n in enumerate(stream_ch_names)}
        missing = [c for c in self.ch_names if channel_key(c) not in index]
        if missing:
            raise UnknownNameError(
                f"The stream lacks channel {missing[0]!r} (and {len(missing) - 1} more) that the "
                f"decoder needs: stream a montage with {', '.join(missing[:5])}, or train on the "
                "stream's channels."
            )
        self._stream_index = np.array([index[channel_key(c)] for c in self.ch_names])
        return self

    # -- decoding ------------------------------------------------------------------------------
    def push(self, samples: np.ndarray, timestamps: np.ndarray | None = None) -> list[Decision]:
        """Feed one chunk ``(n_stream_chans, n_samples)`` and return the decisions due in it.

        Without :meth:`connect`, the chunk's rows must be the decoder's channels in order.
        """
        start = time.perf_counter()
        x = np.asarray(samples, dtype=np.float64)
        if x.ndim != 2:
            raise BadInputError(f"A chunk must be (n_channels, n_samples), got shape {x.shape}.")
        if self._stream_index is not None:
            if x.shape[0] <= self._stream_index.max():
                raise BadInputError(f"The chunk has {x.shape[0]} channels; the stream was "
                                    "connected with more: call connect() again.")
            x = x[self._stream_index]
        elif x.shape[0] != self.n_chans:
            raise BadInputError(f"The chunk has {x.shape[0]} channels, the decoder "
                                f"{self.n_chans}: call connect(stream_channel_names) first.")
        n = x.shape[1]
        if timestamps is not None and len(timestamps) != n:
            raise BadInputError(f"{len(timestamps)} timestamps for {n} samples: give one each.")
        if not n:
            return []
        if not np.isfinite(x).all():
            raise BadInputError("The chunk holds NaN or inf: check the amplifier connection "
                                "(a flat or broken electrode) before decoding.")
        if self._t0 is None:
            self._t0 = float(timestamps[0]) if timestamps is not None else 0.0
        if self.preprocessing is not None:
            x = self.preprocessing.process(x)
        x = x * self.scale
        buf = np.concatenate([self._buffer, x], axis=1)
        first, end = self._n, self._n + n
        self._n = end
        ends = self._due(first, end)
        out: list[Decision] = []
        if ends:
            wins = np.stack([buf[:, buf.shape[1] - (end - e) - self.window_n:
                                 buf.shape[1] - (end - e)] for e in ends])
            out = self._decide(wins, ends, first, timestamps, start, x)
        else:
            self._update_reference(x)
        self._buffer = buf[:, -self.window_n:]
        return out

    def _due(self, first: int, end: int) -> list[int]:
        """Window ends (exclusive sample indices) in ``(first, end]``: ``window_n + k * hop_n``."""
        k0 = max(0, -(-(first + 1 - self.window_n) // self.hop_n))
        return list(range(self.window_n + k0 * self.hop_n, end + 1, self.hop_n))

    def _decide(self, wins: np.ndarray, ends: list[int], first: int,
                timestamps: np.ndarray | None, start: float, chunk: np.ndarray
                ) -> list[Decision]:
        out = []
        done = 0  # chunk samples already offered to the reference
        for win, e in zip(wins, ends):
            upto = e - first
            self._update_reference(chunk[:, done:upto])
            done = upto
            if self.reference is not None:
                win = self.reference.matrix @ win
            proba = self.model(win[None].astype(np.float32))[0]
            t = (float(timestamps[upto - 1]) if timestamps is not None
                 else (e - 1) / self.sfreq)
            out.append(Decision(t, e, proba, self.classes[int(np.argmax(proba))],
                                time.perf_counter() - start))
        self._update_reference(chunk[:, done:])
        return out

    def _update_reference(self, x: np.ndarray) -> None:
        """Add the complete ``update_s`` blocks that ``x`` finishes to the reference."""
        if self.reference is None or self.update_n is None or not x.shape[1]:
            return
        self._block = np.concatenate([self._block, x], axis=1)
        k = self._block.shape[1] // self.update_n
        if k:
            blocks = self._block[:, :k * self.update_n]
            self.reference.update(blocks.reshape(self.n_chans, k, self.update_n)
                                  .transpose(1, 0, 2))
            self._block = self._block[:, k * self.update_n:]

    def decide(self, windows: np.ndarray) -> np.ndarray:
        """Probabilities for ready windows ``(n, C, T)`` in model units, aligned with the
        current reference (no update): the offline side of the parity check."""
        X = np.asarray(windows, dtype=np.float64)
        if self.reference is not None:
            X = np.einsum("ij,njt->nit", self.reference.matrix, X)
        return self.model(X.astype(np.float32))

    # -- description ---------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """Everything but the weights, JSON-serialisable: an export's manifest
        (:mod:`eegdec.online.manifest`) and the input of :meth:`from_description`."""
        align = None
        if self.reference is not None:
            matrix = (self.reference.matrix if self.reference.n_seen
                      else np.eye(self.n_chans))
            align = {"mode": self.alignment, "matrix": matrix.tolist(),
                     "reference": self.reference.to_dict(),
                     "update_s": None if self.update_n is None else self.update_n / self.sfreq}
        return {
            "model": self.name, "channels": self.ch_names, "sfreq": self.sfreq,
            "classes": self.classes, "window_s": self.window_s, "hop_s": self.hop_s,
            "unit_scale": self.scale,
            "preprocessing": {} if self.preprocessing is None else self.preprocessing.to_dict(),
            "alignment": align,
        }

    @classmethod
    def from_description(cls, model: ProbaFn, d: dict[str, Any], **kw: Any) -> Decoder:
        """A decoder from :meth:`describe`'s dict and a model; ``kw`` overrides (e.g. hop_s).

        The alignment restarts from the described reference (its mean covariance and count).
        """
        from eegdec.preprocessing.causal import CausalChain

        align = d.get("alignment")
        args: dict[str, Any] = {
            "ch_names": d["channels"], "sfreq": d["sfreq"], "classes": d["classes"],
            "window_s": d["window_s"], "hop_s": d["hop_s"], "scale": d["unit_scale"],
            "name": d.get("model", ""),
            "preprocessing": CausalChain.from_dict(d["preprocessing"]) if d["preprocessing"]
            else None,
            "alignment": "none" if align is None else align["mode"],
            "update_s": None if align is None else align.get("update_s"),
        }
        args.update(kw)
        dec = cls(model, **args)
        if align is not None and align.get("reference", {}).get("n_seen"):
            dec._seed_reference = RunningReference.from_dict(align["reference"])
            dec.reset()
        return dec

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_classifier(cls, clf: Any, ch_names: Sequence[str], **kw: Any) -> Decoder:
        """From a fitted :class:`~eegdec.training.classifier.EEGDecClassifier` (its network,
        rate, window, classes and alignment mode); ``kw`` as the constructor's, where
        ``preprocessing`` may also be a :class:`~eegdec.preprocessing.Pipeline`."""
        if not hasattr(clf, "module_"):
            raise BadInputError("The classifier is not fitted: call fit() before building a "
                                "decoder from it.")
        kw.setdefault("alignment", "none" if clf.alignment_ == "none" else "euclidean")
        kw.setdefault("name", clf.model)
        return cls._build(torch_model(clf.model_), ch_names, clf.sfreq_, list(clf.classes_),
                          clf.n_times_, kw)

    @classmethod
    def from_pipeline(cls, estimator: Any, ch_names: Sequence[str], sfreq: float,
                      n_times: int, **kw: Any) -> Decoder:
        """From a fitted classical pipeline (``predict_proba`` on ``(n, C, T)``)."""
        classes = kw.pop("classes", None)
        if classes is None:
            classes = list(getattr(estimator, "classes_", []))
        if not len(classes):
            raise BadInputError("The pipeline is not fitted (no classes_): fit it first, or "
                                "pass classes=[...].")
        return cls._build(proba_model(estimator), ch_names, sfreq, classes, n_times, kw)

    @classmethod
    def from_checkpoint(cls, path: Any, **kw: Any) -> Decoder:
        """From ``RUN_DIR/checkpoints/<fold_id>.pt`` (written by ``--save-checkpoints``)."""
        from eegdec.models.checkpoint import load_checkpoint

        module, meta = load_checkpoint(path)
        build = meta["build"]
        kw.setdefault("name", meta["model"])
        return cls._build(torch_model(module), meta.get("ch_names") or [],
                          build["sfreq"], meta.get("classes") or [], build["n_times"], kw)

    @classmethod
    def from_export(cls, folder: Any, threads: int = 1, **kw: Any) -> Decoder:
        """From an export folder (``eegdec export``), on ONNX Runtime: needs numpy, scipy and
        onnxruntime only."""
        from eegdec.online.export import load_export

        return load_export(folder, threads=threads, **kw)

    def export(self, folder: Any, fmt: str = "onnx") -> Any:
        """Write ``model.onnx`` and ``manifest.json`` to ``folder`` (torch models)."""
        from eegdec.online.export import export_decoder

        return export_decoder(self, folder, fmt)

    @classmethod
    def _build(cls, model: ProbaFn, ch_names: Sequence[str], sfreq: float,
               classes: Sequence[str], n_times: int, kw: dict[str, Any]) -> Decoder:
        kw["preprocessing"] = causal_chain(kw.get("preprocessing"), sfreq, ch_names)
        return cls(model, ch_names=ch_names, sfreq=sfreq, classes=classes,
                   window_s=n_times / float(sfreq), **kw)


def causal_chain(preprocessing: Any, sfreq: float, ch_names: Sequence[str]) -> Any:
    """A causal chain from a :class:`~eegdec.preprocessing.Pipeline`, its config or a chain's
    ``to_dict()``; a chain or ``None`` passes through."""
    if preprocessing is None or hasattr(preprocessing, "process"):
        return preprocessing
    from eegdec.preprocessing.causal import CausalChain

    if isinstance(preprocessing, dict) and "chain" in preprocessing:
        return CausalChain.from_dict(preprocessing)
    from eegdec.preprocessing.pipeline import Pipeline

    return CausalChain.from_pipeline(Pipeline.coerce(preprocessing), sfreq, list(ch_names),
                                     strict=False)
