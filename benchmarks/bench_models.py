"""Size, forward FLOPs and CPU single-trial latency of every registered torch model.

Reference input: 22 channels x 1001 samples at 250 Hz, 4 classes (BNCI2014001). Latency is the
p50/p99 of single-trial (batch 1) forward passes in eval + inference mode with two threads.

    python benchmarks/bench_models.py                        # all torch models -> docs/models.md
    python benchmarks/bench_models.py --models dbconformer eegnet --no-write
    python benchmarks/bench_models.py --update-param-counts  # refresh the packaged count table
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch
from doc_markers import replace_block
from torch.utils.flop_counter import FlopCounterMode

from eegdec.errors import EEGDecError
from eegdec.models import create_model, list_models
from eegdec.models.param_counts import REFERENCE, compute_param_counts, write_param_counts

DOCS = Path(__file__).resolve().parents[1] / "docs" / "models.md"
BLOCK = "bench-table"


def forward_flops(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Forward FLOPs counted by torch (matmul/conv ops; a multiply-add counts as 2)."""
    # no_grad, not inference_mode: braindecode's weight parametrizations fail under the latter
    # while FlopCounterMode is active.
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops()


def latency_ms(model: torch.nn.Module, x: torch.Tensor, warmup: int, seconds: float
               ) -> tuple[float, float]:
    """p50 and p99 of single forward passes (ms), timed for about ``seconds``."""
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end or len(times) < 20:
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    p50, p99 = np.percentile(np.array(times) * 1e3, [50, 99])
    return float(p50), float(p99)


def bench(names: list[str], seconds: float) -> list[dict[str, object]]:
    x = torch.randn(1, REFERENCE["n_chans"], REFERENCE["n_times"])
    rows = []
    for name in names:
        try:
            model = create_model(name, **REFERENCE, seed=0).eval()
        except EEGDecError as exc:
            print(f"{name}: skipped ({exc})")
            continue
        params = sum(p.numel() for p in model.parameters())
        flops = forward_flops(model, x)
        p50, p99 = latency_ms(model, x, warmup=10, seconds=seconds)
        rows.append(dict(name=name, params=params, flops=flops, p50=p50, p99=p99))
        print(f"{name:16s} {params:>10,d} params {flops / 1e6:9.1f} MFLOPs "
              f"p50 {p50:7.2f} ms  p99 {p99:7.2f} ms", flush=True)
    return rows


def markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        f"Measured with `python benchmarks/bench_models.py` on {platform.processor() or 'CPU'} "
        f"({platform.machine()}), torch {torch.__version__}, {torch.get_num_threads()} threads, "
        "batch 1, eval + inference mode.",
        "",
        "| model | params | forward MFLOPs | p50 (ms) | p99 (ms) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {r['name']} | {r['params']:,} | {r['flops'] / 1e6:,.1f} | {r['p50']:.2f} | "
              f"{r['p99']:.2f} |" for r in rows]
    return "\n".join(lines)


def write_table(table: str, path: Path = DOCS) -> None:
    """Replace the text between the benchmark markers of ``path``."""
    replace_block(path, BLOCK, table)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", help="model names (default: every torch model)")
    parser.add_argument("--seconds", type=float, default=3.0, help="timing budget per model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs alone")
    parser.add_argument("--update-param-counts", action="store_true",
                        help="rewrite eegdec/models/param_counts.json and stop")
    args = parser.parse_args(argv)
    if args.update_param_counts:
        print(f"wrote {write_param_counts(compute_param_counts())}")
        return
    torch.set_num_threads(args.threads)
    names = args.models or [m.name for m in list_models("torch")]
    rows = bench(names, args.seconds)
    if not args.no_write:
        write_table(markdown(rows))
        print(f"wrote the table into {DOCS}")


if __name__ == "__main__":
    main()
