from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from shariah.checklist import TABLE2_CHECKLIST_PATH
from shariah.services import checklist_load


class Command(BaseCommand):
    help = "Load the table 2 Shariah audit checklist (shariah/catalog/*.yaml); idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path", type=Path, default=TABLE2_CHECKLIST_PATH, help="Checklist file to load."
        )

    def handle(self, *args: object, **options: object) -> None:
        count = checklist_load(path=options["path"])  # type: ignore[arg-type]
        self.stdout.write(self.style.SUCCESS(f"{count} checklist items loaded."))
