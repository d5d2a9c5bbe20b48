"""Benchmarks: both sides measured in one run, ratios printed."""
