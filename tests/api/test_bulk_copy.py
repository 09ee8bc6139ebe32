"""The PostgreSQL write of bulk contracts: COPY streamed from a second thread while the text is
made (``partners.bulk._copy_in``). Run by .ci/run against a real server."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction

from institutions.models import FinancingContract, Instalment
from partners import bulk

from .payloads import contract_row

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BULK = "/api/v1/contracts/bulk/"


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


def _post(client, rows):
    return client.post(BULK, data=json.dumps(rows), content_type="application/json")


def test_many_small_chunks_store_every_row(api, token, references, monkeypatch) -> None:
    monkeypatch.setattr(bulk, "COPY_CHUNK", 3)
    rows = [
        contract_row(f"K{i}", financed_amount=f"{10000 + i}.00", sale_price=f"{11000 + i}.00")
        for i in range(8)
    ]
    for i, row in enumerate(rows):
        row["instalments"][0]["principal_due"] = f"{5000 + i}.00"
    response = _post(api(token), rows)
    assert response.status_code == 200, response.json()
    assert response.json() == {"rows": 8, "created": 8, "updated": 0, "instalments": 16}
    stored = dict(FinancingContract.objects.values_list("external_id", "financed_amount"))
    assert stored == {f"K{i}": 10000 + i for i in range(8)}
    first = dict(
        Instalment.objects.filter(number=1).values_list("contract__external_id", "principal_due")
    )
    assert first == {f"K{i}": 5000 + i for i in range(8)}


def test_a_row_the_database_refuses_mid_copy_rejects_everything(
    api, token, references, monkeypatch
) -> None:
    """If the write takes a stored contract for a new one (here: the stored numbers are hidden
    from it), the COPY meets the unique number: a clear 400, nothing written."""
    client = api(token)
    assert _post(client, [contract_row("K1")]).status_code == 200
    monkeypatch.setattr(bulk, "_stored_contract_ids", lambda institution, numbers: {})
    monkeypatch.setattr(bulk, "COPY_CHUNK", 1)
    response = _post(client, [contract_row("K0"), contract_row("K1", purpose="tractor")])
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "constraint_violation"
    assert "external_id" in error["message"]
    assert list(FinancingContract.objects.values_list("external_id", "purpose")) == [("K1", "")]
    assert Instalment.objects.count() == 2


def test_a_failure_while_making_the_text_aborts_the_copy() -> None:
    def chunks():
        yield "1,a\n"
        raise ValueError("bad chunk")

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE _copy_probe (n integer, t text) ON COMMIT DROP")
        with pytest.raises(ValueError, match="bad chunk"), transaction.atomic():
            bulk._copy_in(cursor.cursor, "_copy_probe", ["n", "t"], chunks(), [])
        # The connection is usable again once the savepoint is rolled back.
        cursor.execute("SELECT count(*) FROM _copy_probe")
        assert cursor.fetchone() == (0,)


def test_a_database_error_is_raised_as_django_s() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE _copy_probe (n integer PRIMARY KEY, t text) ON COMMIT DROP"
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            bulk._copy_in(cursor.cursor, "_copy_probe", ["n", "t"], iter(["1,a\n", "1,b\n"]), [])
