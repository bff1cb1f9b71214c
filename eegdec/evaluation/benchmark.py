"""``eegdec benchmark``: datasets x paradigms x pipelines x protocols x seeds in one resumable
comparison, and one results table across everything.

A :class:`Suite` (a YAML file read by :func:`load_suite`, or :func:`suite_from_flags`) lists
dataset entries (a dataset, its paradigm or classes, its subjects), pipelines (registry names,
or a MOABB-schema YAML file or folder), protocols and seeds. Each (entry, protocol) pair is a
*cell*: one :class:`~eegdec.evaluation.config.RunConfig` run by
:func:`~eegdec.evaluation.runner.run_protocol` into its own run directory ``OUT/<cell>``, so a
cell inherits the run directory's guarantees (a fold's row is written atomically after its
artefacts: a kill loses at most the folds in progress and never duplicates one; the leakage
audit; the fingerprint). Pipelines and seeds vary inside a cell. :func:`gather` reads every
cell into one table; :func:`finish_benchmark` writes ``OUT/results.csv`` and ``OUT/summary.md``
(the place where statistics and plots over the table are added).

Suite file (paths relative to the file's folder; every key but ``datasets`` optional)::

    name: shared
    data_dir: ../../shared/data
    pipelines: [csp-lda, ts-lr]        # registry names and/or one YAML file or folder
    protocols: [within-cv, loso]
    seeds: [1]
    subjects: null                     # all (an entry's own list wins)
    epochs: null                       # torch models: the recipe's
    options: {n_folds: 5}              # any other RunConfig field
    datasets:
      - {dataset: PhysionetMI, paradigm: LR, subjects: [1, 2, 3]}
      - {dataset: PhysionetMI, paradigm: MI, events: [hands, feet], protocols: [within-cv]}
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from eegdec.errors import BadInputError, CorruptFileError, EEGDecError
from eegdec.evaluation.config import RunConfig

if TYPE_CHECKING:
    from eegdec.evaluation.runner import RunProgress

SUITE_KEYS = ("name", "data_dir", "datasets", "pipelines", "protocols", "seeds", "subjects",
              "epochs", "options")
ENTRY_KEYS = ("dataset", "paradigm", "events", "subjects", "pipelines", "protocols", "options")
# RunConfig fields a suite sets through its own keys (or the command line), not ``options``.
OWN_FIELDS = ("dataset", "paradigm", "events", "models", "pipelines", "protocol", "subjects",
              "epochs", "seeds", "data_dir", "n_jobs", "backend", "device", "quiet", "verbose")
SUITE_FILE = "suite.yaml"  # the resolved suite, kept in OUT to refuse mixing two suites
TIMINGS_FILE = "timings.csv"
STATISTICS_DIR = "statistics"  # finish_benchmark's tables, one CSV per statistic
DEFAULT_PROTOCOLS = ("within-cv",)
SCORE = "accuracy"  # the ``score`` column of the gathered table


@dataclass
class Entry:
    """One dataset of a suite with its task; ``None`` fields take the suite's values."""

    dataset: str
    paradigm: str = "MI"
    events: list[str] | None = None
    subjects: list[int] | None = None
    pipelines: list[str] | None = None
    protocols: list[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Suite:
    """Datasets x pipelines x protocols x seeds; see the module docstring for the file."""

    datasets: list[Entry]
    pipelines: list[str] = field(default_factory=lambda: ["csp-lda"])
    protocols: list[str] = field(default_factory=lambda: list(DEFAULT_PROTOCOLS))
    seeds: list[int] = field(default_factory=lambda: [1])
    subjects: list[int] | None = None
    epochs: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    data_dir: str | None = None
    name: str = "benchmark"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Cell:
    """One run of the benchmark: an entry under one protocol (``name`` is its folder)."""

    name: str
    config: RunConfig


# -- reading a suite ----------------------------------------------------------------------------
def _check_keys(where: str, given: dict[str, Any], known: tuple[str, ...]) -> None:
    from eegdec.errors import suggest

    for key in given:
        if key not in known:
            raise BadInputError(f"{where}: unknown key {key!r}.{suggest(str(key), known)} "
                                f"Use {', '.join(known)}.")


def _list(value: Any) -> list[Any] | None:
    return None if value is None else list(value) if isinstance(value, (list, tuple)) \
        else [value]


def _check_options(where: str, options: Any) -> dict[str, Any]:
    if not isinstance(options, dict):
        raise BadInputError(f"{where}: options must be a mapping of RunConfig fields, got "
                            f"{options!r}.")
    fields = tuple(f for f in RunConfig.__dataclass_fields__ if f not in OWN_FIELDS)
    _check_keys(f"{where} options", options, fields)
    return dict(options)


def _resolve_path(value: str, base: Path | None) -> str:
    """A pipeline or data path from a suite file, relative to the file's folder."""
    path = Path(value).expanduser()
    return str(path if path.is_absolute() or base is None else (base / path).resolve())


def _is_path(name: str) -> bool:
    return name.endswith((".yml", ".yaml")) or "/" in name or name in (".", "..")


def load_suite(path: str | Path) -> Suite:
    """The :class:`Suite` of a YAML file, checked (unknown keys, datasets, pipelines,
    protocols, subjects: a one-line :class:`~eegdec.errors.BadInputError` naming the file and
    the entry)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"Suite file {path} does not exist: pass a YAML suite (see "
                            "benchmarks/shared_suite.yaml).")
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise BadInputError(f"{path}{line} is not valid YAML: fix the file.") from exc
    if not isinstance(doc, dict) or not doc.get("datasets"):
        raise BadInputError(f"{path}: a suite is a mapping with a 'datasets' list (see "
                            "benchmarks/shared_suite.yaml).")
    _check_keys(str(path), doc, SUITE_KEYS)
    base = path.resolve().parent
    entries = []
    for i, raw in enumerate(_list(doc["datasets"])):
        where = f"{path} datasets[{i}]"
        raw = {"dataset": raw} if isinstance(raw, str) else raw
        if not isinstance(raw, dict) or "dataset" not in raw:
            raise BadInputError(f"{where}: give a mapping with a 'dataset' key, or a name.")
        _check_keys(where, raw, ENTRY_KEYS)
        entries.append(Entry(
            dataset=str(raw["dataset"]), paradigm=str(raw.get("paradigm", "MI")),
            events=_list(raw.get("events")), subjects=_list(raw.get("subjects")),
            pipelines=_pipelines(raw.get("pipelines"), base),
            protocols=_list(raw.get("protocols")),
            options=_check_options(where, raw.get("options") or {})))
    suite = Suite(
        datasets=entries,
        pipelines=_pipelines(doc.get("pipelines"), base) or ["csp-lda"],
        protocols=_list(doc.get("protocols")) or list(DEFAULT_PROTOCOLS),
        seeds=_list(doc.get("seeds")) or [1], subjects=_list(doc.get("subjects")),
        epochs=doc.get("epochs"), options=_check_options(str(path), doc.get("options") or {}),
        data_dir=None if doc.get("data_dir") is None
        else _resolve_path(str(doc["data_dir"]), base),
        name=str(doc.get("name") or path.stem))
    check_suite(suite, str(path))
    return suite


def _pipelines(value: Any, base: Path | None) -> list[str] | None:
    names = _list(value)
    if names is None:
        return None
    return [_resolve_path(str(n), base) if _is_path(str(n)) else str(n) for n in names]


def suite_from_flags(datasets: list[str], paradigm: str = "MI", events: list[str] | None = None,
                     pipelines: list[str] | None = None, protocols: list[str] | None = None,
                     seeds: list[int] | None = None, subjects: list[int] | None = None,
                     epochs: int | None = None, data_dir: str | None = None) -> Suite:
    """The :class:`Suite` of ``eegdec benchmark --datasets ...`` (one entry per dataset, the
    same task for each), checked like a file."""
    if not datasets:
        raise BadInputError("No dataset: pass a suite file or --datasets NAME [NAME ...].")
    suite = Suite(datasets=[Entry(d, paradigm, events) for d in datasets],
                  pipelines=_pipelines(pipelines, Path.cwd()) or ["csp-lda"],
                  protocols=list(protocols or DEFAULT_PROTOCOLS), seeds=list(seeds or [1]),
                  subjects=subjects, epochs=epochs, data_dir=data_dir, name="flags")
    check_suite(suite, "eegdec benchmark")
    return suite


def override(suite: Suite, *, pipelines: list[str] | None = None,
             protocols: list[str] | None = None, seeds: list[int] | None = None,
             subjects: list[int] | None = None, epochs: int | None = None,
             data_dir: str | None = None) -> Suite:
    """``suite`` with the command line's values: ``pipelines`` and ``protocols`` replace the
    suite's and every entry's; ``subjects`` keeps, per entry, those the entry lists (an
    entry's list says what exists on disk)."""
    new = dataclasses.replace(suite, datasets=[dataclasses.replace(e) for e in suite.datasets])
    if pipelines:
        new.pipelines = _pipelines(pipelines, Path.cwd()) or []
    if protocols:
        new.protocols = list(protocols)
    for entry in new.datasets:
        entry.pipelines = None if pipelines else entry.pipelines
        entry.protocols = None if protocols else entry.protocols
        if subjects:
            entry.subjects = [s for s in subjects if entry.subjects is None
                              or s in entry.subjects]
    if subjects:
        new.subjects = list(subjects)
    new.seeds = list(seeds) if seeds else new.seeds
    new.epochs = epochs if epochs is not None else new.epochs
    new.data_dir = data_dir or new.data_dir
    check_suite(new, "eegdec benchmark")
    return new


# -- cells --------------------------------------------------------------------------------------
def _cell_config(suite: Suite, entry: Entry, protocol: str) -> RunConfig:
    from eegdec.evaluation.decoders import default_alignment

    names = entry.pipelines or suite.pipelines
    yaml_paths = [n for n in names if _is_path(n)]
    if len(yaml_paths) > 1:
        raise BadInputError(f"Pipelines {yaml_paths} name {len(yaml_paths)} YAML paths: put "
                            "the files in one folder and name the folder.")
    models = [n for n in names if not _is_path(n)]
    options = {**suite.options, **entry.options}
    options.setdefault("alignment", default_alignment(entry.paradigm, models))
    subjects = entry.subjects if entry.subjects is not None else suite.subjects
    return RunConfig(dataset=entry.dataset, paradigm=entry.paradigm, events=entry.events,
                     models=models, pipelines=yaml_paths[0] if yaml_paths else None,
                     protocol=protocol, subjects=subjects, epochs=suite.epochs,
                     seeds=list(suite.seeds), data_dir=suite.data_dir, **options)


def _cell_name(cfg: RunConfig) -> str:
    task = "+".join(cfg.events) if cfg.events else cfg.paradigm
    return f"{cfg.dataset}-{task}-{cfg.protocol}"


def cells(suite: Suite) -> list[Cell]:
    """The cross product entries x protocols as resolved configs, in suite order."""
    return check_suite(suite, f"suite {suite.name}")


def check_suite(suite: Suite, where: str) -> list[Cell]:
    """Every cell resolved and its decoders built, before anything runs; a problem is a
    one-line error naming ``where`` and the entry."""
    from eegdec.evaluation.runner import check_run

    out: list[Cell] = []
    for i, entry in enumerate(suite.datasets):
        for protocol in entry.protocols or suite.protocols:
            try:
                cfg, _ = check_run(_cell_config(suite, entry, protocol))
                _check_cross_subject(cfg)
            except EEGDecError as exc:
                raise type(exc)(f"{where} datasets[{i}] ({entry.dataset}, {protocol}): "
                                f"{exc}") from exc
            out.append(Cell(_cell_name(cfg), cfg))
    names = [c.name for c in out]
    repeated = [n for n in names if names.count(n) > 1]
    if repeated:
        raise BadInputError(f"{where}: the cell {repeated[0]} is listed twice: list each "
                            "dataset and task once.")
    return out


def _check_cross_subject(cfg: RunConfig) -> None:
    """A cross-subject protocol needs two subjects (known before any subject is loaded)."""
    from eegdec.data.registry import check_subjects, get_dataset_spec
    from eegdec.evaluation.protocols import get_protocol

    subjects = check_subjects(get_dataset_spec(cfg.dataset), cfg.subjects)
    if get_protocol(cfg.protocol).scope == "cross-subject" and len(subjects) < 2:
        raise BadInputError(f"--protocol {cfg.protocol} needs at least 2 subjects, got "
                            f"{subjects}: list two or more subjects.")


# -- running ------------------------------------------------------------------------------------
def default_out(suite: Suite) -> Path:
    from eegdec.evaluation.results import config_hash

    return Path("eegdec_results") / f"benchmark-{suite.name}-{config_hash(suite.to_dict())}"


def _suite_text(suite: Suite) -> str:
    import yaml

    return yaml.safe_dump(suite.to_dict(), sort_keys=False)


def prepare_out(suite: Suite, out: str | Path, resume: bool) -> Path:
    """Create ``out`` for ``suite``, or check that it holds the same suite (``resume``)."""
    out = Path(out)
    saved = out / SUITE_FILE
    text = _suite_text(suite)
    if saved.exists():
        if saved.read_text() != text:
            raise BadInputError(f"{out} holds another suite ({saved} differs): pass a new "
                                "--out, or the same suite and options to resume.")
        if not resume:
            raise BadInputError(f"{out} already holds this benchmark: pass --resume to "
                                "continue it, or a new --out.")
    elif out.exists() and any(out.iterdir()):
        raise BadInputError(f"{out} is not empty and holds no benchmark: pass a new --out.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        saved.write_text(text)
    except OSError as exc:
        raise BadInputError(f"Cannot write {out} ({exc.strerror or exc}): pass --out a folder "
                            "you can write to.") from exc
    return out


def total_folds(suite_cells: list[Cell], out: Path) -> int | None:
    """Folds left to run over every cell (``None`` if a protocol cannot say)."""
    from eegdec.evaluation.runner import folds_to_run

    counts = [folds_to_run(c.config, out / c.name) for c in suite_cells]
    return None if any(n is None for n in counts) else sum(counts)


def run_benchmark(suite: Suite, out: str | Path, resume: bool = False, n_jobs: int = 1,
                  backend: str = "loky", device: str = "auto",
                  progress: RunProgress | None = None,
                  on_cell: Callable[[int, Cell], None] | None = None) -> pd.DataFrame:
    """Run (or resume) every cell of ``suite`` into ``out/<cell>``; return :func:`gather`.

    Cells run one after the other, the folds of a cell over ``n_jobs`` processes of
    ``backend``, torch models on ``device``. ``progress`` (a
    :class:`~eegdec.evaluation.runner.RunProgress`) hears of every cell's folds;
    ``on_cell(index, cell)`` is called before each cell. Each cell's wall time is appended to
    ``out/timings.csv``.
    """
    from eegdec.evaluation.runner import run_protocol
    from eegdec.paths import atomic_write

    out = prepare_out(suite, out, resume)
    suite_cells = cells(suite)
    timings = out / TIMINGS_FILE
    for i, cell in enumerate(suite_cells):
        if on_cell is not None:
            on_cell(i, cell)
        cfg = dataclasses.replace(cell.config, n_jobs=n_jobs, backend=backend, device=device,
                                  quiet=True)
        before = _n_rows(out / cell.name)
        t0 = time.perf_counter()
        run_protocol(cfg, out / cell.name, progress=progress)
        line = (f"{cell.name},{_n_rows(out / cell.name) - before},"
                f"{time.perf_counter() - t0:.1f},{time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        old = timings.read_text() if timings.exists() else "cell,folds_run,wall_seconds,ended\n"
        atomic_write(timings, (old + line).encode())
    return gather(out)


def _n_rows(run_dir: Path) -> int:
    from eegdec.evaluation.results import RunStore

    store = RunStore(run_dir)
    return len(store.read_rows()) if store.results_path.exists() else 0


def gather(out: str | Path) -> pd.DataFrame:
    """Every fold of every cell in ``out``: the rows of the cells' ``results.csv`` with a
    ``cell`` column, ``pipeline`` (the model) and ``score`` (:data:`SCORE`); ``(cell,
    fold_id)`` is unique. Cells come in the order they ran (``timings.csv``), then the rest
    (started, not finished) by name."""
    from eegdec.evaluation.results import COLUMNS, RunStore

    out = Path(out)
    if not (out / SUITE_FILE).exists():
        raise BadInputError(f"{out} holds no benchmark ({SUITE_FILE} missing): pass the "
                            "--out folder of `eegdec benchmark`.")
    ran = list(_timings(out).index)
    dirs = sorted((p for p in out.iterdir() if (p / "config.yaml").exists()),
                  key=lambda p: (ran.index(p.name) if p.name in ran else len(ran), p.name))
    frames = []
    for run_dir in dirs:
        rows = RunStore(run_dir).read_rows()
        if not rows.empty:
            frames.append(rows.assign(cell=run_dir.name))
    if not frames:
        return pd.DataFrame(columns=["cell", "pipeline", "score", *COLUMNS])
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "cell", table.pop("cell"))
    table.insert(1, "pipeline", table["model"])
    table.insert(2, "score", table[SCORE])
    return table


def finish_benchmark(
    table: pd.DataFrame, out: str | Path
) -> tuple[Path, dict[str, pd.DataFrame] | None]:
    """Write ``out/results.csv`` (the gathered table), the statistics across pipelines and
    datasets (``out/statistics/{subjects,scores,pairs,meta}.csv``, see
    :func:`eegdec.evaluation.statistics.benchmark_statistics`) and ``out/summary.md`` (per cell:
    the run summary with its target data seen, the audit, the wall time; then the statistics and
    the fingerprint); return the summary's path and the statistics (None for an empty table)."""
    from eegdec.evaluation.fingerprint import fingerprint_line
    from eegdec.evaluation.results import RunStore, summarise, summary_markdown
    from eegdec.evaluation.statistics import benchmark_statistics, statistics_markdown
    from eegdec.paths import atomic_write

    out = Path(out)
    atomic_write(out / "results.csv", table.to_csv(index=False).encode())
    timings = _timings(out)
    lines = [f"# Benchmark {out.name}", "",
             f"{table['cell'].nunique() if len(table) else 0} cells, {len(table)} folds; "
             f"score = {SCORE}; wall time {timings.sum():.0f} s (every start summed).", ""]
    for cell, rows in table.groupby("cell", sort=False):
        store = RunStore(out / cell)
        audit = pd.read_csv(store.audit_path) if store.audit_path.exists() else pd.DataFrame()
        status = "not run" if audit.empty else \
            f"{(audit['status'] == 'ok').sum()} of {len(audit)} folds audited, no leak" \
            if not audit["status"].str.startswith("LEAK").any() else "LEAK (see audit.csv)"
        lines += [f"## {cell}", "", f"Seeds {', '.join(map(str, sorted(rows['seed'].unique())))}"
                  f"; wall time {timings.get(cell, float('nan')):.0f} s; audit: {status}.", "",
                  summary_markdown(summarise(rows.drop(columns=["cell", "pipeline", "score"])))]
    stats = benchmark_statistics(table) if len(table) else None
    if stats is not None:
        for name, frame in stats.items():
            atomic_write(out / STATISTICS_DIR / f"{name}.csv", frame.to_csv(index=False).encode())
        lines += ["## Statistics", "", statistics_markdown(stats)]
    fps = RunStore(out / table["cell"].iloc[0]).read_fingerprints() if len(table) else []
    if fps:
        lines += [f"Ran with: {fingerprint_line(fps[-1])}", ""]
    path = out / "summary.md"
    atomic_write(path, "\n".join(lines).encode())
    return path, stats


def _timings(out: Path) -> pd.Series:
    path = out / TIMINGS_FILE
    if not path.exists():
        return pd.Series(dtype=float)
    try:
        return pd.read_csv(path).groupby("cell", sort=False)["wall_seconds"].sum()
    except (ValueError, KeyError) as exc:
        raise CorruptFileError(f"Cannot read {path}: delete it (only wall times are lost)."
                               ) from exc
