"""``RunConfig``: everything that defines a run (``config.yaml`` holds it, hashed)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from eegdec.errors import BadInputError
from eegdec.evaluation.splits import CV_MODES, DEFAULT_CALIB_SIZES

# Config keys that do not change results (left out of the hash that names the run).
NOT_HASHED = ("device", "data_dir", "n_jobs", "backend", "save_checkpoints", "quiet",
              "verbose")
CLASS_WEIGHTS = ("none", "balanced")
DEVICES = ("cpu", "cuda", "auto")
MAX_SEED = 2**32 - 1  # numpy's and Lightning's seed range


def flag(field_name: str) -> str:
    """The ``eegdec run`` option of a config field (``models`` -> ``--model``)."""
    return "--model" if field_name == "models" else "--" + field_name.replace("_", "-")


def _check_numbers(name: str, values: list[int], low: int | None, high: int | None) -> None:
    """A non-empty list of distinct integers in ``[low, high]``."""
    if not values:
        raise BadInputError(f"{flag(name)} is empty: give at least one value.")
    bad = [v for v in values if (low is not None and v < low) or (high is not None and v > high)]
    if bad:
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadInputError(f"{flag(name)} values must be {bounds}, got {bad[0]}.")
    if len(set(values)) != len(values):
        raise BadInputError(f"{flag(name)} repeats a value in {values}: give each once.")


def _check_device(device: str) -> None:
    if device not in DEVICES:
        raise BadInputError(f"Unknown --device {device!r}: use {', '.join(DEVICES)}.")
    if device == "cuda":
        from eegdec.training.trainer import resolve_device

        try:
            resolve_device(device)
        except BadInputError as exc:
            raise BadInputError(f"--device cuda: {exc}") from exc


@dataclass
class RunConfig:
    """Everything that defines a run; :meth:`resolved` checks and normalises it."""

    dataset: str = "SimMI-2class"
    paradigm: str = "MI"
    events: list[str] | None = None
    models: list[str] = field(default_factory=lambda: ["dbconformer", "csp-lda"])
    pipelines: str | None = None
    protocol: str = "within-cv"
    cv: str = "stratified"
    n_folds: int = 5
    cv_seed: int = 42
    subjects: list[int] | None = None
    epochs: int | None = None
    lr: float | None = None
    batch_size: int | None = None
    seeds: list[int] | None = None
    alignment: str = "euclidean"
    causal_filter: bool = False
    preprocessing: dict[str, Any] | str | None = None
    class_weight: str | None = None
    calib_sizes: list[int] = field(default_factory=lambda: list(DEFAULT_CALIB_SIZES))
    fine_tune_epochs: int | None = None
    select: bool = False
    select_grid: str | None = None
    select_folds: int | None = None
    augment: str | None = None
    tta: str | None = None
    finetune: str | None = None
    source_select: int | None = None
    source_weight: bool = False
    device: str = "auto"
    data_dir: str | None = None
    n_jobs: int = 1
    backend: str = "loky"
    save_checkpoints: bool = False
    quiet: bool = False
    verbose: bool = False

    def resolved(self) -> RunConfig:
        """Validated copy with names normalised and defaults filled in.

        Checks every option before anything is loaded or written, so bad input fails fast with
        a one-line :class:`~eegdec.errors.BadInputError` naming the option.
        """
        from eegdec.data.paradigms import check_paradigm, resolve_events
        from eegdec.data.registry import check_subjects, get_dataset_spec
        from eegdec.evaluation.backends import check_backend
        from eegdec.evaluation.protocols import get_protocol
        from eegdec.evaluation.transfer import check_transfer
        from eegdec.preprocessing.alignment import check_alignment
        from eegdec.validate import mismatch

        problem = mismatch(self, flag)
        if problem:
            raise BadInputError(f"{problem}; change that value.")
        cfg = RunConfig(**asdict(self))
        cfg.paradigm = check_paradigm(cfg.paradigm)
        protocol = get_protocol(cfg.protocol)
        cfg.protocol = protocol.name
        if protocol.causal:  # replays a stream: the filters must not look ahead
            cfg.causal_filter = True
        cfg.alignment = check_alignment(cfg.alignment)
        if cfg.seeds is None:
            cfg.seeds = list(protocol.default_seeds)
        if cfg.class_weight is None:  # seizure windows are mostly non-seizure
            cfg.class_weight = "balanced" if cfg.paradigm == "seizure" else "none"
        if cfg.class_weight not in CLASS_WEIGHTS:
            raise BadInputError(
                f"Unknown --class-weight {cfg.class_weight!r}: use {' or '.join(CLASS_WEIGHTS)}."
            )
        if cfg.cv not in CV_MODES:
            raise BadInputError(f"Unknown --cv {cfg.cv!r}: use {' or '.join(CV_MODES)}.")
        if not cfg.models and not cfg.pipelines:
            raise BadInputError("No model to run: pass --model NAME or --pipelines DIR.")
        if cfg.n_folds < 2:
            raise BadInputError(f"--n-folds must be at least 2, got {cfg.n_folds}.")
        for name in ("epochs", "batch_size", "fine_tune_epochs"):
            value = getattr(cfg, name)
            if value is not None and value < 1:
                raise BadInputError(f"{flag(name)} must be a positive integer, got {value}.")
        if cfg.lr is not None and cfg.lr <= 0:
            raise BadInputError(f"--lr must be positive, got {cfg.lr}.")
        if cfg.n_jobs == 0:
            raise BadInputError("--n-jobs 0 runs nothing: use 1 (no parallelism), N processes, "
                                "or -1 for one per CPU core.")
        _check_numbers("seeds", cfg.seeds, 0, MAX_SEED)
        _check_numbers("calib_sizes", cfg.calib_sizes, 0, None)
        check_backend(cfg.backend)
        _check_device(cfg.device)
        spec = get_dataset_spec(cfg.dataset)
        cfg.dataset = spec.name
        if cfg.subjects is not None:
            _check_numbers("subjects", cfg.subjects, None, None)
            check_subjects(spec, cfg.subjects)
        resolve_events(spec, cfg.paradigm, cfg.events)
        if cfg.preprocessing is not None:
            cfg.preprocessing = _preprocessing(cfg.preprocessing, spec)
        _check_selection(cfg, protocol)
        check_transfer(cfg)
        return cfg

    def hashed(self) -> dict[str, Any]:
        """The options that change results; ``causal_filter``, ``preprocessing``, the
        ``select*`` and the transfer options only when set, so runs made before those options
        existed keep their hash (and resume)."""
        from eegdec.evaluation.transfer import TRANSFER_FIELDS

        return {k: v for k, v in asdict(self).items() if k not in NOT_HASHED
                and not (k in ("causal_filter", "select") and not v)
                and not (k in ("preprocessing", "select_grid", "select_folds") and v is None)
                and not (k in TRANSFER_FIELDS and v in (None, False))}


def _check_selection(cfg: RunConfig, protocol: Any) -> None:
    """``--select``, ``--select-grid`` (normalised in place) and ``--select-folds``."""
    from eegdec.evaluation.protocols import Protocol, SubjectSplitProtocol
    from eegdec.evaluation.selection import format_grid, parse_grid

    if not cfg.select:
        for name in ("select_grid", "select_folds"):
            if getattr(cfg, name) is not None:
                raise BadInputError(f"{flag(name)} needs --select: add --select, or drop "
                                    f"{flag(name)}.")
        return
    if type(protocol).inner is Protocol.inner:
        protocol.inner(None, cfg, None)  # raises: the protocol has no inner folds
    if cfg.select_grid is not None:
        cfg.select_grid = format_grid(parse_grid(cfg.select_grid))
    within = isinstance(protocol, SubjectSplitProtocol)  # inner k-fold: k >= 2
    if cfg.select_folds is not None and cfg.select_folds < (2 if within else 1):
        raise BadInputError(f"--select-folds {cfg.select_folds} is too few: use at least 2 "
                            "(within-subject inner folds) or 1 (cross-subject).")


def _preprocessing(value: dict[str, Any] | str, spec: Any) -> dict[str, Any]:
    """The checked pipeline config of ``--preprocessing`` (a YAML file or a config dict), so
    that config.yaml records the steps themselves, not a path."""
    from eegdec.errors import EEGDecError
    from eegdec.preprocessing.pipeline import Pipeline

    try:
        pipe = Pipeline.coerce(value)
        pipe.epoch_window(spec.window)
    except EEGDecError as exc:
        raise BadInputError(f"--preprocessing: {exc}") from exc
    return pipe.config()
