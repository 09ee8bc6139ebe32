"""Writes of branches, products, clients, reschedulings and write-offs: upsert by the
institution's own keys, tenancy (another institution's row is a 404), closed quarters refused
with 409, the Shariah rule on reschedulings, idempotency."""

from __future__ import annotations

import pytest

from institutions.models import (
    Branch,
    Client,
    FinancingProduct,
    ReportingPeriod,
    Restructuring,
    WriteOff,
)
from tests.factories import BranchFactory, ReportingPeriodFactory

pytestmark = pytest.mark.django_db

CLIENT = {
    "external_id": "C9",
    "branch": "B1",
    "gender": "female",
    "birth_year": 1990,
    "area": "rural",
}
RESCHEDULING = {
    "contract": "K1",
    "external_id": "R1",
    "date": "2024-08-01",
    "amount_owed_before": "5500.00",
    "amount_owed_after": "5500.00",
    "maturity_before": "2024-12-10",
    "maturity_after": "2025-06-10",
    "reason": "Drought",
}
WRITE_OFF = {"contract": "K1", "date": "2024-11-30", "principal_amount": "5000.00"}


def test_branch_upsert_by_code_and_update(api, token, institution) -> None:
    client = api(token)
    response = client.post("/api/v1/branches/", {"code": "B7", "name": "Fes"}, format="json")
    assert response.status_code == 201, response.json()
    branch_id = response.json()["id"]
    response = client.post(
        "/api/v1/branches/", {"code": "B7", "name": "Fes medina", "city": "Fes"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == branch_id
    assert Branch.objects.filter(institution=institution).count() == 1
    response = client.patch(f"/api/v1/branches/{branch_id}/", {"region": "North"}, format="json")
    assert response.status_code == 200, response.json()
    branch = Branch.objects.get()
    assert (branch.name, branch.city, branch.region) == ("Fes medina", "Fes", "North")
    response = client.put(
        f"/api/v1/branches/{branch_id}/", {"code": "B8", "name": "Other"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "key_immutable"


def test_product_type_cannot_change_once_used(api, token, contract) -> None:
    client = api(token)
    product = FinancingProduct.objects.get(code="MUR")
    response = client.patch(
        f"/api/v1/products/{product.pk}/", {"contract_type": "ijara"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "product_in_use",
        "field": "contract_type",
        "message": "Contracts use this product: its contract type can no longer change.",
    }
    response = client.post(
        "/api/v1/products/",
        {"code": "IJ", "name": "Ijara", "contract_type": "ijara"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    response = client.patch(
        f"/api/v1/products/{product.pk}/", {"name": "Murabaha 2", "is_active": False}, format="json"
    )
    assert response.status_code == 200
    assert FinancingProduct.objects.get(pk=product.pk).is_active is False


def test_client_upsert_and_errors(api, token, references) -> None:
    client = api(token)
    response = client.post("/api/v1/clients/", CLIENT, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["branch_code"] == "B1"
    response = client.post("/api/v1/clients/", {**CLIENT, "birth_year": 1991}, format="json")
    assert response.status_code == 200
    assert Client.objects.get(external_id="C9").birth_year == 1991
    response = client.post("/api/v1/clients/", {**CLIENT, "branch": "NOPE"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "branch"
    response = client.post("/api/v1/clients/", {**CLIENT, "gender": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "gender"


def test_tenancy_of_reference_writes(
    api, token, other_token, other_institution, references
) -> None:
    client = api(token)
    client.post("/api/v1/clients/", CLIENT, format="json")
    own = Client.objects.get(external_id="C9")
    branch = Branch.objects.get(code="B1")
    other = api(other_token)
    assert (
        other.patch(f"/api/v1/clients/{own.pk}/", {"birth_year": 1950}, format="json").status_code
        == 404
    )
    assert (
        other.patch(f"/api/v1/branches/{branch.pk}/", {"name": "x"}, format="json").status_code
        == 404
    )
    # The other institution's own branch B1 is a different row: its upsert creates it there.
    BranchFactory(institution=other_institution, code="B1")
    response = other.post("/api/v1/clients/", CLIENT, format="json")
    assert response.status_code == 201
    assert Client.objects.filter(external_id="C9").count() == 2
    assert Client.objects.get(pk=own.pk).birth_year == 1990


def test_read_only_client_cannot_write_reference_data(api, read_token, references) -> None:
    response = api(read_token).post("/api/v1/branches/", {"code": "B7", "name": "x"}, format="json")
    assert response.status_code == 403


def test_rescheduling_upsert_and_shariah_rule(api, token, contract) -> None:
    client = api(token)
    response = client.post("/api/v1/restructurings/", RESCHEDULING, format="json")
    assert response.status_code == 201, response.json()
    response = client.post(
        "/api/v1/restructurings/", {**RESCHEDULING, "reason": "Flood"}, format="json"
    )
    assert response.status_code == 200
    assert Restructuring.objects.get().reason == "Flood"
    # RES-DEBT-RAISED: a rescheduling may extend the term, never raise what is owed.
    response = client.post(
        "/api/v1/restructurings/",
        {**RESCHEDULING, "external_id": "R2", "amount_owed_after": "5600.00"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["code"], error["field"]) == ("RES-DEBT-RAISED", "amount_owed_after")
    assert Restructuring.objects.count() == 1


def test_one_write_off_per_contract(api, token, contract) -> None:
    client = api(token)
    response = client.post("/api/v1/write-offs/", WRITE_OFF, format="json")
    assert response.status_code == 201, response.json()
    response = client.post(
        "/api/v1/write-offs/", {**WRITE_OFF, "profit_amount": "500.00"}, format="json"
    )
    assert response.status_code == 200
    assert WriteOff.objects.count() == 1
    assert WriteOff.objects.get().profit_amount == 500


def test_closed_quarter_refuses_reschedulings_and_write_offs(
    api, token, institution, contract
) -> None:
    ReportingPeriodFactory(
        institution=institution, year=2024, quarter=4, status=ReportingPeriod.Status.SUBMITTED
    )
    client = api(token)
    response = client.post("/api/v1/write-offs/", WRITE_OFF, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "period_not_editable"
    response = client.post(
        "/api/v1/restructurings/", {**RESCHEDULING, "date": "2024-10-02"}, format="json"
    )
    assert response.status_code == 409
    assert not WriteOff.objects.exists()
    assert not Restructuring.objects.exists()


def test_events_of_another_institution(api, token, other_token, contract) -> None:
    client = api(token)
    client.post("/api/v1/write-offs/", WRITE_OFF, format="json")
    write_off = WriteOff.objects.get()
    other = api(other_token)
    assert other.get(f"/api/v1/write-offs/{write_off.pk}/").status_code == 404
    response = other.post("/api/v1/write-offs/", WRITE_OFF, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_reference"


def test_idempotent_client_create(api, token, references) -> None:
    client = api(token)
    first = client.post("/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    again = client.post("/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
