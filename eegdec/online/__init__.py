"""Online decoding: one causal decoder for live streams, exports and pseudo-online replays.

Layer: after ``training`` (it runs trained models) and before ``evaluation`` (whose
pseudo-online protocol replays recordings through it). See docs/online.md.
"""
