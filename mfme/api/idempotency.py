"""``Idempotency-Key`` on every POST: a repeat of a POST with the same key (by the same user)
gets the first response back, with ``Idempotent-Replayed: true``, and nothing runs twice.

A key reused with a different body is refused (422, ``idempotency_key_reused``). Only
definitive answers are stored (success and 4xx other than 401/403/429/409-in-flight); a 5xx
leaves the key free so that the client can retry.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .exception_handler import ApiError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
#: Responses not stored: the same request may well succeed later.
TRANSIENT_STATUSES = frozenset({401, 403, 408, 429})

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=str(
        _("A unique key (such as a UUID) per logical request: a repeat returns the first response.")
    ),
)


def _jsonable(data: Any) -> Any:
    # Through DRF's encoder, so that decimals, dates and lazy strings store as they were sent.
    return json.loads(json.dumps(data, cls=JSONEncoder))


class _Replay(Exception):  # noqa: N818 - control flow, never shown
    def __init__(self, response: Response) -> None:
        self.response = response


def request_fingerprint(request: Request) -> str:
    data = request.data
    raw = (
        data if isinstance(data, bytes) else json.dumps(data, sort_keys=True, default=str).encode()
    )
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n")
    digest.update(raw)
    return digest.hexdigest()


class IdempotentMixin:
    """Mix into a view (before the DRF view class) to make its POSTs idempotent."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        from partners.selectors import idempotency_record_find

        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._idempotency_key = None
        self._idempotency_hash = ""
        key = request.headers.get(HEADER) if request.method == "POST" else None
        if not key:
            return
        if len(key) > MAX_KEY_LENGTH:
            raise ApiError(
                status_code=status.HTTP_400_BAD_REQUEST,
                code="invalid_idempotency_key",
                message=_("The Idempotency-Key header is too long (255 characters at most)."),
            )
        self._idempotency_hash = request_fingerprint(request)
        self._idempotency_key = key
        record = idempotency_record_find(user=request.user, key=key)
        if record is None:
            return
        if record.request_hash != self._idempotency_hash:
            self._idempotency_key = None
            raise ApiError(
                status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                code="idempotency_key_reused",
                message=_("This Idempotency-Key was already used with a different request."),
            )
        headers = {**record.response_headers, "Idempotent-Replayed": "true"}
        raise _Replay(
            Response(record.response_body, status=record.response_status, headers=headers)
        )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            self._idempotency_key = None
            return exc.response
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        from partners.services import idempotency_record_save

        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        key = getattr(self, "_idempotency_key", None)
        if key and response.status_code < 500 and response.status_code not in TRANSIENT_STATUSES:
            headers = {name: response[name] for name in ("Location",) if response.has_header(name)}
            idempotency_record_save(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path,
                request_hash=self._idempotency_hash,
                status=response.status_code,
                body=_jsonable(getattr(response, "data", None)),
                headers=headers,
            )
        return response
