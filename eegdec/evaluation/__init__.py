"""Evaluation: protocol splits, causal alignment, metrics, the resumable results store.

Entry point: :func:`eegdec.evaluation.runner.run_protocol` (what ``eegdec run`` calls).
"""
