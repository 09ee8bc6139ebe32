"""Celery tasks of the indicator engine: thin, named, safe to run twice (STYLE rule 14)."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="indicators.computation_run",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def computation_run_task(computation_id: int) -> str | None:
    """Run one pending computation; a repeat delivery finds it taken and does nothing."""
    from indicators.services import computation_run

    computation = computation_run(computation_id=computation_id)
    return computation.status if computation else None
