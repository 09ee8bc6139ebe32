"""Under /api/, an unknown URL and an unhandled exception answer in the API's JSON error shape
(404 ``not_found``, 500 ``server_error`` without a traceback); the rest of the site keeps
Django's HTML pages."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from institutions.api.views import BranchViewSet
from mfme.api.error_views import server_error

pytestmark = pytest.mark.django_db

NOT_FOUND = {"errors": [{"code": "not_found", "field": None, "message": "Not found."}]}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", ["/api/v1/nope/", "/api/v1/nope", "/api/v1/branches/1/nope/", "/api/v2/", "/api/"]
)
def test_unknown_api_url_is_a_json_404(api, token, settings, debug, path) -> None:
    settings.DEBUG = debug
    response = api(token).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND
    # Without credentials too: there is nothing to protect in a URL that does not exist.
    assert APIClient().post(path, {}, format="json").json() == NOT_FOUND


def test_json_404_is_translated(api, token) -> None:
    response = api(token).get("/api/v1/nope/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["errors"][0] == {
        "code": "not_found",
        "field": None,
        "message": "Introuvable.",
    }


def test_api_urls_without_their_slash_still_redirect_or_answer(api, token) -> None:
    response = api(token).get("/api/v1?format=json")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/?format=json"


def test_unknown_site_url_keeps_the_html_page(client_for, staff) -> None:
    response = client_for(staff).get("/nope/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_unhandled_exception_under_the_api_is_a_json_500(api, token, monkeypatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(BranchViewSet, "list", explode)
    client = api(token)
    client.raise_request_exception = False
    for language, message in (
        ("en", "The server could not process this request. Please try again later."),
        ("fr", None),
    ):
        response = client.get("/api/v1/branches/", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 500
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert [(item["code"], item["field"]) for item in body["errors"]] == [
            ("server_error", None)
        ]
        assert "secret" not in response.content.decode()
        assert "Traceback" not in response.content.decode()
        if message is not None:
            assert body["errors"][0]["message"] == message


def test_server_error_outside_the_api_is_the_html_page() -> None:
    response = server_error(RequestFactory().get("/periods/1/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
