"""Shared pieces of the API's ViewSets: scoping through the access-checked selector, and the
institution a write is for."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import status, viewsets
from rest_framework.request import Request

from .exception_handler import ApiError
from .idempotency import IdempotentMixin


class ScopedViewSet(IdempotentMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """A ViewSet whose rows are those of ``model`` the user may see (``scoped_queryset``):
    another institution's object is a 404, never a 403."""

    model: type[Model]
    select_related: tuple[str, ...] = ()
    ordering_fields: tuple[str, ...] = ("id",)
    ordering = ("-id",)

    def get_queryset(self) -> QuerySet[Any]:
        from institutions.selectors import scoped_queryset

        queryset = scoped_queryset(self.model, user=self.request.user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset


def target_institution(request: Request, code: str | None = None) -> Any:
    """The institution a write is for: an API client's own, or (for a browser session) the one
    named by ``code``, which the user must be able to see."""
    from institutions.selectors import institution_get_by_code_for_user
    from partners.models import ApiClient

    if isinstance(request.auth, ApiClient):
        return request.auth.institution
    code = code or request.query_params.get("institution")
    if not code:
        raise ApiError(
            status_code=status.HTTP_400_BAD_REQUEST,
            code="institution_required",
            message=_("Name the institution (its code) in the 'institution' parameter."),
            errors=[
                {
                    "code": "institution_required",
                    "field": "institution",
                    "message": str(
                        _("Name the institution (its code) in the 'institution' parameter.")
                    ),
                }
            ],
        )
    return institution_get_by_code_for_user(user=request.user, code=code)
