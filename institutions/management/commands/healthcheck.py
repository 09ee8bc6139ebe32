"""``manage.py healthcheck [--worker]``: is the database reachable, and is a Celery worker running?

Without ``--worker`` the probe runs in this process. With ``--worker`` it is sent through the broker
and the command waits for a worker's answer; on the embedded default (no REDIS_URL) Celery is eager,
so the probe still runs inline. Any failure exits non-zero, so the command fits container health
checks and deploy scripts.
"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mfme.health import health_probe


class Command(BaseCommand):
    help = "Check the database, and with --worker that a Celery worker runs tasks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--worker",
            action="store_true",
            help="Send the probe through the broker and wait for a worker to run it.",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=30.0,
            help="Seconds to wait for the worker's answer (default: 30).",
        )

    def handle(self, *args: object, worker: bool, timeout: float, **options: object) -> None:
        if worker:
            try:
                result = health_probe.apply_async().get(timeout=timeout)
            except Exception as error:
                # Whatever went wrong on the way (broker down, no worker, task failed), the
                # answer to "is a worker running tasks?" is no.
                raise CommandError(
                    f"No worker ran the health probe within {timeout:g} s: {error!r}"
                ) from error
        else:
            result = health_probe.apply().get()
        self.stdout.write(json.dumps(result, sort_keys=True))
        if not result["database_ok"]:
            raise CommandError(f"The database ({result['database']}) did not answer SELECT 1.")
