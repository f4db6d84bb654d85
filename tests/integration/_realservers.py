"""What the slow real-server tests share: the venv's bin folder, the process
helpers of harness.procs, and one tiny pipeline definition."""

from __future__ import annotations

import sys
from pathlib import Path

# The process helpers live in harness/ (the benchmarks use them too).
from harness.procs import free_port, http_ok, process, stop, tail, wait_until  # noqa: F401

BIN = Path(sys.executable).parent


# A tiny pipeline for the real-server tests: minutes, not hours, on 2 cores.
TINY = """
data: {sample: 300}
embeddings: {variants: {cbow: {vector_size: 16, epochs: 2, min_count: 1, seed: 1}}}
train: {epochs: 1, batch_size: 32, units: 8, embedding_dim: 16}
grid: {strategies: [learned, w2v_frozen], architectures: [lstm], seeds: [1], variant: cbow, baseline: true}
evaluate: {min_behaviour_pass_rate: 0.0}  # a 1-epoch model on 300 reviews is near-constant
"""
