"""Cursors: any cursor a client can send that does not decode, or whose position is not a value
of the column the list is ordered by, is a 400 ``invalid_cursor`` naming ``cursor``."""

from __future__ import annotations

from base64 import b64encode

import pytest

from tests.factories import FinancingContractFactory, ReportingPeriodFactory

pytestmark = pytest.mark.django_db


def _cursor(querystring: str) -> str:
    return b64encode(querystring.encode()).decode()


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/api/v1/contracts/", "garbage"),
        ("/api/v1/contracts/", "cD1hYmM="),  # p=abc on the ids
        ("/api/v1/contracts/", "cD0yMDI2LTk5LTk5"),  # p=2026-99-99 on the ids
        ("/api/v1/contracts/", _cursor("p=")),
        ("/api/v1/contracts/", _cursor("p=99999999999999999999999")),
        ("/api/v1/contracts/", _cursor("o=-1")),
        ("/api/v1/contracts/", _cursor("r=x")),
        ("/api/v1/contracts/?ordering=disbursement_date", _cursor("p=2026-99-99")),
        ("/api/v1/contracts/?ordering=-maturity_date", _cursor("p=abc")),
        ("/api/v1/periods/?ordering=year", _cursor("p=abc")),
        ("/api/v1/periods/?ordering=-quarter", _cursor("p=1.5")),
        ("/api/v1/indicator-values/", _cursor("p=abc")),
        ("/api/v1/import-jobs/", _cursor("p=abc")),
    ],
)
def test_a_malformed_cursor_is_a_400(api, token, institution, path: str, cursor: str) -> None:
    FinancingContractFactory(institution=institution)
    ReportingPeriodFactory(institution=institution)
    separator = "&" if "?" in path else "?"
    response = api(token).get(f"{path}{separator}cursor={cursor}")
    assert response.status_code == 400, response.content
    assert response.json() == {
        "errors": [
            {
                "code": "invalid_cursor",
                "field": "cursor",
                "message": "This cursor is not valid: follow the next or previous link of a page.",
            }
        ]
    }


def test_the_cursors_of_the_links_still_work(api, token, institution) -> None:
    periods = [
        ReportingPeriodFactory(institution=institution, year=2020 + n, quarter=1) for n in range(3)
    ]
    client = api(token)
    page = client.get("/api/v1/periods/?page_size=2&ordering=year").json()
    seen = [row["id"] for row in page["results"]]
    page = client.get(page["next"]).json()
    seen += [row["id"] for row in page["results"]]
    assert seen == [period.pk for period in periods]
    previous = client.get(page["previous"])
    assert previous.status_code == 200
    assert [row["id"] for row in previous.json()["results"]] == seen[:2]
