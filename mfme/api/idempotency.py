"""``Idempotency-Key`` on every POST: a repeat of a POST with the same key (by the same user)
gets the first response back, with ``Idempotent-Replayed: true``, and nothing runs twice.

The first request reserves its key (a record without a response, committed at once) before its
view runs; a repeat arriving while it is still in flight is refused (409,
``idempotency_request_in_progress``), whether it runs in another thread, process or server. A
key reused with a different body is refused (422, ``idempotency_key_reused``).

As Stripe does, only definitive answers are kept for the key: success and the 4xx that will not
change by themselves. An answer that says "try again later" or "the state conflicts" (401, 403,
408, 409, 429), a 5xx, or an exception deletes the reservation instead, so that the same key
can be sent again once the cause is gone (a quarter reopened, a throttle passed).
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
#: Responses not stored: the same request may well succeed later (with 5xx).
TRANSIENT_STATUSES = frozenset({401, 403, 408, 409, 429})

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


def _kept(status_code: int) -> bool:
    return status_code < 500 and status_code not in TRANSIENT_STATUSES


class IdempotentMixin:
    """Mix into a view (before the DRF view class) to make its POSTs idempotent."""

    _idempotency_record: Any = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        from partners.services import idempotency_record_reserve

        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._idempotency_record = None
        key = request.headers.get(HEADER) if request.method == "POST" else None
        if not key:
            return
        if len(key) > MAX_KEY_LENGTH:
            raise ApiError(
                status_code=status.HTTP_400_BAD_REQUEST,
                code="invalid_idempotency_key",
                message=_("The Idempotency-Key header is too long (255 characters at most)."),
            )
        request_hash = request_fingerprint(request)
        record, reserved = idempotency_record_reserve(
            user=request.user,
            key=key,
            method=request.method,
            path=request.path,
            request_hash=request_hash,
        )
        if reserved:
            self._idempotency_record = record
            return
        if record.request_hash != request_hash:
            raise ApiError(
                status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                code="idempotency_key_reused",
                message=_("This Idempotency-Key was already used with a different request."),
            )
        if record.response_status is None:
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT,
                code="idempotency_request_in_progress",
                message=_(
                    "A request with this Idempotency-Key is still being processed. Try again later."
                ),
            )
        headers = {**record.response_headers, "Idempotent-Replayed": "true"}
        raise _Replay(
            Response(record.response_body, status=record.response_status, headers=headers)
        )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            return exc.response
        try:
            return super().handle_exception(exc)  # type: ignore[misc]
        except BaseException:
            # Not handled: Django answers 500. The key must not stay reserved for ever.
            self._idempotency_release()
            raise

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        from partners.services import idempotency_record_complete

        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        record = self._idempotency_record
        if record is None:
            return response
        if not _kept(response.status_code):
            self._idempotency_release()
            return response
        self._idempotency_record = None
        headers = {name: response[name] for name in ("Location",) if response.has_header(name)}
        idempotency_record_complete(
            record=record,
            status=response.status_code,
            body=_jsonable(getattr(response, "data", None)),
            headers=headers,
        )
        return response

    def _idempotency_release(self) -> None:
        from partners.services import idempotency_record_release

        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            idempotency_record_release(record=record)
