"""Every API route answers with and without its trailing slash: a POST to ``/api/v1/branches``
is applied (not redirected, which clients re-send as a GET and the write is lost), while the
URLs the API hands out and documents keep their slash."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from institutions.models import Branch, FinancingContract, ReportingPeriod
from tests.factories import ReportingPeriodFactory

from .payloads import contract_row

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [False, True])
def test_post_without_trailing_slash_is_applied(api, token, institution, settings, debug) -> None:
    settings.DEBUG = debug
    response = api(token).post("/api/v1/branches", {"code": "B7", "name": "Fes"}, format="json")
    assert response.status_code == 201, response.content
    assert Branch.objects.filter(institution=institution, code="B7").exists()


def test_every_kind_of_route_answers_without_its_slash(api, token, institution, references):
    client = api(token)
    response = client.post(
        "/api/v1/contracts/bulk",
        data=json.dumps([contract_row("K1")]),
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert FinancingContract.objects.filter(external_id="K1").exists()
    branch = Branch.objects.get(code="B1")
    response = client.patch(f"/api/v1/branches/{branch.pk}", {"name": "Oujda"}, format="json")
    assert response.status_code == 200, response.json()
    assert client.get(f"/api/v1/branches/{branch.pk}").json()["name"] == "Oujda"
    period = ReportingPeriodFactory(institution=institution)
    response = client.post(f"/api/v1/periods/{period.pk}/submit", {}, format="json")
    assert response.status_code == 200, response.json()
    period.refresh_from_db()
    assert period.status == ReportingPeriod.Status.SUBMITTED
    assert client.get("/api/v1/contracts").status_code == 200
    assert client.get("/api/v1/schema").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_the_api_hands_out_and_documents_urls_with_their_slash() -> None:
    assert reverse("import-job-detail", args=[5]) == "/api/v1/import-jobs/5/"
    assert reverse("contract-bulk") == "/api/v1/contracts/bulk/"
    schema = (
        APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    )
    assert "/api/v1/branches/" in schema["paths"]
    assert all(path.endswith("/") for path in schema["paths"])
