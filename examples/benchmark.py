"""Compare two classical pipelines on both simulated datasets under two protocols, in one
resumable benchmark, and read the table across everything (about a minute on a 2-core CPU).

The shared suite of real recordings is one command: `eegdec benchmark
benchmarks/shared_suite.yaml` (docs/benchmark.md).

    python examples/benchmark.py
"""

from __future__ import annotations

from eegdec.evaluation.benchmark import finish_benchmark, run_benchmark, suite_from_flags

suite = suite_from_flags(["SimMI-2class", "SimMI-4class"], pipelines=["csp-lda", "ts-lr"],
                         protocols=["within-co", "loso"], subjects=[1, 2, 3])
out = "eegdec_results/examples/benchmark"
table = run_benchmark(suite, out, resume=True)  # re-running skips every finished fold
print(table.groupby(["dataset", "protocol", "pipeline", "target_data_seen"])["score"].mean())
print(f"summary: {finish_benchmark(table, out)}")
