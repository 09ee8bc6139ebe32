from django.core.management.base import BaseCommand

from indicators.services import indicator_catalog_load


class Command(BaseCommand):
    help = "Load the indicator catalogue (indicators/catalog/*.yaml) into the database; idempotent."

    def handle(self, *args: object, **options: object) -> None:
        count = indicator_catalog_load()
        self.stdout.write(self.style.SUCCESS(f"{count} indicators loaded."))
