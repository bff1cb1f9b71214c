"""Run a protocol over models, subjects and seeds into a resumable run directory.

:func:`run_protocol` plans the units of work (one per fold for within-subject protocols, one
per held-out subject for ``loso``/``online``), skips those whose rows are already on disk,
runs the rest with joblib (``n_jobs`` processes, any joblib backend), and each unit writes
its artefacts and rows as soon as it finishes.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eegdec._version import __version__
from eegdec.data.epochs import EpochsData
from eegdec.errors import BadInputError
from eegdec.evaluation import protocols as P
from eegdec.evaluation.metrics import chance_level, score
from eegdec.evaluation.results import RunStore, config_hash, fold_id
from eegdec.evaluation.splits import (
    CROSS_PROTOCOLS,
    DEFAULT_CALIB_SIZES,
    calib_sizes_for,
    check_protocol,
    within_splits,
)

# Config keys that do not change results (left out of the hash that names the run).
_NOT_HASHED = ("device", "data_dir", "n_jobs", "backend", "save_checkpoints", "quiet")
PARADIGMS = {"mi": "MI", "lr": "LeftRightImagery", "leftrightimagery": "LeftRightImagery",
             "seizure": "seizure"}


@dataclass
class RunConfig:
    """Everything that defines a run (``config.yaml`` holds it, hashed)."""

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

    def resolved(self) -> RunConfig:
        """Validated copy with names normalised and defaults filled in."""
        cfg = RunConfig(**asdict(self))
        key = cfg.paradigm.lower().replace("_", "").replace("-", "")
        if key not in PARADIGMS:
            raise BadInputError(
                f"Unknown paradigm {cfg.paradigm!r}: use MI, LR (LeftRightImagery) or seizure."
            )
        cfg.paradigm = PARADIGMS[key]
        cfg.protocol = check_protocol(cfg.protocol)
        cfg.alignment = P.check_alignment(cfg.alignment)
        if cfg.seeds is None:
            cfg.seeds = [1, 2, 3] if cfg.protocol == "online" else [1]
        if cfg.class_weight is None:  # seizure windows are mostly non-seizure
            cfg.class_weight = "balanced" if cfg.paradigm == "seizure" else "none"
        if cfg.class_weight not in ("none", "balanced"):
            raise BadInputError(
                f"Unknown --class-weight {cfg.class_weight!r}: use none or balanced."
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
        if cfg.backend not in ("loky", "dask", "ray"):
            raise BadInputError(f"Unknown --backend {cfg.backend!r}: use loky, dask or ray.")
        from eegdec.data.registry import get_dataset_spec

        cfg.dataset = get_dataset_spec(cfg.dataset).name
        return cfg

    def hashed(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in _NOT_HASHED}


@dataclass
class ModelSpec:
    """A decoder to evaluate: registry model or MOABB-schema pipeline."""

    name: str
    kind: str  # "torch" or "sklearn"
    pipeline: Any = None


@dataclass
class Task:
    """One unit of work: a within-subject fold, or one held-out subject (loso/online)."""

    kind: str  # within | loso | online
    model: ModelSpec
    seed: int
    data: EpochsData | None = None
    split: P.Split | None = None
    source: EpochsData | None = None
    target: EpochsData | None = None
    todo_sessions: list[str] | None = None
    calib_sizes: list[int] | None = None


def default_run_dir(cfg: RunConfig, digest: str) -> Path:
    return Path("eegdec_results") / f"{cfg.dataset}-{cfg.paradigm}-{cfg.protocol}-{digest}"


def model_specs(cfg: RunConfig) -> list[ModelSpec]:
    """Registry models and MOABB-schema pipelines (``cfg.pipelines``) for the paradigm."""
    from eegdec.models.registry import get_model_info

    specs = [ModelSpec(get_model_info(m).name, get_model_info(m).kind) for m in cfg.models]
    if cfg.pipelines:
        specs += _moabb_pipelines(cfg.pipelines, cfg.paradigm)
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise BadInputError(f"Model names repeat in {names}: pass each --model once.")
    return specs


def _moabb_pipelines(path: str, paradigm: str) -> list[ModelSpec]:
    """MOABB-schema YAML pipelines that declare ``paradigm`` (parsed by MOABB itself)."""
    from moabb.pipelines.utils import parse_pipelines_from_directory

    if not Path(path).exists():
        raise BadInputError(f"--pipelines {path} does not exist: pass a folder of .yml files.")
    wanted = {"MI": {"MotorImagery"}, "LeftRightImagery": {"LeftRightImagery", "MotorImagery"},
              "seizure": {"seizure", "Seizure"}}[paradigm]
    found = parse_pipelines_from_directory(str(path))
    specs = [ModelSpec(str(c["name"]), "sklearn", c["pipeline"]) for c in found
             if wanted & set(c.get("paradigms", []))]
    if not specs:
        raise BadInputError(
            f"No pipeline in {path} lists paradigm {sorted(wanted)[0]}: add it to the "
            "'paradigms' key of a YAML file."
        )
    return specs


def _float64(X: np.ndarray) -> np.ndarray:
    return np.asarray(X, dtype=np.float64)


def _builder(spec: ModelSpec, cfg: RunConfig, sfreq: float, n_classes: int) -> Callable:
    """``build(seed) -> unfitted estimator``.

    Classical pipelines get float64 input: the first trial of an incrementally aligned
    stream has an exactly white covariance, on which pyriemann's OAS estimator breaks down
    in float32 (negative eigenvalues, NaN features).
    """
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from eegdec.training.estimators import make_estimator

    def build(seed: int) -> Any:
        if spec.pipeline is not None:
            est = clone(spec.pipeline)
        else:
            est = make_estimator(spec.name, sfreq=sfreq, n_classes=n_classes,
                                 protocol=cfg.protocol, seed=seed, device=cfg.device,
                                 epochs=cfg.epochs, lr=cfg.lr)
        if spec.kind != "torch":
            return make_pipeline(FunctionTransformer(_float64), est)
        if cfg.batch_size is not None:
            est.set_params(batch_size=cfg.batch_size)
        if cfg.class_weight == "balanced":
            est.set_params(class_weight="balanced")
        return est

    return build


# -- data ---------------------------------------------------------------------------------------
def _iter_subjects(cfg: RunConfig) -> Iterator[EpochsData]:
    from eegdec.data.load import iter_subject_epochs

    yield from iter_subject_epochs(cfg.dataset, cfg.subjects, paradigm=cfg.paradigm,
                                   events=cfg.events, data_dir=cfg.data_dir)


def _plan(cfg: RunConfig, specs: list[ModelSpec], done: set[str]) -> Iterator[Task]:
    """Tasks still to do; subjects are loaded one at a time for within-subject protocols."""
    if cfg.protocol in CROSS_PROTOCOLS:
        yield from _plan_cross(cfg, specs, done)
        return
    for data in _iter_subjects(cfg):
        splits = within_splits(cfg.protocol, data.metadata, data.y, cv=cfg.cv,
                               n_folds=cfg.n_folds, seed=cfg.cv_seed)
        for spec in specs:
            for seed in _seeds(cfg, spec):
                for split in splits:
                    fid = fold_id(spec.name, split.subject, split.session, split.fold, seed)
                    if fid not in done:
                        yield Task("within", spec, seed, data=data, split=split)


def _plan_cross(cfg: RunConfig, specs: list[ModelSpec], done: set[str]) -> Iterator[Task]:
    subjects = {str(d.metadata["subject"].iloc[0]): d for d in _iter_subjects(cfg)}
    if len(subjects) < 2:
        raise BadInputError(
            f"--protocol {cfg.protocol} needs at least 2 subjects, got {list(subjects)}."
        )
    for target_name, target in subjects.items():
        sessions = sorted(target.metadata["session"].astype(str).unique())
        n_last = int((target.metadata["session"].astype(str) == sessions[-1]).sum())
        sizes = calib_sizes_for(n_last, tuple(cfg.calib_sizes)) if cfg.protocol == "online" \
            else None
        source = None
        for spec in specs:
            for seed in _seeds(cfg, spec):
                if cfg.protocol == "loso":
                    ids = {s: fold_id(spec.name, target_name, s, 0, seed) for s in sessions}
                    todo = [s for s, f in ids.items() if f not in done]
                else:
                    ids = {n: fold_id(spec.name, target_name, sessions[-1], 0, seed, n)
                           for n in sizes}
                    todo = [n for n, f in ids.items() if f not in done]
                if not todo:
                    continue
                if source is None:
                    source = EpochsData.concat(
                        [d for s, d in subjects.items() if s != target_name])
                yield Task(cfg.protocol, spec, seed, source=source,
                           target=target, calib_sizes=sizes,
                           todo_sessions=todo if cfg.protocol == "loso" else None)


def _seeds(cfg: RunConfig, spec: ModelSpec) -> list[int]:
    """Torch models run every seed; deterministic classical pipelines only the first."""
    return list(cfg.seeds) if spec.kind == "torch" else list(cfg.seeds[:1])


# -- executing one task -------------------------------------------------------------------------
def _execute(task: Task, cfg: RunConfig, digest: str, root: str) -> list[dict[str, Any]]:
    """Run one task, write its artefacts then its rows; return the rows."""
    ref = task.data if task.data is not None else task.target
    build = _builder(task.model, cfg, ref.sfreq, len(ref.classes))
    if task.kind == "within":
        results = [P.run_within(build, task.seed, task.data, task.split, cfg.alignment)]
        test_meta = [task.data.metadata.iloc[task.split.test]]
    elif task.kind == "loso":
        results = P.run_loso(build, task.seed, task.source, task.target, cfg.alignment,
                             sessions=task.todo_sessions)
        test_meta = [_meta_for(task.target, r) for r in results]
    else:
        from eegdec.training.recipes import load_recipe

        recipe = load_recipe(task.model.name if task.model.pipeline is None else "default",
                             "online")
        results = P.run_online(build, task.seed, task.source, task.target, cfg.alignment,
                               task.calib_sizes, kind=task.model.kind,
                               fine_tune_epochs=cfg.fine_tune_epochs or recipe["fine_tune_epochs"],
                               fine_tune_lr=recipe["fine_tune_lr"])
        test_meta = [_meta_for(task.target, r) for r in results]
    store = RunStore(root)
    rows = []
    for res, meta in zip(results, test_meta):
        fid = fold_id(task.model.name, res.subject, res.session, res.fold, task.seed,
                      res.n_calib)
        _save_artefacts(store, fid, task, res, ref, cfg)
        rows.append(_row(fid, res, task, ref, cfg, digest, meta))
        store.log(f"{fid}: accuracy {rows[-1]['accuracy']:.3f} n_test {res.y_true.size}"
                  + (f" calib class counts {res.info['calib_class_counts']}"
                     if "calib_class_counts" in res.info else ""))
    store.append_rows(rows)
    return rows


def _meta_for(data: EpochsData, res: P.FoldResult) -> pd.DataFrame:
    meta = data.metadata
    mask = (meta["session"].astype(str) == res.session).to_numpy()
    sub = meta[mask]
    return sub.set_index("trial").loc[res.trial_index].reset_index()


def _row(fid: str, res: P.FoldResult, task: Task, ref: EpochsData, cfg: RunConfig,
         digest: str, meta: pd.DataFrame) -> dict[str, Any]:
    window = ref.info.get("window_length", ref.n_times / ref.sfreq)
    metrics = score(res.y_true, res.y_pred, res.proba, paradigm=cfg.paradigm,
                    metadata=meta, window_length=window)
    return {
        "fold_id": fid, "dataset": cfg.dataset, "paradigm": cfg.paradigm,
        "protocol": cfg.protocol, "model": task.model.name, "subject": res.subject,
        "session": res.session, "fold": res.fold, "seed": task.seed,
        "alignment": cfg.alignment, "n_calib": res.n_calib, "n_train": res.n_train,
        "n_test": int(res.y_true.size), "n_classes": len(ref.classes),
        "classes": " vs ".join(ref.classes), "chance_level": chance_level(res.y_true),
        **metrics,
        "fit_seconds": round(res.fit_seconds, 3),
        "predict_seconds": round(res.predict_seconds, 3),
        "eegdec_version": __version__, "config_hash": digest,
    }


def _save_artefacts(store: RunStore, fid: str, task: Task, res: P.FoldResult,
                    ref: EpochsData, cfg: RunConfig) -> None:
    from eegdec.evaluation import artefacts

    proba = res.proba if res.proba is not None else np.empty((0, 0))
    store.save_npz("predictions", fid, y_true=res.y_true, y_pred=res.y_pred, proba=proba,
                   trial_index=res.trial_index,
                   subject=np.full(res.y_true.size, res.subject), classes=np.asarray(ref.classes))
    history = artefacts.history_frame(res.estimator)
    if history is not None:
        store.save_curve(fid, history)
    if task.model.kind != "torch":
        return
    module = artefacts.torch_module(res.estimator)
    if module is None:
        return
    store.save_npz("attention", fid, **artefacts.channel_relevance(module, res.X_test),
                   ch_names=np.asarray(ref.ch_names),
                   y_true=res.y_true, y_pred=res.y_pred, montage=np.asarray(ref.montage or ""))
    if cfg.save_checkpoints:
        store.save_checkpoint(fid, artefacts.checkpoint(res.estimator, module, ref))


# -- the run ------------------------------------------------------------------------------------
@contextlib.contextmanager
def _backend(name: str, n_jobs: int):
    from joblib import parallel_config

    if name == "dask":
        try:
            from distributed import Client
        except ImportError as exc:
            raise BadInputError("--backend dask needs dask.distributed: pip install "
                                "'dask[distributed]'.") from exc
        # Client() joins the cluster named by DASK_SCHEDULER_ADDRESS, else starts a local one.
        # Each task ships its subject's epochs, so workers need no data directory; dask warns
        # about such "large graphs", which is expected here.
        with Client() as _client, parallel_config(backend="dask"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sending large graph")
            yield
    elif name == "ray":
        try:
            from ray.util.joblib import register_ray
        except ImportError as exc:
            raise BadInputError("--backend ray needs ray: pip install 'ray[default]'.") from exc
        register_ray()
        with parallel_config(backend="ray"):
            yield
    else:
        with parallel_config(backend="loky", n_jobs=n_jobs):
            yield


def prepare(cfg: RunConfig, out: str | Path | None = None) -> tuple[RunConfig, RunStore, str]:
    """Resolve ``cfg``, create (or reopen) its run directory and write ``config.yaml``."""
    cfg = cfg.resolved()
    digest = config_hash(cfg.hashed())
    store = RunStore(out or default_run_dir(cfg, digest))
    store.write_config({**cfg.hashed(), "device": cfg.device, "data_dir": cfg.data_dir}, digest)
    return cfg, store, digest


def run_protocol(cfg: RunConfig, out: str | Path | None = None,
                 progress: Callable[[dict[str, Any]], None] | None = None) -> RunStore:
    """Run (or resume) ``cfg`` into ``out``; return the run's :class:`RunStore`.

    ``progress`` is called with every finished row.
    """
    from joblib import Parallel, delayed

    cfg, store, digest = prepare(cfg, out)
    specs = model_specs(cfg)
    done = store.done()
    store.log(f"start {time.strftime('%Y-%m-%d %H:%M:%S')} config {digest}, "
              f"{len(done)} folds already done")
    tasks = _plan(cfg, specs, done)
    root = str(store.root)
    parallel = cfg.n_jobs != 1 or cfg.backend != "loky"
    # ray's joblib backend returns lists only (each fold still writes its rows when it ends)
    return_as = "list" if cfg.backend == "ray" else "generator_unordered"
    with _backend(cfg.backend, cfg.n_jobs) if parallel else contextlib.nullcontext():
        outputs = (
            Parallel(n_jobs=cfg.n_jobs, return_as=return_as)(
                delayed(_execute)(t, cfg, digest, root) for t in tasks)
            if parallel else (_execute(t, cfg, digest, root) for t in tasks)
        )
        for rows in outputs:
            for row in rows:
                if progress is not None:
                    progress(row)
    store.write_summary()
    return store


def load_config(run_dir: str | Path) -> RunConfig:
    """The :class:`RunConfig` stored in ``run_dir/config.yaml`` (for ``--resume``)."""
    cfg = RunStore(run_dir).read_config()
    if cfg is None:
        raise BadInputError(f"{run_dir} has no config.yaml: pass the run directory to --resume.")
    known = set(RunConfig.__dataclass_fields__)
    return RunConfig(**{k: v for k, v in cfg.items() if k in known})
