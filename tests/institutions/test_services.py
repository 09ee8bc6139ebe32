"""The quarterly review workflow, the quarterly-return services and the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from institutions import services
from institutions.models import (
    FinancialStatement,
    Institution,
    PortfolioSummaryLine,
    ReportingPeriod,
    StaffingSnapshot,
)
from tests.factories import (
    FinancialStatementFactory,
    InstitutionFactory,
    MfiStaffFactory,
    ReportingPeriodFactory,
)
from users.models import User

pytestmark = pytest.mark.django_db
Status = ReportingPeriod.Status


@pytest.fixture
def period(institution: Institution) -> ReportingPeriod:
    return ReportingPeriodFactory(institution=institution, year=2025, quarter=4)


def test_full_review_cycle_records_a_timeline(
    period: ReportingPeriod, manager: User, analyst: User
) -> None:
    services.period_submit(actor=manager, period=period)
    services.period_return(actor=analyst, period=period, reason="Balance sheet does not balance.")
    assert period.status == Status.RETURNED
    assert period.return_reason == "Balance sheet does not balance."
    services.period_submit(actor=manager, period=period, comment="Corrected.")
    services.period_approve(actor=analyst, period=period)
    services.period_lock(actor=analyst, period=period)
    assert period.status == Status.LOCKED
    steps = [(t.from_status, t.to_status, t.actor.username) for t in period.transitions.all()]
    assert steps == [
        ("draft", "submitted", "manager"),
        ("submitted", "returned", "analyst"),
        ("returned", "submitted", "manager"),
        ("submitted", "approved", "analyst"),
        ("approved", "locked", "analyst"),
    ]


def test_only_the_institutions_manager_submits(
    period: ReportingPeriod, staff: User, other_staff: User, analyst: User, auditor: User
) -> None:
    for user in (staff, other_staff, analyst, auditor):
        with pytest.raises(PermissionDenied):
            services.period_submit(actor=user, period=period)
    period.refresh_from_db()
    assert period.status == Status.DRAFT
    assert not period.transitions.exists()


def test_manager_of_another_institution_cannot_submit(period: ReportingPeriod) -> None:
    from tests.factories import InstitutionMembershipFactory, MfiManagerFactory

    stranger = MfiManagerFactory()
    InstitutionMembershipFactory(user=stranger, institution=InstitutionFactory())
    with pytest.raises(PermissionDenied):
        services.period_submit(actor=stranger, period=period)


def test_only_analysts_review(period: ReportingPeriod, manager: User) -> None:
    services.period_submit(actor=manager, period=period)
    with pytest.raises(PermissionDenied):
        services.period_approve(actor=manager, period=period)
    with pytest.raises(PermissionDenied):
        services.period_return(actor=manager, period=period, reason="no")


def test_return_and_reopen_need_a_reason(
    period: ReportingPeriod, manager: User, analyst: User
) -> None:
    services.period_submit(actor=manager, period=period)
    with pytest.raises(ValidationError) as error:
        services.period_return(actor=analyst, period=period, reason="  ")
    assert "reason" in error.value.message_dict
    services.period_approve(actor=analyst, period=period)
    with pytest.raises(ValidationError):
        services.period_reopen(actor=analyst, period=period, reason="")
    services.period_reopen(actor=analyst, period=period, reason="Auditor found an error.")
    assert period.status == Status.RETURNED


def test_impossible_transitions_are_refused(period: ReportingPeriod, analyst: User) -> None:
    with pytest.raises(ValidationError, match="cannot become"):
        services.period_approve(actor=analyst, period=period)  # draft → approved
    with pytest.raises(ValidationError, match="cannot become"):
        services.period_lock(actor=analyst, period=period)  # draft → locked


def test_locked_period_never_changes(
    period: ReportingPeriod, manager: User, analyst: User, administrator: User
) -> None:
    services.period_submit(actor=manager, period=period)
    services.period_approve(actor=analyst, period=period)
    services.period_lock(actor=analyst, period=period)
    for actor in (analyst, administrator):
        with pytest.raises(ValidationError):
            services.period_reopen(actor=actor, period=period, reason="Please")
    with pytest.raises(services.PeriodNotEditable, match="locked"):
        services.staffing_save(
            actor=administrator, period=period, data={"total_staff": 5, "financing_officers": 2}
        )
    assert not StaffingSnapshot.objects.filter(period=period).exists()


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED, Status.LOCKED])
def test_data_of_a_period_under_review_cannot_change(
    institution: Institution, staff: User, status: str
) -> None:
    period = ReportingPeriodFactory(institution=institution, status=status)
    with pytest.raises(services.PeriodNotEditable):
        services.staffing_save(
            actor=staff, period=period, data={"total_staff": 5, "financing_officers": 2}
        )


def test_staff_enter_data_for_their_institution_only(
    period: ReportingPeriod, staff: User, other_staff: User, auditor: User
) -> None:
    data = {"total_staff": 40, "financing_officers": 18}
    snapshot = services.staffing_save(actor=staff, period=period, data=data)
    assert snapshot.financing_officers == 18
    for stranger in (other_staff, auditor):
        with pytest.raises(PermissionDenied):
            services.staffing_save(actor=stranger, period=period, data=data)


def test_unbalanced_balance_sheet_is_refused_and_nothing_is_saved(
    period: ReportingPeriod, staff: User
) -> None:
    data = {
        "total_assets": Decimal("1000"),
        "total_liabilities": Decimal("600"),
        "mudaraba_funds": Decimal("100"),
        "total_equity": Decimal("250"),
    }
    with pytest.raises(ValidationError) as error:
        services.financial_statement_save(actor=staff, period=period, data=data)
    assert "does not balance" in error.value.message_dict["total_assets"][0]
    assert "50" in error.value.message_dict["total_assets"][0]
    assert not FinancialStatement.objects.filter(period=period).exists()
    data["total_equity"] = Decimal("300")
    statement = services.financial_statement_save(actor=staff, period=period, data=data)
    assert statement.liabilities_and_equity == Decimal("1000")


def test_field_errors_name_the_field(period: ReportingPeriod, staff: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.financial_statement_save(
            actor=staff, period=period, data={"cash_and_bank": Decimal("-5")}
        )
    assert "negative" in " ".join(error.value.messages)


def test_portfolio_summary_is_all_or_nothing_with_line_numbers(
    period: ReportingPeriod, staff: User
) -> None:
    good = {
        "contract_type": "murabaha",
        "outstanding": Decimal("1000"),
        "number_of_financings": 10,
        "active_clients": 10,
        "par_1": Decimal("100"),
        "par_30": Decimal("50"),
    }
    bad = {**good, "contract_type": "ijara", "par_30": Decimal("500")}  # PAR30 > PAR1
    with pytest.raises(ValidationError) as error:
        services.portfolio_summary_save(actor=staff, period=period, lines=[good, bad])
    assert any("Line 2" in message for message in error.value.messages)
    assert not PortfolioSummaryLine.objects.filter(period=period).exists()

    with pytest.raises(ValidationError, match="only once"):
        services.portfolio_summary_save(actor=staff, period=period, lines=[good, good])

    saved = services.portfolio_summary_save(actor=staff, period=period, lines=[good])
    assert [line.contract_type for line in saved] == ["murabaha"]
    # Saving again replaces, never duplicates.
    services.portfolio_summary_save(actor=staff, period=period, lines=[good])
    assert PortfolioSummaryLine.objects.filter(period=period).count() == 1


def test_changes_are_audited_with_actor_and_before_after(
    period: ReportingPeriod, staff: User, manager: User
) -> None:
    services.staffing_save(
        actor=staff, period=period, data={"total_staff": 40, "financing_officers": 18}
    )
    services.staffing_save(
        actor=manager, period=period, data={"total_staff": 42, "financing_officers": 18}
    )
    snapshot = StaffingSnapshot.objects.get(period=period)
    latest, first = snapshot.history.all()[:2]
    assert (first.history_user, latest.history_user) == (staff, manager)
    change = latest.diff_against(first)
    assert [(c.field, c.old, c.new) for c in change.changes] == [("total_staff", 40, 42)]

    services.period_submit(actor=manager, period=period)
    record = period.history.first()
    assert (record.status, record.history_user) == (Status.SUBMITTED, manager)


def test_period_create_is_idempotent(institution: Institution, staff: User) -> None:
    first = services.period_create(actor=staff, institution=institution, year=2026, quarter=1)
    again = services.period_create(actor=staff, institution=institution, year=2026, quarter=1)
    assert first == again
    assert (str(first.start_date), str(first.end_date)) == ("2026-01-01", "2026-03-31")


def test_membership_rules(administrator: User, analyst: User, staff: User) -> None:
    other = InstitutionFactory()
    with pytest.raises(PermissionDenied):
        services.membership_grant(actor=analyst, user=staff, institution=other)
    with pytest.raises(ValidationError, match="one institution only"):
        services.membership_grant(actor=administrator, user=staff, institution=other)
    with pytest.raises(ValidationError, match="already see every institution"):
        services.membership_grant(actor=administrator, user=analyst, institution=other)
    newcomer = MfiStaffFactory()
    membership = services.membership_grant(actor=administrator, user=newcomer, institution=other)
    assert membership.institution == other


def test_statement_factory_is_balanced() -> None:
    statement = FinancialStatementFactory()
    assert statement.total_assets == statement.liabilities_and_equity


def test_contract_create_checks_ownership_and_runs_registered_rules(
    institution: Institution, staff: User, other_staff: User
) -> None:
    import datetime

    from institutions import contract_rules
    from institutions.models import FinancingContract
    from tests.factories import BranchFactory, ClientFactory, FinancingProductFactory

    branch = BranchFactory(institution=institution)
    client = ClientFactory(institution=institution, branch=branch)
    product = FinancingProductFactory(institution=institution, contract_type="murabaha")
    foreign_client = ClientFactory()
    data = {
        "branch": branch,
        "client": client,
        "product": product,
        "external_id": "M-1",
        "contract_date": datetime.date(2025, 1, 10),
        "disbursement_date": datetime.date(2025, 1, 10),
        "maturity_date": datetime.date(2026, 1, 10),
        "financed_amount": Decimal("1000"),
        "profit_amount": Decimal("100"),
        "sale_price": Decimal("1100"),
    }
    with pytest.raises(PermissionDenied):
        services.contract_create(actor=other_staff, institution=institution, data=data)
    with pytest.raises(ValidationError) as error:
        services.contract_create(
            actor=staff, institution=institution, data={**data, "client": foreign_client}
        )
    assert "client" in error.value.message_dict

    def no_round_amounts(contract: FinancingContract) -> list[contract_rules.ContractViolation]:
        if contract.financed_amount % 1000 == 0:
            return [contract_rules.ContractViolation("X1", "financed_amount", "Round!", True)]
        return [contract_rules.ContractViolation("X2", "purpose", "Say why.", False)]

    seen: list[list[str]] = []
    contract_rules.register_rule(no_round_amounts)
    contract_rules.register_warning_sink(lambda c, ws: seen.append([w.code for w in ws]))
    try:
        with pytest.raises(ValidationError) as error:
            services.contract_create(actor=staff, institution=institution, data=data)
        assert error.value.message_dict == {"financed_amount": ["Round!"]}
        assert not FinancingContract.objects.filter(external_id="M-1").exists()

        data.update(financed_amount=Decimal("1001"), sale_price=Decimal("1101"))
        contract = services.contract_create(actor=staff, institution=institution, data=data)
        assert contract.contract_type == "murabaha"  # taken from the product
        assert seen == [["X2"]]
        assert contract.history.first().history_user == staff
    finally:
        contract_rules._rules.remove(no_round_amounts)
        contract_rules._warning_sinks.pop()
