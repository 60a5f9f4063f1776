"""A throwaway PostgreSQL cluster for the benchmarks, and data directories whose store is in it.

The cluster is the tests' (``tests/postgres.py``: Debian's binaries, ``initdb`` in a temporary
directory, a unix socket only, run as ``nobody`` when the benchmark runs as root), but with
PostgreSQL's own durable defaults (``fsync``, ``synchronous_commit``): the benchmarks set it
beside SQLite at ``synchronous=FULL``, so both wait for the disk at each commit.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import REPO, run_euregate

sys.path.insert(0, str(REPO))

# the repository's root is on the path only now
from tests.postgres import (
    DURABLE_SETTINGS,
    Cluster,
    postgres_bin,
    start_cluster,
    stop_cluster,
)


def postgres_installed() -> bool:
    try:
        postgres_bin()
    except RuntimeError:
        return False
    return True


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A running cluster for the ``with`` block, removed after it."""
    cluster = start_cluster(DURABLE_SETTINGS)
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


def store_moved_to_postgresql(cluster: Cluster, data_dir: Path, database: str) -> str:
    """``euregate migrate-store`` of ``data_dir``'s SQLite store into a new database of the
    cluster, as an operator moves a deployment; the database's URL."""
    cluster.admin(f"CREATE DATABASE {database} TEMPLATE template0")
    url = cluster.url(database)
    run_euregate("migrate-store", "--data-dir", str(data_dir), "--to", url)
    return url
