"""Partner systems that talk to mfme through the REST API.

An ``ApiClient`` is a machine user scoped to one institution: it authenticates with a token
(only its SHA-256 is stored) and acts through a dedicated ``users.User`` holding a membership on
that institution, so every selector and service scopes it like a person of that institution.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from institutions.models import Institution
from mfme.models import TimeStampedModel


class ApiClient(TimeStampedModel):
    """A partner system allowed to read (and perhaps write) one institution's data."""

    class Access(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    name = models.CharField(_("name"), max_length=120)
    institution = models.ForeignKey(
        Institution, models.CASCADE, related_name="api_clients", verbose_name=_("institution")
    )
    access = models.CharField(_("access"), max_length=12, choices=Access.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="api_client",
        verbose_name=_("machine user"),
    )
    token_hash = models.CharField(_("token hash (SHA-256)"), max_length=64, unique=True)
    token_prefix = models.CharField(
        _("token prefix"), max_length=12, help_text=_("First characters, to recognise a token.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="api_clients_created",
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["institution", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "name"],
                name="partners_apiclient_unique_name",
                violation_error_message=_(
                    "This institution already has an API client of this name."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.institution.code})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def can_write(self) -> bool:
        return self.access == self.Access.READ_WRITE


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an ``Idempotency-Key``; a repeat gets it back.

    Written before the view runs, as a reservation without a response (``response_status``
    empty): a repeat arriving meanwhile is told the first is still in flight. Completed with the
    response, or deleted if the response is not kept (see ``mfme.api.idempotency``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="idempotency_records",
        verbose_name=_("user"),
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request hash (SHA-256)"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                name="partners_idempotencyrecord_unique_key",
                violation_error_message=_("This idempotency key is already recorded."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"


class ImportJob(TimeStampedModel):
    """A bulk import too large to apply within the request: a worker validates and applies it,
    all or nothing, and records its progress and final report here (STYLE rule 15)."""

    class Kind(models.TextChoices):
        CONTRACTS = "contracts", _("Contracts with schedules")
        REPAYMENTS = "repayments", _("Repayments")
        CLIENTS = "clients", _("Clients")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    institution = models.ForeignKey(
        Institution, models.CASCADE, related_name="import_jobs", verbose_name=_("institution")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("created by"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    content_type = models.CharField(_("content type"), max_length=60)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("total rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "succeeded", "failed"]),
                name="partners_importjob_status_valid",
                violation_error_message=_("Unknown import job status."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.status})"
