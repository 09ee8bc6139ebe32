"""One JSON shape for every API error, whatever raised it:

    {"errors": [{"code": "…", "field": "…" | null, "message": "…", "row": 12}]}

``code`` is a stable machine code, ``message`` is translated into the request's language
(``Accept-Language``: ar, fr, en), ``field`` is a dotted path into the request body, and ``row``
(bulk requests only) is the 1-based position of the row in the payload.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

ErrorItem = dict[str, Any]


class ApiError(exceptions.APIException):
    """An API error with its own status, machine code and (optional) row errors."""

    def __init__(
        self,
        *,
        status_code: int,
        code: str,
        message: Any,
        errors: list[ErrorItem] | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.errors = errors


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


def error(code: str, message: Any, field: str | None = None, row: int | None = None) -> ErrorItem:
    item: ErrorItem = {"code": code, "field": field, "message": str(message)}
    if row is not None:
        item["row"] = row
    return item


def _join(prefix: str | None, key: object) -> str | None:
    if key in (None, NON_FIELD_ERRORS, "non_field_errors"):
        return prefix
    if isinstance(key, int):
        return f"{prefix or ''}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def _flatten_drf(detail: Any, field: str | None = None) -> list[ErrorItem]:
    if isinstance(detail, dict):
        return [
            item for key, value in detail.items() for item in _flatten_drf(value, _join(field, key))
        ]
    if isinstance(detail, list):
        items: list[ErrorItem] = []
        for index, value in enumerate(detail):
            # A list of dicts is a nested list serializer: keep the index in the path.
            path = _join(field, index) if isinstance(value, dict | list) else field
            items.extend(_flatten_drf(value, path))
        return items
    code = getattr(detail, "code", None) or "invalid"
    return [error(code, detail, field)]


def _flatten_django(exc: DjangoValidationError) -> list[ErrorItem]:
    if hasattr(exc, "error_dict"):
        return [
            error(item.code or "invalid", message, _join(None, field))
            for field, field_errors in exc.error_dict.items()
            for item in field_errors
            for message in item.messages
        ]
    return [
        error(item.code or "invalid", message)
        for item in exc.error_list
        for message in item.messages
    ]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    from institutions.services import PeriodNotEditable

    if isinstance(exc, PeriodNotEditable):
        return Response(
            {"errors": [error("period_not_editable", message) for message in exc.messages]},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        return Response({"errors": _flatten_django(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        return Response(
            {"errors": [error("not_found", _("Not found."))]}, status=status.HTTP_404_NOT_FOUND
        )
    if isinstance(exc, DjangoPermissionDenied):
        message = str(exc) or _("You do not have permission to perform this action.")
        return Response(
            {"errors": [error("permission_denied", message)]}, status=status.HTTP_403_FORBIDDEN
        )
    if isinstance(exc, OverflowError):
        # A query parameter too large for the database's integers: the client's mistake.
        return Response(
            {"errors": [error("invalid", _("A number in the request is out of range."))]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling (and logging) takes over
    if isinstance(exc, ApiError) and exc.errors is not None:
        response.data = {"errors": exc.errors}
    elif isinstance(exc, exceptions.APIException):
        response.data = {"errors": _flatten_drf(exc.detail)}
    return response
