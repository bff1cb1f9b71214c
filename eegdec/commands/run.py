"""Train and evaluate decoders under a protocol; print and save a results table.

Every finished fold is appended to RUN_DIR/results.csv at once, so an interrupted run
resumes where it stopped: re-run the same command, or pass --resume RUN_DIR.

Examples:
  eegdec run                                   # simulated SimMI-2class, a few minutes on CPU
  eegdec run --paradigm MI --dataset PhysionetMI --subjects 1 --data-dir ../shared/data \\
      --events hands feet --model dbconformer --model csp-lda
  eegdec run --dataset PhysionetMI --paradigm LR --subjects 1 2 3 4 --protocol online \\
      --model eegnet --model ts-lr --calib-sizes 0 8 16 --epochs 20
  eegdec run --dataset PhysionetMI --paradigm LR --model csp-lda --causal-filter
  eegdec run --paradigm SSVEP --dataset SSVEPExo --data-dir ../shared/data --subjects 1 2
  eegdec run --dataset PhysionetMI --paradigm LR --protocol loso --model ts-lr --select \\
      --select-folds 3
  eegdec run --resume eegdec_results/SimMI-2class-MI-within-cv-1a2b3c4d5e
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from eegdec.commands import Choices

# The built-in default (no --dataset) must finish in a few minutes on a 2-core CPU; batch 16
# gives DBConformer enough steps to beat chance on 64 training trials in 15 epochs.
QUICK_DEFAULTS = {"subjects": [1, 2], "epochs": 15, "batch_size": 16}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from eegdec.data.paradigms import PARADIGMS

    a = parser.add_argument
    a("--paradigm", default="MI", metavar="P",
      help=f"one of {', '.join(PARADIGMS)}; LR is short for LeftRightImagery (default: MI, "
           "every motor-imagery class). Example: --paradigm LR")
    a("--dataset", default=None,
      help="registered dataset (see `eegdec datasets`); default: the built-in simulated "
           "SimMI-2class with subjects 1 2, 15 epochs, batch 16. Example: --dataset BNCI2014001")
    a("--events", nargs="+", default=None, metavar="CLASS",
      help="use only these classes. Example: --events hands feet")
    a("--model", action="append", dest="models", metavar="NAME",
      help="model from `eegdec models`; repeat to compare (default: dbconformer and "
           "csp-lda; under SSVEP paradigms the shipped SSVEP pipelines FB+MDM, FB+TS+LR, CCA, "
           "TRCA). Example: --model eegnet --model ts-lr")
    a("--pipelines", default=None, metavar="DIR",
      help="also evaluate the MOABB-schema YAML pipelines in DIR that list the paradigm. "
           "Example: --pipelines pipelines/")
    a("--protocol", default="within-cv",
      choices=Choices("eegdec.evaluation.protocols:protocol_names"), metavar="NAME",
      help="evaluation protocol: %(choices)s (default: within-cv). Example: --protocol loso")
    a("--cv", default="stratified", choices=Choices("eegdec.evaluation.splits:CV_MODES"),
      metavar="MODE", help="within-cv folds (%(choices)s): stratified shuffled (default) or "
      "the paper's contiguous blocks. Example: --cv contiguous")
    a("--n-folds", type=int, default=5, help="folds of within-cv (default: 5). "
      "Example: --n-folds 4")
    a("--subjects", nargs="+", type=int, default=None, metavar="S",
      help="subject numbers (default: all). Example: --subjects 1 2 3")
    a("--epochs", type=int, default=None,
      help="training epochs of torch models (default: the recipe's, 100-200). "
           "Example: --epochs 50")
    a("--lr", type=float, default=None, help="learning rate (default: the recipe's). "
      "Example: --lr 1e-3")
    a("--batch-size", type=int, default=None, help="batch size (default: the recipe's, 32). "
      "Example: --batch-size 64")
    a("--seeds", nargs="+", type=int, default=None, metavar="SEED",
      help="seeds of torch models (default: 1; online: 1 2 3). Classical pipelines are "
           "deterministic and run the first only. Example: --seeds 1 2 3 4 5")
    a("--alignment", default=None,
      choices=Choices("eegdec.preprocessing.alignment:ALIGNMENTS"), metavar="MODE",
      help="Euclidean alignment (%(choices)s): causal (default; none under SSVEP paradigms "
           "when no torch model runs), none, or transductive (test reference from all test "
           "trials, as the DBConformer code). Example: --alignment none")
    a("--causal-filter", action="store_true",
      help="filter causally (forward-only Butterworth/notch, as a live stream must) instead of "
           "MOABB's zero-phase filters, which look ahead; the results' filter column says "
           "which ran. Example: --causal-filter")
    a("--preprocessing", default=None, metavar="FILE",
      help="preprocessing pipeline YAML (steps such as bandpass, window; see "
           "docs/design.md) instead of the dataset's default (MOABB's: 8-32 Hz, the dataset "
           "window). Example: --preprocessing pipelines/preprocessing/mi-8-30-0.5-2.5.yaml")
    a("--class-weight", default=None, metavar="W",
      choices=Choices("eegdec.evaluation.config:CLASS_WEIGHTS"),
      help="%(choices)s: class weights of the torch models' cross-entropy (default: balanced for "
           "--paradigm seizure, else none). Example: --class-weight balanced")
    a("--calib-sizes", nargs="+", type=int, default=None, metavar="N",
      help="online: labelled target trials N (default: 0 8 16 32 48; sizes above half "
           "the target session are dropped). Example: --calib-sizes 0 4 8 16")
    a("--fine-tune-epochs", type=int, default=None,
      help="online: fine-tuning epochs on the N trials (default: the recipe's, 20). "
           "Example: --fine-tune-epochs 10")
    a("--select", action="store_true",
      help="nested model selection: per outer fold, choose epochs/lr/dropout/alignment on "
           "inner folds of its training data only (inner LOSO over the source subjects, "
           "inner k-fold within subject); see docs/evaluation.md. Example: --select")
    a("--select-grid", default=None, metavar="G",
      help="the grid --select searches (default: per model family: torch epochs and lr, "
           "classical alignment). Example: --select-grid 'epochs=10,30;lr=1e-3,3e-4'")
    a("--select-folds", type=int, default=None, metavar="K",
      help="--select: use K inner folds (default: every source subject; 3 within subject). "
           "Example: --select-folds 3")
    a("--augment", default=None, metavar="NAMES",
      help="augment torch models' training batches with braindecode transforms, comma-"
           "separated: frequency-shift, smooth-time-mask, channels-dropout, ft-surrogate, mixup "
           "(see docs/transfer.md). Example: --augment frequency-shift,mixup")
    a("--tta", default=None, choices=Choices("eegdec.training.tta:TTA_MODES"), metavar="MODE",
      help="loso/online: test-time adaptation of batch-norm statistics to the new subject, "
           "%(choices)s (causal: trials seen so far). Example: --tta adabn")
    a("--finetune", default=None, metavar="PART",
      choices=Choices("eegdec.training.finetune:FINETUNE_STRATEGIES"),
      help="online: layers fine-tuned on the N calibration trials, %(choices)s, with early "
           "stopping on 25%% of them when N >= 8. Example: --finetune head")
    a("--source-select", type=int, default=None, metavar="K",
      help="online: train on the K source subjects whose aligned covariances are nearest the "
           "target's calibration block (signals only). Example: --source-select 6")
    a("--source-weight", action="store_true",
      help="online: weight each source subject's trials by that similarity (torch models). "
           "Example: --source-weight")
    a("--ensemble", action="store_true",
      help="also report the average of the seeds' predicted probabilities beside the single-"
           "seed numbers (RUN_DIR/ensemble.md). Example: --seeds 1 2 3 --ensemble")
    a("--device", default="auto", choices=["cpu", "cuda", "auto"],
      help="where torch models train (default: auto). Example: --device cuda")
    a("--data-dir", default=None,
      help="data root (default: $EEGDEC_DATA, $MNE_DATA or ~/mne_data). "
           "Example: --data-dir ../shared/data")
    a("--out", default=None, metavar="DIR",
      help="run directory (default: eegdec_results/<dataset>-<paradigm>-<protocol>-<hash>). "
           "Example: --out runs/physionet")
    a("--resume", default=None, metavar="DIR",
      help="continue the run in DIR with its saved config (other options but --n-jobs, "
           "--backend, --device, --report, --quiet, --verbose are ignored). "
           "Example: --resume runs/x")
    a("--n-jobs", type=int, default=1,
      help="folds run in parallel processes (joblib; default: 1). Example: --n-jobs 4")
    a("--backend", default="loky", choices=Choices("eegdec.evaluation.backends:BACKENDS"),
      metavar="NAME", help="joblib backend for --n-jobs, %(choices)s (dask/ray spread folds "
      "over a cluster; default: loky). Example: --backend dask")
    a("--save-checkpoints", action="store_true",
      help="save each torch fold's weights in RUN_DIR/checkpoints. Example: --save-checkpoints")
    a("--report", action="store_true",
      help="write RUN_DIR/report.html when the run ends. Example: --report")
    a("--quiet", action="store_true", help="print only the final table. Example: --quiet")
    a("--verbose", action="store_true",
      help="also print warnings raised by dependencies (always kept in RUN_DIR/logs/run.log). "
           "Example: --verbose")


def _config(args: argparse.Namespace):
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.runner import load_config

    runtime = {"device": args.device, "n_jobs": args.n_jobs, "backend": args.backend,
               "quiet": args.quiet, "verbose": args.verbose,
               "save_checkpoints": args.save_checkpoints}
    if args.resume:
        cfg = load_config(args.resume)
        for key, value in runtime.items():
            setattr(cfg, key, value)
        if args.data_dir:
            cfg.data_dir = args.data_dir
        return cfg, args.resume
    from eegdec.evaluation.decoders import default_alignment, default_decoders

    quick = args.dataset is None
    models, pipelines = args.models or [], args.pipelines
    if not models and not pipelines:
        models, pipelines = default_decoders(args.paradigm)
    cfg = RunConfig(
        dataset=args.dataset or "SimMI-2class", paradigm=args.paradigm, events=args.events,
        models=models, pipelines=pipelines, protocol=args.protocol, cv=args.cv,
        n_folds=args.n_folds,
        subjects=args.subjects if args.subjects or not quick else QUICK_DEFAULTS["subjects"],
        epochs=args.epochs if args.epochs is not None or not quick else QUICK_DEFAULTS["epochs"],
        lr=args.lr, seeds=args.seeds,
        alignment=args.alignment or default_alignment(args.paradigm, models),
        causal_filter=args.causal_filter, class_weight=args.class_weight,
        batch_size=args.batch_size if args.batch_size or not quick
        else QUICK_DEFAULTS["batch_size"],
        fine_tune_epochs=args.fine_tune_epochs, data_dir=args.data_dir,
        select=args.select, select_grid=args.select_grid, select_folds=args.select_folds,
        augment=args.augment, tta=args.tta, finetune=args.finetune,
        source_select=args.source_select, source_weight=args.source_weight,
        preprocessing=args.preprocessing, **runtime,
    )
    if args.calib_sizes:
        cfg.calib_sizes = args.calib_sizes
    return cfg, args.out


def command(args: argparse.Namespace) -> int:
    import importlib.util

    from eegdec import interrupts
    from eegdec.commands.progress import RunReporter
    from eegdec.evaluation.backends import is_sequential
    from eegdec.evaluation.results import RunStore, summarise, summary_console
    from eegdec.evaluation.runner import run_protocol

    cfg, out = _config(args)
    reporter = RunReporter(sys.stderr, quiet=args.quiet)

    def interrupted() -> str:
        reporter.close()
        root = reporter.root
        if root is None or not RunStore(root).results_path.exists():
            return "interrupted before the first fold finished: nothing was saved."
        n = len(RunStore(root).read_rows())
        return (f"interrupted: {n} finished folds are saved in {root}; resume with: "
                f"eegdec run --resume {root}")

    # Ctrl-C stops at the next batch or fold (eegdec.interrupts); a sequential run ends there.
    sequential = is_sequential(cfg.n_jobs, cfg.backend)
    try:
        with interrupts.deferred(interrupts.exit_after(interrupted) if sequential else None), \
                _epoch_progress(cfg, reporter):
            store = run_protocol(cfg, out, progress=reporter)
    except KeyboardInterrupt:
        print(interrupted(), file=sys.stderr)
        return 130
    finally:
        reporter.close()
    rows = store.read_rows()
    print(summary_console(summarise(rows)), end="")
    if cfg.select:
        from eegdec.evaluation.selection import selected_line

        print(selected_line(rows))
    if args.ensemble:
        from eegdec.evaluation.ensemble import write_ensemble

        print(write_ensemble(store), end="")
    print(f"results: {store.root} (full table: summary.md)")
    if args.report:
        if importlib.util.find_spec("eegdec.interpret.report") is None:
            print("--report: eegdec.interpret.report is not available; skipped.",
                  file=sys.stderr)
        else:
            from eegdec.interpret.report import write_report

            print(f"report: {write_report(store.root)}")
    return 0


def _epoch_progress(cfg, reporter) -> contextlib.AbstractContextManager:
    """Epoch progress inside a fold: on a terminal, for sequential runs with a torch model."""
    from eegdec.models.registry import get_model_info

    if not reporter.live or cfg.n_jobs != 1 or cfg.backend != "loky" or not any(
            get_model_info(m).kind == "torch" for m in cfg.models):
        return contextlib.nullcontext()
    from eegdec.training.trainer import epoch_progress

    return epoch_progress(reporter.epoch)
