"""The quarter's Shariah compliance page: the analyst sees it; other institutions do not."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from institutions.models import Institution, ReportingPeriod
from tests.factories import (
    FinancingContractFactory,
    LatePaymentChargeFactory,
    ReportingPeriodFactory,
)
from tests.factories.shariah import ShariahFindingFactory
from users.models import User

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def quarter(institution: Institution) -> ReportingPeriod:
    period = ReportingPeriodFactory(institution=institution, year=2025, quarter=1)
    FinancingContractFactory(
        institution=institution,
        contract_type="salam",
        contract_date=D(2025, 2, 1),
        commodity="Silver",
        delivery_place="Fès",
        annual_profit_rate=None,
    )
    ShariahFindingFactory(
        institution=institution,
        severity="critical",
        found_on=D(2025, 2, 3),
        description="Late-payment charges booked as income.",
        tainted_income=Decimal("250.00"),
    )
    LatePaymentChargeFactory(
        contract=FinancingContractFactory(institution=institution),
        amount=Decimal("40.00"),
        collected_on=D(2024, 10, 1),
    )
    return period


def test_the_analyst_sees_the_quarters_compliance(
    quarter: ReportingPeriod, analyst: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(analyst).get(f"/periods/{quarter.pk}/shariah/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "SAL-FORBIDDEN-COMMODITY" in content
    assert "Late-payment charges booked as income." in content
    assert "0 of 1 contracts" in content
    assert 'role="alert"' in content  # 40.00 has waited 181 days
    assert "SHARIAH_PURIFICATION_PENDING" in content


def test_the_page_speaks_arabic_and_french(
    quarter: ReportingPeriod, analyst: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(analyst)
    for language, name in (("fr", "Contrats conformes à toutes les règles charia"),
                           ("ar", "العقود المستوفية لجميع الضوابط الشرعية")):  # fmt: skip
        client.cookies["django_language"] = language
        response = client.get(f"/periods/{quarter.pk}/shariah/", HTTP_ACCEPT_LANGUAGE=language)
        assert name in response.content.decode()


def test_another_institution_gets_a_404(
    quarter: ReportingPeriod, other_staff: User, client_for: Callable[[User], Client]
) -> None:
    assert client_for(other_staff).get(f"/periods/{quarter.pk}/shariah/").status_code == 404
