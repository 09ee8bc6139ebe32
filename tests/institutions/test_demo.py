"""``manage.py load_demo`` at a small scale: what the demo promises and that its quarterly
returns are consistent with its contracts and repayments."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Q, Sum

from institutions.demo import DEMO_CODES, DEMO_PASSWORD, DEMO_USERS, QUARTERS
from institutions.models import (
    EQUITY_TYPES,
    SALE_BASED_TYPES,
    Client,
    ContractType,
    FinancialStatement,
    FinancingContract,
    Instalment,
    Institution,
    InstitutionMembership,
    LatePaymentCharge,
    PortfolioSummaryLine,
    Repayment,
    ReportingPeriod,
    Restructuring,
    WriteOff,
)
from users.models import User

pytestmark = pytest.mark.django_db

SCALE = 0.02
ZERO = Decimal("0")
CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    # On SQLite a SUM over decimals is computed in floating point and Django returns it with
    # 15 significant digits, not rounded to the column's 2 places.
    return value.quantize(CENT)


def load_demo(**options: object) -> str:
    out = io.StringIO()
    call_command("load_demo", scale=SCALE, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo() -> str:
    return load_demo()


def checksum() -> dict[str, object]:
    """Counts and sums over everything the demo writes."""
    return {
        "clients": Client.objects.aggregate(n=Count("id"), women=Count("id", Q(gender="female"))),
        "contracts": FinancingContract.objects.aggregate(
            n=Count("id"), financed=Sum("financed_amount"), profit=Sum("profit_amount")
        ),
        "instalments": Instalment.objects.aggregate(
            n=Count("id"), due=Sum("principal_due"), paid=Sum("principal_paid")
        ),
        "repayments": Repayment.objects.aggregate(
            n=Count("id"), principal=Sum("principal_amount"), profit=Sum("profit_amount")
        ),
        "events": (
            Restructuring.objects.count(),
            WriteOff.objects.aggregate(Sum("principal_amount")),
            LatePaymentCharge.objects.aggregate(Sum("amount")),
        ),
        "summary": PortfolioSummaryLine.objects.aggregate(Sum("outstanding"), Sum("par_30")),
        "statements": FinancialStatement.objects.aggregate(
            Sum("total_assets"), Sum("financing_income")
        ),
    }


def test_demo_has_four_institutions_in_four_member_countries(demo: str) -> None:
    institutions = Institution.objects.filter(code__in=DEMO_CODES)
    assert institutions.count() >= 4
    assert len({institution.country.code for institution in institutions}) >= 4
    moroccan = institutions.get(country="MA")
    assert moroccan.name_ar
    assert moroccan.name_fr
    assert moroccan.currency == "MAD"
    assert institutions.get(country="SN").currency == "XOF"
    for institution in institutions:
        assert institution.mission_statement
        assert 4 <= institution.branches.count() <= 8


def test_every_institution_has_eight_quarters_with_their_workflow(demo: str) -> None:
    for institution in Institution.objects.filter(code__in=DEMO_CODES):
        periods = list(institution.reporting_periods.order_by("year", "quarter"))
        assert [(period.year, period.quarter) for period in periods] == list(QUARTERS)
        assert periods[0].status == ReportingPeriod.Status.LOCKED
        for period in periods:
            transitions = list(period.transitions.order_by("created_at", "id"))
            if period.status == ReportingPeriod.Status.DRAFT:
                assert transitions == []
            else:
                assert transitions[-1].to_status == period.status
            if period.status == ReportingPeriod.Status.RETURNED:
                assert period.return_reason
    statuses = set(ReportingPeriod.objects.values_list("status", flat=True))
    assert statuses == set(ReportingPeriod.Status.values)


def test_every_contract_type_is_present(demo: str) -> None:
    present = set(FinancingContract.objects.values_list("contract_type", flat=True))
    assert present == set(ContractType.values)
    most_common = (
        FinancingContract.objects.values("contract_type")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert most_common["contract_type"] == ContractType.MURABAHA


def test_schedules_add_up_to_the_contract_amounts(demo: str) -> None:
    contracts = FinancingContract.objects.annotate(
        principal_due=Sum("instalments__principal_due"),
        profit_due=Sum("instalments__profit_due"),
    )
    for contract in contracts:
        assert cents(contract.principal_due) == contract.financed_amount, contract
        assert cents(contract.profit_due) == contract.profit_amount, contract
    salam = FinancingContract.objects.filter(contract_type=ContractType.SALAM)
    for contract in salam.annotate(n=Count("instalments")):
        assert contract.n == 1
        assert contract.instalments.get().due_date == contract.delivery_date
        assert contract.price_paid_date == contract.contract_date


def test_contract_types_carry_their_own_terms(demo: str) -> None:
    contracts = FinancingContract.objects.all()
    for contract in contracts.filter(contract_type__in=SALE_BASED_TYPES):
        assert contract.sale_price == contract.financed_amount + contract.profit_amount
    for contract in contracts.filter(contract_type__in=EQUITY_TYPES):
        assert contract.institution_profit_share + contract.client_profit_share == 100
        assert contract.expected_roi is not None
    for contract in contracts.filter(contract_type=ContractType.QARD_HASSAN):
        assert contract.profit_amount == ZERO
        assert contract.service_fee <= contract.declared_actual_cost
    for contract in contracts.filter(contract_type=ContractType.IJARA):
        assert contract.rent_amount > 0
        assert contract.rent_start_date >= contract.delivery_date


def test_instalments_record_what_their_repayments_paid(demo: str) -> None:
    instalments = Instalment.objects.annotate(
        repaid_principal=Sum("repayments__principal_amount", default=ZERO),
        repaid_profit=Sum("repayments__profit_amount", default=ZERO),
        last_payment=Max("repayments__value_date"),
    )
    fully_paid = partly_paid = 0
    for instalment in instalments:
        assert cents(instalment.repaid_principal) == instalment.principal_paid
        assert cents(instalment.repaid_profit) == instalment.profit_paid
        if instalment.paid_date is not None:
            fully_paid += 1
            assert instalment.principal_paid == instalment.principal_due
            assert instalment.paid_date == instalment.last_payment
        elif instalment.principal_paid:
            partly_paid += 1
    assert fully_paid
    assert partly_paid


def test_portfolio_summary_matches_contracts_and_repayments(demo: str) -> None:
    for period in ReportingPeriod.objects.select_related("institution"):
        lines = {line.contract_type: line.outstanding for line in period.portfolio_summary.all()}
        expected = _outstanding_by_type(period.institution, period.end_date)
        assert lines == {kind: expected.get(kind, ZERO) for kind in lines}, period
        assert set(expected) <= set(lines)
        assert period.financial_statement.gross_financing_portfolio == sum(lines.values())


def _outstanding_by_type(institution: Institution, end: datetime.date) -> dict[str, Decimal]:
    """Financed cost minus principal repaid by ``end``, over the contracts disbursed by then and
    not written off by then (DECISIONS D5)."""
    book = FinancingContract.objects.filter(
        institution=institution, disbursement_date__lte=end
    ).exclude(write_off__date__lte=end)
    financed = dict(
        book.values_list("contract_type").annotate(total=Sum("financed_amount")).order_by()
    )
    repaid = dict(
        Repayment.objects.filter(contract__in=book, value_date__lte=end)
        .values_list("contract__contract_type")
        .annotate(total=Sum("principal_amount"))
        .order_by()
    )
    return {kind: cents(amount - repaid.get(kind, ZERO)) for kind, amount in financed.items()}


def test_balance_sheets_balance(demo: str) -> None:
    statements = FinancialStatement.objects.all()
    assert statements.count() == 8 * len(DEMO_CODES)
    for statement in statements:
        assert statement.total_assets == statement.liabilities_and_equity
        assert statement.total_equity > 0
        assert statement.cash_and_bank >= 0


def test_written_off_contracts_were_more_than_180_days_late(demo: str) -> None:
    assert WriteOff.objects.exists()
    for write_off in WriteOff.objects.select_related("contract"):
        assert write_off.contract.status == FinancingContract.Status.WRITTEN_OFF
        oldest_unpaid = write_off.contract.instalments.filter(paid_date__isnull=True).earliest(
            "due_date"
        )
        assert (write_off.date - oldest_unpaid.due_date).days > 180
    for restructuring in Restructuring.objects.all():
        assert restructuring.amount_owed_after <= restructuring.amount_owed_before
        assert restructuring.maturity_after > restructuring.maturity_before


def test_demo_users_have_their_roles_and_institutions(demo: str) -> None:
    for spec in DEMO_USERS:
        user = User.objects.get(username=spec.username)
        assert user.role == spec.role
        assert user.check_password(DEMO_PASSWORD)
        granted = set(
            InstitutionMembership.objects.filter(user=user).values_list(
                "institution__code", flat=True
            )
        )
        assert granted == set(spec.institutions)
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="analyst").is_staff
    assert DEMO_PASSWORD in demo
    assert "http://127.0.0.1:8000" in demo


def test_loading_twice_changes_nothing(demo: str) -> None:
    before = checksum()

    output = load_demo()

    assert "already loaded" in output
    assert checksum() == before


def test_reset_reloads_identical_data(demo: str) -> None:
    first = checksum()

    load_demo(reset=True)

    assert checksum() == first
    assert Institution.objects.filter(code__in=DEMO_CODES).count() == len(DEMO_CODES)
