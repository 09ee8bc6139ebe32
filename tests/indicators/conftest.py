"""The hand-computed book shared by the portfolio and computation tests (see test_portfolio's
docstring for every line of it)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from institutions.models import Client, FinancingContract, Institution
from tests.factories import (
    BranchFactory,
    ClientFactory,
    FinancingContractFactory,
    InstalmentFactory,
    RepaymentFactory,
    RestructuringFactory,
    WriteOffFactory,
)

D = datetime.date
AS_OF = D(2025, 12, 31)
WINDOW_START = D(2025, 9, 30)
BOOK_START = D(2025, 1, 15)


def _money(value: str | int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _contract(
    institution: Institution,
    client: Client,
    contract_type: str,
    financed: int,
    profit: int = 0,
    disbursed: datetime.date = BOOK_START,
    **extra: object,
) -> FinancingContract:
    return FinancingContractFactory(
        institution=institution,
        branch=client.branch,
        client=client,
        contract_type=contract_type,
        financed_amount=Decimal(financed),
        profit_amount=Decimal(profit),
        contract_date=disbursed,
        disbursement_date=disbursed,
        maturity_date=D(2026, 12, 31),
        **extra,
    )


def _instalment(
    contract: FinancingContract,
    number: int,
    due: datetime.date,
    principal: int,
    profit: int = 0,
    paid_on: datetime.date | None = None,
    paid_principal: int | None = None,
) -> None:
    """An instalment, and the repayment that paid it (in full if ``paid_on`` is given)."""
    fully_paid = paid_on is not None and paid_principal is None
    instalment = InstalmentFactory(
        contract=contract,
        number=number,
        due_date=due,
        principal_due=Decimal(principal),
        profit_due=Decimal(profit),
        principal_paid=Decimal(principal if fully_paid else paid_principal or 0),
        profit_paid=Decimal(profit if fully_paid else 0),
        paid_date=paid_on if fully_paid else None,
    )
    if paid_on is not None:
        RepaymentFactory(
            contract=contract,
            instalment=instalment,
            value_date=paid_on,
            principal_amount=Decimal(principal if fully_paid else paid_principal or 0),
            profit_amount=Decimal(profit if fully_paid else 0),
        )


@pytest.fixture
def book(institution: Institution) -> dict[str, object]:
    b1 = BranchFactory(institution=institution, code="B1")
    b2 = BranchFactory(institution=institution, code="B2")

    def client(branch: object, gender: str, area: str) -> Client:
        return ClientFactory(institution=institution, branch=branch, gender=gender, area=area)

    c1_client = client(b1, "female", "rural")
    c1 = _contract(institution, c1_client, "murabaha", 3000, 300)
    # Paid late, exactly on the window start: its profit belongs to the previous quarter.
    _instalment(c1, 1, D(2025, 8, 31), 1000, 100, paid_on=D(2025, 9, 30))
    _instalment(c1, 2, D(2025, 10, 31), 1000, 100, paid_on=D(2025, 10, 31))
    _instalment(c1, 3, D(2026, 1, 31), 1000, 100)

    c2 = _contract(institution, client(b2, "male", "urban"), "murabaha", 2000, 200)
    _instalment(c2, 1, D(2025, 10, 15), 1000, 100)
    _instalment(c2, 2, D(2026, 1, 15), 1000, 100)

    c3 = _contract(institution, client(b1, "female", "urban"), "ijara", 4000, 400)
    _instalment(c3, 1, D(2025, 11, 30), 2000, 200, paid_on=D(2025, 12, 10), paid_principal=500)
    _instalment(c3, 2, D(2026, 2, 28), 2000, 200)

    c4 = _contract(
        institution,
        client(b1, "male", "rural"),
        "salam",
        5000,
        disbursed=D(2025, 1, 15),
        delivery_date=D(2025, 6, 30),
    )
    _instalment(c4, 1, D(2025, 6, 30), 5000)

    c5 = _contract(institution, client(b2, "female", "rural"), "qard_hassan", 1000)
    _instalment(c5, 1, D(2025, 9, 30), 400, paid_on=D(2025, 9, 30))
    _instalment(c5, 2, D(2025, 12, 31), 300)  # paid on 2026-01-05: unknown at the date
    _instalment(c5, 3, D(2026, 3, 31), 300)

    c6 = _contract(
        institution,
        client(b2, "male", "urban"),
        "musharaka",
        10000,
        expected_roi=Decimal("30"),
    )
    _instalment(c6, 1, D(2026, 6, 30), 10000)
    RepaymentFactory(contract=c6, value_date=D(2025, 12, 15), principal_amount=0, profit_amount=550)

    c7 = _contract(institution, client(b1, "female", "rural"), "murabaha", 6000, 600)
    _instalment(c7, 1, D(2025, 7, 31), 3000, 300, paid_on=D(2025, 7, 31))
    _instalment(c7, 2, D(2025, 11, 30), 3000, 300)
    RestructuringFactory(
        contract=c7,
        date=D(2025, 10, 20),
        amount_owed_before=Decimal(3300),
        amount_owed_after=Decimal(3300),
    )

    c8 = _contract(institution, client(b2, "male", "rural"), "murabaha", 2000, 200)
    _instalment(c8, 1, D(2025, 3, 31), 2000, 200)
    WriteOffFactory(contract=c8, date=D(2025, 11, 15), principal_amount=Decimal(2000))

    c9 = _contract(institution, client(b1, "female", "urban"), "diminishing_musharaka", 8000, 800)
    _instalment(c9, 1, D(2025, 11, 30), 4000, 400, paid_on=D(2025, 11, 30))
    _instalment(c9, 2, D(2026, 5, 31), 4000, 400)

    c10 = _contract(
        institution, client(b2, "female", "rural"), "istisna", 1500, 150, disbursed=D(2026, 1, 10)
    )
    _instalment(c10, 1, D(2026, 4, 10), 1500, 150)

    c11 = _contract(
        institution, client(b1, "female", "rural"), "mudaraba", 3000, disbursed=D(2025, 11, 1)
    )
    _instalment(c11, 1, D(2026, 10, 31), 3000)

    c12 = _contract(institution, c1_client, "ijara_mb", 1000, 100)
    _instalment(c12, 1, D(2026, 1, 15), 1000, 100)
    return {"institution": institution, "b1": b1, "b2": b2}
