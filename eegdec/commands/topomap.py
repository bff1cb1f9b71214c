"""Draw channel-attention (DBConformer) or gradient-relevance maps of one trained checkpoint on
the trials of a dataset: scalp topomaps per class, a trials x channels heat map and, for
DBConformer, the temporal (P x P) and spatial (C x C) self-attention maps, as PNG files.

The paradigm, classes and alignment default to those of the run the checkpoint comes from
(RUN_DIR/config.yaml beside RUN_DIR/checkpoints/).

Example:
  eegdec topomap --checkpoint runs/x/checkpoints/dbconformer__1__0__0__1.pt \\
      --dataset PhysionetMI --subjects 1 --data-dir ../shared/data --out maps/
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eegdec.commands import Choices


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--checkpoint", required=True, metavar="CKPT",
      help="RUN_DIR/checkpoints/<fold_id>.pt written by `eegdec run --save-checkpoints`")
    a("--dataset", required=True, help="registered dataset. Example: --dataset PhysionetMI")
    a("--subjects", nargs="+", type=int, default=None, metavar="S",
      help="subjects whose trials are explained (default: all). Example: --subjects 1")
    a("--data-dir", default=None, help="data root. Example: --data-dir ../shared/data")
    a("--out", default="topomaps", metavar="DIR",
      help="folder for the PNG files (default: topomaps). Example: --out maps/")
    a("--paradigm", default=None, help="MI, LR or seizure (default: the run's, else MI)")
    a("--events", nargs="+", default=None, metavar="CLASS",
      help="classes (default: the run's). Example: --events left_hand right_hand")
    a("--alignment", default=None, metavar="MODE",
      choices=Choices("eegdec.preprocessing.alignment:ALIGNMENTS"),
      help="%(choices)s: Euclidean alignment per subject and session (default: the run's, "
           "else none)")
    a("--method", default="auto",
      choices=Choices("eegdec.models.relevance:METHODS"), metavar="METHOD",
      help="%(choices)s: channel attention when the model has it, else input x gradient")


def command(args: argparse.Namespace) -> int:
    from eegdec.errors import BadInputError
    from eegdec.evaluation.results import run_dir_of
    from eegdec.interpret.maps import model_figures, save_figures
    from eegdec.models.checkpoint import load_checkpoint
    from eegdec.preprocessing.alignment import align_domains, check_alignment
    from eegdec.preprocessing.load import load_epochs

    ckpt = Path(args.checkpoint)
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise BadInputError(f"--out {args.out} is a file: pass a folder for the PNG files.")
    model, meta = load_checkpoint(ckpt)
    run = run_dir_of(ckpt).read_config() or {}
    data = load_epochs(args.dataset, args.subjects, paradigm=args.paradigm or run.get(
        "paradigm", "MI"), events=args.events or run.get("events"), data_dir=args.data_dir,
        causal=bool(run.get("causal_filter")))
    build = meta["build"]
    if data.n_chans != build["n_chans"] or data.n_times != build["n_times"]:
        raise BadInputError(
            f"The checkpoint expects {build['n_chans']} channels x {build['n_times']} samples, "
            f"{args.dataset} gives {data.n_chans} x {data.n_times}: use the run's dataset and "
            "preprocessing."
        )
    if meta.get("classes") and list(meta["classes"]) != list(data.classes):
        raise BadInputError(
            f"The checkpoint was trained on classes {meta['classes']}, the data has "
            f"{data.classes}: pass --events {' '.join(meta['classes'])}."
        )
    alignment = args.alignment or run.get("alignment", "none")
    X = align_domains(data.X, data.domains(), check_alignment(alignment))
    figs, summary = model_figures(model, X, data.y, data.ch_names, data.classes,
                                  data.montage, method=args.method, title=ckpt.stem)
    for path in save_figures(figs, args.out, prefix=f"{ckpt.stem}_"):
        print(path)
    print(f"method: {summary['method']}; top-3 channels: {', '.join(summary['top3'])}")
    for cls, top in summary["top3_per_class"].items():
        print(f"  {cls}: {', '.join(top)}")
    return 0
