"""Factories for the institutions domain.

Related objects stay inside one institution: a contract's branch, client and product belong to
the contract's institution, and a product has the contract's type. Contract defaults adapt to
``contract_type`` so that every type satisfies its check constraints (sale price for murabaha
and istisna, commodity and delivery for salam, profit shares for equity types, no profit for
qard hassan).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from institutions.models import (
    EQUITY_TYPES,
    SALE_BASED_TYPES,
    Branch,
    Client,
    ContractType,
    FinancialStatement,
    FinancingContract,
    FinancingProduct,
    Instalment,
    Institution,
    InstitutionMembership,
    LatePaymentCharge,
    PortfolioSummaryLine,
    ReferenceData,
    Repayment,
    ReportingPeriod,
    Restructuring,
    StaffingSnapshot,
    WriteOff,
)

from .users import UserFactory

Money = Decimal


class InstitutionFactory(factory.django.DjangoModelFactory):
    code = factory.Sequence(lambda n: f"mfi-{n}")
    name_en = factory.Sequence(lambda n: f"Microfinance Institution {n}")
    name_fr = factory.Sequence(lambda n: f"Institution de microfinance {n}")
    name_ar = factory.Sequence(lambda n: f"مؤسسة التمويل الأصغر {n}")
    country = "MA"
    currency = "MAD"
    legal_form = Institution.LegalForm.ASSOCIATION
    maturity_stage = Institution.MaturityStage.SHARIAH_COMPLIANT

    class Meta:
        model = Institution


class BranchFactory(factory.django.DjangoModelFactory):
    institution = factory.SubFactory(InstitutionFactory)
    code = factory.Sequence(lambda n: f"BR{n:03d}")
    name = factory.Sequence(lambda n: f"Branch {n}")
    city = "Rabat"

    class Meta:
        model = Branch


class InstitutionMembershipFactory(factory.django.DjangoModelFactory):
    user = factory.SubFactory(UserFactory)
    institution = factory.SubFactory(InstitutionFactory)

    class Meta:
        model = InstitutionMembership


class ReportingPeriodFactory(factory.django.DjangoModelFactory):
    """A quarter; successive calls walk through quarters (2001Q2, 2001Q3, …) so that several
    periods of one institution do not collide. Pass ``year`` and ``quarter`` when they matter.

    A ``returned`` period gets a return reason by default, as the database requires."""

    institution = factory.SubFactory(InstitutionFactory)
    year = factory.Sequence(lambda n: 2000 + (n // 4) % 100)
    quarter = factory.Sequence(lambda n: n % 4 + 1)
    status = ReportingPeriod.Status.DRAFT
    return_reason = factory.Maybe(
        factory.LazyAttribute(lambda period: period.status == ReportingPeriod.Status.RETURNED),
        yes_declaration="Please correct the balance sheet.",
        no_declaration="",
    )

    class Meta:
        model = ReportingPeriod


class ClientFactory(factory.django.DjangoModelFactory):
    institution = factory.SubFactory(InstitutionFactory)
    branch = factory.SubFactory(BranchFactory, institution=factory.SelfAttribute("..institution"))
    external_id = factory.Sequence(lambda n: f"CL{n:06d}")
    gender = Client.Gender.FEMALE
    birth_year = 1985
    area = Client.Area.RURAL

    class Meta:
        model = Client


class FinancingProductFactory(factory.django.DjangoModelFactory):
    institution = factory.SubFactory(InstitutionFactory)
    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.LazyAttribute(lambda product: str(ContractType(product.contract_type).label))
    contract_type = ContractType.MURABAHA

    class Meta:
        model = FinancingProduct


def _is_equity(contract: object) -> bool:
    return contract.contract_type in EQUITY_TYPES  # type: ignore[attr-defined]


class FinancingContractFactory(factory.django.DjangoModelFactory):
    """A valid murabaha by default (sale price = financed amount + profit amount).

    Pass ``contract_type`` for any other type: the type-specific defaults follow."""

    institution = factory.SubFactory(InstitutionFactory)
    branch = factory.SubFactory(BranchFactory, institution=factory.SelfAttribute("..institution"))
    client = factory.SubFactory(
        ClientFactory,
        institution=factory.SelfAttribute("..institution"),
        branch=factory.SelfAttribute("..branch"),
    )
    product = factory.SubFactory(
        FinancingProductFactory,
        institution=factory.SelfAttribute("..institution"),
        contract_type=factory.SelfAttribute("..contract_type"),
    )
    contract_type = ContractType.MURABAHA
    external_id = factory.Sequence(lambda n: f"FC{n:07d}")
    status = FinancingContract.Status.ACTIVE
    contract_date = datetime.date(2024, 1, 10)
    disbursement_date = factory.SelfAttribute("contract_date")
    maturity_date = factory.LazyAttribute(
        lambda contract: contract.disbursement_date + datetime.timedelta(days=360)
    )
    financed_amount = Money("10000.00")
    profit_amount = factory.LazyAttribute(
        lambda contract: (
            Money("0.00")
            if contract.contract_type == ContractType.QARD_HASSAN
            else Money("1000.00")
        )
    )
    annual_profit_rate = factory.LazyAttribute(
        lambda contract: (
            None if contract.contract_type == ContractType.QARD_HASSAN else Money("10.0000")
        )
    )
    sale_price = factory.LazyAttribute(
        lambda contract: (
            contract.financed_amount + contract.profit_amount
            if contract.contract_type in SALE_BASED_TYPES
            else None
        )
    )
    commodity = factory.LazyAttribute(
        lambda contract: "wheat" if contract.contract_type == ContractType.SALAM else ""
    )
    commodity_quantity = factory.LazyAttribute(
        lambda contract: Money("2000.000") if contract.contract_type == ContractType.SALAM else None
    )
    commodity_unit = factory.LazyAttribute(
        lambda contract: (
            FinancingContract.SalamUnit.KILOGRAM
            if contract.contract_type == ContractType.SALAM
            else ""
        )
    )
    delivery_date = factory.LazyAttribute(
        lambda contract: (
            contract.maturity_date if contract.contract_type == ContractType.SALAM else None
        )
    )
    institution_profit_share = factory.LazyAttribute(
        lambda contract: Money("40.0000") if _is_equity(contract) else None
    )
    client_profit_share = factory.LazyAttribute(
        lambda contract: (
            Money("100.0000") - contract.institution_profit_share if _is_equity(contract) else None
        )
    )

    class Meta:
        model = FinancingContract


class InstalmentFactory(factory.django.DjangoModelFactory):
    contract = factory.SubFactory(FinancingContractFactory)
    number = factory.Sequence(lambda n: n + 1)
    due_date = factory.LazyAttribute(
        lambda instalment: instalment.contract.disbursement_date + datetime.timedelta(days=30)
    )
    principal_due = Money("1000.00")
    profit_due = Money("100.00")

    class Meta:
        model = Instalment


class RepaymentFactory(factory.django.DjangoModelFactory):
    """A payment row. It does not update instalments: the repayment services do that."""

    contract = factory.SubFactory(FinancingContractFactory)
    instalment = None
    value_date = factory.LazyAttribute(
        lambda repayment: repayment.contract.disbursement_date + datetime.timedelta(days=30)
    )
    principal_amount = Money("1000.00")
    profit_amount = Money("100.00")

    class Meta:
        model = Repayment


class RestructuringFactory(factory.django.DjangoModelFactory):
    contract = factory.SubFactory(FinancingContractFactory)
    date = factory.LazyAttribute(
        lambda restructuring: restructuring.contract.disbursement_date + datetime.timedelta(days=90)
    )
    amount_owed_before = Money("8000.00")
    amount_owed_after = Money("8000.00")
    maturity_before = factory.SelfAttribute("contract.maturity_date")
    maturity_after = factory.LazyAttribute(
        lambda restructuring: restructuring.maturity_before + datetime.timedelta(days=180)
    )
    reason = "Harvest failure."

    class Meta:
        model = Restructuring


class WriteOffFactory(factory.django.DjangoModelFactory):
    contract = factory.SubFactory(
        FinancingContractFactory, status=FinancingContract.Status.WRITTEN_OFF
    )
    date = factory.LazyAttribute(
        lambda write_off: write_off.contract.disbursement_date + datetime.timedelta(days=400)
    )
    principal_amount = Money("5000.00")
    profit_amount = Money("500.00")
    reason = "More than 360 days late."

    class Meta:
        model = WriteOff


class LatePaymentChargeFactory(factory.django.DjangoModelFactory):
    contract = factory.SubFactory(FinancingContractFactory)
    date = factory.LazyAttribute(
        lambda charge: charge.contract.disbursement_date + datetime.timedelta(days=45)
    )
    amount = Money("50.00")

    class Meta:
        model = LatePaymentCharge


class FinancialStatementFactory(factory.django.DjangoModelFactory):
    """A balanced statement: totals are derived from the lines, and equity closes the balance
    sheet, so overriding any line keeps ``total_assets == liabilities + mudaraba + equity``."""

    period = factory.SubFactory(ReportingPeriodFactory)
    cash_and_bank = Money("150000.00")
    short_term_investments = Money("50000.00")
    gross_financing_portfolio = Money("800000.00")
    deferred_profit = Money("40000.00")
    ijara_assets_net = Money("0.00")
    impairment_allowance = Money("20000.00")
    other_assets = Money("20000.00")
    # As the model defines it: deferred profit and ijara assets are memo lines (the gross
    # portfolio is already net of deferred profit, D5).
    total_assets = factory.LazyAttribute(
        lambda statement: (
            statement.cash_and_bank
            + statement.short_term_investments
            + statement.gross_financing_portfolio
            - statement.impairment_allowance
            + statement.other_assets
        )
    )
    deposits = Money("0.00")
    third_party_financing = Money("500000.00")
    third_party_financing_short_term = Money("100000.00")
    other_liabilities = Money("50000.00")
    total_liabilities = factory.LazyAttribute(
        lambda statement: (
            statement.deposits + statement.third_party_financing + statement.other_liabilities
        )
    )
    current_liabilities = factory.LazyAttribute(
        lambda statement: statement.third_party_financing_short_term + statement.other_liabilities
    )
    mudaraba_funds = Money("100000.00")
    mudaraba_funds_short_term = Money("20000.00")
    total_equity = factory.LazyAttribute(
        lambda statement: (
            statement.total_assets - statement.total_liabilities - statement.mudaraba_funds
        )
    )
    donated_equity = Money("50000.00")
    financing_income = Money("60000.00")
    other_operating_income = Money("5000.00")
    donations = Money("2000.00")
    funding_expense_third_party = Money("8000.00")
    mudaraba_profit_distributed = Money("2000.00")
    provision_expense = Money("3000.00")
    personnel_expense = Money("25000.00")
    administrative_expense = Money("12000.00")
    taxes = Money("1000.00")

    class Meta:
        model = FinancialStatement


class StaffingSnapshotFactory(factory.django.DjangoModelFactory):
    period = factory.SubFactory(ReportingPeriodFactory)
    total_staff = 40
    financing_officers = 22
    women_staff = 18
    staff_departures = 1

    class Meta:
        model = StaffingSnapshot


class PortfolioSummaryLineFactory(factory.django.DjangoModelFactory):
    """A murabaha line whose PAR bands nest (outstanding ≥ PAR1 ≥ … ≥ PAR180)."""

    period = factory.SubFactory(ReportingPeriodFactory)
    contract_type = ContractType.MURABAHA
    outstanding = Money("500000.00")
    gross_receivable = Money("550000.00")
    number_of_financings = 400
    active_clients = 380
    par_1 = Money("40000.00")
    par_30 = Money("25000.00")
    par_60 = Money("15000.00")
    par_90 = Money("10000.00")
    par_180 = Money("5000.00")
    restructured_outstanding = Money("6000.00")
    restructured_in_arrears = Money("2000.00")
    written_off = Money("1000.00")
    disbursed_amount = Money("200000.00")
    number_disbursed = 150

    class Meta:
        model = PortfolioSummaryLine


class ReferenceDataFactory(factory.django.DjangoModelFactory):
    """Morocco reference values; successive calls use successive years to stay unique. Pass
    ``year`` (and ``version`` for a correction) when they matter."""

    country = "MA"
    year = factory.Sequence(lambda n: 2000 + n % 100)
    version = 1
    currency = "MAD"
    exchange_rate_per_usd = Money("10.000000")
    gni_per_capita_usd = Money("3700.00")
    gdp_per_capita_usd = Money("3800.00")
    poverty_line_usd_per_day = Money("2.50")
    market_interest_rate = Money("25.0000")
    source = "World Bank WDI (test values)"

    class Meta:
        model = ReferenceData
