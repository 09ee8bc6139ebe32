"""A real server for tests that need one on the embedded default: ``manage.py runserver`` (as
``make run`` starts it) on a file copy of the test database. The test suite's SQLite database
lives in memory, with table locks of its own, so ``live_server`` cannot stand in for it."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server_on_a_file(tmp_path: Path, make_token, institution) -> Iterator[tuple[str, Path, str]]:
    """``runserver`` on a file copy of the test database (with a token of ``institution``):
    its URL, the file and the token."""
    if connection.vendor != "sqlite":
        pytest.skip("the embedded default (SQLite) only")
    _client, token = make_token(institution)
    database = tmp_path / "mfme.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(database)) as copy:
        connection.connection.backup(copy)
        # As `make run`'s database is after its first migrate.
        copy.execute("PRAGMA journal_mode=WAL")
    port = _free_port()
    environment = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "MFME_DEBUG")
    }
    environment |= {
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "mfme.settings.local",
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "runserver",
            "--noreload",
            "--skip-checks",
            f"127.0.0.1:{port}",
        ],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            try:
                urllib.request.urlopen(f"{url}/api/v1/", timeout=1)  # noqa: S310 - our server
            except urllib.error.HTTPError:
                break  # a 401: it answers
            except OSError:
                time.sleep(0.1)
            else:
                break
        yield url, database, token
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
