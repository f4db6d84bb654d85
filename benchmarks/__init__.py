"""Benchmarks: scripts that measure, print figures and write them to benchmarks/results/.

Run one with ``python -m benchmarks.<name>``, the quick ones with
``python3.11 dev.py bench``. The documents' figures are written from the results
files by ``python -m docgen`` (docgen/), not here. Nothing here asserts on time:
figures are measured and reported, as ratios against a baseline measured in the
same run where a comparison exists (the machine is shared and noisy).
"""
