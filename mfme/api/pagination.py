"""Cursor pagination for every list: stable under concurrent inserts, no COUNT(*) on big tables."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models import IntegerField, Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from .exception_handler import ApiError, error

INVALID_CURSOR_MESSAGE = _("This cursor is not valid: follow the next or previous link of a page.")


def _invalid_cursor() -> ApiError:
    return ApiError(
        status_code=status.HTTP_400_BAD_REQUEST,
        code="invalid_cursor",
        message=INVALID_CURSOR_MESSAGE,
        errors=[error("invalid_cursor", INVALID_CURSOR_MESSAGE, "cursor")],
    )


def _ordering_field(model: type[Model], path: str) -> Any:
    """The model field an ordering such as ``-disbursement_date`` or ``period__year`` sorts on."""
    field: Any = None
    for name in path.lstrip("-").split(LOOKUP_SEP):
        field = model._meta.get_field(name)
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return field


class ApiCursorPagination(CursorPagination):
    """DRF's cursor pagination, with every cursor a client can send checked before it reaches
    the database: one that does not decode, or whose position is not a value of the column the
    list is ordered by (``p=abc`` on ids, ``2026-99-99`` on dates, an id beyond the column's
    range), is a 400 ``invalid_cursor`` naming the ``cursor`` parameter, not a 404 or a 500."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-id"

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound as not_found:
            raise _invalid_cursor() from not_found
        if cursor is None or cursor.position is None:
            return cursor
        try:
            self._check_position(cursor.position)
        except (FieldDoesNotExist, ValidationError, TypeError, ValueError) as invalid:
            raise _invalid_cursor() from invalid
        return cursor

    def _check_position(self, position: str) -> None:
        model = getattr(self, "_model", None)
        if model is None:
            return
        field = _ordering_field(model, self.ordering[0])
        value = field.to_python(position)
        if isinstance(field, IntegerField) and value is not None:
            low, high = connection.ops.integer_field_range(field.get_internal_type())
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(position)
