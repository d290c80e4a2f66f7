"""Benchmarks and their deterministic data generators (not part of the installed package)."""
