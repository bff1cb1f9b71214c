"""Compare two classical pipelines on both simulated datasets under two protocols, in one
resumable benchmark, and read the table across everything (about a minute on a 2-core CPU).

The shared suite of real recordings is one command: `eegdec benchmark
benchmarks/shared_suite.yaml` (docs/benchmark.md).

    python examples/benchmark.py
"""

from __future__ import annotations

from eegdec.evaluation.benchmark import finish_benchmark, run_benchmark, suite_from_flags
from eegdec.evaluation.statistics import statistics_markdown
from eegdec.interpret.benchmark_report import write_benchmark_report

suite = suite_from_flags(["SimMI-2class", "SimMI-4class"], pipelines=["csp-lda", "ts-lr"],
                         protocols=["within-co", "loso"], subjects=[1, 2, 3])
out = "eegdec_results/examples/benchmark"
table = run_benchmark(suite, out, resume=True)  # re-running skips every finished fold
print(table.groupby(["dataset", "protocol", "pipeline", "target_data_seen"])["score"].mean())
summary, stats = finish_benchmark(table, out)  # also out/statistics/*.csv
print(statistics_markdown(stats))  # paired tests per dataset, meta-analysis across datasets
print(f"summary: {summary}, report: {write_benchmark_report(table, out, stats)}")
