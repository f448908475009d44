"""Temporal stability: flicker, trails and noise over clips run through runtime.cam, and how the temporal
filter's settings were tuned."""
