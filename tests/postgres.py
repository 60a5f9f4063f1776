"""A throwaway PostgreSQL cluster for the tests: Debian's PostgreSQL binaries, a cluster made
with ``initdb`` in a temporary directory and started with ``pg_ctl`` for the whole session,
listening only on a unix socket in that directory; each test that asks for
:func:`postgres_url` gets a database of its own, dropped after it.

PostgreSQL refuses to run as root, and the tests run as root on CI: the cluster then runs as
the unprivileged ``nobody`` (through ``runuser``), and its directory belongs to it. The cluster
runs with ``fsync=off`` and ``synchronous_commit=off``: it is thrown away after the session,
and no test here is about surviving a power cut (a crash test of PostgreSQL itself must start a
cluster of its own with the defaults).

Without the binaries the fixture fails, loudly: ``.ci/run`` installs Debian's ``postgresql``.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote

import psycopg
import pytest

from tests.audit_entries import OLD_AUDIT_ENTRIES, postgres_misfits

SUPERUSER: Final = "euregate"
UNPRIVILEGED: Final = "nobody"
_SETTINGS: Final = (
    "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=200"
)
DURABLE_SETTINGS: Final = "-c listen_addresses='' -c max_connections=200"
"""PostgreSQL's own defaults for durability (``fsync``, ``synchronous_commit``): for the
benchmarks, which compare it with SQLite at ``synchronous=FULL``."""
_NAMES = itertools.count(1)


def postgres_bin() -> Path:
    """Where ``initdb`` and ``pg_ctl`` are: Debian's newest PostgreSQL, else the ``PATH``'s."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    if found is None:
        raise RuntimeError(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb, no initdb on "
            "PATH): the store's tests need it; on Debian, apt-get install postgresql"
        )
    return Path(found).resolve().parent


@dataclass(frozen=True)
class Cluster:
    """A running cluster: its directory (data, socket and log) and how to run its tools."""

    directory: Path
    bin: Path
    settings: str = _SETTINGS

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str) -> str:
        """A ``postgresql://`` URL of ``database``, over the cluster's unix socket."""
        return f"postgresql://{SUPERUSER}@/{database}?host={quote(str(self.directory), safe='')}"

    def run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*_as_unprivileged(), str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def admin(self, statement: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(statement.encode())


def _as_unprivileged() -> Sequence[str]:
    return ("runuser", "-u", UNPRIVILEGED, "--") if os.geteuid() == 0 else ()


def start_cluster(settings: str = _SETTINGS) -> Cluster:
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="euregate-pg-")), postgres_bin(), settings)
    if os.geteuid() == 0:
        user = pwd.getpwnam(UNPRIVILEGED)
        os.chown(cluster.directory, user.pw_uid, user.pw_gid)
    cluster.run("initdb", "-D", str(cluster.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8")
    start_server(cluster)
    return cluster


def start_server(cluster: Cluster) -> None:
    """Start the cluster's server (again), waiting until it accepts connections."""
    cluster.run(
        "pg_ctl",
        "-D",
        str(cluster.data),
        "-l",
        str(cluster.directory / "log"),
        "-o",
        f"-k {cluster.directory} {cluster.settings}",
        "-w",
        "start",
    )


def stop_server(cluster: Cluster) -> None:
    """Stop the cluster's server as an operator's restart does (``-m fast``: sessions ended)."""
    cluster.run("pg_ctl", "-D", str(cluster.data), "-m", "fast", "-w", "stop")


def stop_cluster(cluster: Cluster) -> None:
    """Stop the cluster's server, if it runs, and remove the cluster."""
    try:
        status = [*_as_unprivileged(), str(cluster.bin / "pg_ctl"), "-D", str(cluster.data)]
        if subprocess.run([*status, "status"], capture_output=True, check=False).returncode == 0:
            cluster.run("pg_ctl", "-D", str(cluster.data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(cluster.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One PostgreSQL cluster for the session, started on first use, stopped at the end."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest, postgres_cluster: Cluster) -> Iterator[str]:
    """The URL of a new, empty database of its own, dropped after the test once every audit
    entry the test wrote there is found to read back into its type."""
    name = f"test_{os.getpid()}_{next(_NAMES)}"
    postgres_cluster.admin(f"CREATE DATABASE {name} TEMPLATE template0")
    url = postgres_cluster.url(name)
    try:
        yield url
        old_forms = request.node.get_closest_marker(OLD_AUDIT_ENTRIES) is not None
        if misfits := postgres_misfits(url, old_forms=old_forms):
            pytest.fail("audit entries that do not fit their types:\n" + "\n".join(misfits))
    finally:
        postgres_cluster.admin(f"DROP DATABASE {name} WITH (FORCE)")
