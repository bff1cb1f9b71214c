"""eegdec.training."""
