"""eegdec.preprocessing."""
