"""Placeholder: owned by a work package still in progress."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def command(args: argparse.Namespace) -> int:
    raise NotImplementedError("eegdec models is not implemented yet")
