"""The asynchronous import job through a real Redis and a real Celery worker.

The worker uses the configured database (in .ci/run: ``mfme``), not this test's, so the check
runs in a child process on that database: ``worker_import.py`` posts contracts and repayments
above the synchronous limit through the API, polls each job until the worker has run it, and
checks what was written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL and a worker")
def test_import_jobs_run_in_the_worker() -> None:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "mfme.settings.local"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tests.partners.worker_import"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "job" in result.stdout
