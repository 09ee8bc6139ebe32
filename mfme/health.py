"""A probe that proves a process can reach the database, used by ``manage.py healthcheck``.

Run through the broker (``healthcheck --worker``) it also proves that a Celery worker is consuming
tasks: the answer carries the worker's process id and host name.
"""

import os
import socket

from celery import shared_task
from django.db import DatabaseError, connection


@shared_task(name="mfme.health_probe")
def health_probe() -> dict[str, str | int | bool]:
    """Run ``SELECT 1`` and report which database answered, and in which process."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            database_ok = cursor.fetchone() == (1,)
    except DatabaseError:
        database_ok = False
    return {
        "database": connection.vendor,
        "database_name": str(connection.settings_dict["NAME"]),
        "database_ok": database_ok,
        "pid": os.getpid(),
        "hostname": socket.gethostname(),
    }
