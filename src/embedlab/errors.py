"""Errors a user can act on. Entry points print them without a traceback."""

from __future__ import annotations


class EmbedlabError(Exception):
    """An error caused by input, params or state the user controls.

    The message names the file (and line/key where there is one) and says what to do.
    """


class ConfigError(EmbedlabError):
    """params.yaml is malformed or holds an unknown / mistyped key."""


class DataError(EmbedlabError):
    """Input data cannot be used as it is."""
