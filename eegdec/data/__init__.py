"""Data layer: dataset registry, offline-capable loaders, simulated data, epoch cache.

``load_epochs``/``iter_subject_epochs`` live in :mod:`eegdec.data.load`; the registry in
:mod:`eegdec.data.registry` (light to import).
"""
