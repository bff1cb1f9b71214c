"""Compare pipelines across datasets, paradigms, protocols and seeds in one resumable run.

Each dataset entry x protocol is a run directory OUT/<cell> (as `eegdec run` writes); the
folds of every cell are gathered into OUT/results.csv and OUT/summary.md, with the leakage
audit and the fingerprint of each cell. A killed benchmark loses at most the folds in
progress: run the same command with --resume to continue it. Suite files: docs/benchmark.md.

Examples:
  eegdec benchmark benchmarks/shared_suite.yaml --out runs/shared
  eegdec benchmark benchmarks/shared_suite.yaml --subjects 1 4 --epochs 1 \\
      --pipelines csp-lda ts-lr --out runs/quick
  eegdec benchmark benchmarks/shared_suite.yaml --out runs/shared --resume
  eegdec benchmark benchmarks/shared_suite.yaml --out runs/shared --resume --figures docs/img
  eegdec benchmark --datasets SimMI-2class SimMI-4class --pipelines csp-lda ts-lr \\
      --protocols within-cv loso --subjects 1 2 3
"""

from __future__ import annotations

import argparse
import sys

from eegdec.commands import Choices


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("suite", nargs="?", default=None, metavar="SUITE.yaml",
      help="suite file (see docs/benchmark.md); or give --datasets. "
           "Example: benchmarks/shared_suite.yaml")
    a("--datasets", nargs="+", default=None, metavar="NAME",
      help="without a suite file: registered datasets to compare. "
           "Example: --datasets SimMI-2class PhysionetMI")
    a("--paradigm", default="MI", metavar="P",
      help="with --datasets: the paradigm of every dataset (default: MI). Example: --paradigm LR")
    a("--events", nargs="+", default=None, metavar="CLASS",
      help="with --datasets: only these classes. Example: --events hands feet")
    a("--pipelines", "--models", nargs="+", default=None, metavar="NAME",
      help="registry models and/or a MOABB-schema YAML file or folder; replaces the suite's. "
           "Example: --pipelines csp-lda ts-lr pipelines/ssvep-mdm.yml")
    a("--protocols", nargs="+", default=None, metavar="NAME",
      choices=Choices("eegdec.evaluation.protocols:protocol_names"),
      help="protocols (%(choices)s); replaces the suite's. Example: --protocols within-cv loso")
    a("--seeds", nargs="+", type=int, default=None, metavar="SEED",
      help="seeds of torch models (classical pipelines run the first). Example: --seeds 1 2 3")
    a("--subjects", nargs="+", type=int, default=None, metavar="S",
      help="subjects (within each entry's own list). Example: --subjects 1 4")
    a("--epochs", type=int, default=None,
      help="training epochs of torch models (default: the recipe's). Example: --epochs 1")
    a("--data-dir", default=None,
      help="data root (default: the suite's data_dir, else $EEGDEC_DATA, $MNE_DATA or "
           "~/mne_data). Example: --data-dir ../shared/data")
    a("--out", default=None, metavar="DIR",
      help="benchmark folder (default: eegdec_results/benchmark-<name>-<hash>). "
           "Example: --out runs/shared")
    a("--resume", action="store_true",
      help="continue the benchmark in --out (the same suite and options). Example: --resume")
    a("--n-jobs", type=int, default=1,
      help="folds of a cell run in parallel processes (default: 1). Example: --n-jobs 4")
    a("--backend", default="loky", choices=Choices("eegdec.evaluation.backends:BACKENDS"),
      metavar="NAME", help="joblib backend for --n-jobs, %(choices)s (default: loky). "
      "Example: --backend dask")
    a("--device", default="auto", choices=["cpu", "cuda", "auto"],
      help="where torch models train (default: auto). Example: --device cuda")
    a("--figures", default=None, metavar="DIR",
      help="also save the report's figures as PNG files in DIR (benchmark_scores.png, "
           "_paired, _meta, _calibration). Example: --figures docs/img")
    a("--quiet", action="store_true", help="print only the final summary. Example: --quiet")


def _suite(args: argparse.Namespace):
    from eegdec.errors import BadInputError
    from eegdec.evaluation.benchmark import load_suite, override, suite_from_flags

    if args.suite and args.datasets:
        raise BadInputError("Pass a suite file or --datasets, not both.")
    if args.suite:
        return override(load_suite(args.suite), pipelines=args.pipelines,
                        protocols=args.protocols, seeds=args.seeds, subjects=args.subjects,
                        epochs=args.epochs, data_dir=args.data_dir)
    if not args.datasets:
        raise BadInputError("No suite: pass SUITE.yaml or --datasets NAME [NAME ...].")
    return suite_from_flags(args.datasets, args.paradigm, args.events, args.pipelines,
                            args.protocols, args.seeds, args.subjects, args.epochs,
                            args.data_dir)


def command(args: argparse.Namespace) -> int:
    from eegdec import interrupts
    from eegdec.commands.progress import BenchmarkReporter
    from eegdec.evaluation.backends import is_sequential
    from eegdec.evaluation.benchmark import (
        cells,
        default_out,
        finish_benchmark,
        prepare_out,
        run_benchmark,
        total_folds,
    )

    suite = _suite(args)
    out = prepare_out(suite, args.out or default_out(suite), args.resume)
    suite_cells = cells(suite)
    reporter = BenchmarkReporter(sys.stderr, total_folds(suite_cells, out), len(suite_cells),
                                 out, quiet=args.quiet)

    def interrupted() -> str:
        reporter.close()
        return (f"interrupted: finished folds are saved in {out}; continue with the same "
                "command and --resume.")

    # Ctrl-C stops at the next batch or fold (eegdec.interrupts); a sequential run ends there.
    sequential = is_sequential(args.n_jobs, args.backend)
    try:
        with interrupts.deferred(interrupts.exit_after(interrupted) if sequential else None):
            table = run_benchmark(suite, out, resume=True, n_jobs=args.n_jobs,
                                  backend=args.backend, device=args.device,
                                  progress=reporter,
                                  on_cell=reporter.cell)
    except KeyboardInterrupt:
        print(interrupted(), file=sys.stderr)
        return 130
    finally:
        reporter.close()
    summary, stats = finish_benchmark(table, out)
    print(summary.read_text(), end="")
    line = f"results: {out / 'results.csv'} ({len(table)} folds), summary: {summary}"
    if stats is not None:
        from eegdec.interpret.benchmark_report import write_benchmark_report

        line += f", report: {write_benchmark_report(table, out, stats)}"
        if args.figures:
            from eegdec.interpret.benchmark_report import save_benchmark_figures

            paths = save_benchmark_figures(stats, args.figures)
            line += f", figures: {', '.join(str(p) for p in paths)}"
    print(line)
    return 0
