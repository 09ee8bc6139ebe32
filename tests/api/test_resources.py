"""Contract tests of the read endpoints, and tenancy: a token never sees another
institution's objects (lists leave them out, details are 404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from institutions.models import Institution
from tests.factories import (
    BranchFactory,
    ClientFactory,
    FinancialStatementFactory,
    FinancingContractFactory,
    FinancingProductFactory,
    InstalmentFactory,
    RepaymentFactory,
    ReportingPeriodFactory,
    RestructuringFactory,
    StaffingSnapshotFactory,
    WriteOffFactory,
)

pytestmark = pytest.mark.django_db


def _period(institution: Institution) -> Any:
    return ReportingPeriodFactory(institution=institution)


def _contract(institution: Institution) -> Any:
    return FinancingContractFactory(institution=institution)


#: (URL prefix, factory of one object of the institution).
RESOURCES: list[tuple[str, Callable[[Institution], Any]]] = [
    ("institutions", lambda institution: institution),
    ("branches", lambda institution: BranchFactory(institution=institution)),
    ("periods", _period),
    ("clients", lambda institution: ClientFactory(institution=institution)),
    ("products", lambda institution: FinancingProductFactory(institution=institution)),
    ("contracts", _contract),
    ("repayments", lambda institution: RepaymentFactory(contract=_contract(institution))),
    ("restructurings", lambda institution: RestructuringFactory(contract=_contract(institution))),
    ("write-offs", lambda institution: WriteOffFactory(contract=_contract(institution))),
    (
        "financial-statements",
        lambda institution: FinancialStatementFactory(period=_period(institution)),
    ),
    ("staffing", lambda institution: StaffingSnapshotFactory(period=_period(institution))),
]


@pytest.mark.parametrize(("prefix", "make"), RESOURCES, ids=[r[0] for r in RESOURCES])
def test_list_and_detail_of_own_institution(
    api, token, institution: Institution, prefix: str, make: Callable[[Institution], Any]
) -> None:
    obj = make(institution)
    listing = api(token).get(f"/api/v1/{prefix}/")
    assert listing.status_code == 200
    body = listing.json()
    assert set(body) == {"next", "previous", "results"}
    assert [row["id"] for row in body["results"]] == [obj.pk]
    detail = api(token).get(f"/api/v1/{prefix}/{obj.pk}/")
    assert detail.status_code == 200
    assert detail.json()["id"] == obj.pk


@pytest.mark.parametrize(("prefix", "make"), RESOURCES, ids=[r[0] for r in RESOURCES])
def test_another_institutions_objects_are_invisible(
    api,
    token,
    other_token,
    institution: Institution,
    other_institution: Institution,
    prefix: str,
    make: Callable[[Institution], Any],
) -> None:
    mine, theirs = make(institution), make(other_institution)
    for own, foreign, credential in ((mine, theirs, token), (theirs, mine, other_token)):
        ids = [row["id"] for row in api(credential).get(f"/api/v1/{prefix}/").json()["results"]]
        assert ids == [own.pk]
        response = api(credential).get(f"/api/v1/{prefix}/{foreign.pk}/")
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"


def test_contract_detail_nests_its_schedule(api, token, institution: Institution) -> None:
    contract = _contract(institution)
    InstalmentFactory(contract=contract, number=1)
    InstalmentFactory(contract=contract, number=2)
    body = api(token).get(f"/api/v1/contracts/{contract.pk}/").json()
    assert [row["number"] for row in body["instalments"]] == [1, 2]
    assert body["product_code"] == contract.product.code


def test_contracts_filter_by_type_branch_status_and_period(
    api, token, institution: Institution
) -> None:
    murabaha = _contract(institution)
    ijara = FinancingContractFactory(institution=institution, contract_type="ijara")
    period = ReportingPeriodFactory(institution=institution, year=2024, quarter=2)
    client = api(token)

    def ids(query: str) -> list[int]:
        return sorted(
            row["id"] for row in client.get(f"/api/v1/contracts/?{query}").json()["results"]
        )

    assert ids("contract_type=ijara") == [ijara.pk]
    assert ids(f"branch={murabaha.branch_id}") == [murabaha.pk]
    assert ids("status=active") == sorted([murabaha.pk, ijara.pk])
    assert ids("status=repaid") == []
    assert ids(f"period={period.pk}") == sorted([murabaha.pk, ijara.pk])
    old = ReportingPeriodFactory(institution=institution, year=2020, quarter=1)
    assert ids(f"period={old.pk}") == []


def test_cursor_pagination_and_ordering(api, token, institution: Institution) -> None:
    contracts = [_contract(institution) for _ in range(3)]
    client = api(token)
    page = client.get("/api/v1/contracts/?page_size=2&ordering=external_id").json()
    seen = [row["external_id"] for row in page["results"]]
    page = client.get(page["next"]).json()
    seen += [row["external_id"] for row in page["results"]]
    assert seen == sorted(contract.external_id for contract in contracts)
    assert page["next"] is None


def test_indicator_values_and_findings_are_scoped(
    api, token, other_token, institution: Institution
) -> None:
    from indicators.models import DataQualityFinding, IndicatorComputation

    period = _period(institution)
    computation = IndicatorComputation.objects.create(
        period=period, trigger=IndicatorComputation.Trigger.MANUAL
    )
    finding = DataQualityFinding.objects.create(
        period=period, computation=computation, code="x", severity="warning", message="m"
    )
    assert api(token).get("/api/v1/indicator-values/").status_code == 200
    own = api(token).get(f"/api/v1/data-quality-findings/?period={period.pk}").json()
    assert [row["id"] for row in own["results"]] == [finding.pk]
    assert api(other_token).get(f"/api/v1/data-quality-findings/{finding.pk}/").status_code == 404
