"""``instalments_settle``: repayments settle instalments oldest first, principal against principal
and profit against profit, in whole cents; an instalment is paid on the date its last part is
complete. Runs on SQLite here and on PostgreSQL in .ci/run (its own UPDATE there)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from institutions.models import Instalment, Repayment
from institutions.services import instalments_settle
from tests.factories.institutions import (
    FinancingContractFactory,
    InstalmentFactory,
    RepaymentFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def _schedule(contract, *rows):
    for number, principal, profit in rows:
        InstalmentFactory(
            contract=contract,
            number=number,
            due_date=D(2024, number, 10),
            principal_due=Decimal(principal),
            profit_due=Decimal(profit),
        )


def _paid(contract):
    return list(
        Instalment.objects.filter(contract=contract)
        .order_by("number")
        .values_list("number", "principal_paid", "profit_paid", "paid_date")
    )


def test_paid_on_the_date_the_later_part_completes() -> None:
    contract = FinancingContractFactory()
    _schedule(contract, (1, "100.29", "10.01"), (2, "100.00", "10.00"))
    RepaymentFactory(
        contract=contract, value_date=D(2024, 1, 5), principal_amount="100.29", profit_amount="0"
    )
    RepaymentFactory(
        contract=contract, value_date=D(2024, 2, 3), principal_amount="0", profit_amount="10.01"
    )
    # 50.00 on instalment 2's principal, its profit untouched: partly paid, no date.
    RepaymentFactory(
        contract=contract, value_date=D(2024, 2, 9), principal_amount="50.00", profit_amount="0"
    )

    assert instalments_settle(contract_ids=[contract.pk]) == 2
    assert _paid(contract) == [
        (1, Decimal("100.29"), Decimal("10.01"), D(2024, 2, 3)),
        (2, Decimal("50.00"), Decimal("0.00"), None),
    ]
    # Settling again changes nothing.
    assert instalments_settle(contract_ids=[contract.pk]) == 0


def test_an_instalment_without_profit_is_paid_with_its_principal() -> None:
    contract = FinancingContractFactory(contract_type="qard_hassan")
    _schedule(contract, (1, "0.29", "0"), (2, "0.71", "0"))
    RepaymentFactory(
        contract=contract, value_date=D(2024, 1, 8), principal_amount="0.58", profit_amount="0"
    )

    assert instalments_settle(contract_ids=[contract.pk]) == 2
    assert _paid(contract) == [
        (1, Decimal("0.29"), Decimal("0"), D(2024, 1, 8)),
        (2, Decimal("0.29"), Decimal("0"), None),
    ]


def test_a_corrected_repayment_unsettles_what_it_no_longer_pays() -> None:
    contract = FinancingContractFactory()
    _schedule(contract, (1, "100.00", "10.00"))
    payment = RepaymentFactory(
        contract=contract, value_date=D(2024, 1, 9), principal_amount="100", profit_amount="10"
    )
    instalments_settle(contract_ids=[contract.pk])
    assert _paid(contract)[0][3] == D(2024, 1, 9)

    Repayment.objects.filter(pk=payment.pk).update(profit_amount=Decimal("4.00"))
    assert instalments_settle(contract_ids=[contract.pk]) == 1
    assert _paid(contract) == [(1, Decimal("100.00"), Decimal("4.00"), None)]


def test_repaying_beyond_the_schedule_is_refused_and_changes_nothing() -> None:
    contract = FinancingContractFactory()
    _schedule(contract, (1, "100.00", "10.00"))
    RepaymentFactory(contract=contract, principal_amount="100.01", profit_amount="10")

    with pytest.raises(ValidationError) as raised:
        instalments_settle(contract_ids=[contract.pk])
    assert raised.value.code == "overpaid"
    assert raised.value.params == {"contracts": [contract.pk]}
    assert _paid(contract) == [(1, Decimal("0"), Decimal("0"), None)]


def test_dates_beyond_pandas_nanosecond_range_settle() -> None:
    """A DateField reaches year 9999; pandas 2 turns dates into datetime64[ns], which stops in
    2262: the days go through numpy."""
    contract = FinancingContractFactory()
    _schedule(contract, (1, "100.00", "10.00"))
    Instalment.objects.filter(contract=contract).update(paid_date=D(2263, 1, 1))
    RepaymentFactory(
        contract=contract, value_date=D(2300, 1, 1), principal_amount="100", profit_amount="10"
    )

    assert instalments_settle(contract_ids=[contract.pk]) == 1
    assert _paid(contract) == [(1, Decimal("100.00"), Decimal("10.00"), D(2300, 1, 1))]
