"""Bulk contract imports: re-sent contracts are checked by the contract rules as updates of the
stored rows, and every imported contract leaves an audit-trail row (created or updated)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from institutions import contract_rules
from institutions.contract_rules import ContractViolation
from institutions.models import FinancingContract
from partners.bulk import validate_contracts

from .payloads import contract_row

pytestmark = pytest.mark.django_db

BULK = "/api/v1/contracts/bulk/"


@pytest.fixture
def update_rule() -> Iterator[list[tuple[int | None, str]]]:
    """A blocking rule that refuses any change to a stored contract, recording what it saw."""
    seen: list[tuple[int | None, str]] = []

    def no_changes(contract: FinancingContract) -> list[ContractViolation]:
        seen.append((contract.pk, contract.external_id))
        if contract.pk is None:
            return []
        return [ContractViolation("TEST-UPDATE", "sale_price", "changed after signing", True)]

    contract_rules.register_rule(no_changes)
    try:
        yield seen
    finally:
        contract_rules._rules.remove(no_changes)


def _post(client, rows):
    return client.post(BULK, data=json.dumps(rows), content_type="application/json")


def test_resent_rows_are_checked_as_updates(api, token, institution, references, update_rule):
    client = api(token)
    assert _post(client, [contract_row("K1")]).status_code == 200
    stored = FinancingContract.objects.get()
    response = _post(client, [contract_row("K2"), contract_row("K1", sale_price="11000.00")])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "TEST-UPDATE", "field": "sale_price", "message": "changed after signing", "row": 2}
    ]
    assert update_rule[-2:] == [(None, "K2"), (stored.pk, "K1")]
    # The public validation reports the same, and writes nothing.
    rows = [{**contract_row("K1"), "_row": 1}]
    contracts, schedules, errors = validate_contracts(institution=institution, rows=rows)
    assert contracts[0].pk == stored.pk
    assert [instalment.number for instalment in schedules[0]] == [1, 2]
    assert errors[0]["code"] == "TEST-UPDATE"
    assert FinancingContract.objects.count() == 1


def test_bulk_import_leaves_an_audit_trail(api, token, references) -> None:
    client = api(token)
    assert _post(client, [contract_row("K1"), contract_row("K2")]).status_code == 200
    assert _post(client, [contract_row("K1", purpose="tractor")]).status_code == 200
    history = FinancingContract.history.model.objects.order_by("history_id")
    rows = [(h.external_id, h.history_type) for h in history]
    # One import's rows in any order (PostgreSQL writes them in one statement), then the next.
    assert sorted(rows[:2]) == [("K1", "+"), ("K2", "+")]
    assert rows[2:] == [("K1", "~")]
    last = history.last()
    assert last.purpose == "tractor"
    assert last.history_user.api_client.name == "core banking"
