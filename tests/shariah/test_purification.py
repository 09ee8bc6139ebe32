"""The purification (charity) ledger reconciles with the late-payment and finding records.

The small ledger used throughout (institution ``amana``), by hand:

    2025-01-10  late-payment charge A collected      +200.00
    2025-02-20  late-payment charge B collected      +150.00
    (charge C, 75.00, charged but never collected: not in the ledger)
    2025-03-01  transfer to charity                  −250.00   settles A and 50.00 of B
    2025-03-05  finding declares income non-compliant +500.00
    ------------------------------------------------------------
    balance at 2025-03-31                              600.00  = 200 + 150 + 500 − 250
    open: B 100.00 (39 days: 31–90), finding 500.00 (26 days: 0–30)
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from institutions.models import Institution, LatePaymentCharge, ReportingPeriod
from shariah import purification, selectors, services
from shariah.models import ApprovedCharity, CharityTransfer, ShariahFinding
from tests.factories import (
    FinancingContractFactory,
    LatePaymentChargeFactory,
    ReportingPeriodFactory,
)
from tests.factories.shariah import (
    ApprovedCharityFactory,
    ShariahFindingFactory,
)
from users.models import User

pytestmark = pytest.mark.django_db
D = datetime.date
M = Decimal


@pytest.fixture
def charity(institution: Institution) -> ApprovedCharity:
    return ApprovedCharityFactory(institution=institution, name="Association Al Amal")


@pytest.fixture
def ledger(institution: Institution, charity: ApprovedCharity, staff: User) -> ShariahFinding:
    contract = FinancingContractFactory(institution=institution)
    LatePaymentChargeFactory(
        contract=contract, date=D(2025, 1, 5), amount=M("200.00"), collected_on=D(2025, 1, 10)
    )
    LatePaymentChargeFactory(
        contract=contract, date=D(2025, 2, 15), amount=M("150.00"), collected_on=D(2025, 2, 20)
    )
    LatePaymentChargeFactory(contract=contract, date=D(2025, 3, 15), amount=M("75.00"))
    services.charity_transfer_record(
        actor=staff, charity=charity, date=D(2025, 3, 1), amount=M("250.00"), reference="VIR-1"
    )
    return ShariahFindingFactory(
        institution=institution, found_on=D(2025, 3, 5), tainted_income=M("500.00")
    )


def test_the_balance_reconciles_with_the_underlying_records(
    institution: Institution, ledger: ShariahFinding
) -> None:
    position = selectors.purification_position(institution_id=institution.pk, as_of=D(2025, 3, 31))
    collected = LatePaymentCharge.objects.filter(
        contract__institution=institution, collected_on__isnull=False
    ).aggregate(total=Sum("amount"))["total"]
    tainted = ShariahFinding.objects.filter(institution=institution).aggregate(
        total=Sum("tainted_income")
    )["total"]
    transferred = CharityTransfer.objects.filter(institution=institution).aggregate(
        total=Sum("amount")
    )["total"]
    assert position.late_payment_inflows == collected == M("350.00")
    assert position.tainted_income_inflows == tainted == M("500.00")
    assert position.transferred == transferred == M("250.00")
    assert position.balance == collected + tainted - transferred == M("600.00")
    assert sum(position.ageing.values()) == position.balance


def test_ageing_settles_the_oldest_amounts_first(
    institution: Institution, ledger: ShariahFinding
) -> None:
    position = selectors.purification_position(institution_id=institution.pk, as_of=D(2025, 3, 31))
    assert [(o.inflow.source, o.remaining, o.age_days) for o in position.open_inflows] == [
        ("late_payment", M("100.00"), 39),
        ("tainted_income", M("500.00"), 26),
    ]
    assert position.ageing == {"0-30": M("500.00"), "31-90": M("100.00"), "over-90": M("0")}
    assert position.oldest_pending_date == D(2025, 2, 20)
    assert not position.alert


def test_an_alert_fires_when_an_amount_waits_past_the_configured_days(
    institution: Institution, ledger: ShariahFinding, staff: User
) -> None:
    # Default policy: 90 days. On 1 June, B's 100.00 has waited 101 days; the finding 88.
    june = selectors.purification_position(institution_id=institution.pk, as_of=D(2025, 6, 1))
    assert june.alert_days == 90
    assert june.ageing == {"0-30": M("0"), "31-90": M("500.00"), "over-90": M("100.00")}
    assert june.overdue == M("100.00")
    assert june.alert
    assert [i for i, _p in selectors.purification_alerts(as_of=D(2025, 6, 1))] == [institution]
    assert selectors.purification_alerts(as_of=D(2025, 3, 31)) == []

    # An institution may set a shorter limit: 60 days makes both amounts overdue on 10 May.
    services.policy_set(actor=staff, institution=institution, purification_alert_days=60)
    may = selectors.purification_position(institution_id=institution.pk, as_of=D(2025, 5, 10))
    assert may.overdue == M("600.00")


def test_records_after_the_as_of_date_do_not_count(
    institution: Institution, ledger: ShariahFinding
) -> None:
    february = selectors.purification_position(institution_id=institution.pk, as_of=D(2025, 2, 28))
    assert (february.total_inflows, february.transferred, february.balance) == (
        M("350.00"),
        M("0"),
        M("350.00"),
    )


def test_a_transfer_cannot_exceed_the_balance(
    institution: Institution, ledger: ShariahFinding, charity: ApprovedCharity, staff: User
) -> None:
    with pytest.raises(ValidationError) as error:
        services.charity_transfer_record(
            actor=staff, charity=charity, date=D(2025, 3, 31), amount=M("600.01")
        )
    assert "amount" in error.value.message_dict
    services.charity_transfer_record(
        actor=staff, charity=charity, date=D(2025, 3, 31), amount=M("600.00")
    )
    position = selectors.purification_position(institution_id=institution.pk, as_of=D(2025, 4, 1))
    assert position.balance == M("0")
    assert position.open_inflows == ()


def test_a_backdated_transfer_cannot_overdraw_a_later_day(
    institution: Institution, ledger: ShariahFinding, charity: ApprovedCharity, staff: User
) -> None:
    # On 25 Feb the ledger holds 350.00, but 250.00 already left on 1 March: at most 100.00.
    with pytest.raises(ValidationError):
        services.charity_transfer_record(
            actor=staff, charity=charity, date=D(2025, 2, 25), amount=M("150.00")
        )
    services.charity_transfer_record(
        actor=staff, charity=charity, date=D(2025, 2, 25), amount=M("100.00")
    )


def test_transfer_rules_date_charity_period_and_access(
    institution: Institution,
    ledger: ShariahFinding,
    charity: ApprovedCharity,
    staff: User,
    other_staff: User,
) -> None:
    with pytest.raises(ValidationError) as error:
        services.charity_transfer_record(
            actor=staff, charity=charity, date=D(2099, 1, 1), amount=M("10.00")
        )
    assert "date" in error.value.message_dict
    late_charity = ApprovedCharityFactory(institution=institution, approved_on=D(2025, 6, 1))
    with pytest.raises(ValidationError) as error:
        services.charity_transfer_record(
            actor=staff, charity=late_charity, date=D(2025, 3, 20), amount=M("10.00")
        )
    assert "charity" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.charity_transfer_record(
            actor=other_staff, charity=charity, date=D(2025, 3, 20), amount=M("10.00")
        )
    ReportingPeriodFactory(
        institution=institution, year=2025, quarter=1, status=ReportingPeriod.Status.LOCKED
    )
    with pytest.raises(ValidationError, match="locked"):
        services.charity_transfer_record(
            actor=staff, charity=charity, date=D(2025, 3, 20), amount=M("10.00")
        )
    assert CharityTransfer.objects.count() == 1


def test_resolving_a_finding_keeps_its_tainted_income_in_the_ledger(
    institution: Institution, ledger: ShariahFinding, analyst: User
) -> None:
    services.finding_resolve(
        actor=analyst,
        finding=ledger,
        resolution="Income moved to charity.",
        resolved_on=D(2025, 3, 20),
    )
    position = selectors.purification_position(institution_id=institution.pk, as_of=D(2025, 3, 31))
    assert position.tainted_income_inflows == M("500.00")


def test_transferable_is_the_lowest_running_balance_from_the_date() -> None:
    inflows = [
        purification.Inflow(D(2025, 1, 1), M("100"), purification.InflowSource.LATE_PAYMENT),
        purification.Inflow(D(2025, 3, 1), M("50"), purification.InflowSource.TAINTED_INCOME),
    ]
    transfers = [purification.Transfer(D(2025, 2, 1), M("80"))]
    assert purification.transferable(inflows=inflows, transfers=transfers, on=D(2025, 1, 15)) == M(
        "20"
    )
    assert purification.transferable(inflows=inflows, transfers=transfers, on=D(2025, 3, 1)) == M(
        "70"
    )
    assert purification.transferable(inflows=[], transfers=[], on=D(2025, 3, 1)) == M("0")
