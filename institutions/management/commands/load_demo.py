"""``manage.py load_demo [--reset] [--scale 0.02]``: the demo data that ``make run`` loads.

Four fictional institutions with eight quarters of history, the demo users (one per role, and a
staff member and a manager per institution) and the reference data. Running it again does
nothing but print the users; ``--reset`` deletes the demo institutions and loads them again.
The generator and its behaviour model are described in ``institutions/demo.py``.
"""

import os
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from institutions.demo import DEMO_PASSWORD, DEMO_URL, demo_load, demo_user_rows


class Command(BaseCommand):
    help = "Load the demo institutions, their portfolios and the demo users (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo institutions and everything they own, then load them again.",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply the number of clients (default 1.0: about 23,000 clients).",
        )

    def handle(self, *args: object, reset: bool, scale: float, **options: object) -> None:
        if not 0 < scale <= 10:
            raise CommandError("--scale must be greater than 0 and at most 10.")
        started = time.monotonic()
        result = demo_load(scale=scale, reset=reset)
        if result.loaded:
            counts = ", ".join(
                f"{count:,} {name.replace('_', ' ')}" for name, count in result.counts.items()
            )
            self.stdout.write(
                self.style.SUCCESS(f"Demo data loaded in {time.monotonic() - started:.1f} s: ")
                + counts
            )
        else:
            self.stdout.write("The demo data is already loaded (use --reset to load it again).")
        self._print_users()

    def _print_users(self) -> None:
        rows = [("user", "role", "institutions"), *demo_user_rows()]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        self.stdout.write("")
        for index, row in enumerate(rows):
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        self.stdout.write("")
        self.stdout.write(f"Password of every demo user: {DEMO_PASSWORD}")
        # `make run` serves on $PORT (8000 by default) and passes it here.
        url = DEMO_URL.replace(":8000", f":{os.environ.get('PORT') or 8000}")
        self.stdout.write(f"Open {url} and sign in.")
