"""Bulk ingest of contracts with schedules: JSON array, NDJSON, CSV; all or nothing with row
errors; upsert by external id; large payloads become an import job run by a worker."""

from __future__ import annotations

import datetime
import json

import pytest

from institutions.models import FinancingContract, Instalment, Repayment
from partners.models import ImportJob

from .payloads import contract_row

pytestmark = pytest.mark.django_db

BULK = "/api/v1/contracts/bulk/"


def _repay(client, contract: str, principal: str, profit: str = "0", **extra: object) -> None:
    response = client.post(
        "/api/v1/repayments/",
        {
            "contract": contract,
            "external_id": f"P-{contract}-{principal}",
            "value_date": "2024-06-10",
            "principal_amount": principal,
            "profit_amount": profit,
            **extra,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


def _post(client, rows, content_type="application/json", **extra):
    if content_type == "application/json":
        body = json.dumps(rows)
    elif content_type == "application/x-ndjson":
        body = "\n".join(json.dumps(row) for row in rows)
    else:
        body = rows
    return client.post(BULK, data=body, content_type=content_type, **extra)


def test_json_array_is_applied(api, token, references) -> None:
    response = _post(api(token), [contract_row("K1"), contract_row("K2")])
    assert response.status_code == 200, response.json()
    assert response.json() == {"rows": 2, "created": 2, "updated": 0, "instalments": 4}
    assert FinancingContract.objects.count() == 2
    assert set(FinancingContract.objects.values_list("contract_type", flat=True)) == {"murabaha"}
    assert Instalment.objects.count() == 4


def test_resending_updates_never_duplicates(api, token, references) -> None:
    client = api(token)
    _post(client, [contract_row("K1")])
    contract = FinancingContract.objects.get()
    _repay(client, "K1", "100.00", instalment=2)  # a payment the partner tied to instalment 2
    changed = contract_row("K1", purpose="tractor")
    changed["instalments"] = [dict(changed["instalments"][0], principal_due="10000.00")]
    response = _post(client, [changed])
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1
    assert FinancingContract.objects.count() == 1
    contract.refresh_from_db()
    assert contract.purpose == "tractor"
    # The shorter schedule dropped instalment 2; the repayment stays on the contract and
    # settles instalment 1.
    assert list(Instalment.objects.values_list("number", "principal_paid")) == [(1, 100)]
    assert list(Repayment.objects.values_list("instalment", "principal_amount")) == [(None, 100)]


def test_ndjson(api, token, references) -> None:
    response = _post(api(token), [contract_row("K1")], "application/x-ndjson")
    assert response.status_code == 200, response.json()
    assert FinancingContract.objects.count() == 1


def test_csv_one_line_per_instalment(api, token, references) -> None:
    header = (
        "external_id,branch,client,product,contract_date,disbursement_date,maturity_date,"
        "financed_amount,profit_amount,sale_price,instalment_number,instalment_due_date,"
        "instalment_principal_due,instalment_profit_due"
    )
    common = "B1,C1,MUR,2024-01-10,2024-01-10,2024-12-10,10000.00,1000.00,11000.00"
    body = "\n".join(
        [
            header,
            f"K1,{common},1,2024-06-10,5000.00,500.00",
            f"K1,{common},2,2024-12-10,5000.00,500.00",
            f"K2,{common},1,2024-12-10,10000.00,1000.00",
        ]
    )
    response = _post(api(token), body, "text/csv")
    assert response.status_code == 200, response.json()
    assert response.json()["instalments"] == 3
    assert FinancingContract.objects.get(external_id="K1").instalments.count() == 2


def test_all_or_nothing_with_errors_per_row(api, token, references) -> None:
    rows = [
        contract_row("K1"),
        contract_row("K2", branch="NOPE", maturity_date="2023-01-01"),
        contract_row("K3", financed_amount="abc"),
        contract_row("K1"),
    ]
    rows[0]["instalments"][1]["due_date"] = "tomorrow"
    response = _post(api(token), rows)
    assert response.status_code == 400
    errors = {(e.get("row"), e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        (1, "instalments[1].due_date", "invalid_date"),
        (2, "branch", "unknown_reference"),
        (2, "maturity_date", "date_order"),
        (3, "financed_amount", "invalid_decimal"),
        (4, "external_id", "duplicate"),
    }
    assert all(e["message"] for e in response.json()["errors"])
    assert FinancingContract.objects.count() == 0


def test_bulk_runs_the_registered_contract_rules(api, token, references, monkeypatch) -> None:
    from institutions import contract_rules
    from institutions.contract_rules import ContractViolation

    def no_big_tickets(contract):
        if contract.financed_amount > 50000:
            yield ContractViolation("too_big", "financed_amount", "Too big.", blocking=True)

    monkeypatch.setattr(contract_rules, "_rules", [*contract_rules._rules, no_big_tickets])
    row = contract_row("K9", financed_amount="60000.00", sale_price="61000.00")
    row["instalments"][1]["principal_due"] = "55000.00"
    response = _post(api(token), [contract_row("K1"), row])
    assert response.status_code == 400
    assert {"row": 2, "field": "financed_amount", "code": "too_big"}.items() <= response.json()[
        "errors"
    ][0].items()
    assert FinancingContract.objects.count() == 0


def test_unknown_columns_and_parse_errors(api, token, references) -> None:
    response = _post(api(token), [contract_row("K1"), contract_row("K2", colour="red")])
    [error] = response.json()["errors"]
    assert (error["row"], error["field"], error["code"]) == (2, "colour", "unknown_field")
    response = api(token).post(BULK, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_bulk_tenancy_references_are_per_institution(api, other_token, references) -> None:
    response = _post(api(other_token), [contract_row("K1")])
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"branch", "client", "product"}


def test_read_only_token_cannot_bulk(api, read_token, references) -> None:
    assert _post(api(read_token), [contract_row("K1")]).status_code == 403


@pytest.mark.usefixtures("eager_celery")
def test_large_payload_becomes_an_import_job(
    api,
    token,
    references,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.MFME_API_BULK_SYNC_MAX_ROWS = 2
    rows = [contract_row(f"K{n}") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api(token), rows, HTTP_IDEMPOTENCY_KEY="job-1")
    assert response.status_code == 202, response.json()
    assert response["Location"] == response.json()["job"]
    job = api(token).get(response.json()["job"]).json()
    assert job["status"] == "succeeded"
    assert job["processed_rows"] == 3
    assert job["report"]["created"] == 3
    assert FinancingContract.objects.count() == 3
    # The same upload again is the same job, not a second one.
    again = _post(api(token), rows, HTTP_IDEMPOTENCY_KEY="job-1")
    assert again.json()["id"] == response.json()["id"]
    assert ImportJob.objects.count() == 1


@pytest.mark.usefixtures("eager_celery")
def test_failed_import_job_reports_row_errors(
    api,
    token,
    references,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.MFME_API_BULK_SYNC_MAX_ROWS = 1
    rows = [contract_row("K1"), contract_row("K2", client="NOPE")]
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api(token), rows)
    job = api(token).get(response.json()["job"]).json()
    assert job["status"] == "failed"
    assert job["errors"][0]["row"] == 2
    assert FinancingContract.objects.count() == 0


def test_import_job_of_another_institution_is_404(
    api,
    token,
    other_token,
    references,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.MFME_API_BULK_SYNC_MAX_ROWS = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api(token), [contract_row("K1")])
    assert api(other_token).get(response.json()["job"]).status_code == 404


def test_absent_columns_take_the_model_defaults(api, token, references) -> None:
    row = contract_row("K1")
    row.pop("instalments")
    assert _post(api(token), [row]).status_code == 200
    contract = FinancingContract.objects.get()
    assert contract.status == "active"
    assert contract.cycle_number == 1
    assert contract.wakala_used is False
    assert contract.commodity == ""


def test_empty_body_and_all_empty_columns_are_400_not_500(api, token, references) -> None:
    assert api(token).post(BULK, content_type="application/json").status_code == 400
    response = _post(api(token), [{"external_id": None, "purpose": None}])
    assert response.status_code == 400
    assert {e["code"] for e in response.json()["errors"]} == {"required"}


def test_malformed_csv_is_a_400_not_a_500(api, token, references) -> None:
    """Found by schemathesis: a bare carriage return inside an unquoted field."""
    response = _post(api(token), "external_id,branch\nA\rB,x\n", "text/csv")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_a_nul_character_in_a_contract_number_is_a_row_error_not_a_500(
    api, token, references
) -> None:
    """Found by schemathesis on PostgreSQL: looking up which contract numbers are stored sent
    U+0000 to the database (a 500). It is an error on its row and nothing is written."""
    response = _post(api(token), [contract_row("K1"), contract_row("K\x002")])
    assert response.status_code == 400, response.json()
    errors = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert (2, "external_id") in errors
    assert not FinancingContract.objects.exists()


def test_new_and_resent_contracts_in_one_request(api, token, references) -> None:
    """New rows go straight in, re-sent ones are merged: both in one payload, on either path."""
    client = api(token)
    assert _post(client, [contract_row("K1")]).status_code == 200
    stored = FinancingContract.objects.get()
    _repay(client, "K1", "6000.00")  # instalment 1 in full, 1000 of instalment 2
    resent = contract_row("K1", purpose="tractor")
    resent["instalments"] = [
        {"number": n, "due_date": f"2024-{2 * n:02d}-10", "principal_due": "2500.00"}
        for n in (1, 2, 3, 4)
    ]
    response = _post(client, [contract_row("K2", purpose="goats"), resent])
    assert response.status_code == 200, response.json()
    assert response.json() == {"rows": 2, "created": 1, "updated": 1, "instalments": 6}
    k1, k2 = FinancingContract.objects.order_by("external_id")
    assert (k1.pk, k1.purpose, k1.created_at) == (stored.pk, "tractor", stored.created_at)
    assert k1.updated_at > stored.updated_at
    assert k2.purpose == "goats"
    assert list(
        k1.instalments.order_by("number").values_list(
            "number", "due_date", "principal_due", "profit_due", "principal_paid"
        )
    ) == [
        # Settled again from the repayment, oldest first, against the new schedule.
        (1, datetime.date(2024, 2, 10), 2500, 0, 2500),
        (2, datetime.date(2024, 4, 10), 2500, 0, 2500),
        (3, datetime.date(2024, 6, 10), 2500, 0, 1000),
        (4, datetime.date(2024, 8, 10), 2500, 0, 0),
    ]
    assert list(
        k2.instalments.order_by("number").values_list("number", "principal_due", "principal_paid")
    ) == [(1, 5000, 0), (2, 5000, 0)]
    history = FinancingContract.history.model.objects.order_by("history_id")
    assert sorted((h.external_id, h.history_type) for h in history[1:]) == [
        ("K1", "~"),
        ("K2", "+"),
    ]
    # The updated contract's history row is the stored row: it keeps its creation time.
    assert history.get(external_id="K1", history_type="~").created_at == stored.created_at


def test_a_contract_stored_while_the_payload_was_validated_is_updated(
    api, token, references, monkeypatch
) -> None:
    """Another import (or the web form) may store a contract number after this payload was
    validated: the write reads the stored numbers again and updates that contract, never
    duplicates it."""
    from partners import bulk

    client = api(token)
    validate = bulk._validate
    calls = []

    def then_stored_elsewhere(**kwargs):
        found = validate(**kwargs)
        calls.append(kwargs)
        if len(calls) == 1:  # the outer import only
            assert _post(client, [contract_row("K1")]).status_code == 200
        return found

    monkeypatch.setattr(bulk, "_validate", then_stored_elsewhere)
    response = _post(client, [contract_row("K1", purpose="tractor")])
    assert response.status_code == 200, response.json()
    assert len(calls) == 2
    assert FinancingContract.objects.get().purpose == "tractor"
    assert Instalment.objects.count() == 2


def test_instalment_amounts_are_checked_exactly_not_through_floats(api, token, references) -> None:
    """Amounts and numbers are read from their text: nothing is rounded into range."""
    bad = {
        "100000.005": "invalid_decimal",  # three decimals (also as a JSON number, below)
        "99999999.999": "invalid_decimal",  # would round up to 100000000.00
        "12345678901234567": "invalid_decimal",  # 17 digits before the point
        "1e3": "invalid_decimal",
        " ": "required",
    }
    rows = []
    for index, (text, _code) in enumerate(bad.items()):
        row = contract_row(f"K{index}")
        row["instalments"][0]["principal_due"] = text
        rows.append(row)
    as_number = contract_row("KN")
    as_number["instalments"][0]["profit_due"] = 100000.005
    as_number["instalments"][1]["number"] = "2.0"
    rows.append(as_number)
    response = _post(api(token), rows)
    assert response.status_code == 400
    errors = {(e["row"], e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        *(
            (index + 1, "instalments[0].principal_due", code)
            for index, code in enumerate(bad.values())
        ),
        (len(rows), "instalments[0].profit_due", "invalid_decimal"),
        (len(rows), "instalments[1].number", "invalid_integer"),
    }
    assert FinancingContract.objects.count() == 0


def test_large_instalment_amounts_are_stored_to_the_cent(api, token, references) -> None:
    # 14 digits: beyond what a double holds to the cent once multiplied by 100, within what
    # SQLite (which stores decimals as doubles) keeps exactly.
    row = contract_row("K1", financed_amount="123456789012.35", profit_amount="0.00")
    row["sale_price"] = "123456789012.35"
    row["instalments"] = [
        {
            "number": 1,
            "due_date": "2024-06-10",
            "principal_due": "123456789012.34",
            "profit_due": "0",
        },
        {"number": 2, "due_date": "2024-12-10", "principal_due": 0.01, "profit_due": 0},
    ]
    response = _post(api(token), [row])
    assert response.status_code == 200, response.json()
    stored = list(Instalment.objects.order_by("number").values_list("principal_due", flat=True))
    assert [str(value) for value in stored] == ["123456789012.34", "0.01"]


def test_text_columns_refuse_lists_objects_and_booleans(api, token, references) -> None:
    rows = [
        contract_row("K1", purpose={"a": 1}),
        contract_row("K2", asset_description=["x", "y"]),
        contract_row("K3", supplier_name=True),
        contract_row("K4", purpose=12),  # a number is text enough, as in the single endpoint
    ]
    response = _post(api(token), rows)
    assert response.status_code == 400
    errors = {(e["row"], e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        (1, "purpose", "invalid"),
        (2, "asset_description", "invalid"),
        (3, "supplier_name", "invalid"),
    }


def test_a_resent_schedule_is_settled_again_from_the_repayments(api, token, references) -> None:
    """The paid columns follow the repayments, whatever the schedule says now: an instalment
    made larger is no longer fully paid, and a schedule smaller than what was repaid is
    refused."""
    client = api(token)
    _post(client, [contract_row("K1")])
    _repay(client, "K1", "5000.00", "500.00")  # instalment 1 in full
    assert list(Instalment.objects.values_list("number", "paid_date")) == [
        (1, datetime.date(2024, 6, 10)),
        (2, None),
    ]
    larger = contract_row("K1")
    larger["instalments"][0]["principal_due"] = "6000.00"
    larger["instalments"][1]["principal_due"] = "4000.00"
    assert _post(client, [larger]).status_code == 200
    assert list(
        Instalment.objects.values_list("number", "principal_paid", "profit_paid", "paid_date")
    ) == [(1, 5000, 500, None), (2, 0, 0, None)]

    smaller = contract_row("K1")  # less profit due than the 500 already repaid
    smaller["instalments"][0]["profit_due"] = smaller["instalments"][1]["profit_due"] = "100.00"
    response = _post(client, [smaller])
    assert response.status_code == 400
    assert [(e["row"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (1, "instalments", "overpaid")
    ]
    assert Instalment.objects.count() == 2  # nothing changed


def test_resending_keeps_the_columns_not_sent(api, token, references) -> None:
    """A partner re-sending a contract with fewer columns updates those, nothing else: the
    status, the supplier and the branch stay (before, they went back to their defaults)."""
    client = api(token)
    full = contract_row("K1", supplier_name="Agri SARL", status="repaid", purpose="seeds")
    assert _post(client, [full]).status_code == 200
    response = _post(client, [{"external_id": "K1", "purpose": "tractor"}])
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1
    stored = FinancingContract.objects.get()
    assert (stored.purpose, stored.supplier_name, stored.status, stored.branch.code) == (
        "tractor",
        "Agri SARL",
        "repaid",
        "B1",
    )
    assert stored.instalments.count() == 2  # no schedule sent: the stored one stays
    response = _post(client, [{"external_id": "K1", "supplier_name": ""}])
    assert response.status_code == 200, response.json()
    assert FinancingContract.objects.get().supplier_name == ""  # sent empty: cleared


def test_contracts_of_a_closed_quarter_cannot_change(
    api, token, institution, references, staff
) -> None:
    """A financing disbursed in a submitted, approved or locked quarter is part of its data:
    it cannot be added, and its terms and schedule cannot change; re-sending it unchanged, or
    with a new status, is fine (a partner re-sends its whole book)."""
    from institutions.models import ReportingPeriod
    from institutions.services import PeriodNotEditable, contract_update
    from tests.factories import ReportingPeriodFactory

    client = api(token)
    assert _post(client, [contract_row("K1")]).status_code == 200  # disbursed 2024-01-10
    ReportingPeriodFactory(
        institution=institution, year=2024, quarter=1, status=ReportingPeriod.Status.SUBMITTED
    )
    assert _post(client, [contract_row("K1")]).status_code == 200  # unchanged
    assert _post(client, [contract_row("K1", status="repaid")]).status_code == 200
    changed_schedule = contract_row("K1")
    changed_schedule["instalments"][1]["due_date"] = "2024-12-11"
    moved_out = contract_row("K1", contract_date="2024-04-01", disbursement_date="2024-04-01")
    rows = [
        contract_row("K1", purpose="tractor"),
        changed_schedule,
        moved_out,
        contract_row("K2"),  # new, disbursed in the submitted quarter
    ]
    for row in rows:
        response = _post(client, [row])
        assert response.status_code == 409, (row, response.json())  # the only error: 409
        [error] = response.json()["errors"]
        assert (error["field"], error["code"]) == ("disbursement_date", "period_not_editable")
        assert "2024 Q1" in error["message"]
    in_an_open_quarter = contract_row(
        "K3", contract_date="2024-04-02", disbursement_date="2024-04-02"
    )
    assert _post(client, [in_an_open_quarter]).status_code == 200
    stored = FinancingContract.objects.get(external_id="K1")
    assert (stored.status, stored.purpose) == ("repaid", "")
    response = client.post("/api/v1/contracts/", contract_row("K4"), format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "period_not_editable"
    # The web form's path: the status may move, the terms may not.
    contract_update(actor=staff, contract=stored, data={"status": "active"})
    with pytest.raises(PeriodNotEditable):
        contract_update(actor=staff, contract=stored, data={"purpose": "tractor"})


def test_a_schedule_must_fit_its_contract(api, token, references) -> None:
    """As on the other paths: nothing due before the disbursement (2024-01-10), and a
    debt-based contract's principal adds up to the financed amount (10,000)."""
    early = contract_row("K1")
    early["instalments"][0]["due_date"] = "2024-01-09"
    short = contract_row("K2")
    short["instalments"][1]["principal_due"] = "4999.98"
    within_a_cent = contract_row("K3")
    within_a_cent["instalments"][1]["principal_due"] = "4999.99"
    response = _post(api(token), [early, short, within_a_cent])
    assert response.status_code == 400
    assert [(e["row"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (1, "instalments[0].due_date", "before_disbursement"),
        (2, "instalments", "schedule_total"),
    ]
    assert "9999.98" in response.json()["errors"][1]["message"]


def test_money_text_checks_agree_by_whole_arrays_and_one_by_one() -> None:
    """The array form of the money check (used when no value is missing) accepts exactly what
    the regular expression accepts, on edge cases and on random texts."""
    import random

    from partners.bulk import _MONEY_TEXT, _money_shape

    generator = random.Random(20261124)
    cases = ["", "-", ".", "1.", ".5", "1.5", "1.55", "1.555", "-0.01", "1e3", " 1", "1 "]
    cases += ["9999999999999999.99", "99999999999999999", "--1", "1..2", "12\x00", "٣", "１"]
    for _ in range(20_000):
        length = generator.randint(0, 22)
        cases.append("".join(generator.choice("0123456789.-+e \x00") for _ in range(length)))
        sign, whole = generator.choice(["", "-"]), generator.randint(0, 10**18)
        cases.append(f"{sign}{whole}.{generator.randint(0, 999)}")
    expected = [_MONEY_TEXT.fullmatch(case) is not None for case in cases]
    assert _money_shape(cases).tolist() == expected


@pytest.mark.parametrize("media_type", ["application/jsonl", "application/ndjson"])
def test_the_other_names_of_ndjson_are_accepted(api, token, references, media_type) -> None:
    body = "\n".join(json.dumps(row) for row in [contract_row("K1"), contract_row("K2")])
    response = api(token).post(BULK, data=body, content_type=media_type)
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2
