"""Writes for partner systems: API clients and their tokens, idempotency records, import jobs."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.models import Institution
from institutions.services import membership_grant
from users.models import User
from users.services import user_create

from .models import ApiClient, IdempotencyRecord, ImportJob

TOKEN_PREFIX = "mfme_"  # noqa: S105 - a prefix, not a secret


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_client_create(
    *, actor: User, institution: Institution, name: str, access: str
) -> tuple[ApiClient, str]:
    """Create an API client and its machine user; return the client and its token.

    The token is shown only here: mfme stores its SHA-256. A read-write client acts as a manager
    of the institution (it may enter data and submit quarters); a read client as an auditor.
    """
    if not (actor.role == User.Role.ADMINISTRATOR or actor.is_superuser):
        raise PermissionDenied(_("Only administrators can create API clients."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    role = User.Role.MFI_MANAGER if access == ApiClient.Access.READ_WRITE else User.Role.AUDITOR
    machine_user = user_create(
        username=f"api-{institution.code}-{secrets.token_hex(4)}",
        password=None,  # an unusable password: a machine user cannot sign in to the web UI
        role=role,
        first_name=name[:150],
        last_name=_("(API client)"),
    )
    membership_grant(actor=actor, user=machine_user, institution=institution)
    client = ApiClient(
        name=name,
        institution=institution,
        access=access,
        user=machine_user,
        token_hash=token_hash(token),
        token_prefix=token[: len(TOKEN_PREFIX) + 4],
        created_by=actor,
    )
    client.full_clean()
    client.save()
    return client, token


@transaction.atomic
def api_client_revoke(*, actor: User, client: ApiClient) -> ApiClient:
    """Revoke a client's token for good: its next request is refused (401)."""
    if not (actor.role == User.Role.ADMINISTRATOR or actor.is_superuser):
        raise PermissionDenied(_("Only administrators can revoke API clients."))
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at", "updated_at"])
    return client


def api_client_touch(*, client: ApiClient) -> None:
    """Record that the client was just used (at most once a minute, to spare the database)."""
    now = timezone.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now


def _without_nul(value: Any) -> Any:
    """PostgreSQL's jsonb cannot hold U+0000, which an error may echo from a hostile request
    (e.g. an unknown field name): the stored replay carries U+FFFD in its place."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


#: A reservation older than this is taken to be abandoned (its process died before it could
#: complete or delete it): a repeat takes it over instead of being told to wait for ever.
IDEMPOTENCY_IN_FLIGHT_EXPIRY = datetime.timedelta(minutes=10)


def idempotency_record_reserve(
    *, user: User, key: str, method: str, path: str, request_hash: str
) -> tuple[IdempotencyRecord, bool]:
    """Reserve ``key`` for a request about to run, in its own committed transaction so that a
    concurrent repeat sees it; returns the record and whether this request holds it.

    If the key is already recorded, the record is returned unreserved (the caller replays its
    response or says that the first request is still in flight), unless it is a reservation
    abandoned for longer than ``IDEMPOTENCY_IN_FLIGHT_EXPIRY``, which this request takes over.
    """
    fields = {"method": method, "path": path, "request_hash": request_hash}
    record = None
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(user=user, key=key, **fields), True
        except IntegrityError:
            # The key is taken, by a finished request or one still in flight; or it was, and
            # that request has just released it: then try again.
            record = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if record is not None:
                break
    if record is None:
        raise IntegrityError(f"Idempotency key {key!r} could be neither reserved nor read.")
    now = timezone.now()
    if record.response_status is None and record.created_at < now - IDEMPOTENCY_IN_FLIGHT_EXPIRY:
        # Compare and set: of two repeats taking over at once, one wins.
        taken = IdempotencyRecord.objects.filter(
            pk=record.pk, response_status__isnull=True, created_at=record.created_at
        ).update(created_at=now, **fields)
        if taken:
            record.refresh_from_db()
            return record, True
        record.refresh_from_db()
    return record, False


def idempotency_record_complete(
    *, record: IdempotencyRecord, status: int, body: Any, headers: dict[str, str]
) -> None:
    """Store the response of the request holding the reservation ``record``."""
    IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).update(
        response_status=status, response_body=_without_nul(body), response_headers=headers
    )


def idempotency_record_release(*, record: IdempotencyRecord) -> None:
    """Free the key of the reservation ``record``: its response is not kept (a conflict, a
    throttle, a server error), so the same key may be sent again."""
    IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).delete()


@transaction.atomic
def import_job_create(
    *,
    actor: User,
    institution: Institution,
    kind: str,
    content_type: str,
    payload: bytes,
    total_rows: int | None = None,
) -> ImportJob:
    """Store an upload and queue it for a worker (after commit)."""
    from .tasks import import_job_run_task

    job = ImportJob(
        institution=institution,
        created_by=actor,
        kind=kind,
        content_type=content_type,
        total_rows=total_rows,
    )
    extension = {"text/csv": "csv", "application/x-ndjson": "ndjson"}.get(content_type, "json")
    job.file.save(f"{kind}.{extension}", ContentFile(payload), save=False)
    job.full_clean()
    job.save()
    import_job_run_task.delay_on_commit(job.pk)
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Validate and apply one pending import job, all or nothing; safe to run twice.

    The compare-and-set from pending to running makes a repeated delivery a no-op.
    """
    from .bulk import BulkRejected, bulk_apply, parse_payload

    taken = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not taken:
        return None
    job = ImportJob.objects.select_related("institution", "created_by").get(pk=job_id)

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done)

    try:
        with job.file.open("rb") as handle:
            rows = parse_payload(handle.read(), content_type=job.content_type)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=len(rows))
        report = bulk_apply(
            kind=job.kind,
            actor=job.created_by,
            institution=job.institution,
            rows=rows,
            progress=progress,
        )
    except BulkRejected as rejected:
        job.status = ImportJob.Status.FAILED
        job.errors = rejected.errors
        job.report = {"applied": False, "error_count": len(rejected.errors)}
    else:
        job.status = ImportJob.Status.SUCCEEDED
        job.report = {"applied": True, **report}
        job.processed_rows = report.get("rows", 0)
    job.finished_at = timezone.now()
    job.save(
        update_fields=["status", "errors", "report", "processed_rows", "finished_at", "updated_at"]
    )
    return job


@transaction.atomic
def contract_with_schedule_create(
    *,
    actor: User,
    institution: Institution,
    data: dict[str, Any],
    instalments: list[dict[str, Any]],
) -> Any:
    """One contract through ``institutions.services.contract_create`` (every contract rule runs),
    then its schedule, in one transaction."""
    from django.core.exceptions import ValidationError

    from institutions.models import Instalment
    from institutions.services import contract_create

    contract = contract_create(actor=actor, institution=institution, data=data)
    built = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(instalments):
        instalment = Instalment(contract=contract, **item)
        try:
            instalment.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(f"instalments[{index}].{field}", []).extend(messages)
        built.append(instalment)
    numbers = [instalment.number for instalment in built]
    if len(numbers) != len(set(numbers)):
        errors.setdefault("instalments", []).append(
            _("Each instalment number may appear only once.")
        )
    if errors:
        raise ValidationError(errors)
    Instalment.objects.bulk_create(built)
    return contract
