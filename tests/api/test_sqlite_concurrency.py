"""The embedded default (SQLite) takes parallel writes: several partner POSTs at once all
succeed instead of failing with "database is locked".

The test suite's SQLite database lives in memory (a shared cache, with table locks of its own),
so the server here is a real one (``manage.py runserver``, as ``make run`` starts it) on a file
copy of the test database, with the project's SQLite options. Slow: starting the server takes
a few seconds.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PARALLEL = 6
ROUNDS = 3


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


def test_parallel_posts_all_succeed(server_on_a_file, tmp_path) -> None:
    url, database, token = server_on_a_file
    start = threading.Barrier(PARALLEL)
    statuses: list[object] = []

    def post(worker: int) -> None:
        start.wait()
        for round_number in range(ROUNDS):
            body = {"code": f"B{worker}-{round_number}", "name": f"Branch {worker}"}
            request = urllib.request.Request(  # noqa: S310 - our server
                f"{url}/api/v1/branches/",
                data=json.dumps(body).encode(),
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append((error.code, error.read()[:300]))

    threads = [threading.Thread(target=post, args=(worker,)) for worker in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log = (tmp_path / "server.log").read_text()
    assert statuses == [201] * (PARALLEL * ROUNDS), log[-3000:]
    with closing(sqlite3.connect(database)) as check:
        (count,) = check.execute("SELECT COUNT(*) FROM institutions_branch").fetchone()
    assert count == PARALLEL * ROUNDS
