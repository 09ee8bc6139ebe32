"""Repayments through the API: one at a time and in bulk (JSON, NDJSON, CSV), all or nothing
with row errors, upsert by payment reference, instalments settled oldest first, quarters that
can no longer change refused with 409, tenancy, idempotency and import jobs."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest

from institutions.models import Instalment, Repayment, ReportingPeriod
from partners.bulk import validate_repayments
from tests.factories import ReportingPeriodFactory

from .payloads import contract_row

pytestmark = pytest.mark.django_db

BULK = "/api/v1/repayments/bulk/"


@pytest.fixture
def contracts(api, token, references) -> None:
    """Contracts K1 and K2 of ``institution``: two instalments of 5000 + 500 each."""
    response = api(token).post(
        "/api/v1/contracts/bulk/",
        data=json.dumps([contract_row("K1"), contract_row("K2")]),
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()


def payment(reference: str, contract: str = "K1", **overrides: object) -> dict:
    row = {
        "contract": contract,
        "external_id": reference,
        "value_date": "2024-06-10",
        "principal_amount": "5000.00",
        "profit_amount": "500.00",
    }
    row.update(overrides)
    return row


def _post(client, rows, content_type="application/json", **extra):
    if content_type == "application/json":
        body = json.dumps(rows)
    elif content_type == "application/x-ndjson":
        body = "\n".join(json.dumps(row) for row in rows)
    else:
        body = rows
    return client.post(BULK, data=body, content_type=content_type, **extra)


def _paid(contract: str) -> list[tuple[int, Decimal, Decimal, datetime.date | None]]:
    return list(
        Instalment.objects.filter(contract__external_id=contract)
        .order_by("number")
        .values_list("number", "principal_paid", "profit_paid", "paid_date")
    )


def test_single_repayment_is_created_then_corrected(api, token, contracts) -> None:
    client = api(token)
    response = client.post("/api/v1/repayments/", payment("P1", instalment=1), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["external_id"] == "P1"
    assert body["principal_amount"] == "5000.00"
    assert body["instalment"] == Instalment.objects.get(contract__external_id="K1", number=1).pk
    assert _paid("K1")[0] == (1, 5000, 500, datetime.date(2024, 6, 10))
    # The same payment reference again corrects the repayment: 200, never a second row.
    response = client.post(
        "/api/v1/repayments/", payment("P1", principal_amount="2000.00"), format="json"
    )
    assert response.status_code == 200, response.json()
    assert Repayment.objects.count() == 1
    assert _paid("K1")[0] == (1, 2000, 500, None)


def test_single_repayment_errors_name_the_field(api, token, contracts) -> None:
    client = api(token)
    response = client.post("/api/v1/repayments/", payment("P1", contract="NOPE"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "unknown_reference",
        "field": "contract",
        "message": "No record of this institution has this code.",
    }
    response = client.post("/api/v1/repayments/", payment("P1", instalment=9), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "instalment"
    response = client.post(
        "/api/v1/repayments/",
        payment("P1", principal_amount="0", profit_amount="0"),
        format="json",
    )
    assert response.status_code == 400
    assert Repayment.objects.count() == 0


def test_bulk_json_settles_instalments_oldest_first(api, token, contracts) -> None:
    rows = [
        payment("P1", value_date="2024-06-10"),
        payment("P2", value_date="2024-09-10", principal_amount="2500.00", profit_amount="0"),
        payment(
            "Q1",
            contract="K2",
            value_date="2024-07-01",
            principal_amount="10000.00",
            profit_amount="1000.00",
        ),
    ]
    response = _post(api(token), rows)
    assert response.status_code == 200, response.json()
    assert response.json() == {"rows": 3, "created": 3, "updated": 0, "instalments_settled": 4}
    assert _paid("K1") == [
        (1, 5000, 500, datetime.date(2024, 6, 10)),
        (2, 2500, 0, None),
    ]
    # K2 paid in full, early, by one payment: both instalments settled that day.
    assert [row[3] for row in _paid("K2")] == [datetime.date(2024, 7, 1)] * 2


def test_bulk_is_all_or_nothing_with_row_errors(api, token, contracts) -> None:
    rows = [
        payment("P1"),
        payment("P2", contract="NOPE"),
        payment("P3", value_date="10/06/2024", principal_amount="-1"),
        payment("P1"),
    ]
    response = _post(api(token), rows)
    assert response.status_code == 400
    errors = {(e["row"], e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        (2, "contract", "unknown_reference"),
        (3, "value_date", "invalid_date"),
        (3, "principal_amount", "negative"),
        (4, "external_id", "duplicate"),
    }
    assert Repayment.objects.count() == 0
    assert _paid("K1")[0][1] == 0


def test_bulk_resend_updates_never_duplicates(api, token, contracts) -> None:
    client = api(token)
    assert _post(client, [payment("P1"), payment("P2", value_date="2024-12-10")]).status_code == 200
    response = _post(client, [payment("P2", value_date="2024-12-11", profit_amount="100.00")])
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1
    assert response.json()["created"] == 0
    assert Repayment.objects.count() == 2
    assert Repayment.objects.get(external_id="P2").value_date == datetime.date(2024, 12, 11)
    assert _paid("K1")[1] == (2, 5000, 100, None)


def test_bulk_overpayment_is_rejected(api, token, contracts) -> None:
    rows = [payment("P1"), payment("P2"), payment("P3", principal_amount="1.00", profit_amount="0")]
    response = _post(api(token), rows)
    assert response.status_code == 400
    assert {e["code"] for e in response.json()["errors"]} == {"overpaid"}
    assert [e["row"] for e in response.json()["errors"]] == [1, 2, 3]
    assert Repayment.objects.count() == 0


def test_ndjson_and_csv(api, token, contracts) -> None:
    client = api(token)
    response = _post(client, [payment("P1")], "application/x-ndjson")
    assert response.status_code == 200, response.json()
    csv_body = (
        "contract,external_id,value_date,principal_amount,profit_amount,instalment\n"
        "K2,Q1,2024-06-10,5000.00,500.00,1\n"
        "K2,Q2,2024-06-11,100.00,0,\n"
    )
    response = _post(client, csv_body, "text/csv")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2
    assert Repayment.objects.get(external_id="Q1").instalment.number == 1
    assert Repayment.objects.get(external_id="Q2").instalment is None


@pytest.mark.parametrize("status", [ReportingPeriod.Status.LOCKED, ReportingPeriod.Status.APPROVED])
def test_repayment_in_a_closed_quarter_is_409(api, token, institution, contracts, status) -> None:
    ReportingPeriodFactory(institution=institution, year=2024, quarter=2, status=status)
    client = api(token)
    response = _post(client, [payment("P1", value_date="2024-06-10")])
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert (error["row"], error["field"], error["code"]) == (1, "value_date", "period_not_editable")
    response = client.post("/api/v1/repayments/", payment("P1"), format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "period_not_editable"
    # Outside the closed quarter, the same contract takes repayments.
    response = _post(client, [payment("P2", value_date="2024-07-10")])
    assert response.status_code == 200, response.json()
    assert Repayment.objects.count() == 1


def test_correcting_a_repayment_stored_in_a_closed_quarter_is_refused(
    api, token, institution, contracts
) -> None:
    client = api(token)
    assert _post(client, [payment("P1", value_date="2024-06-10")]).status_code == 200
    ReportingPeriodFactory(
        institution=institution, year=2024, quarter=2, status=ReportingPeriod.Status.LOCKED
    )
    # Moving it out of the locked quarter would change that quarter too.
    response = _post(client, [payment("P1", value_date="2024-07-10")])
    assert response.status_code == 409
    assert Repayment.objects.get().value_date == datetime.date(2024, 6, 10)


def test_tenancy(api, token, other_token, contracts) -> None:
    client = api(token)
    assert client.post("/api/v1/repayments/", payment("P1"), format="json").status_code == 201
    repayment = Repayment.objects.get()
    other = api(other_token)
    assert other.get(f"/api/v1/repayments/{repayment.pk}/").status_code == 404
    assert other.get("/api/v1/repayments/").json()["results"] == []
    # Another institution cannot reach this institution's contract by its number.
    response = _post(other, [payment("P9")])
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_reference"
    response = other.post("/api/v1/repayments/", payment("P9"), format="json")
    assert response.status_code == 400
    assert Repayment.objects.count() == 1


def test_read_only_client_cannot_write(api, read_token, contracts) -> None:
    response = _post(api(read_token), [payment("P1")])
    assert response.status_code == 403
    assert Repayment.objects.count() == 0


def test_idempotency_replay(api, token, contracts) -> None:
    client = api(token)
    first = _post(client, [payment("P1")], HTTP_IDEMPOTENCY_KEY="rep-1")
    again = _post(client, [payment("P1")], HTTP_IDEMPOTENCY_KEY="rep-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    reused = _post(client, [payment("P2")], HTTP_IDEMPOTENCY_KEY="rep-1")
    assert reused.status_code == 422
    single = client.post(
        "/api/v1/repayments/", payment("P3"), format="json", HTTP_IDEMPOTENCY_KEY="rep-2"
    )
    replay = client.post(
        "/api/v1/repayments/", payment("P3"), format="json", HTTP_IDEMPOTENCY_KEY="rep-2"
    )
    assert single.status_code == replay.status_code == 201
    assert Repayment.objects.count() == 2


@pytest.mark.usefixtures("eager_celery")
def test_large_repayment_payload_becomes_an_import_job(
    api, token, contracts, settings, django_capture_on_commit_callbacks
) -> None:
    settings.MFME_API_BULK_SYNC_MAX_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api(token), [payment("P1"), payment("Q1", contract="K2")])
    assert response.status_code == 202, response.json()
    job = api(token).get(response.json()["job"]).json()
    assert job["kind"] == "repayments"
    assert job["status"] == "succeeded", job
    assert job["report"]["created"] == 2
    assert Repayment.objects.count() == 2


def test_validate_repayments_writes_nothing(institution, contracts) -> None:
    rows = [{**payment("P1"), "_row": 1}, {**payment("P2", contract="NOPE"), "_row": 2}]
    repayments, errors = validate_repayments(institution=institution, rows=rows)
    assert repayments[0].pk is None
    assert repayments[0].principal_amount == Decimal("5000.00")
    assert repayments[1] is None
    assert [(e["row"], e["code"]) for e in errors] == [(2, "unknown_reference")]
    assert Repayment.objects.count() == 0


def test_a_repayment_cannot_predate_the_disbursement_nor_lie_in_the_future(
    api, token, contracts
) -> None:
    """K1 was disbursed on 2024-01-10. A payment dated before it would also settle instalments
    of quarters already closed; one dated after today has not been received."""
    client = api(token)
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    for value_date, code in (("2024-01-09", "before_disbursement"), (tomorrow, "future_date")):
        response = client.post(
            "/api/v1/repayments/", payment("P1", value_date=value_date), format="json"
        )
        assert response.status_code == 400, response.json()
        [error] = response.json()["errors"]
        assert (error["field"], error["code"]) == ("value_date", code)
    assert "2024-01-10" in error["message"] or code == "future_date"
    response = _post(
        client,
        [
            payment("P1", value_date="2024-01-10"),  # the disbursement day itself is fine
            payment("P2", value_date="2024-01-09"),
            payment("P3", contract="K2", value_date=tomorrow),
            payment("P4", contract="K2", value_date="2024-01-09", principal_amount="x"),
        ],
    )
    assert response.status_code == 400
    errors = {(e["row"], e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        (2, "value_date", "before_disbursement"),
        (3, "value_date", "future_date"),
        (4, "value_date", "before_disbursement"),
        (4, "principal_amount", "invalid_decimal"),  # and no spurious empty_repayment
    }
    assert Repayment.objects.count() == 0
    response = client.post(
        "/api/v1/repayments/", payment("P1", value_date="2024-01-10"), format="json"
    )
    assert response.status_code == 201, response.json()
