"""Play a recording (EDF, BDF, FIF, anything MNE reads) in real time as a Lab Streaming Layer
stream, with its annotations on a marker stream <NAME>-annotations: an amplifier stand-in for
demos and tests of `eegdec stream`. It plays the file once (or loops with --repeat) and stops
at its end or on Ctrl-C.

LSL finds streams by UDP multicast on the local network: for a demo or a test that must stay
on this machine, run both commands in a private network namespace (docs/online.md).

Examples:
  eegdec replay S001R04.edf --name eeg
  eegdec replay recording.fif --name amp --chunk-size 16 --repeat --no-annotations
"""

from __future__ import annotations

import argparse


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number of samples")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("file", metavar="FILE", help="the recording. Example: S001R04.edf")
    a("--name", required=True, help="name of the LSL stream. Example: --name eeg")
    a("--source-id", default=None, metavar="ID",
      help="LSL source id (default: eegdec-replay:<NAME>)")
    a("--chunk-size", type=_positive_int, default=10, metavar="N",
      help="samples pushed at once (default: 10). Example: --chunk-size 16")
    a("--repeat", action=argparse.BooleanOptionalAction, default=False,
      help="loop over the file until Ctrl-C (default: play it once)")
    a("--annotations", action=argparse.BooleanOptionalAction, default=None,
      help="stream the annotations on <NAME>-annotations (default: when the file has any)")
    a("--annotations-encoding", default="string", choices=("string", "one-hot"),
      help="string: one string marker per annotation, its description (default); one-hot: "
           "MNE-LSL's float channels, one per description, valued with the duration")


def command(args: argparse.Namespace) -> int:
    from eegdec.data.recording import read_recording
    from eegdec.online.lsl import run_replay

    raw = read_recording(args.file)  # every error on the file comes before any stream opens
    summary = run_replay(raw, args.name, chunk_size=args.chunk_size, repeat=args.repeat,
                         annotations=args.annotations, encoding=args.annotations_encoding,
                         source_id=args.source_id)
    print(summary.line(), flush=True)
    return 0
