"""Writes to users: creation with a role, and the permission groups that roles map to."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from .models import User, UserRole

#: Apps whose data analysts may read in the admin.
ANALYST_READABLE_APPS = ("institutions", "indicators", "shariah", "scoring", "reports")
#: Models analysts maintain themselves (reference data is the IsDB's, not an institution's).
ANALYST_EDITABLE_MODELS = (("institutions", "referencedata"),)


def _analyst_permissions() -> list[Permission]:
    readable = Q(content_type__app_label__in=ANALYST_READABLE_APPS, codename__startswith="view_")
    editable = Q()
    for app_label, model in ANALYST_EDITABLE_MODELS:
        editable |= Q(content_type__app_label=app_label, content_type__model=model)
    return list(Permission.objects.filter(readable | editable))


@transaction.atomic
def role_groups_sync() -> None:
    """Create or refresh the permission group of each role that uses the admin (idempotent)."""
    analysts, _created = Group.objects.get_or_create(name=UserRole.ANALYST.value)
    analysts.permissions.set(_analyst_permissions())


@transaction.atomic
def user_create(
    *, username: str, password: str | None, role: str, email: str = "", **fields: Any
) -> User:
    """Create a user with a role; analysts and administrators get admin access to match."""
    user = User(username=username, email=email, role=role, **fields)
    user.is_staff = role in {UserRole.ANALYST, UserRole.ADMINISTRATOR}
    user.is_superuser = role == UserRole.ADMINISTRATOR
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if role == UserRole.ANALYST:
        role_groups_sync()
        user.groups.add(Group.objects.get(name=UserRole.ANALYST.value))
    return user


def user_preferred_language_set(*, user: User, language: str) -> None:
    """Remember the language a user chose, to restore it at their next sign-in."""
    if user.preferred_language != language:
        user.preferred_language = language
        user.full_clean(exclude=["password"])
        user.save(update_fields=["preferred_language"])
