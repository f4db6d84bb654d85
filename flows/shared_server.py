"""Run a command whose stages share one temporary Prefect server.

    python -m flows.shared_server dvc repro [ARGS ...]

A stage run on its own starts Prefect's temporary server and stops it at exit
(start-up plus shutdown: 5-10 s a stage on 2 cores). Under this wrapper the server
starts once (Prefect's own ``SubprocessASGIServer``, on 127.0.0.1) and every stage
reaches it through ``PREFECT_API_URL``: the same real flow and task runs, one
server. With ``PREFECT_API_URL`` already set, the command runs as it is.
``python3.11 dev.py repro`` uses it.
"""

from __future__ import annotations

import os
import subprocess
import sys

from embedlab.runtime import configure_env


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    configure_env()
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return subprocess.call(argv)
    from prefect.server.api.server import SubprocessASGIServer

    with SubprocessASGIServer() as server:
        print(f"one temporary Prefect server for every stage: {server.api_url}", file=sys.stderr, flush=True)
        return subprocess.call(argv, env={**os.environ, "PREFECT_API_URL": server.api_url})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
