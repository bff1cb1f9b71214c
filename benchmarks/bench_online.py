"""Per-decision latency of online decoding on one CPU thread: PyTorch against ONNX Runtime.

PhysionetMI online setting: 64 channels at 160 Hz, 2 s windows (320 samples), 2 classes, one
decision (batch 1) per 0.1 s chunk (16 samples). Every exportable torch model of the zoo is built
(seed 0), exported with ``eegdec.online.onnx.export_onnx`` (braindecode's filter banks as
one matrix product, ``eegdec.online.onnx_rewrite``) and timed ``--runs`` times after a
warm-up, the three taking turns call by call: the PyTorch forward pass
(``torch.set_num_threads(1)``, inference mode), the ONNX Runtime forward pass
(``OnnxModel(threads=1)``), and end to end: ``Decoder.push`` of one chunk on the ONNX model,
i.e. the causal 8-30 Hz Butterworth (order 4, ``eegdec.preprocessing.causal``), the ring
buffer, incremental Euclidean alignment (seeded with 20 calibration trials, updated every
2 s) and the model, as a live decoder runs.

    python benchmarks/bench_online.py                         # every exportable model
    python benchmarks/bench_online.py --models dbconformer eegnet --runs 500 --write
"""

from __future__ import annotations

import argparse
import datetime
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from bench_training_speed import write_section

SECTION = "## Online decoding latency (#13)"
N_CHANS, SFREQ, N_TIMES, N_CLASSES, CHUNK = 64, 160.0, 320, 2, 16
TARGET_MS = {"dbconformer": (2.0, 5.0)}  # (p50, p99); every other model: p50 <= 10 ms
DEFAULT_TARGET_MS = (10.0, None)


def measure(fns: dict[str, Callable[[], object]], runs: int, warmup: int
            ) -> dict[str, dict[str, tuple[float, float]]]:
    """p50 and p99 (ms) of wall and thread CPU time per call of each of ``fns``.

    The functions take turns call by call, so a load that changes during the run (a shared
    machine) weighs on all of them alike. CPU time counts only this thread's work: torch and
    ONNX Runtime both compute in the calling thread when given one thread.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    wall, cpu = np.empty((len(fns), runs)), np.empty((len(fns), runs))
    for i in range(runs):
        for j, fn in enumerate(fns.values()):
            t0, c0 = time.perf_counter(), time.thread_time()
            fn()
            wall[j, i], cpu[j, i] = time.perf_counter() - t0, time.thread_time() - c0
    return {name: {"wall": tuple(np.percentile(wall[j] * 1e3, [50, 99])),
                   "cpu": tuple(np.percentile(cpu[j] * 1e3, [50, 99]))}
            for j, name in enumerate(fns)}


def make_decoder(logits: Callable[[np.ndarray], np.ndarray], rng: np.random.Generator) -> Any:
    """A live decoder on ``logits``, its buffer full: every further chunk gives one decision."""
    from eegdec.online.decoder import Decoder, logits_model
    from eegdec.preprocessing.causal import CausalChain, SOSFilter, design_bandpass

    chain = CausalChain([SOSFilter(design_bandpass(8.0, 30.0, SFREQ), N_CHANS)])
    calibration = rng.standard_normal((20, N_CHANS, N_TIMES)) * 10  # microvolts
    decoder = Decoder(logits_model(logits), ch_names=[f"EEG{i}" for i in range(N_CHANS)],
                      sfreq=SFREQ, classes=["left", "right"], window_s=N_TIMES / SFREQ,
                      hop_s=CHUNK / SFREQ, preprocessing=chain, alignment="euclidean",
                      calibration=calibration)
    decoder.push(rng.standard_normal((N_CHANS, N_TIMES)) * 1e-5)  # volts
    return decoder


def chunk_pusher(decoder: Any, rng: np.random.Generator) -> Callable[[], object]:
    chunks = rng.standard_normal((64, N_CHANS, CHUNK)) * 1e-5
    state = {"i": 0}

    def push() -> object:
        state["i"] += 1
        return decoder.push(chunks[state["i"] % len(chunks)])

    return push


def stage_times(rng: np.random.Generator, runs: int, warmup: int) -> dict[str, Any]:
    """The decoder's parts alone: filtering a chunk, aligning a window, updating the reference."""
    from eegdec.preprocessing.causal import SOSFilter, design_bandpass
    from eegdec.preprocessing.reference import RunningReference

    filt = SOSFilter(design_bandpass(8.0, 30.0, SFREQ), N_CHANS)
    chunk = rng.standard_normal((N_CHANS, CHUNK)) * 1e-5
    ref = RunningReference(N_CHANS).update(rng.standard_normal((20, N_CHANS, N_TIMES)))
    window = rng.standard_normal((N_CHANS, N_TIMES))
    block = rng.standard_normal((1, N_CHANS, N_TIMES))

    def update() -> np.ndarray:
        return ref.update(block).matrix  # covariance of one 2 s block, then R^-1/2 (eigh)

    return measure({"filter": partial(filt.process, chunk),
                    "align": lambda: ref.matrix @ window, "update": update}, runs, warmup)


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", help="registry names (default: every exportable one)")
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = p.parse_args(argv)

    import torch

    from eegdec.models.registry import create_model, list_models
    from eegdec.online.onnx import OnnxModel, export_onnx, exportable

    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    names = args.models or [m.name for m in list_models("torch")
                            if m.builder.__module__.startswith("eegdec.") and exportable(m.name)]
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((1, N_CHANS, N_TIMES)) * 10).astype(np.float32)
    xt = torch.from_numpy(x)
    load_before = os.getloadavg()[0]
    stages = stage_times(rng, args.runs * 5, args.warmup)

    rows: list[dict[str, object]] = []
    lines = ["| model | PyTorch p50 | PyTorch p99 | ORT p50 | ORT p99 | ORT speed-up | "
             "end-to-end p50 | end-to-end p99 | end-to-end CPU p50 | CPU p99 | target |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            model = create_model(name, N_CHANS, N_CLASSES, N_TIMES, SFREQ, seed=0).eval()
            onnx_model = OnnxModel(export_onnx(model, N_CHANS, N_TIMES, Path(tmp) / "m.onnx"),
                                   threads=1)
            decoder = make_decoder(onnx_model.logits, rng)
            with torch.inference_mode():
                res = measure({"torch": partial(model, xt),
                               "ort": partial(onnx_model.logits, x),
                               "e2e": chunk_pusher(decoder, rng)}, args.runs, args.warmup)
            pt, ort, e2e = (res[key]["wall"] for key in ("torch", "ort", "e2e"))
            e2e_cpu = res["e2e"]["cpu"]
            p50_max, p99_max = TARGET_MS.get(name, DEFAULT_TARGET_MS)
            met = e2e[0] <= p50_max and (p99_max is None or e2e[1] <= p99_max)
            goal = f"p50 <= {p50_max:g}" + (f", p99 <= {p99_max:g}" if p99_max else "")
            rows.append({"model": name, "met": met, **res})
            lines.append(f"| {name} | {pt[0]:.2f} | {pt[1]:.2f} | {ort[0]:.2f} | {ort[1]:.2f} | "
                         f"{pt[0] / ort[0]:.1f}x | {e2e[0]:.2f} | {e2e[1]:.2f} | "
                         f"{e2e_cpu[0]:.2f} | {e2e_cpu[1]:.2f} | "
                         f"{'met' if met else 'MISSED'} ({goal}) |")
            print(lines[-1], flush=True)
    missed = [r["model"] for r in rows if not r["met"]]
    filt, align, update = (stages[k]["wall"] for k in ("filter", "align", "update"))
    table = "\n".join([
        f"Setup: {N_CHANS} channels x {N_TIMES} samples ({N_TIMES / SFREQ:g} s at {SFREQ:g} Hz), "
        f"{N_CLASSES} classes, batch 1, one thread (torch and ONNX Runtime), {args.runs} runs "
        f"after {args.warmup} warm-up, wall times in ms (CPU: this thread's CPU time); "
        f"{os.cpu_count()} cores, load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}, "
        f"{datetime.date.today().isoformat()}.", "",
        f"Decoder parts, p50 / p99: causal filter of a 0.1 s chunk ({N_CHANS} x {CHUNK}, "
        f"`SOSFilter`, 4 sections) {filt[0] * 1e3:.0f} / {filt[1] * 1e3:.0f} µs; alignment of "
        f"the window ({N_CHANS} x {N_CHANS} times {N_CHANS} x {N_TIMES}) "
        f"{align[0] * 1e3:.0f} / {align[1] * 1e3:.0f} µs; reference update (one 2 s block, "
        f"then `R^-1/2` by eigh; once every 20 decisions) {update[0] * 1e3:.0f} / "
        f"{update[1] * 1e3:.0f} µs. End to end = `Decoder.push` of one chunk on the ORT model.",
        "", *lines, "",
        f"Targets missed by: {', '.join(missed)}." if missed else "Every target met.",
    ])
    print(table)
    if args.write:
        write_section(table, SECTION, "python benchmarks/bench_online.py --write")
    return rows


if __name__ == "__main__":
    main()
