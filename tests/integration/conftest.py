"""Fixtures of the slow team-scale tests: one PostgreSQL for the whole session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def postgres_server():
    """Debian's PostgreSQL on 127.0.0.1 in a temporary data directory, run as an
    unprivileged user, stopped by PID at the end of the session. Each test that
    uses it creates its own database."""
    from harness.team import postgres

    with postgres() as pg:
        yield pg
