"""eegdec.interpret."""
