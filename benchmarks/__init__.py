"""Benchmark scripts: `python3.11 dev.py bench` runs them all (`python -m benchmarks`)."""
