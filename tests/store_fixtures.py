"""Fixtures of the store tests: a database URL per engine (SQLite file, throwaway PostgreSQL server).

The PostgreSQL server is started once per session from Debian's binaries
(`/usr/lib/postgresql/*/bin/initdb`, `pg_ctl`) in a temp folder on a free port,
as the `postgres` user when the tests run as root; each test gets its own
database. Where no server can be started the PostgreSQL half is skipped with
the reason. Import the fixtures into a test module with
`from store_fixtures import db_url, pg_server  # noqa: F401`.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the store extra is not installed (pip install -e '.[store]')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]


class _Server:
    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb; "
                               "apt-get install postgresql)")
        self.bin = Path(bins[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="nianbao-pg-"))
        self.port = _free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        self._run([str(self.bin / "initdb"), "-D", str(data), "-U", "nianbao", "-A", "trust", "-E", "UTF8",
                   "--locale=C.UTF-8"])
        self._run([str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "-t", "60", "-o",
                   f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
        self.data = data
        self.base = f"postgresql://nianbao@127.0.0.1:{self.port}"

    def _run(self, cmd: list[str]) -> None:
        proc = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            log = (self.dir / "log").read_text(errors="replace")[-500:] if (self.dir / "log").exists() else ""
            raise RuntimeError(f"{Path(cmd[0]).name} failed: {proc.stderr.strip()[-300:]} {log}")

    def new_database(self) -> str:
        import psycopg
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"{self.base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.base}/{name}"

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server():
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[store]'); PostgreSQL tests skipped")
    try:
        server = _Server()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot start a throwaway PostgreSQL server: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty store database on each engine."""
    if request.param == "sqlite":
        return str(tmp_path / "campaign.db")
    return request.getfixturevalue("pg_server").new_database()
