"""The Shariah demo: realistic findings and ledger movements on top of the small-scale demo."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from institutions.demo import DATA_DATE, DEMO_CODES
from institutions.models import (
    FinancingContract,
    Institution,
    LatePaymentCharge,
    ReportingPeriod,
)
from shariah import selectors
from shariah.models import (
    CharityTransfer,
    ProductApproval,
    ShariahAudit,
    ShariahFinding,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> str:
    call_command("load_demo", scale=0.02, stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_shariah_demo", stdout=out)
    return out.getvalue()


def test_every_demo_institution_has_its_shariah_record(demo: str) -> None:
    assert "Shariah demo data loaded" in demo
    for institution in Institution.objects.filter(code__in=DEMO_CODES):
        assert selectors.institution_has_shariah_board(institution_id=institution.pk)
        assert ProductApproval.objects.filter(product__institution=institution).count() == (
            institution.products.count()
        )
        findings = ShariahFinding.objects.filter(institution=institution)
        assert findings.filter(source="review").exists()
        assert CharityTransfer.objects.filter(institution=institution).exists()
        assert ShariahAudit.objects.filter(period__institution=institution).exists()

        # The ledger reconciles with the records that feed it.
        position = selectors.purification_position(institution_id=institution.pk, as_of=DATA_DATE)
        collected = LatePaymentCharge.objects.filter(
            contract__institution=institution, collected_on__lte=DATA_DATE
        ).aggregate(total=Sum("amount"))["total"]
        tainted = findings.filter(found_on__lte=DATA_DATE).aggregate(total=Sum("tainted_income"))[
            "total"
        ]
        transferred = CharityTransfer.objects.filter(institution=institution).aggregate(
            total=Sum("amount")
        )["total"]
        # SQLite sums decimals in floating point: compare to the cent.
        expected = (collected or 0) + (tainted or 0) - (transferred or 0)
        assert abs(position.balance - expected) < Decimal("0.005")
        assert position.balance >= 0


def test_each_institution_tells_its_story(demo: str) -> None:
    sabuj = Institution.objects.get(code="sabuj")
    wifaq = Institution.objects.get(code="wifaq")
    assert selectors.purification_position(institution_id=sabuj.pk, as_of=DATA_DATE).alert
    assert not selectors.purification_position(institution_id=wifaq.pk, as_of=DATA_DATE).alert

    yusr = Institution.objects.get(code="yusr")
    # Its mudaraba product was used before the board approved it on 1 July 2025.
    unapproved = 0
    for period in ReportingPeriod.objects.filter(institution=yusr, end_date__lt=date(2025, 7, 1)):
        figures = selectors.compliance_for_period(period=period)
        unapproved += figures.failures_by_rule.get("PRODUCT-NOT-APPROVED", 0)
        assert figures.open_findings["critical"] == 0
    assert (
        unapproved
        == FinancingContract.objects.filter(
            institution=yusr,
            contract_type="mudaraba",
            contract_date__range=(date(2024, 10, 1), date(2025, 6, 30)),
        ).count()
    )
    latest = ReportingPeriod.objects.get(institution=yusr, year=2026, quarter=3)
    figures = selectors.compliance_for_period(period=latest)
    assert figures.open_findings["critical"] == 1
    assert figures.audit is not None
    assert figures.audit.value is not None
    assert figures.audit.non_compliant == 1


def test_loading_twice_adds_nothing_and_reset_still_works(demo: str) -> None:
    findings = ShariahFinding.objects.count()
    out = io.StringIO()
    call_command("load_shariah_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert ShariahFinding.objects.count() == findings
    # Deleting the demo institutions removes their Shariah data too.
    call_command("load_demo", scale=0.02, reset=True, stdout=io.StringIO())
    assert not ShariahFinding.objects.exists()
    assert not CharityTransfer.objects.exists()
