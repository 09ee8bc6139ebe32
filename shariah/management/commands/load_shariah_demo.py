"""``manage.py load_shariah_demo``: the Shariah side of the demo (run after ``load_demo``)."""

from django.core.management.base import BaseCommand

from shariah.demo import shariah_demo_load


class Command(BaseCommand):
    help = (
        "Load Shariah boards, approvals, findings, audits and charity transfers for the demo "
        "institutions (idempotent; run after load_demo)."
    )

    def handle(self, *args: object, **options: object) -> None:
        counts = shariah_demo_load()
        if not counts:
            self.stdout.write("The Shariah demo data is already loaded.")
            return
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Shariah demo data loaded: {summary}"))
