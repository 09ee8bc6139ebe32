"""Bad input is refused twice: by validation with a specific, translated message naming the
rule, and by the database itself when validation is bypassed."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from institutions.models import ContractType, FinancingContract, ReportingPeriod
from tests.factories import (
    FinancialStatementFactory,
    FinancingContractFactory,
    InstalmentFactory,
    PortfolioSummaryLineFactory,
    ReportingPeriodFactory,
    RestructuringFactory,
    StaffingSnapshotFactory,
)

pytestmark = pytest.mark.django_db


def _refused(instance: Any, message_part: str) -> None:
    """Validation names the rule, and the database refuses the row on its own too."""
    with pytest.raises(ValidationError) as error:
        instance.full_clean()
    assert message_part in " ".join(error.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        instance.save()


def _contract(**overrides: Any) -> FinancingContract:
    """A saved, valid contract whose fields are then overridden in memory (not saved)."""
    contract = FinancingContractFactory(contract_type=overrides.pop("contract_type", "murabaha"))
    for field, value in overrides.items():
        setattr(contract, field, value)
    return contract


@pytest.mark.parametrize("contract_type", ContractType.values)
def test_the_factory_default_of_every_contract_type_is_valid(contract_type: str) -> None:
    contract = FinancingContractFactory(contract_type=contract_type)
    contract.full_clean()


def test_contract_dates_must_be_ordered() -> None:
    _refused(
        _contract(disbursement_date=datetime.date(2023, 12, 31)),
        "disbursement date cannot be before the contract date",
    )
    _refused(
        _contract(maturity_date=datetime.date(2024, 1, 1)),
        "maturity date cannot be before the disbursement date",
    )


def test_amounts_cannot_be_negative_or_zero() -> None:
    _refused(_contract(financed_amount=Decimal("0")), "must be greater than zero")
    _refused(_contract(profit_amount=Decimal("-1"), sale_price=Decimal("9999")), "negative")


def test_murabaha_sale_price_is_cost_plus_markup() -> None:
    _refused(_contract(sale_price=Decimal("12000")), "sale price must equal the cost plus")


def test_profit_shares_between_0_and_100_summing_to_100() -> None:
    _refused(
        _contract(
            contract_type="musharaka",
            institution_profit_share=Decimal("60"),
            client_profit_share=Decimal("50"),
        ),
        "add up to 100",
    )
    _refused(
        _contract(
            contract_type="mudaraba",
            institution_profit_share=Decimal("120"),
            client_profit_share=Decimal("-20"),
        ),
        "add up to 100",
    )


def test_equity_contracts_need_profit_sharing_ratios() -> None:
    _refused(
        _contract(
            contract_type="mudaraba", institution_profit_share=None, client_profit_share=None
        ),
        "need profit-sharing ratios",
    )


def test_salam_needs_commodity_and_delivery_date() -> None:
    _refused(_contract(contract_type="salam", commodity=""), "commodity and a delivery date")
    _refused(_contract(contract_type="salam", delivery_date=None), "commodity and a delivery date")


def test_qard_hassan_carries_no_profit() -> None:
    _refused(_contract(contract_type="qard_hassan", profit_amount=Decimal("50")), "cannot carry")


def test_contract_numbers_are_unique_per_institution() -> None:
    first = FinancingContractFactory()
    duplicate = FinancingContractFactory.build(
        institution=first.institution,
        branch=first.branch,
        client=first.client,
        product=first.product,
        external_id=first.external_id,
    )
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "already has a contract with this number" in " ".join(error.value.messages)
    # The same number in another institution is fine.
    FinancingContractFactory(external_id=first.external_id)


def test_rescheduling_cannot_raise_the_debt() -> None:
    restructuring = RestructuringFactory()
    restructuring.amount_owed_after = restructuring.amount_owed_before + Decimal("1")
    _refused(restructuring, "cannot increase the amount owed")


def test_instalment_cannot_be_overpaid() -> None:
    instalment = InstalmentFactory()
    instalment.principal_paid = instalment.principal_due + Decimal("0.01")
    _refused(instalment, "cannot be paid beyond what is due")


def test_one_period_per_institution_and_quarter() -> None:
    period = ReportingPeriodFactory(year=2025, quarter=2)
    duplicate = ReportingPeriod(institution=period.institution, year=2025, quarter=2)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean(exclude=["start_date", "end_date"])
    assert "already has this quarter" in " ".join(error.value.messages)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_quarter_must_exist() -> None:
    period = ReportingPeriodFactory.build(quarter=5)
    with pytest.raises(ValidationError) as error:
        period.full_clean(exclude=["start_date", "end_date"])
    assert "quarter" in error.value.message_dict


def test_returned_period_needs_a_reason() -> None:
    period = ReportingPeriodFactory()
    period.status = ReportingPeriod.Status.RETURNED
    period.return_reason = ""
    _refused(period, "needs a reason")


def test_staffing_officers_within_staff() -> None:
    snapshot = StaffingSnapshotFactory()
    snapshot.financing_officers = snapshot.total_staff + 1
    _refused(snapshot, "cannot outnumber the total staff")


def test_portfolio_summary_bands_are_nested() -> None:
    line = PortfolioSummaryLineFactory()
    line.par_90 = line.par_30 + Decimal("1")
    _refused(line, "Late portfolio must shrink as lateness grows")


def test_statement_short_term_within_total() -> None:
    statement = FinancialStatementFactory()
    statement.third_party_financing_short_term = statement.third_party_financing + Decimal("1")
    _refused(statement, "cannot exceed the total")


def test_messages_are_translated() -> None:
    contract = _contract(maturity_date=datetime.date(2024, 1, 1))
    with translation.override("fr"), pytest.raises(ValidationError) as error:
        contract.full_clean()
    assert "échéance" in " ".join(error.value.messages)


def test_statement_derived_totals() -> None:
    statement = FinancialStatementFactory.build(
        financing_income=Decimal("900"),
        other_operating_income=Decimal("50"),
        non_operating_income=Decimal("10"),
        donations=Decimal("40"),
        ijara_depreciation=Decimal("20"),
        funding_expense_deposits=Decimal("30"),
        funding_expense_third_party=Decimal("60"),
        mudaraba_profit_distributed=Decimal("10"),
        provision_expense=Decimal("80"),
        personnel_expense=Decimal("400"),
        administrative_expense=Decimal("150"),
        taxes=Decimal("25"),
    )
    # 900 + 50 + 10 + 40 − 20 − (30 + 60 + 10) − 80 − (400 + 150) − 25 = 225
    assert statement.net_income == Decimal("225")
    assert statement.net_income_before_donations == Decimal("185")
    assert statement.financial_expense == Decimal("100")
    assert statement.operating_expense == Decimal("550")


def test_cost_plus_markup_holds_to_the_cent_on_every_database() -> None:
    # 0.10 + 0.20 is not 0.30 in floating point, which is how SQLite evaluates decimals.
    contract = FinancingContractFactory(
        financed_amount=Decimal("0.10"), profit_amount=Decimal("0.20"), sale_price=Decimal("0.30")
    )
    contract.full_clean()
    contract.sale_price = Decimal("0.31")
    _refused(contract, "sale price must equal the cost plus")


def test_profit_shares_with_decimals_sum_to_100() -> None:
    contract = FinancingContractFactory(
        contract_type="musharaka",
        institution_profit_share=Decimal("33.3333"),
        client_profit_share=Decimal("66.6667"),
    )
    contract.full_clean()
