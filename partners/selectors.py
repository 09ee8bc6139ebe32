"""Reads for partner systems, scoped like every other read (out of scope → 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from institutions.selectors import institution_ids_for_user
from users.models import User

from .models import ApiClient, ImportJob
from .services import token_hash


def api_client_by_token(*, token: str) -> ApiClient | None:
    """The client holding ``token`` (revoked or not), or ``None``."""
    return (
        ApiClient.objects.select_related("user", "institution")
        .filter(token_hash=token_hash(token))
        .first()
    )


def import_job_list_for_user(*, user: User) -> QuerySet[ImportJob]:
    queryset = ImportJob.objects.select_related("institution")
    visible = institution_ids_for_user(user=user)
    if visible is not None:
        queryset = queryset.filter(institution_id__in=visible)
    return queryset


def import_job_get_for_user(*, user: User, job_id: object) -> ImportJob:
    try:
        return import_job_list_for_user(user=user).get(pk=job_id)
    except (ImportJob.DoesNotExist, ValueError, TypeError) as error:
        raise Http404(_("Not found.")) from error
