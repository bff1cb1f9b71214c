"""Download dataset files through MOABB/MNE into the data directory (needs internet).

Files already on disk are kept. PhysionetMI downloads only the imagery runs the requested
events need (all imagery runs by default).

Examples:
  eegdec download --dataset BNCI2014001 --subjects 1 2
  eegdec download --dataset PhysionetMI --subjects 1-14 --events left_hand right_hand
  eegdec download --dataset PhysionetMI --data-dir /data/eeg
"""

from __future__ import annotations

import argparse


def parse_subjects(values: list[str] | None) -> list[int] | None:
    """``["1", "3-5"]`` -> ``[1, 3, 4, 5]``."""
    from eegdec.errors import BadInputError

    if not values:
        return None
    out: list[int] = []
    for v in values:
        try:
            lo, _, hi = v.partition("-")
            out.extend(range(int(lo), int(hi or lo) + 1))
        except ValueError as exc:
            raise BadInputError(
                f"Subject {v!r} is not a number or range: write e.g. 1 2 5-9."
            ) from exc
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, help="registry name (see `eegdec datasets`)")
    parser.add_argument("--subjects", nargs="+", default=None,
                        help="subject numbers or ranges, e.g. 1 2 5-9 (default: all)")
    parser.add_argument("--events", nargs="+", default=None,
                        help="PhysionetMI: only the runs holding these classes")
    parser.add_argument("--data-dir", default=None,
                        help="data directory (default: $EEGDEC_DATA, $MNE_DATA, ~/mne_data)")


def command(args: argparse.Namespace) -> int:
    from eegdec.data.download import download
    from eegdec.data.registry import get_dataset_spec

    spec = get_dataset_spec(args.dataset)
    if spec.loader == "simulated":
        print(f"{spec.name} is built in (simulated): nothing to download.")
        return 0
    paths = download(args.dataset, parse_subjects(args.subjects), events=args.events,
                     data_dir=args.data_dir)
    print(f"{len(paths)} file(s) present under the data directory.")
    return 0
