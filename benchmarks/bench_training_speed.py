"""Training speed: eegdec's Lightning trainer vs braindecode's EEGClassifier (skorch).

Both train the *same* ``nn.Module`` (same initial weights) on the same arrays, with Adam, the
same learning rate, batch size and number of epochs, on CPU, one after the other in this
process; repeats alternate the order. braindecode runs three times: with its defaults (its
callbacks score training accuracy every epoch), with callbacks disabled
(the bare skorch loop), and with its defaults on a module converted to channels-last weights
by hand: what eegdec's ``memory_format="auto"`` does for the models the registry marks, so
that row shows how much of the difference the layout explains.

    python benchmarks/bench_training_speed.py                      # EEGNet, 288 x 22 x 500
    python benchmarks/bench_training_speed.py --model shallowconvnet --write

``--write`` replaces the "## Training speed" section of docs/benchmarks.md with the table.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
SECTION = "## Training speed"


def make_data(n: int, n_chans: int, n_times: int, sfreq: float, seed: int = 0):
    """Noise with a class-dependent 10 Hz rhythm on two channels (float32)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = np.arange(n_times) / sfreq
    X = rng.standard_normal((n, n_chans, n_times)).astype(np.float32)
    wave = np.sin(2 * np.pi * 10 * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    X[:, 0] += np.where(y == 1, 2.0, 0.5)[:, None] * wave
    X[:, 1] += np.where(y == 1, 0.5, 2.0)[:, None] * wave
    return X, y


def time_eegdec(net, X, y, args) -> float:
    from eegdec.training import EEGDecModule, EpochsDataModule, fit_module

    module = EEGDecModule(copy.deepcopy(net), lr=args.lr)
    data = EpochsDataModule(X, y, batch_size=args.batch_size, seed=0)
    t0 = time.perf_counter()
    fit_module(module, data, epochs=args.epochs, seed=0, quiet=True)
    return time.perf_counter() - t0


def time_braindecode(net, X, y, args, bare: bool, channels_last: bool = False) -> float:
    import torch
    from braindecode import EEGClassifier

    module = copy.deepcopy(net)
    if channels_last:
        module = module.to(memory_format=torch.channels_last)
    clf = EEGClassifier(
        module, optimizer=torch.optim.Adam, lr=args.lr,
        batch_size=args.batch_size, max_epochs=args.epochs, train_split=None,
        iterator_train__drop_last=False, device="cpu", verbose=0,
        **({"callbacks": "disable"} if bare else {}),
    )
    torch.manual_seed(0)
    t0 = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="eegnet", help="registered torch model (default eegnet)")
    p.add_argument("--n-trials", type=int, default=288)
    p.add_argument("--n-chans", type=int, default=22)
    p.add_argument("--n-times", type=int, default=500)
    p.add_argument("--sfreq", type=float, default=250.0)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = p.parse_args(argv)

    import torch

    from eegdec.models.registry import create_model

    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    X, y = make_data(args.n_trials, args.n_chans, args.n_times, args.sfreq)
    net = create_model(args.model, args.n_chans, 2, args.n_times, args.sfreq, seed=0)
    runners = {
        "eegdec (Lightning, preloaded tensors)": lambda: time_eegdec(net, X, y, args),
        "braindecode EEGClassifier (defaults)": lambda: time_braindecode(net, X, y, args, False),
        "braindecode EEGClassifier (callbacks off)": lambda: time_braindecode(
            net, X, y, args, True),
        "braindecode EEGClassifier (defaults), module made channels-last by hand":
            lambda: time_braindecode(net, X, y, args, False, channels_last=True),
    }
    for run in runners.values():  # warm-up: imports, allocator, first-call costs
        run()
    times: dict[str, list[float]] = {k: [] for k in runners}
    for r in range(args.repeats):
        order = list(runners) if r % 2 == 0 else list(reversed(runners))
        for name in order:
            times[name].append(runners[name]())
    best = {k: min(v) for k, v in times.items()}
    ours = best["eegdec (Lightning, preloaded tensors)"]
    setup = (f"{args.model}, {args.n_trials} trials x {args.n_chans} ch x {args.n_times} samples, "
             f"batch {args.batch_size}, {args.epochs} epochs, Adam, CPU {args.threads} thread(s), "
             f"best of {args.repeats}; {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} cores")
    lines = [f"Setup: {setup}.", "", "| trainer | seconds (best) | eegdec speed-up |",
             "| --- | ---: | ---: |"]
    for name, sec in best.items():
        lines.append(f"| {name} | {sec:.2f} | {sec / ours:.2f}x |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section(table, SECTION, "python benchmarks/bench_training_speed.py --write")
    return best


def write_section(table: str, section: str, command: str) -> None:
    """Replace (or append) ``section`` of docs/benchmarks.md with ``table``."""
    body = f"{section}\n\nMeasured by `{command}`.\n\n{table}\n"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if section in text:
        start = text.index(section)
        nxt = text.find("\n## ", start + len(section))
        text = text[:start] + body + (text[nxt + 1:] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
