"""The embedded default (SQLite) takes parallel writes: several partner POSTs at once all
succeed instead of failing with "database is locked".

The test suite's SQLite database lives in memory (a shared cache, with table locks of its own),
so the server here is a real one (``manage.py runserver``, as ``make run`` starts it) on a file
copy of the test database, with the project's SQLite options. Slow: starting the server takes
a few seconds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import urllib.error
import urllib.request
from contextlib import closing

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PARALLEL = 6
ROUNDS = 3


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
