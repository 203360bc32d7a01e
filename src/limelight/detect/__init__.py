"""Detectors: independent functions over the store that return signals with evidence."""
