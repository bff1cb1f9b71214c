"""Saving fitted :class:`~eegdec.training.classifier.EEGDecClassifier` estimators.

Two ways, for two uses (docs/reliability.md):

- **pickle / joblib** (same environment, joblib parallelism): the classifier pickles its trained
  :class:`~eegdec.training.module.EEGDecModule` as :func:`pack_module` (training settings plus
  the state dict) and rebuilds the network with :func:`eegdec.models.registry.create_model` on
  load, since torch cannot pickle parametrized modules (the max-norm constraints of EEGNet,
  ATCNet, FBCNet, ...). Unpickling runs code: load only trusted files.
- **save / load** (sharing): a directory holding

  - ``weights.pt``: the module's state dict, written by ``torch.save`` and read back with
    ``torch.load(weights_only=True)``, which loads tensors and never runs pickled code;
  - ``model.json``: ``format``, ``eegdec_version``, ``weights_sha256`` (of ``weights.pt``),
    ``params`` (``get_params()``), ``fitted`` (``classes_``, ``sfreq_``, ``n_times_``,
    ``chs_info_``, ``seed_``, ``history_``...), ``network`` (registry name and builder
    arguments), ``module`` (optimiser settings and history) and ``aligner`` (the fitted
    alignment's class name, parameters and matrices, or ``null``).

  :func:`load_classifier` refuses a directory whose weights do not match the checksum or that
  another eegdec major version wrote. Numpy arrays, tuples and dicts with non-string keys are
  tagged in the JSON (``{"__ndarray__": ..., "dtype", "shape"}``, ``{"__tuple__": ...}``,
  ``{"__items__": [[key, value], ...]}``), as are NaN and infinities (``{"__float__": "nan"}``),
  so that the file is standard JSON and every value loads back as it was.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from eegdec._version import __version__
from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError, EEGDecError
from eegdec.paths import file_sha256

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from eegdec.training.classifier import EEGDecClassifier
    from eegdec.training.module import EEGDecModule

FORMAT = "eegdec-classifier"
META_FILE, WEIGHTS_FILE = "model.json", "weights.pt"
#: Fitted attributes stored in their own section (or derived) rather than under ``fitted``.
_SPECIAL = ("module_", "test_aligner_")


def _is_fitted_name(name: str) -> bool:
    """scikit-learn's naming of fitted attributes: ``name_``, not private."""
    return name.endswith("_") and not name.startswith("_")


# -- the trained module ----------------------------------------------------------------------
def module_settings(module: EEGDecModule) -> dict[str, Any]:
    """What an ``EEGDecModule`` holds besides its weights."""
    return {"lr": module.lr, "optimizer": module.optimizer_name,
            "weight_decay": module.weight_decay, "scheduler": module.scheduler,
            "history": list(module.history)}


def build_module(network: dict[str, Any], settings: dict[str, Any],
                 state_dict: dict[str, torch.Tensor]) -> EEGDecModule:
    """Rebuild ``create_model(network["model"], **network["build"])`` with its trained weights.

    Tensors are assigned as stored (channels-last weights stay channels-last, so predictions
    are bit-identical); the caller's torch random stream is left untouched.
    """
    import torch

    from eegdec.models.registry import create_model
    from eegdec.training.module import EEGDecModule

    with torch.random.fork_rng(devices=[]):
        net = create_model(network["model"], **network["build"])
    module = EEGDecModule(net, lr=settings["lr"], optimizer=settings["optimizer"],
                          weight_decay=settings["weight_decay"], scheduler=settings["scheduler"],
                          class_weight=state_dict.get("loss_fn.weight"))
    module.load_state_dict(state_dict, assign=True)
    module.history = list(settings["history"])
    return module


def pack_module(module: EEGDecModule) -> dict[str, Any]:
    """Picklable stand-in for ``module``: settings and state dict (see :func:`unpack_module`)."""
    return {"settings": module_settings(module), "state_dict": module.state_dict()}


def unpack_module(packed: dict[str, Any], network: dict[str, Any]) -> EEGDecModule:
    """The module :func:`pack_module` packed, rebuilt from the registry's ``network``."""
    return build_module(network, packed["settings"], packed["state_dict"])


# -- JSON with numpy arrays, tuples and non-string keys ----------------------------------------
def to_json(obj: Any, where: str) -> Any:
    """``obj`` as JSON-compatible values (tagged where JSON has no type); ``where`` names it in
    the error raised for objects JSON cannot hold."""
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):  # MNE's named constants are int subclasses
        return int(obj)
    if isinstance(obj, (float, np.floating)):  # JSON has no NaN or infinity
        return float(obj) if math.isfinite(obj) else {"__float__": repr(float(obj))}
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": to_json(obj.tolist(), where), "dtype": obj.dtype.str,
                "shape": list(obj.shape)}
    if isinstance(obj, tuple):
        return {"__tuple__": [to_json(v, where) for v in obj]}
    if isinstance(obj, list):
        return [to_json(v, where) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: to_json(v, f"{where}[{k!r}]") for k, v in obj.items()}
        return {"__items__": [[to_json(k, where), to_json(v, where)] for k, v in obj.items()]}
    raise BadInputError(
        f"{where} is a {type(obj).__name__}, which save() cannot store as JSON: use a plain "
        "value (e.g. an int seed), or pickle/joblib for a same-environment copy."
    )


def from_json(obj: Any) -> Any:
    """Inverse of :func:`to_json`."""
    if isinstance(obj, list):
        return [from_json(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__ndarray__" in obj:
        return np.array(from_json(obj["__ndarray__"]), dtype=np.dtype(obj["dtype"])
                        ).reshape(obj["shape"])
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__tuple__" in obj:
        return tuple(from_json(v) for v in obj["__tuple__"])
    if "__items__" in obj:
        return {from_json(k): from_json(v) for k, v in obj["__items__"]}
    return {k: from_json(v) for k, v in obj.items()}


# -- the fitted aligner ------------------------------------------------------------------------
def _aligners() -> dict[str, type]:
    from eegdec.preprocessing.alignment import EuclideanAlignment, IncrementalEuclideanAlignment

    return {cls.__name__: cls for cls in (EuclideanAlignment, IncrementalEuclideanAlignment)}


def aligner_to_json(aligner: Any) -> dict[str, Any] | None:
    """Class name, parameters and fitted matrices of an alignment transformer (or ``None``)."""
    if aligner is None:
        return None
    fitted = {k: v for k, v in vars(aligner).items() if _is_fitted_name(k)}
    return {"class": type(aligner).__name__,
            "params": to_json(aligner.get_params(), "aligner parameters"),
            "fitted": to_json(fitted, "aligner state")}


def aligner_from_json(spec: dict[str, Any] | None) -> Any:
    """Inverse of :func:`aligner_to_json` (only eegdec's own alignment classes)."""
    if spec is None:
        return None
    aligner = _aligners()[spec["class"]](**from_json(spec["params"]))
    for key, value in from_json(spec["fitted"]).items():
        if not _is_fitted_name(key):
            raise KeyError(f"unexpected aligner attribute {key!r}")
        setattr(aligner, key, value)
    return aligner


# -- save / load ------------------------------------------------------------------------------
def _major(version: str) -> str:
    return str(version).split(".")[0]


def save_classifier(clf: EEGDecClassifier, path: str | os.PathLike) -> Path:
    """Write fitted ``clf`` to directory ``path`` (``model.json`` + ``weights.pt``)."""
    import torch

    check_is_fitted(clf, "module_")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BadInputError(f"{path} is a file: save() writes a directory; pass another path.")
    fitted = {k: v for k, v in vars(clf).items() if _is_fitted_name(k) and k not in _SPECIAL}
    sections = {
        "params": to_json(clf.get_params(deep=False), "parameter"),
        "fitted": to_json(fitted, "fitted attribute"),
        "network": to_json(clf._net_spec, "network"),
        "module": to_json(module_settings(clf.module_), "module settings"),
        "aligner": aligner_to_json(clf.test_aligner_),
    }
    path.mkdir(parents=True, exist_ok=True)
    torch.save(clf.module_.state_dict(), path / WEIGHTS_FILE)
    meta = {"format": FORMAT, "eegdec_version": __version__,
            "weights_sha256": file_sha256(path / WEIGHTS_FILE), **sections}
    (path / META_FILE).write_text(json.dumps(meta, indent=1, allow_nan=False) + "\n")
    return path


def _read_meta(path: Path) -> dict[str, Any]:
    """``model.json`` of a saved model, after the format, version and checksum checks."""
    if not path.is_dir():
        raise DataNotFoundError(
            f"No saved model at {path}: pass the directory written by EEGDecClassifier.save()."
        )
    for name in (META_FILE, WEIGHTS_FILE):
        if not (path / name).is_file():
            raise DataNotFoundError(
                f"{path / name} is missing: pass a complete directory written by "
                f"EEGDecClassifier.save() ({META_FILE} and {WEIGHTS_FILE})."
            )
    meta_path = path / META_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CorruptFileError(
            f"Cannot read {meta_path} ({type(exc).__name__}): save the model again."
        ) from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CorruptFileError(
            f"{meta_path} is not an eegdec saved model: pass a directory written by "
            "EEGDecClassifier.save()."
        )
    saved = str(meta.get("eegdec_version"))
    if _major(saved) != _major(__version__):
        raise BadInputError(
            f"{meta_path} was written by eegdec {saved}, this is eegdec {__version__}: load it "
            f"with eegdec {_major(saved)}.x, or retrain the model with this version."
        )
    if file_sha256(path / WEIGHTS_FILE) != meta.get("weights_sha256"):
        raise CorruptFileError(
            f"{path / WEIGHTS_FILE} does not match the checksum in {meta_path} (modified or "
            "truncated): copy or save the model again."
        )
    return meta


def load_classifier(cls: type[EEGDecClassifier], path: str | os.PathLike) -> EEGDecClassifier:
    """The fitted classifier :func:`save_classifier` wrote to ``path``."""
    import torch

    path = Path(path)
    meta = _read_meta(path)
    try:
        state_dict = torch.load(path / WEIGHTS_FILE, map_location="cpu", weights_only=True)
    except Exception as exc:  # zip, unpickler and torch errors all mean an unreadable file
        raise CorruptFileError(
            f"Cannot read {path / WEIGHTS_FILE} ({type(exc).__name__}): save the model again."
        ) from exc
    try:
        clf = cls(**from_json(meta["params"]))
        fitted = from_json(meta["fitted"])
        unexpected = [k for k in fitted if not _is_fitted_name(k) or k in _SPECIAL]
        if unexpected:
            raise KeyError(f"unexpected fitted attributes {unexpected}")
        for key, value in fitted.items():
            setattr(clf, key, value)
        clf._encoder = LabelEncoder()
        clf._encoder.classes_ = clf.classes_
        clf._net_spec = from_json(meta["network"])
        clf.test_aligner_ = aligner_from_json(meta["aligner"])
        clf.module_ = build_module(clf._net_spec, from_json(meta["module"]), state_dict)
    except EEGDecError:  # e.g. a plug-in model that is not registered here
        raise
    except Exception as exc:
        raise CorruptFileError(
            f"Cannot rebuild the model saved in {path} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else ''}): save it again with this "
            "eegdec and its model libraries."
        ) from exc
    return clf
