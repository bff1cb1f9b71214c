"""eegdec.evaluation."""
