"""Benchmarks: scripts that print figures and write them to benchmarks/results/.

Run one with ``python -m benchmarks.<name>``, all quick ones with
``python3.11 dev.py bench``, and rewrite every figure of README.md and docs/*.md
from the results with ``python -m benchmarks.docs`` (see benchmarks/docs.py). Nothing here asserts on time: figures are
measured and reported, as ratios against a baseline measured in the same run
where a comparison exists (the machine is shared and noisy).
"""
