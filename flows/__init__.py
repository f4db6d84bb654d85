"""Thin Prefect 3 flows over ``embedlab``: each module is a DVC stage's command.

``python -m flows.<stage> [--params params.yaml]``. Flows pass file paths and
digests between tasks, never DataFrames or models.
"""
