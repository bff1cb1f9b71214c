"""Vision backbones reused as EEG time-series encoders (one module per family)."""
