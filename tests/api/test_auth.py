"""Authentication: revocable tokens scoped to one institution and to read or read-write;
browser sessions work too; one error shape, translated."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from institutions.models import Institution
from partners.models import ApiClient
from partners.services import api_client_revoke, token_hash
from tests.factories import ReportingPeriodFactory

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_in_the_error_shape(api) -> None:
    response = api().get("/api/v1/contracts/")
    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "code": "not_authenticated",
                "field": None,
                "message": "Authentication credentials were not provided.",
            }
        ]
    }


def test_error_messages_follow_accept_language(api) -> None:
    response = api().get("/api/v1/contracts/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"
    assert "authentification" in response.json()["errors"][0]["message"]


def test_unknown_token_is_401(api) -> None:
    response = api("mfme_nope").get("/api/v1/contracts/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "invalid_token"


def test_token_reads_its_institution(api, token, institution: Institution) -> None:
    response = api(token).get("/api/v1/institutions/")
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == [institution.code]


def test_only_the_hash_of_the_token_is_stored(token) -> None:
    client = ApiClient.objects.get()
    assert client.token_hash == token_hash(token)
    assert token not in {client.token_hash, client.token_prefix}
    assert not client.user.has_usable_password()


def test_revoked_token_is_401(api, token, administrator) -> None:
    api_client_revoke(actor=administrator, client=ApiClient.objects.get())
    response = api(token).get("/api/v1/institutions/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "token_revoked"


def test_read_only_token_cannot_write(api, read_token, institution: Institution) -> None:
    response = api(read_token).post("/api/v1/periods/", {"year": 2024, "quarter": 1}, format="json")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "read_only_client"
    assert api(read_token).get("/api/v1/periods/").status_code == 200


def test_staff_session_works(client_for, staff, institution: Institution) -> None:
    ReportingPeriodFactory(institution=institution)
    response = client_for(staff).get("/api/v1/periods/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_last_use_is_recorded(api, token) -> None:
    api(token).get("/api/v1/institutions/")
    assert ApiClient.objects.get().last_used_at is not None


def test_command_prints_the_token_once(administrator, institution: Institution, api) -> None:
    out = StringIO()
    call_command(
        "api_client_create",
        "--institution",
        institution.code,
        "--name",
        "erp",
        "--access",
        "read",
        stdout=out,
        stderr=StringIO(),
    )
    token = out.getvalue().strip()
    client = ApiClient.objects.get(name="erp")
    assert client.access == "read"
    assert api(token).get("/api/v1/institutions/").status_code == 200


def test_throttled_per_client(api, token, monkeypatch: pytest.MonkeyPatch) -> None:
    from mfme.api.throttling import ApiClientRateThrottle

    monkeypatch.setattr(ApiClientRateThrottle, "THROTTLE_RATES", {"api_client": "2/minute"})
    from django.core.cache import cache

    cache.clear()
    statuses = [api(token).get("/api/v1/institutions/").status_code for _ in range(3)]
    cache.clear()
    assert statuses == [200, 200, 429]
