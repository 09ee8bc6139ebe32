"""Permissions shared by every API view."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request


class ApiClientAccess(BasePermission):
    """A read-only API client may only read; services check everything else (role, scope)."""

    message = _("This API client has read-only access.")
    code = "read_only_client"

    def has_permission(self, request: Request, view: Any) -> bool:
        from partners.models import ApiClient

        if request.method in SAFE_METHODS or not isinstance(request.auth, ApiClient):
            return True
        return request.auth.can_write
