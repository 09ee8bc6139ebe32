"""Errors that never reach DRF's exception handler: a URL no route matches, and an exception
DRF does not handle. Under /api/ they answer in the API's JSON error shape (see
``exception_handler``); the rest of the site keeps Django's HTML pages.

Django only: importing ``exception_handler`` here, from the URLconf, would import DRF's views,
whose parsers import ``exception_handler`` while it is still half loaded (a cycle).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"errors": [{"code": code, "field": None, "message": message}]},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _resolve_or_none(path: str) -> ResolverMatch | None:
    try:
        return resolve(path)
    except Resolver404:
        return None


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The last route under /api/: a URL of no endpoint is a JSON 404 (in debug too, where
    Django would otherwise show its technical HTML page)."""
    if request.method in ("GET", "HEAD") and not request.path_info.endswith("/"):
        # APPEND_SLASH no longer applies under /api/ (this route matches everything), so do
        # what it did for the few URLs without a slashless twin, such as /api/v1.
        match = _resolve_or_none(request.path_info + "/")
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return _json_error("not_found", _("Not found."), HTTPStatus.NOT_FOUND)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``handler500``: a generic JSON 500 under /api/ (no traceback, nothing about the cause;
    Django has already logged it), Django's HTML page elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        return _json_error(
            "server_error",
            _("The server could not process this request. Please try again later."),
            HTTPStatus.INTERNAL_SERVER_ERROR,
        )
    return defaults.server_error(request, *args, **kwargs)
