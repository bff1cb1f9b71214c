"""``eegdec`` command line: a thin door onto the library.

Each sub-command lives in ``eegdec/commands/<name>.py`` and exposes
``add_arguments(parser)`` and ``command(args) -> int``. Those modules import torch, MNE and
MOABB only inside ``command`` so that ``--help``, ``datasets`` and ``models`` stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, NoReturn

from eegdec._version import __version__

COMMANDS = {
    "run": "train and evaluate decoders under a protocol; print and save a results table",
    "benchmark": "compare pipelines across datasets, protocols and seeds in one resumable run",
    "datasets": "list registered datasets and whether their files are on disk",
    "models": "list registered models with family, parameter count and paper",
    "download": "download dataset files through MOABB/MNE (needs internet)",
    "report": "write a self-contained HTML report for a run directory",
    "topomap": "draw channel-attention / relevance topomaps for a trained checkpoint",
    "export": "export a trained fold as a live decoder (ONNX model + manifest)",
    "stream": "decode a live LSL stream; publish class probabilities and labels as LSL streams",
    "replay": "play a recording (EDF, FIF...) as a live LSL stream, with its annotations",
}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block) that refuses empty option values."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message}; see `{self.prog} --help`.\n")

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        if action.nargs != argparse.PARSER and not arg_string.strip():
            raise argparse.ArgumentError(action, "empty value: give one")
        return super()._get_value(action, arg_string)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="eegdec",
        description="EEG decoding for BCIs: load, preprocess, train, evaluate, interpret.",
        epilog="Example: eegdec run --paradigm MI --dataset BNCI2014001 --model dbconformer",
    )
    parser.add_argument("--version", action="version", version=f"eegdec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(f"eegdec.commands.{name}")
        p = sub.add_parser(
            name, help=help_text, description=(module.__doc__ or help_text).strip(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``eegdec`` command; return its exit status."""
    from eegdec.errors import EEGDecError

    # MOABB 1.7 otherwise queries a remote index (and retries ~40 s offline) before each load.
    os.environ.setdefault("MOABB_DOWNLOAD_PROVIDER", "upstream")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    module = importlib.import_module(f"eegdec.commands.{args.command}")
    try:
        return int(module.command(args) or 0)
    except EEGDecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: what finished is saved; run the command again to continue.",
              file=sys.stderr)
        return 130


def entry() -> None:
    """The ``eegdec`` console script.

    After Ctrl-C (status 130) the process ends at once, once the message is out
    (:func:`eegdec.interrupts.end_process`): tearing the interpreter down after an interrupt
    was measured to crash ("double free") 1 in 12 times.
    """
    code = main()
    if code == 130:
        from eegdec.interrupts import end_process

        end_process()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
