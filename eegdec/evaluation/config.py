"""``RunConfig``: everything that defines a run (``config.yaml`` holds it, hashed)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from eegdec.errors import BadInputError
from eegdec.evaluation.splits import DEFAULT_CALIB_SIZES

# Config keys that do not change results (left out of the hash that names the run).
NOT_HASHED = ("device", "data_dir", "n_jobs", "backend", "save_checkpoints", "quiet",
              "verbose")
CLASS_WEIGHTS = ("none", "balanced")


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
    class_weight: str | None = None
    calib_sizes: list[int] = field(default_factory=lambda: list(DEFAULT_CALIB_SIZES))
    fine_tune_epochs: int | None = None
    device: str = "auto"
    data_dir: str | None = None
    n_jobs: int = 1
    backend: str = "loky"
    save_checkpoints: bool = False
    quiet: bool = False
    verbose: bool = False

    def resolved(self) -> RunConfig:
        """Validated copy with names normalised and defaults filled in."""
        from eegdec.data.paradigms import check_paradigm
        from eegdec.data.registry import get_dataset_spec
        from eegdec.evaluation.backends import check_backend
        from eegdec.evaluation.protocols import get_protocol
        from eegdec.preprocessing.alignment import check_alignment

        cfg = RunConfig(**asdict(self))
        cfg.paradigm = check_paradigm(cfg.paradigm)
        protocol = get_protocol(cfg.protocol)
        cfg.protocol = protocol.name
        cfg.alignment = check_alignment(cfg.alignment)
        if cfg.seeds is None:
            cfg.seeds = list(protocol.default_seeds)
        if cfg.class_weight is None:  # seizure windows are mostly non-seizure
            cfg.class_weight = "balanced" if cfg.paradigm == "seizure" else "none"
        if cfg.class_weight not in CLASS_WEIGHTS:
            raise BadInputError(
                f"Unknown --class-weight {cfg.class_weight!r}: use {' or '.join(CLASS_WEIGHTS)}."
            )
        if not cfg.models and not cfg.pipelines:
            raise BadInputError("No model to run: pass --model NAME or --pipelines DIR.")
        if cfg.n_folds < 2:
            raise BadInputError(f"--n-folds must be at least 2, got {cfg.n_folds}.")
        for name, value in (("epochs", cfg.epochs), ("batch-size", cfg.batch_size)):
            if value is not None and value < 1:
                raise BadInputError(f"--{name} must be a positive integer, got {value}.")
        if cfg.lr is not None and cfg.lr <= 0:
            raise BadInputError(f"--lr must be positive, got {cfg.lr}.")
        check_backend(cfg.backend)
        cfg.dataset = get_dataset_spec(cfg.dataset).name
        return cfg

    def hashed(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in NOT_HASHED}
