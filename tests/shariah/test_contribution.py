"""The compliance indicators join every quarter's indicator computation (through the
indicators' contributor extension point), and an overdue purification raises an alert."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from indicators.models import Alert, IndicatorComputation, IndicatorValue
from indicators.services import indicators_compute_now
from tests.factories import (
    FinancingContractFactory,
    LatePaymentChargeFactory,
    ReportingPeriodFactory,
)
from tests.factories.shariah import ShariahFindingFactory

pytestmark = pytest.mark.django_db


def test_compliance_values_and_purification_alert_are_stored(institution) -> None:
    period = ReportingPeriodFactory(institution=institution, year=2025, quarter=4)
    contract = FinancingContractFactory(
        institution=institution,
        contract_date=datetime.date(2025, 10, 5),
        disbursement_date=datetime.date(2025, 10, 5),
    )
    # 300 of late-payment amounts collected in July, never transferred: > 90 days at Dec 31.
    LatePaymentChargeFactory(
        contract=contract,
        date=datetime.date(2025, 7, 1),
        amount=Decimal(300),
        collected_on=datetime.date(2025, 7, 10),
    )
    ShariahFindingFactory(institution=institution, severity="critical")
    ShariahFindingFactory(institution=institution, severity="minor")

    indicators_compute_now(period=period, trigger=IndicatorComputation.Trigger.MANUAL)

    values = {
        code: value
        for code, value in IndicatorValue.objects.filter(
            period=period, indicator__code__startswith="SHARIAH_"
        ).values_list("indicator__code", "value")
    }
    assert values["SHARIAH_OPEN_FINDINGS_CRITICAL"] == Decimal(1)
    assert values["SHARIAH_OPEN_FINDINGS_MINOR"] == Decimal(1)
    assert values["SHARIAH_CONTRACTS_PASSING"] == Decimal(100)  # the one contract passes
    assert values["SHARIAH_PURIFICATION_PENDING"] == Decimal(300)
    assert "PURIFICATION_OVERDUE" in set(
        Alert.objects.filter(period=period).values_list("code", flat=True)
    )
