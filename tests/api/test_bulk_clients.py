"""Bulk upsert of clients: JSON and CSV, all or nothing with row errors, re-sends update."""

from __future__ import annotations

import json

import pytest

from institutions.models import Client

pytestmark = pytest.mark.django_db

BULK = "/api/v1/clients/bulk/"


def person(number: str, **overrides: object) -> dict:
    row = {
        "external_id": number,
        "branch": "B1",
        "gender": "female",
        "birth_year": 1985,
        "area": "rural",
    }
    row.update(overrides)
    return row


def _post(client, rows, content_type="application/json", **extra):
    body = json.dumps(rows) if content_type == "application/json" else rows
    return client.post(BULK, data=body, content_type=content_type, **extra)


def test_bulk_clients_upsert(api, token, institution, references) -> None:
    client = api(token)
    response = _post(client, [person("N1"), person("N2", household_size=5)])
    assert response.status_code == 200, response.json()
    assert response.json() == {"rows": 2, "created": 2, "updated": 0}
    response = _post(client, [person("N2", birth_year=1990)])
    assert response.json() == {"rows": 1, "created": 0, "updated": 1}
    assert Client.objects.filter(institution=institution).count() == 3  # C1 from the fixture
    assert Client.objects.get(external_id="N2").birth_year == 1990
    history = Client.history.model.objects.filter(external_id="N2").order_by("history_id")
    assert [h.history_type for h in history] == ["+", "~"]


def test_bulk_clients_all_or_nothing(api, token, references) -> None:
    rows = [
        person("N1"),
        person("N2", branch="NOPE"),
        person("N3", gender="other", birth_year=1800),
        person("N1"),
    ]
    response = _post(api(token), rows)
    assert response.status_code == 400
    errors = {(e["row"], e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        (2, "branch", "unknown_reference"),
        (3, "gender", "invalid_choice"),
        (3, "birth_year", "out_of_range"),
        (4, "external_id", "duplicate"),
    }
    assert not Client.objects.filter(external_id__startswith="N").exists()


def test_bulk_clients_csv_and_tenancy(api, token, other_token, references) -> None:
    body = "external_id,branch,gender,birth_year,area\nN1,B1,male,1970,urban\n"
    response = _post(api(token), body, "text/csv")
    assert response.status_code == 200, response.json()
    assert Client.objects.get(external_id="N1").gender == "male"
    # Another institution has no branch B1: its import cannot reach this one's.
    response = _post(api(other_token), body, "text/csv")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_reference"


def test_a_nul_character_in_a_number_is_a_row_error_not_a_500(api, token, references) -> None:
    """Found by schemathesis on PostgreSQL: the stored-number lookup sent U+0000 to the database,
    which refuses it in a text literal (a 500). It is an error on its row and nothing is written."""
    response = _post(api(token), [person("N1"), person("N\x002")])
    assert response.status_code == 400, response.json()
    errors = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert (2, "external_id") in errors
    assert not Client.objects.filter(external_id="N1").exists()


def test_resending_keeps_the_columns_not_sent_and_clears_the_ones_sent_empty(
    api, token, references
) -> None:
    """As a single POST does: a re-sent client updates what the row carries, nothing else."""
    client = api(token)
    first = person("N1", household_size=5, owns_land=True, current_debt="250.00")
    assert _post(client, [first]).status_code == 200
    # Only the number and what changes; the branch (required) and the rest are kept.
    response = _post(client, [{"external_id": "N1", "birth_year": 1990, "current_debt": None}])
    assert response.status_code == 200, response.json()
    stored = Client.objects.get(external_id="N1")
    assert (stored.birth_year, stored.household_size, stored.owns_land, stored.branch.code) == (
        1990,
        5,
        True,
        "B1",
    )
    assert stored.current_debt is None  # sent as null: cleared
    # A CSV without the column keeps it too.
    body = "external_id,branch,gender,birth_year,area\nN1,B1,female,1991,rural\n"
    assert _post(client, body, "text/csv").status_code == 200
    stored.refresh_from_db()
    assert (stored.birth_year, stored.household_size) == (1991, 5)
