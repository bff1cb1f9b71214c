"""Per-model CPU training speed with contiguous vs channels-last weights.

The registry marks a model ``memory_format="channels_last"`` when this scan shows a clear gain
(the trainer's ``memory_format="auto"`` then uses it); the same maths runs either way. Times one
training epoch (Adam, batch 32) of every registered torch model on synthetic 22 x 500 trials at
250 Hz, best of ``--repeats`` after a warm-up epoch, alternating the two layouts.

    python benchmarks/bench_memory_format.py [--models eegnet dbconformer] [--write]
"""

from __future__ import annotations

import argparse
import copy
import os
import time
import warnings

from bench_training_speed import make_data, write_section

SECTION = "## Memory format"


def epoch_seconds(net, X, y, channels_last: bool, repeats: int) -> float:
    import torch

    net = copy.deepcopy(net)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.train()

    def run() -> float:
        t0 = time.perf_counter()
        for idx in torch.arange(len(X)).split(32):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(X[idx]), y[idx]).backward()
            opt.step()
        return time.perf_counter() - t0

    run()
    return min(run() for _ in range(repeats))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", help="registry names (default: every torch model)")
    p.add_argument("--n-trials", type=int, default=128)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = p.parse_args(argv)

    import torch

    from eegdec.models.registry import create_model, get_model_info, list_models

    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    X, y = (torch.as_tensor(a) for a in make_data(args.n_trials, 22, 500, 250.0))
    names = args.models or [m.name for m in list_models("torch")
                            if m.builder.__module__.startswith("eegdec.")]
    lines = [f"Setup: one epoch of {args.n_trials} trials x 22 ch x 500 samples, batch 32, Adam, "
             f"CPU {args.threads} thread(s), best of {args.repeats}; {os.cpu_count()} cores.", "",
             "| model | contiguous (s) | channels-last (s) | speed-up | registry hint |",
             "| --- | ---: | ---: | ---: | --- |"]
    for name in names:
        net = create_model(name, 22, 2, 500, 250.0, seed=0)
        plain = epoch_seconds(net, X, y, False, args.repeats)
        last = epoch_seconds(net, X, y, True, args.repeats)
        hint = get_model_info(name).memory_format
        lines.append(f"| {name} | {plain:.3f} | {last:.3f} | {plain / last:.2f}x | {hint} |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section(table, SECTION, "python benchmarks/bench_memory_format.py --write")


if __name__ == "__main__":
    main()
