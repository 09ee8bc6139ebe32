"""The health probe: inline on the embedded default, and on a real Celery worker through Redis."""

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from mfme.health import health_probe

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL and a running Celery worker"
)


@pytest.mark.django_db
def test_health_probe_runs_inline_and_reaches_the_database():
    result = health_probe.apply().get()

    assert result["database_ok"] is True
    assert result["database"] == connection.vendor
    assert result["pid"] == os.getpid()


@pytest.mark.django_db
def test_healthcheck_command_prints_the_probe_result():
    stdout = StringIO()

    call_command("healthcheck", stdout=stdout)

    assert json.loads(stdout.getvalue())["database_ok"] is True


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="Celery is not eager with REDIS_URL")
@pytest.mark.django_db
def test_healthcheck_worker_option_runs_inline_when_celery_is_eager():
    stdout = StringIO()

    call_command("healthcheck", "--worker", stdout=stdout)

    assert json.loads(stdout.getvalue())["pid"] == os.getpid()


@pytest.mark.redis
@needs_redis
def test_health_probe_runs_on_a_worker_through_redis():
    # The worker reads the real database, not this test's transaction, so the probe uses no rows.
    result = health_probe.apply_async().get(timeout=30)

    assert result["database_ok"] is True
    assert result["database"] == connection.vendor
    assert result["pid"] != os.getpid()


@pytest.mark.redis
@needs_redis
def test_healthcheck_worker_option_reaches_a_worker():
    stdout = StringIO()

    call_command("healthcheck", "--worker", stdout=stdout)

    assert json.loads(stdout.getvalue())["pid"] != os.getpid()
