"""Benchmarks: speed, quality and memory of the recipes (see README.md)."""
