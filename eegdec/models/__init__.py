"""Model zoo: one registry, ``create_model(name, n_chans, n_outputs, n_times, sfreq)``."""

from eegdec.models.registry import ModelInfo, create_model, get_model_info, list_models

__all__ = ["ModelInfo", "create_model", "get_model_info", "list_models"]
