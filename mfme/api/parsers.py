"""Parsers for bulk uploads: the body is kept as bytes (read with a size limit) and parsed by
``partners.bulk``, which accepts a JSON array, NDJSON or CSV."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser

from .exception_handler import RequestTooLarge

#: 100,000 contracts with 12 instalments each fit in well under 200 MB of JSON.
DEFAULT_BULK_MAX_BYTES = 200 * 1024 * 1024
CHUNK = 1024 * 1024


def bulk_max_bytes() -> int:
    return int(getattr(settings, "MFME_API_BULK_MAX_BYTES", DEFAULT_BULK_MAX_BYTES))


class _RawParser(BaseParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> bytes:
        limit = bulk_max_bytes()
        chunks: list[bytes] = []
        size = 0
        if stream is None:
            return b""
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge()
            chunks.append(chunk)
        return b"".join(chunks)


class BulkJsonParser(_RawParser):
    media_type = "application/json"


class BulkNdjsonParser(_RawParser):
    media_type = "application/x-ndjson"


class BulkJsonLinesParser(_RawParser):
    """The other names of NDJSON in use (JSON Lines); ``partners.bulk.parse_payload`` reads
    them alike."""

    media_type = "application/jsonl"


class BulkNdjsonAliasParser(_RawParser):
    media_type = "application/ndjson"


class BulkCsvParser(_RawParser):
    media_type = "text/csv"


#: Ordinary (non-bulk) JSON bodies: a financial statement is a few kilobytes.
DEFAULT_MAX_BYTES = 1024 * 1024


class LimitedJsonParser(JSONParser):
    """The JSON parser, refusing bodies above ``MFME_API_MAX_BYTES`` with a 413."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        limit = int(getattr(settings, "MFME_API_MAX_BYTES", DEFAULT_MAX_BYTES))
        if length and str(length).isdigit() and int(length) > limit:
            raise RequestTooLarge()
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as error:
            # DRF's detail is the English "JSON parse error - Expecting property name …".
            cause = error.__context__
            if isinstance(cause, json.JSONDecodeError):
                message = _("The body is not valid JSON (line {line}, column {column}).")
                message = message.format(line=cause.lineno, column=cause.colno)
            else:
                message = _("The body is not valid JSON.")
            raise ParseError(message) from cause
