"""Data layer: dataset registry, paradigms, offline-capable loaders, simulated data, epoch cache.

The registry (:mod:`eegdec.data.registry`) and paradigms (:mod:`eegdec.data.paradigms`) are
light to import. Loaders take the preprocessing pipeline as an argument; loading with
preprocessing and caching is :func:`eegdec.preprocessing.load.load_epochs`.
"""
