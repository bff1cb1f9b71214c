"""Run a protocol over models, subjects and seeds into a resumable run directory.

:func:`run_protocol` prepares the run directory, asks the protocol to plan its units of work
(skipping folds whose rows are already on disk), runs them with joblib (``n_jobs`` processes,
any backend of :mod:`eegdec.evaluation.backends`), and stores each unit's artefacts and rows
as soon as it finishes. Each fold's train and test trials are checked by the leakage audit
(:mod:`eegdec.evaluation.audit`) before its row is kept, the whole run once more at the end
(``audit.csv``), and each start of the run records its fingerprint
(:mod:`eegdec.evaluation.fingerprint`).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from eegdec import interrupts
from eegdec._version import __version__
from eegdec.data.epochs import EpochsData
from eegdec.errors import BadInputError, CorruptFileError
from eegdec.evaluation.backends import backend, is_sequential, returns_lists
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.decoders import builder, model_specs
from eegdec.evaluation.metrics import chance_level, score
from eegdec.evaluation.protocols import FoldResult, ModelSpec, Protocol, Unit, get_protocol
from eegdec.evaluation.results import RunStore, config_hash, fold_id
from eegdec.evaluation.stream_metrics import STREAM_METRICS
from eegdec.evaluation.transfer import methods_text


class RunProgress:
    """What a run reports while it goes; the base class ignores it (the CLI prints it)."""

    def start(self, store: RunStore, total: int | None) -> None:
        """Called once the run is checked and planned: ``total`` folds still to run."""

    def loading(self, dataset: str, subject: int) -> None:
        """A subject's epochs are about to be read (from the cache or the files)."""

    def fold_done(self, row: dict[str, Any]) -> None:
        """A fold finished; ``row`` is its results row."""


def default_run_dir(cfg: RunConfig, digest: str) -> Path:
    return Path("eegdec_results") / f"{cfg.dataset}-{cfg.paradigm}-{cfg.protocol}-{digest}"


def _subjects(cfg: RunConfig) -> list[int]:
    from eegdec.data.registry import check_subjects, get_dataset_spec

    return check_subjects(get_dataset_spec(cfg.dataset), cfg.subjects)


def _iter_subjects(cfg: RunConfig, progress: RunProgress, paradigm: str
                   ) -> Iterator[EpochsData]:
    from eegdec.preprocessing.load import iter_subject_epochs

    for subject in _subjects(cfg):
        interrupts.check()
        progress.loading(cfg.dataset, subject)
        yield from iter_subject_epochs(cfg.dataset, [subject], paradigm=paradigm,
                                       events=cfg.events, data_dir=cfg.data_dir,
                                       pipeline=cfg.preprocessing,
                                       causal=cfg.causal_filter)


def filter_text(cfg: RunConfig) -> str:
    """The run's filters in words (the ``filter`` column), e.g. ``"causal 8-32 Hz Butterworth
    order 4"`` under ``--causal-filter``."""
    from eegdec.preprocessing.load import resolve_pipeline

    return resolve_pipeline(cfg.dataset, cfg.paradigm, cfg.events, cfg.preprocessing,
                            causal=cfg.causal_filter).describe_filter()


def _by_paradigm(cfg: RunConfig, specs: list[ModelSpec]) -> dict[str, list[ModelSpec]]:
    """The decoders grouped by the paradigm whose epochs they read, the run's first."""
    groups: dict[str, list[ModelSpec]] = {cfg.paradigm: []}
    for spec in specs:
        groups.setdefault(spec.paradigm or cfg.paradigm, []).append(spec)
    return {p: g for p, g in groups.items() if g}


def _total(cfg: RunConfig, protocol: Protocol, n_model_seeds: int, done: set[str]
           ) -> int | None:
    """Folds still to run, from the registry entry's sessions (``None`` if unknown)."""
    from eegdec.data.registry import get_dataset_spec

    per = protocol.n_folds(cfg, get_dataset_spec(cfg.dataset).sessions)
    return None if per is None else max(per * len(_subjects(cfg)) * n_model_seeds - len(done),
                                        0)


@contextlib.contextmanager
def _warnings_to_log(store: RunStore, echo: bool) -> Iterator[None]:
    """Warnings raised by dependencies go to the run's log (and the console when ``echo``)."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            yield
    finally:  # outside the recording context: echoed warnings reach the console
        for w in caught:
            store.log(f"warning: {w.category.__name__}: {w.message} ({w.filename}:{w.lineno})")
            if echo:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


# -- executing one unit -------------------------------------------------------------------------
def _execute(protocol: Protocol, unit: Unit, cfg: RunConfig, digest: str,
             root: str) -> list[dict[str, Any]]:
    """Run one unit, write its artefacts and split records, audit them, then write its rows;
    return the rows. A leaking fold raises :class:`~eegdec.evaluation.audit.LeakError`."""
    from eegdec.evaluation.audit import check_split, split_record

    ref = unit.data
    build = builder(unit.model, cfg, ref.sfreq, len(ref.classes), ref.classes)
    store = RunStore(root)
    selection, run_cfg = None, cfg
    with _warnings_to_log(store, cfg.verbose):
        if cfg.select:  # nested: selection sees inner folds of the training part only
            from eegdec.evaluation import selection as sel

            t0 = time.perf_counter()
            grid = sel.grid_for(unit.model.kind, unit.model.name, cfg)
            folds = protocol.inner(unit, cfg, cfg.select_folds) if grid else []
            selection = sel.select(folds, build, unit.seed, grid, cfg.alignment)
            store.log(f"{unit.model.name}, subject {ref.metadata['subject'].iloc[0]}, seed "
                      f"{unit.seed}: selected {selection.text()} on {len(folds)} inner folds "
                      f"in {time.perf_counter() - t0:.1f} s")
            build, run_cfg = sel.selected_builder(build, selection.params), selection.config(cfg)
        results = protocol.run(unit, build, run_cfg)
    filt = filter_text(cfg)
    rows = []
    for res in results:
        fid = fold_id(unit.model.name, res.subject, res.session, res.fold, unit.seed,
                      res.n_calib)
        with _warnings_to_log(store, cfg.verbose):
            _save_artefacts(store, fid, unit, res, cfg)
        split = split_record(protocol, unit, res, run_cfg.alignment,
                             run_cfg.tta if unit.model.kind == "torch" else None)
        if split is not None:
            store.save_split(fid, split)
            check_split(split, fid)
        row = _row(fid, res, unit, cfg, digest, protocol.meta_for(unit, res), filt,
                   "" if split is None else split["target_data_seen"])
        if selection is not None:
            store.save_selection(fid, selection.table)
            row["selected"] = selection.text()
            if "alignment" in selection.params:  # chosen per fold: the column says so
                row["alignment"] = "selected"
        rows.append(row)
        store.log(f"{fid}: accuracy {rows[-1]['accuracy']:.3f} n_test {res.y_true.size}"
                  + (f" calib class counts {res.info['calib_class_counts']}"
                     if "calib_class_counts" in res.info else "")
                  + (f" sources (distance) {res.info['sources']}" if "sources" in res.info
                     else ""))
    store.append_rows(rows)
    # A fold's estimator, Lightning trainer and data module reference each other: without a
    # collection here their cycles (and the arrays they hold) outlive the fold until Python's
    # next full collection, so a whole run's peak memory would grow fold by fold.
    results = res = None  # dropped before the collection
    gc.collect()
    return rows


def _row(fid: str, res: FoldResult, unit: Unit, cfg: RunConfig, digest: str,
         meta: Any, filt: str, seen: str) -> dict[str, Any]:
    ref = unit.data
    window = ref.info.get("window_length", ref.n_times / ref.sfreq)
    metrics = score(res.y_true, res.y_pred, res.proba, paradigm=cfg.paradigm,
                    metadata=meta, window_length=window)
    return {
        "fold_id": fid, "dataset": cfg.dataset,
        "paradigm": unit.model.paradigm or cfg.paradigm, "protocol": cfg.protocol,
        "model": unit.model.name, "subject": res.subject,
        "session": res.session, "fold": res.fold, "seed": unit.seed,
        "alignment": cfg.alignment, "filter": filt, "target_data_seen": seen,
        "methods": methods_text(cfg, unit.model.kind),
        "n_calib": res.n_calib, "n_train": res.n_train,
        "n_test": int(res.y_true.size), "n_classes": len(ref.classes),
        "classes": " vs ".join(ref.classes), "chance_level": chance_level(res.y_true),
        **metrics,
        **{m: res.info.get("stream", {}).get(m, float("nan")) for m in STREAM_METRICS},
        "fit_seconds": round(res.fit_seconds, 3),
        "predict_seconds": round(res.predict_seconds, 3),
        "eegdec_version": __version__, "config_hash": digest, "selected": "",
    }


def _save_artefacts(store: RunStore, fid: str, unit: Unit, res: FoldResult,
                    cfg: RunConfig) -> None:
    from eegdec.evaluation import artefacts

    ref = unit.data
    proba = res.proba if res.proba is not None else np.empty((0, 0))
    store.save_npz("predictions", fid, y_true=res.y_true, y_pred=res.y_pred, proba=proba,
                   trial_index=res.trial_index,
                   subject=np.full(res.y_true.size, res.subject), classes=np.asarray(ref.classes))
    history = artefacts.history_frame(res.estimator)
    if history is not None:
        store.save_curve(fid, history)
    if "timecourse" in res.info:  # pseudo-online: accuracy vs time since cue, every decision
        store.save_timecourse(fid, res.info["timecourse"])
        store.save_npz("decisions", fid, **res.info["decisions"],
                       classes=np.asarray(ref.classes),
                       train_trials=np.asarray(res.info["train_trials"], dtype=str))
    if unit.model.kind != "torch" or not len(res.X_test):
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
def _open_store(cfg: RunConfig, digest: str, out: str | Path | None) -> RunStore:
    """The run directory of a resolved ``cfg``, with its ``config.yaml`` written."""
    store = RunStore(out or default_run_dir(cfg, digest))
    try:
        store.write_config({**cfg.hashed(), "device": cfg.device, "data_dir": cfg.data_dir},
                           digest)
    except OSError as exc:
        raise BadInputError(
            f"Cannot write the run directory {store.root} ({exc.strerror or exc}): pass --out "
            "a folder you can write to."
        ) from exc
    return store


def check_run(cfg: RunConfig, out: str | Path | None = None
              ) -> tuple[RunConfig, list[ModelSpec]]:
    """The resolved config and its decoders (``--pipelines`` parsed), writing nothing: bad
    input raises a one-line :class:`~eegdec.errors.BadInputError` before any file or fold."""
    if out is not None and not str(out).strip():
        raise BadInputError("--out is empty: pass the run directory to write, or leave it out.")
    resolved = cfg.resolved()
    return resolved, model_specs(resolved)


def folds_to_run(cfg: RunConfig, out: str | Path) -> int | None:
    """Folds ``cfg`` still has to run into ``out`` (``None`` when its protocol cannot say)."""
    from eegdec.evaluation.protocols.base import seeds_for

    cfg, specs = check_run(cfg, out)
    store = RunStore(out)
    done = store.done() if store.results_path.exists() else set()
    return _total(cfg, get_protocol(cfg.protocol), sum(len(seeds_for(cfg, s)) for s in specs),
                  done)


def run_protocol(cfg: RunConfig, out: str | Path | None = None,
                 progress: RunProgress | None = None) -> RunStore:
    """Run (or resume) ``cfg`` into ``out``; return the run's :class:`RunStore`.

    ``progress`` hears of the plan, each subject loaded and each fold finished. A run that
    fails before its first fold leaves no new run directory behind. The finished run is
    audited (``audit.csv``); a leaking fold raises
    :class:`~eegdec.evaluation.audit.LeakError`.
    """
    from eegdec.evaluation.audit import audit_run
    from eegdec.evaluation.fingerprint import fingerprint

    cfg, specs = check_run(cfg, out)
    digest = config_hash(cfg.hashed())
    fresh = not Path(out or default_run_dir(cfg, digest)).exists()
    store = _open_store(cfg, digest, out)

    def remove_if_empty() -> None:
        if fresh and not store.results_path.exists():  # stopped before its first fold
            shutil.rmtree(store.root, ignore_errors=True)

    try:
        store.add_fingerprint(fingerprint())
        with _warnings_to_log(store, cfg.verbose), interrupts.cleanup(remove_if_empty):
            _run(cfg, store, digest, specs, progress or RunProgress())
    except BaseException:
        remove_if_empty()
        raise
    audit_run(store.root)
    store.write_summary()
    return store


def _run(cfg: RunConfig, store: RunStore, digest: str, specs: list[ModelSpec],
         progress: RunProgress) -> None:
    from joblib import Parallel, delayed

    from eegdec.evaluation.protocols.base import seeds_for

    done = store.done()
    store.log(f"start {time.strftime('%Y-%m-%d %H:%M:%S')} config {digest}, "
              f"{len(done)} folds already done")
    protocol = get_protocol(cfg.protocol)
    progress.start(store, _total(cfg, protocol, sum(len(seeds_for(cfg, s)) for s in specs),
                                 done))
    # Each paradigm's decoders see its own epochs (loaded one subject at a time, per group).
    units = itertools.chain.from_iterable(
        protocol.plan(_iter_subjects(cfg, progress, paradigm), group, cfg, done)
        for paradigm, group in _by_paradigm(cfg, specs).items())
    root = str(store.root)
    parallel = not is_sequential(cfg.n_jobs, cfg.backend)
    return_as = "list" if returns_lists(cfg.backend) else "generator_unordered"
    with backend(cfg.backend, cfg.n_jobs) if parallel else contextlib.nullcontext():
        outputs = (
            Parallel(n_jobs=cfg.n_jobs, return_as=return_as)(
                delayed(_execute)(protocol, u, cfg, digest, root) for u in units)
            if parallel else (_execute(protocol, u, cfg, digest, root) for u in units)
        )
        for rows in outputs:
            for row in rows:
                progress.fold_done(row)
            interrupts.check()


def load_config(run_dir: str | Path) -> RunConfig:
    """The :class:`RunConfig` stored in ``run_dir/config.yaml`` (for ``--resume``)."""
    store = RunStore(run_dir)
    cfg = store.read_config()
    if cfg is None:
        raise BadInputError(f"{run_dir} has no config.yaml: pass the run directory to --resume.")
    if not isinstance(cfg, dict):
        raise CorruptFileError(f"{store.root / 'config.yaml'} is not a mapping of options: fix "
                               "or delete it, or start a fresh run with --out.")
    known = set(RunConfig.__dataclass_fields__)
    return RunConfig(**{k: v for k, v in cfg.items() if k in known})
