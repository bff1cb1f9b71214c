"""Decode a live Lab Streaming Layer stream and publish the decisions as LSL streams:
<OUT>-proba (float32, one channel per class: the class probabilities of each decision) and
<OUT>-labels (string markers: the decided class), each decision stamped with the time of the
last sample of its window. OUT defaults to <SOURCE>-eegdec.

A status line about once a second gives the decisions per second, the compute latency
(p50/p99) and the current label. When the source stops sending, the command says so and
reconnects with a growing delay; Ctrl-C (or --duration) stops it with a summary.

--decoder takes an export folder (manifest.json + model.onnx, written by
`eegdec export RUN_DIR --format onnx`), a run directory of `eegdec run --save-checkpoints`
(one fold's checkpoint with the run's preprocessing in its causal form; --fold picks it) or a
classifier saved with EEGDecClassifier.save() (model.json + weights.pt; its channels are
those it was fitted on, or --channels).

LSL finds streams by UDP multicast on the local network: for a demo or a test that must stay
on this machine, run it in a private network namespace (docs/online.md).

Examples:
  eegdec stream --decoder exports/dbconformer --source eeg
  eegdec stream --decoder my_classifier/ --source eeg --hop 0.05 --duration 60 --out-name bci
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--decoder", required=True, metavar="DIR",
      help="export folder (manifest.json), run directory (config.yaml) or saved classifier "
           "(model.json). "
           "Example: --decoder exports/dbconformer")
    a("--source", required=True, metavar="NAME",
      help="name of the LSL stream to decode. Example: --source eeg")
    a("--source-id", default=None, metavar="ID",
      help="its source id, when several streams share the name")
    a("--hop", type=_positive, default=None, metavar="S",
      help="seconds between decisions (default: the export's; 0.1 for a run or a classifier). "
           "Example: --hop 0.05")
    a("--duration", type=_positive, default=None, metavar="S",
      help="stop after S seconds (default: run until Ctrl-C). Example: --duration 60")
    a("--out-name", default=None, metavar="OUT",
      help="base name of the outlets OUT-proba and OUT-labels (default: SOURCE-eegdec)")
    a("--fold", default=None, metavar="NAME",
      help="with a run directory: the fold whose checkpoint decodes (a name from "
           "RUN_DIR/checkpoints/, without .pt; default: the first)")
    a("--channels", nargs="+", default=None, metavar="CH",
      help="the model's channels in its input order, for a classifier fitted on arrays. "
           "Example: --channels C3 Cz C4")
    a("--stall", type=_positive, default=2.0, metavar="S",
      help="seconds without a sample before the source counts as lost (default: 2)")


def open_decoder(path: str | Path, *, hop_s: float | None = None,
                 channels: list[str] | None = None, fold: str | None = None) -> Any:
    """The :class:`~eegdec.online.decoder.Decoder` in ``path``: an export folder
    (``manifest.json``), a run directory (``config.yaml``; ``fold`` names its checkpoint) or
    a saved ``EEGDecClassifier`` (``model.json``)."""
    from eegdec.errors import BadInputError, DataNotFoundError
    from eegdec.online.decoder import Decoder

    path = Path(path)
    kw = {} if hop_s is None else {"hop_s": hop_s}
    if not path.exists():
        raise DataNotFoundError(f"Decoder {path} not found: pass an export folder (from "
                                "`eegdec export RUN_DIR --format onnx`) or a saved classifier.")
    if (path / "manifest.json").is_file():
        from_export = getattr(Decoder, "from_export", None)
        if from_export is None:
            raise BadInputError(f"{path} is an export folder, which this eegdec cannot load yet"
                                " (no Decoder.from_export): pass a saved classifier.")
        return from_export(path, **kw)
    if (path / "config.yaml").is_file():  # a run directory (eegdec run --save-checkpoints)
        from eegdec.evaluation.run_decoder import decoder_from_run

        return decoder_from_run(path, fold, **kw)
    if (path / "model.json").is_file():
        from eegdec.training.classifier import EEGDecClassifier

        clf = EEGDecClassifier.load(path)
        fitted = [ch["ch_name"] for ch in clf.chs_info_] if clf.chs_info_ else None
        names = list(channels) if channels else fitted
        if not names:
            raise BadInputError(f"The classifier in {path} was fitted on arrays and does not "
                                "know its channels: pass --channels in its input order.")
        if len(names) != clf.n_chans_:
            raise BadInputError(f"--channels names {len(names)} channels, the classifier takes "
                                f"{clf.n_chans_}: name each of its inputs, in order.")
        return Decoder.from_classifier(clf, names, **kw)
    raise BadInputError(f"{path} is no export folder (manifest.json), run directory "
                        "(config.yaml) or saved classifier (model.json): pass the folder "
                        "`eegdec export`, `eegdec run` or EEGDecClassifier.save() wrote.")


def command(args: argparse.Namespace) -> int:
    from eegdec.online.lsl import run_live

    decoder = open_decoder(args.decoder, hop_s=args.hop, channels=args.channels,
                           fold=args.fold)
    summary = run_live(decoder, args.source, source_id=args.source_id, out_name=args.out_name,
                       duration=args.duration, stall_s=args.stall)
    print(summary.line(), flush=True)
    return 0
