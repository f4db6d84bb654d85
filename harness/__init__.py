"""Helpers for tests and benchmarks, never imported by the pipeline itself.

``scaffold`` copies the pipeline into a scratch git + DVC repository; ``serve``
starts and stops ``mlflow models serve`` on loopback.
"""
