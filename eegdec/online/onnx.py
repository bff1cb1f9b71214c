"""ONNX export of zoo models, and the ONNX Runtime side that runs them.

:func:`export_onnx` needs torch (imported inside it). :class:`OnnxModel` and :func:`softmax`
need only numpy and ONNX Runtime, so a decoder loaded from an export runs without torch.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError
from eegdec.online.manifest import REEXPORT
from eegdec.paths import atomic_write

if TYPE_CHECKING:  # pragma: no cover
    import torch

# Registry models without an ONNX export whose logits match PyTorch's to PARITY_ATOL, and why.
_CLASSICAL = ("a scikit-learn/pyRiemann pipeline, not a torch module: decode it with its fitted "
              "pipeline (numpy, scipy, pyRiemann)")
NOT_EXPORTABLE: dict[str, str] = {
    "csp-lda": _CLASSICAL,
    "fbcsp-svm": _CLASSICAL,
    "mdm": _CLASSICAL,
    "ts-lr": _CLASSICAL,
}
PARITY_ATOL = 1e-4
_EXPORT_LOGGERS = ("torch.onnx", "torch.export", "torch._export", "torch._dynamo", "torch.fx",
                   "onnxscript", "onnx_ir")
_FIX = "decode with the PyTorch model instead (see eegdec.online.onnx.NOT_EXPORTABLE)"


def exportable(name: str) -> bool:
    """Whether registry model ``name`` exports to ONNX with logits equal to PyTorch's."""
    from eegdec.models.registry import get_model_info

    return get_model_info(name).name not in NOT_EXPORTABLE


def export_onnx(module: torch.nn.Module, n_chans: int, n_times: int,
                path: str | os.PathLike) -> Path:
    """Write ``module`` (inputs ``(batch, n_chans, n_times)`` float32, output logits) as ONNX.

    Uses torch's dynamo exporter (``torch.export`` + onnxscript, opset 20): it exports every
    torch model of the zoo with ONNX Runtime logits within 3e-5 of PyTorch's, where the legacy
    TorchScript exporter (``dynamo=False``) failed on 14 of the 32 it was tried on (no ONNX
    form for ``renorm``, ``rfft`` or ``unfold``; graphs ONNX Runtime rejects for Deep4Net,
    ShallowConvNet, ATCNet and WaveMix). The batch axis is dynamic; a model whose code fixes
    the batch size (ATCNet, WaveMix, CrossViT) is exported for batch 1, and :class:`OnnxModel`
    then runs a batch trial by trial.
    The module (on the CPU) is exported in eval mode, its mode restored afterwards, weights
    inside the one file, exporter logs silenced. The ONNX Runtime logits are checked against
    PyTorch's on random EEG-scale input (10 µV): a difference above ``PARITY_ATOL`` is an error
    and writes nothing. Returns ``Path(path)``.

    braindecode's FFT filter banks (FBCNet, IFNet) are exported as one matrix product, on a copy
    (:mod:`eegdec.online.onnx_rewrite`: ONNX Runtime's ``DFT`` is slow at their lengths).
    """
    import torch

    from eegdec.online.onnx_rewrite import without_fft_filter_banks

    path = Path(path)
    was_training = module.training
    module.eval()
    try:
        exported = without_fft_filter_banks(module, n_chans, n_times)
        with _quiet():
            data = _to_onnx(exported, n_chans, n_times)
        model = OnnxModel(data)
        x = torch.randn(2, n_chans, n_times, generator=torch.Generator().manual_seed(0)) * 10
        with torch.no_grad():
            expected = module(x).numpy()
        err = float(np.abs(model.logits(x.numpy()) - expected).max())
    finally:
        module.train(was_training)
    if not err <= PARITY_ATOL:
        raise BadInputError(f"{type(module).__name__}'s ONNX export differs from PyTorch by "
                            f"{err:.2g} (> {PARITY_ATOL:g}): {_FIX}.")
    atomic_write(path, data)
    return path


def _to_onnx(module: torch.nn.Module, n_chans: int, n_times: int) -> bytes:
    """ONNX bytes of ``module``: a dynamic batch axis, else (the code fixes it) batch 1."""
    import torch

    x = torch.zeros(2, n_chans, n_times)
    try:
        program = torch.export.export(module, (x,), strict=False, dynamic_shapes={
            "x": {0: torch.export.Dim("batch", min=1, max=4096)}})
    except Exception:  # the code fixes the batch size; batch 1 re-raises any other failure
        x = x[:1]
        try:
            program = torch.export.export(module, (x,), strict=False)
        except Exception as exc:
            raise _not_exportable(module, exc) from exc
    try:
        onnx_program = torch.onnx.export(program, (x,), dynamo=True, input_names=["x"],
                                         output_names=["logits"], verbose=False)
    except torch.onnx.OnnxExporterError as exc:
        raise _not_exportable(module, exc) from exc
    return onnx_program.model_proto.SerializeToString()


def _not_exportable(module: torch.nn.Module, exc: BaseException) -> BadInputError:
    lines = str(exc.__cause__ or exc).strip().splitlines()
    return BadInputError(f"{type(module).__name__} cannot be exported to ONNX "
                         f"({lines[0] if lines else type(exc).__name__}): {_FIX}.")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporter: its warnings, its loggers and anything it prints."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        loggers = [logging.getLogger(name) for name in _EXPORT_LOGGERS]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


class OnnxModel:
    """An exported model in ONNX Runtime: ``logits(X)`` for ``X`` of shape ``(n, C, T)``.

    ``path`` is the ``.onnx`` file (or its bytes). The session uses ``threads`` intra- and
    inter-op threads and sequential execution; a decoder wants one thread per decision.
    """

    def __init__(self, path: str | os.PathLike | bytes, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - the [online] extra
            raise BadInputError("ONNX decoding needs onnxruntime: pip install "
                                "'eegdec[online]'.") from exc
        source = "in memory" if isinstance(path, bytes) else str(path)
        if not isinstance(path, bytes) and not Path(path).is_file():
            raise DataNotFoundError(f"ONNX model {source} not found: {REEXPORT}.")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = int(threads)
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3  # errors only
        try:
            self.session = ort.InferenceSession(path if isinstance(path, bytes) else source,
                                                opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors on bad files
            first = str(exc).strip().splitlines()[0]
            raise CorruptFileError(f"ONNX model {source} cannot be loaded ({first}): "
                                   f"{REEXPORT}.") from exc
        (inp,), (out,) = self.session.get_inputs(), self.session.get_outputs()
        self._input = inp.name
        batch, self.n_chans, self.n_times = inp.shape
        self.fixed_batch = batch if isinstance(batch, int) else None
        self.n_outputs = out.shape[-1]

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Logits ``(n, n_outputs)`` of ``X`` ``(n, n_chans, n_times)`` (cast to float32)."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 3 or X.shape[1:] != (self.n_chans, self.n_times):
            raise BadInputError(f"The ONNX model expects input (n, {self.n_chans}, "
                                f"{self.n_times}); got {X.shape}: cut windows of that shape.")
        if len(X) == 0:
            return np.zeros((0, self.n_outputs), np.float32)
        if self.fixed_batch is None:
            return self.session.run(None, {self._input: X})[0]
        return np.concatenate([self.session.run(None, {self._input: X[i:i + 1]})[0]
                               for i in range(len(X))])


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Class probabilities from ``logits`` (numerically stable)."""
    z = logits - np.max(logits, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
