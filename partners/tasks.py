"""Celery tasks of partner systems: thin, named, safe to run twice (STYLE rule 14)."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="partners.import_job_run",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def import_job_run_task(job_id: int) -> str | None:
    """Run one pending import job; a repeat delivery finds it taken and does nothing."""
    from partners.services import import_job_run

    job = import_job_run(job_id=job_id)
    return job.status if job else None
