"""Write one self-contained HTML report (config, scores, paired tests of the models, confusion
matrices, training and online curves, channel-relevance topomaps) for a run directory written
by ``eegdec run``.

Example: eegdec report eegdec_results/PhysionetMI-LR-within-cv-1a2b3c
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="run directory (eegdec run --out)")
    parser.add_argument("--out", default=None,
                        help="HTML file to write (default: RUN_DIR/report.html)")


def command(args: argparse.Namespace) -> int:
    from eegdec.interpret.report import write_report

    print(write_report(args.run_dir, args.out))
    return 0
