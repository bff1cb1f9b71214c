"""Data layer: dataset registry, offline-capable loaders, simulated data, epoch cache."""
