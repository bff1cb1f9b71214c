"""Explain decoders: channel relevance, scalp topomaps, attention maps and HTML run reports.

Modules: ``relevance`` (attention / captum gradients, aggregation), ``channels`` (names to
montage positions), ``topomap`` (MNE topomaps, heat maps), ``maps`` (all figures of one model),
``plots`` (score figures), ``report`` (``write_report(run_dir)``) and ``benchmark_plots`` /
``benchmark_report`` (``write_benchmark_report(table, out_dir)``).
"""
