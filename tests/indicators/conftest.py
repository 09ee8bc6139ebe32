"""The hand-computed book shared by the portfolio and computation tests (see test_portfolio's
docstring for every line of it)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from institutions.models import Client, FinancingContract, Institution, ReportingPeriod
from tests.factories import (
    BranchFactory,
    ClientFactory,
    FinancialStatementFactory,
    FinancingContractFactory,
    InstalmentFactory,
    RepaymentFactory,
    ReportingPeriodFactory,
    RestructuringFactory,
    StaffingSnapshotFactory,
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


def _statement(period: ReportingPeriod, **values: int) -> None:
    FinancialStatementFactory(period=period, **{k: Decimal(v) for k, v in values.items()})


@pytest.fixture
def quarters(book: dict[str, object]) -> tuple[ReportingPeriod, ReportingPeriod]:
    institution: Institution = book["institution"]  # type: ignore[assignment]
    q3 = ReportingPeriodFactory(institution=institution, year=2025, quarter=3)
    q4 = ReportingPeriodFactory(institution=institution, year=2025, quarter=4)
    zero_flows = dict.fromkeys(
        ("financing_income", "other_operating_income", "non_operating_income", "donations",
         "funding_expense_deposits", "funding_expense_third_party", "mudaraba_profit_distributed",
         "provision_expense", "personnel_expense", "administrative_expense", "ijara_depreciation",
         "taxes", "late_payment_collected", "deferred_profit", "ijara_assets_net",
         "impairment_allowance", "other_assets", "other_liabilities", "restricted_mudaraba_funds",
         "donated_equity"),
        0,
    )  # fmt: skip
    _statement(
        q3,
        **zero_flows,
        gross_financing_portfolio=42000, total_assets=50000, total_liabilities=20000,
        mudaraba_funds=5000, total_equity=25000, deposits=8000, third_party_financing=12000,
        third_party_financing_short_term=3000, mudaraba_funds_short_term=1000, cash_and_bank=6000,
        short_term_investments=2000, current_liabilities=10000,
    )  # fmt: skip
    _statement(
        q4,
        **{
            **zero_flows,
            "financing_income": 2400, "ijara_depreciation": 100, "other_operating_income": 200,
            "non_operating_income": 50, "donations": 300, "funding_expense_deposits": 100,
            "funding_expense_third_party": 250, "mudaraba_profit_distributed": 150,
            "provision_expense": 200, "personnel_expense": 900, "administrative_expense": 400,
            "taxes": 60,
        },
        gross_financing_portfolio=33500, total_assets=46000, total_liabilities=18000,
        mudaraba_funds=4000, total_equity=24000, deposits=7000, third_party_financing=11000,
        third_party_financing_short_term=2000, mudaraba_funds_short_term=1000, cash_and_bank=5000,
        short_term_investments=1000, current_liabilities=9000,
    )  # fmt: skip
    StaffingSnapshotFactory(period=q3, total_staff=20, financing_officers=8)
    StaffingSnapshotFactory(period=q4, total_staff=22, financing_officers=10)
    return q3, q4
