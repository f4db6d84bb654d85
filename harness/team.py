"""The team set-up of docs/scaling.md on 127.0.0.1, with the software a team runs.

- ``Postgres``: PostgreSQL from the distribution's packages (``apt-get install
  postgresql``; ``dev.py test-all`` installs it) in a temporary data directory,
  run as an unprivileged user (PostgreSQL refuses root), stopped by PID.
- ``MlflowServer``: ``mlflow server`` on a PostgreSQL backend with a served
  artifact store (clients see ``mlflow-artifacts:``); it can be killed and
  restarted on the same port to rehearse a crash.
- ``DaskCluster``: ``dask scheduler`` and ``dask worker`` processes started with
  Dask's own command line, one OS process group per worker so one can be killed.

Used by the slow tests (tests/integration/test_team_*.py) and the benchmark
``benchmarks/team_scaling.py``.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from harness.procs import free_port, http_ok, kill, start, stop, tail, wait_until

BIN = Path(sys.executable).parent


def postgres_bindir() -> Path:
    """The newest Debian PostgreSQL server (``/usr/lib/postgresql/<ver>/bin``)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    if on_path:
        return Path(on_path).resolve().parent
    raise RuntimeError("PostgreSQL server not found: install Debian's package "
                       "(`apt-get install postgresql`; `python3.11 dev.py test-all` does it)")


def _service_user() -> str | None:
    """Who runs PostgreSQL: ourselves unless we are root, then the ``postgres``
    account the Debian package creates (or ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a `postgres` nor a `nobody` account "
                       "exists: create an unprivileged user to run PostgreSQL")


class Postgres:
    """One PostgreSQL cluster on 127.0.0.1:<port> with password authentication."""

    user = "embedlab"

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.password = secrets.token_hex(8)
        self.bindir = postgres_bindir()
        self.os_user = _service_user()
        # Not under pytest's tmp_path: that is private to root (mode 0700).
        self.root = Path(tempfile.mkdtemp(prefix="embedlab-pg-"))
        self.data, self.log = self.root / "data", self.root / "postgres.log"
        self.proc: subprocess.Popen | None = None
        self._as_user = {}
        if self.os_user:
            entry = pwd.getpwnam(self.os_user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        self._initdb()

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.os_user:
            shutil.chown(pwfile, self.os_user)
        out = subprocess.run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                              f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
                              "--no-sync"], capture_output=True, text=True, cwd=self.root,
                             **self._as_user)
        pwfile.unlink()
        if out.returncode:
            raise RuntimeError(f"initdb failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")

    def start(self) -> None:
        self.proc = start([str(self.bindir / "postgres"), "-D", str(self.data), "-h", "127.0.0.1",
                           "-p", str(self.port), "-k", str(self.root),
                           "-c", "fsync=off", "-c", "max_connections=200"],
                          self.log, cwd=self.root, **self._as_user)
        wait_until(self._accepts, 60, "postgres", self.proc, self.log, every=0.2)

    def stop(self) -> None:
        """Fast shutdown by PID (SIGINT to the postmaster); SIGKILL after 30 s."""
        if self.proc is not None:
            stop(self.proc, grace=30, sig=signal.SIGINT)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _connect(self, db: str = "postgres"):
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user,
                                password=self.password, dbname=db, connect_timeout=5)

    def _accepts(self) -> bool:
        self._connect().close()
        return True

    def create_database(self, name: str) -> str:
        conn = self._connect()
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
            conn.cursor().execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return name

    def url(self, db: str, driver: str = "") -> str:
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://{self.user}:{self.password}@127.0.0.1:{self.port}/{db}"

    def query(self, db: str, sql: str) -> list[tuple]:
        conn = self._connect(db)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        finally:
            conn.close()


@contextmanager
def postgres():
    """A started PostgreSQL; stopped by PID and its data directory removed on exit."""
    pg = Postgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.close()


def quiet_env(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="1", DVC_NO_ANALYTICS="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env["PATH"] = os.pathsep.join((str(BIN), env.get("PATH", "")))
    return env


class MlflowServer:
    """``mlflow server`` on PostgreSQL with ``--serve-artifacts`` into ``artifacts``."""

    def __init__(self, backend_uri: str, artifacts: Path, log: Path, port: int | None = None):
        self.backend_uri, self.artifacts, self.log = backend_uri, Path(artifacts), Path(log)
        self.port = port or free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.artifacts.mkdir(parents=True, exist_ok=True)

    def start(self, timeout: float = 300) -> None:
        env = quiet_env()
        env.pop("MLFLOW_TRACKING_URI", None)
        self.proc = start([str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(self.port),
                           "--backend-store-uri", self.backend_uri,
                           "--serve-artifacts", "--artifacts-destination", str(self.artifacts),
                           "--workers", "1"], self.log, env=env, cwd=self.artifacts.parent)
        wait_until(lambda: http_ok(f"{self.uri}/health"), timeout, "mlflow server", self.proc, self.log)

    def kill(self) -> None:
        """A crash: SIGKILL to the server and its workers, no shutdown."""
        if self.proc is not None:
            kill(self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


@contextmanager
def mlflow_server(backend_uri: str, artifacts: Path, log: Path):
    server = MlflowServer(backend_uri, artifacts, log)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def prefect_server(home: Path, log: Path, database_url: str | None = None, env: dict[str, str] | None = None):
    """``prefect server start`` on 127.0.0.1 (its database: PostgreSQL when
    ``database_url`` is given, else sqlite under ``home``); yields the
    environment that points Prefect clients at it (``PREFECT_API_URL``)."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**quiet_env(env), "PREFECT_HOME": str(home), "PREFECT_API_URL": api,
           "PREFECT_SERVER_UI_ENABLED": "false"}
    if database_url:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    Path(home).mkdir(parents=True, exist_ok=True)
    proc = start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                 log, env=env, cwd=home)
    try:
        wait_until(lambda: http_ok(f"{api}/health"), 240, "prefect server", proc, log)
        yield env, proc
    finally:
        stop(proc)


class DaskCluster:
    """A ``dask scheduler`` and named ``dask worker`` processes (one thread each:
    TensorFlow brings its own parallelism) that run tasks in ``cwd`` with ``env``."""

    def __init__(self, cwd: Path, env: dict[str, str], logdir: Path, port: int | None = None):
        self.cwd, self.env, self.logdir = Path(cwd), env, Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}

    def start_scheduler(self) -> None:
        log = self.logdir / "dask-scheduler.log"
        self.scheduler = start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                "--port", str(self.port), "--no-dashboard"],
                               log, env=self.env, cwd=self.cwd)
        wait_until(lambda: "Scheduler at:" in tail(log, 100_000), 120, "dask scheduler",
                   self.scheduler, log)

    def start_worker(self, name: str) -> None:
        self.workers[name] = start(
            [str(BIN / "dask"), "worker", self.address, "--name", name, "--nworkers", "1",
             "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
             "--local-directory", str(self.logdir / f"dask-{name}")],
            self.logdir / f"dask-{name}.log", env=self.env, cwd=self.cwd)

    def wait_for_workers(self, n: int, timeout: float = 180) -> None:
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(n, timeout=timeout)

    def kill_worker(self, name: str) -> None:
        """SIGKILL the worker's whole process group (nanny and worker): a lost machine."""
        kill(self.workers[name])

    def close(self) -> None:
        for proc in self.workers.values():
            stop(proc, grace=15)
        if self.scheduler is not None:
            stop(self.scheduler, grace=15)


@contextmanager
def dask_cluster(cwd: Path, env: dict[str, str], logdir: Path, workers: int = 2,
                 port: int | None = None):
    """A scheduler and ``workers`` workers named worker-1, worker-2, ...; all
    stopped by PID on exit."""
    cluster = DaskCluster(cwd, env, logdir, port)
    try:
        cluster.start_scheduler()
        for i in range(1, workers + 1):
            cluster.start_worker(f"worker-{i}")
        cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.close()
