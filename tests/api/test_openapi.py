"""The OpenAPI schema builds without warnings and is served with interactive docs."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


def test_schema_builds_without_warnings(tmp_path: object) -> None:
    # --fail-on-warn turns any drf-spectacular warning (untyped field, enum collision …) into
    # an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", f"{tmp_path}/schema.yml")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"])
def test_schema_and_docs_are_served(path: str) -> None:
    response = APIClient().get(path)
    assert response.status_code == 200


@pytest.mark.django_db
def test_schema_documents_token_auth_and_bulk() -> None:
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    assert "/api/v1/contracts/bulk/" in schema["paths"]
