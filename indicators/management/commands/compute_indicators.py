"""compute_indicators --institution CODE --period 2025Q4 | --institution CODE | --all [--missing]

Each institution's quarters are computed in date order (a quarter reuses the portfolio
snapshots and break-even history of the earlier ones); institutions fan out across workers.
With no Redis configured the tasks run eagerly, in this process.
"""

import re

from celery import chain
from django.core.management.base import BaseCommand, CommandError

from indicators.models import IndicatorComputation
from indicators.tasks import computation_run_task
from institutions.models import Institution, ReportingPeriod

PERIOD = re.compile(r"^(?P<year>\d{4})Q(?P<quarter>[1-4])$")


class Command(BaseCommand):
    help = "Compute the financial indicators of institution-quarters (fans out to Celery workers)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--institution", help="institution code")
        parser.add_argument("--period", help="quarter, e.g. 2025Q4")
        parser.add_argument("--all", action="store_true", help="every quarter of every institution")
        parser.add_argument(
            "--missing",
            action="store_true",
            help="only the quarters without a successful computation yet",
        )
        parser.add_argument(
            "--wait", action="store_true", help="wait for the workers and report each result"
        )

    def handle(self, *args: object, **options: object) -> None:
        periods = ReportingPeriod.objects.select_related("institution").order_by(
            "institution__code", "year", "quarter"
        )
        if options["all"]:
            if options["institution"] or options["period"]:
                raise CommandError("--all cannot be combined with --institution or --period.")
        elif options["institution"]:
            if not Institution.objects.filter(code=options["institution"]).exists():
                raise CommandError(f"No institution with code {options['institution']!r}.")
            periods = periods.filter(institution__code=options["institution"])
            if options["period"]:
                match = PERIOD.match(str(options["period"]))
                if not match:
                    raise CommandError("--period must look like 2025Q4.")
                periods = periods.filter(year=int(match["year"]), quarter=int(match["quarter"]))
                if not periods.exists():
                    raise CommandError(
                        f"No quarter {options['period']} for {options['institution']}."
                    )
        else:
            raise CommandError("Name --institution (and optionally --period), or --all.")

        if options["missing"]:
            periods = periods.exclude(
                indicator_computations__status=IndicatorComputation.Status.SUCCEEDED
            )
        by_institution: dict[str, list[int]] = {}
        for period in periods:
            computation = IndicatorComputation.objects.create(
                period=period, trigger=IndicatorComputation.Trigger.MANUAL
            )
            by_institution.setdefault(period.institution.code, []).append(computation.pk)
        results = []
        for code, computation_ids in by_institution.items():
            workflow = chain(computation_run_task.si(pk) for pk in computation_ids)
            results.append(workflow.apply_async())
            self.stdout.write(f"{code}: {len(computation_ids)} quarter(s) queued.")
        if options["wait"]:
            for result in results:
                result.get(disable_sync_subtasks=False, propagate=True)
        computations = IndicatorComputation.objects.filter(
            pk__in=[pk for ids in by_institution.values() for pk in ids]
        ).select_related("period__institution")
        failed = 0
        for computation in computations.order_by(
            "period__institution__code", "period__year", "period__quarter"
        ):
            duration = (
                f" in {computation.duration_seconds:.2f} s" if computation.duration_seconds else ""
            )
            self.stdout.write(f"{computation.period}: {computation.status}{duration}")
            failed += computation.status == IndicatorComputation.Status.FAILED
        if failed:
            raise CommandError(f"{failed} computation(s) failed; see their error in the admin.")
