"""Writes through the services: periods (open, submit), statements, staffing, one contract;
locked or submitted periods are refused with 409; idempotency of every POST."""

from __future__ import annotations

import pytest

from institutions.models import FinancialStatement, FinancingContract, Instalment, ReportingPeriod
from partners.models import IdempotencyRecord
from tests.factories import ReportingPeriodFactory

from .payloads import contract_row

pytestmark = pytest.mark.django_db

STATEMENT = {
    "cash_and_bank": "100000.00",
    "gross_financing_portfolio": "400000.00",
    "total_assets": "500000.00",
    "total_liabilities": "300000.00",
    "total_equity": "200000.00",
    "financing_income": "30000.00",
    "personnel_expense": "10000.00",
}


def test_open_a_period_then_save_statement_and_staffing_then_submit(
    api, token, institution
) -> None:
    client = api(token)
    response = client.post("/api/v1/periods/", {"year": 2024, "quarter": 1}, format="json")
    assert response.status_code == 201, response.json()
    period_id = response.json()["id"]
    response = client.post(
        "/api/v1/financial-statements/", {"period": period_id, **STATEMENT}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["total_assets"] == "500000.00"
    statement_id = response.json()["id"]
    response = client.put(
        f"/api/v1/financial-statements/{statement_id}/",
        {**STATEMENT, "financing_income": "31000.00"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert FinancialStatement.objects.get().financing_income == 31000
    response = client.post(
        "/api/v1/staffing/",
        {"period": period_id, "total_staff": 10, "financing_officers": 4},
        format="json",
    )
    assert response.status_code == 201, response.json()
    # Upserts: the same quarter, statement and staffing posted again answer 200 (updated).
    response = client.post("/api/v1/periods/", {"year": 2024, "quarter": 1}, format="json")
    assert (response.status_code, response.json()["id"]) == (200, period_id)
    response = client.post(
        "/api/v1/financial-statements/", {"period": period_id, **STATEMENT}, format="json"
    )
    assert (response.status_code, response.json()["id"]) == (200, statement_id)
    response = client.post(
        "/api/v1/staffing/",
        {"period": period_id, "total_staff": 11, "financing_officers": 4},
        format="json",
    )
    assert response.status_code == 200, response.json()
    response = client.post(f"/api/v1/periods/{period_id}/submit/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"
    # A submitted quarter no longer changes: 409 with a machine code.
    response = client.post(
        "/api/v1/financial-statements/", {"period": period_id, **STATEMENT}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "period_not_editable"
    response = client.post(f"/api/v1/periods/{period_id}/submit/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "invalid_transition"


def test_locked_period_is_409(api, token, institution) -> None:
    period = ReportingPeriodFactory(institution=institution, status=ReportingPeriod.Status.LOCKED)
    response = api(token).post(
        "/api/v1/staffing/",
        {"period": period.pk, "total_staff": 10, "financing_officers": 4},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "period_not_editable"


def test_unbalanced_statement_names_the_field(api, token, institution) -> None:
    period = ReportingPeriodFactory(institution=institution)
    response = api(token).post(
        "/api/v1/financial-statements/",
        {**STATEMENT, "period": period.pk, "total_assets": "1.00"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "total_assets"


def test_writes_to_another_institutions_period_are_404(api, other_token, institution) -> None:
    period = ReportingPeriodFactory(institution=institution)
    response = api(other_token).post(
        "/api/v1/financial-statements/", {"period": period.pk, **STATEMENT}, format="json"
    )
    assert response.status_code == 404
    response = api(other_token).post(f"/api/v1/periods/{period.pk}/submit/", {}, format="json")
    assert response.status_code == 404


def test_single_contract_with_schedule_goes_through_contract_create(api, token, references) -> None:
    response = api(token).post("/api/v1/contracts/", contract_row(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["contract_type"] == "murabaha"
    assert [row["number"] for row in body["instalments"]] == [1, 2]


def test_single_contract_errors_name_the_field(api, token, references) -> None:
    response = api(token).post(
        "/api/v1/contracts/", contract_row(client="NOPE", sale_price="1.00"), format="json"
    )
    assert response.status_code == 400
    assert {"code": "unknown_reference", "field": "client"}.items() <= response.json()["errors"][
        0
    ].items()
    assert FinancingContract.objects.count() == 0


def test_idempotency_key_replays_the_first_response(api, token, references) -> None:
    client = api(token)
    first = client.post(
        "/api/v1/contracts/", contract_row(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    second = client.post(
        "/api/v1/contracts/", contract_row(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert FinancingContract.objects.count() == 1
    assert Instalment.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 1


def test_idempotency_key_reused_with_another_body_is_422(api, token, references) -> None:
    client = api(token)
    client.post("/api/v1/contracts/", contract_row(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = client.post(
        "/api/v1/contracts/", contract_row("K2"), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert FinancingContract.objects.count() == 1


def test_idempotency_replays_errors_too_and_keys_are_per_client(
    api, token, other_token, references
) -> None:
    bad = contract_row(client="NOPE")
    first = api(token).post("/api/v1/contracts/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    again = api(token).post("/api/v1/contracts/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert first.status_code == again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    # The same key from another client is another request.
    other = api(other_token).post(
        "/api/v1/periods/", {"year": 2024, "quarter": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert other.status_code == 201
    assert not other.has_header("Idempotent-Replayed")


def test_oversized_body_is_413(api, token, settings) -> None:
    settings.MFME_API_MAX_BYTES = 100
    response = api(token).post("/api/v1/contracts/", contract_row(), format="json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"


def test_an_error_echoing_a_nul_character_is_still_replayable(api, token, references) -> None:
    """Found by schemathesis on PostgreSQL: jsonb cannot store U+0000, which an error about an
    unknown field name echoes back; the replay stores U+FFFD instead of failing with a 500."""
    body = {**contract_row("NUL"), "\x00odd": "x"}
    first = api(token).post("/api/v1/contracts/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-nul")
    again = api(token).post("/api/v1/contracts/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-nul")
    assert first.status_code == again.status_code < 500
    assert IdempotencyRecord.objects.filter(key="k-nul").count() == 1
