"""Tenancy of the list filters: a relational filter only knows the caller's own rows.

Another institution's id behaves exactly like an id that does not exist (no existence oracle),
and the browsable API's filter form and HTML forms list none of another institution's rows.
"""

from __future__ import annotations

from typing import Any

import pytest

from indicators.models import DataQualityFinding, IndicatorComputation
from institutions.models import Institution
from tests.factories import (
    FinancialStatementFactory,
    FinancingContractFactory,
    RepaymentFactory,
    ReportingPeriodFactory,
    RestructuringFactory,
    StaffingSnapshotFactory,
    WriteOffFactory,
)

pytestmark = pytest.mark.django_db

UNKNOWN_ID = 987_654_321

#: (URL prefix, filter parameter, which of the other institution's rows it names).
RELATIONAL_FILTERS = [
    ("branches", "institution", "institution"),
    ("periods", "institution", "institution"),
    ("clients", "institution", "institution"),
    ("clients", "branch", "branch"),
    ("products", "institution", "institution"),
    ("contracts", "institution", "institution"),
    ("contracts", "branch", "branch"),
    ("contracts", "client", "client"),
    ("contracts", "product", "product"),
    ("contracts", "period", "period"),
    ("repayments", "contract", "contract"),
    ("repayments", "period", "period"),
    ("restructurings", "contract", "contract"),
    ("write-offs", "contract", "contract"),
    ("financial-statements", "period", "period"),
    ("financial-statements", "institution", "institution"),
    ("staffing", "period", "period"),
    ("staffing", "institution", "institution"),
    ("indicator-values", "period", "period"),
    ("indicator-values", "institution", "institution"),
    ("data-quality-findings", "period", "period"),
    ("data-quality-findings", "institution", "institution"),
]

PAGES = sorted({prefix for prefix, _parameter, _target in RELATIONAL_FILTERS})


def _populate(institution: Institution, tag: str) -> dict[str, Any]:
    """One of every row a filter can name, with codes that carry ``tag``."""
    contract = FinancingContractFactory(
        institution=institution,
        external_id=f"{tag}-CONTRACT",
        branch__code=f"{tag}-BRANCH",
        branch__name=f"{tag} branch",
        client__external_id=f"{tag}-CLIENT",
        product__code=f"{tag}-PRODUCT",
        product__name=f"{tag} product",
    )
    period = ReportingPeriodFactory(institution=institution, year=2024, quarter=1)
    RepaymentFactory(contract=contract, external_id=f"{tag}-PAYMENT")
    RestructuringFactory(contract=contract)
    WriteOffFactory(contract=contract)
    FinancialStatementFactory(period=period)
    StaffingSnapshotFactory(period=period)
    computation = IndicatorComputation.objects.create(
        period=period, trigger=IndicatorComputation.Trigger.MANUAL
    )
    DataQualityFinding.objects.create(
        period=period, computation=computation, code="x", severity="warning", message="m"
    )
    return {
        "institution": institution,
        "branch": contract.branch,
        "client": contract.client,
        "product": contract.product,
        "contract": contract,
        "period": period,
    }


@pytest.fixture
def foreign_rows(other_institution: Institution) -> dict[str, Any]:
    return _populate(other_institution, "SECRET")


@pytest.mark.parametrize(
    ("prefix", "parameter", "target"),
    RELATIONAL_FILTERS,
    ids=[f"{prefix}?{parameter}" for prefix, parameter, _target in RELATIONAL_FILTERS],
)
def test_another_institutions_id_behaves_like_an_unknown_id(
    api, token, institution, foreign_rows, prefix: str, parameter: str, target: str
) -> None:
    _populate(institution, "OWN")
    client = api(token)
    foreign = client.get(f"/api/v1/{prefix}/?{parameter}={foreign_rows[target].pk}")
    unknown = client.get(f"/api/v1/{prefix}/?{parameter}={UNKNOWN_ID}")
    assert foreign.status_code == unknown.status_code
    assert foreign.json() == unknown.json()
    if foreign.status_code == 400:
        assert foreign.json()["errors"][0] == {
            "code": "invalid_choice",
            "field": parameter,
            "message": unknown.json()["errors"][0]["message"],
        }
    else:
        assert foreign.json()["results"] == []


def test_own_ids_still_filter(api, token, institution, foreign_rows) -> None:
    own = _populate(institution, "OWN")
    client = api(token)
    for parameter in ("institution", "branch", "client", "product"):
        response = client.get(f"/api/v1/contracts/?{parameter}={own[parameter].pk}")
        assert response.status_code == 200, response.json()
        assert [row["id"] for row in response.json()["results"]] == [own["contract"].pk]
    response = client.get(f"/api/v1/repayments/?contract={own['contract'].pk}")
    assert len(response.json()["results"]) == 1
    response = client.get(f"/api/v1/staffing/?period={own['period'].pk}")
    assert len(response.json()["results"]) == 1


def _assert_no_foreign_rows(content: str) -> None:
    assert "OWN-" in content or "amana" in content.lower()
    assert "SECRET" not in content
    assert "baraka" not in content.lower()


@pytest.mark.parametrize("prefix", PAGES)
def test_browsable_page_of_a_token_lists_only_own_rows(
    api, token, institution, foreign_rows, prefix: str
) -> None:
    _populate(institution, "OWN")
    response = api(token).get(f"/api/v1/{prefix}/?format=api")
    assert response.status_code == 200
    content = response.content.decode()
    # The filter form is there, with its selects of the caller's own rows.
    parameters = {parameter for name, parameter, _target in RELATIONAL_FILTERS if name == prefix}
    assert any(f'name="{parameter}"' in content for parameter in parameters)
    _assert_no_foreign_rows(content)


@pytest.mark.parametrize("prefix", PAGES)
def test_browsable_page_of_a_signed_in_user_lists_only_own_rows(
    client_for, staff, institution, foreign_rows, prefix: str
) -> None:
    own = _populate(institution, "OWN")
    response = client_for(staff).get(f"/api/v1/{prefix}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    _assert_no_foreign_rows(response.content.decode())
    detail = client_for(staff).get(
        f"/api/v1/contracts/{own['contract'].pk}/", HTTP_ACCEPT="text/html"
    )
    _assert_no_foreign_rows(detail.content.decode())


def test_a_relational_filter_over_rows_without_an_institution_is_refused(staff) -> None:
    """Fail closed: a filter whose choices cannot be scoped would list every row."""
    import django_filters
    from django.core.exceptions import ImproperlyConfigured
    from rest_framework.test import APIRequestFactory

    from mfme.api.filters import filterset_scope
    from users.models import User

    class UserFilter(django_filters.FilterSet):
        user = django_filters.ModelChoiceFilter(queryset=User.objects.all())

        class Meta:
            model = User
            fields = ["user"]

    request = APIRequestFactory().get("/")
    request.user = staff
    with pytest.raises(ImproperlyConfigured):
        filterset_scope(UserFilter(request=request), user=staff)
