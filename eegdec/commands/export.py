"""Export one fold of a run as a live decoder: ``model.onnx`` plus ``manifest.json`` (channels,
rate, window, hop, classes, causal filter coefficients, alignment reference, sha256). The
folder is what `eegdec stream --decoder` loads; it runs on numpy, scipy and ONNX Runtime.

The run needs --save-checkpoints (deep models); train it with --causal-filter so the
decoder filters exactly as the run was evaluated.

Example:
  eegdec run --dataset PhysionetMI --paradigm LR --subjects 1 --data-dir ../shared/data \\
      --model eegnet --causal-filter --save-checkpoints --out runs/s1
  eegdec export runs/s1 --format onnx --out decoders/s1
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eegdec.commands import Choices


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("run_dir", metavar="RUN_DIR", help="the --out folder of an `eegdec run --save-checkpoints`")
    a("--format", default="onnx", choices=Choices("eegdec.online.export:FORMATS"),
      metavar="FMT", help="%(choices)s (default: onnx). Example: --format onnx")
    a("--fold", default=None, metavar="FOLD_ID",
      help="which checkpoint (default: the first in RUN_DIR/checkpoints). "
           "Example: --fold eegnet__1__0__0__1")
    a("--hop", type=float, default=0.1, metavar="S",
      help="seconds between decisions (default: 0.1). Example: --hop 0.25")
    a("--out", default=None, metavar="DIR",
      help="export folder (default: RUN_DIR/export/<fold_id>). Example: --out decoders/s1")


def command(args: argparse.Namespace) -> int:
    from eegdec.evaluation.run_decoder import checkpoint_of, decoder_from_run

    fid, path = checkpoint_of(args.run_dir, args.fold)
    decoder = decoder_from_run(args.run_dir, path.stem, hop_s=args.hop)
    out = Path(args.out) if args.out else Path(args.run_dir) / "export" / path.stem
    decoder.export(out, args.format)
    print(f"{decoder!r}")
    print(f"exported {fid.label} to {out} (model.onnx, manifest.json)")
    return 0
