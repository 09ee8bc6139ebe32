"""Tenancy: every model exposed by the selectors is scoped to the user's institutions, and an
object outside scope is a 404 exactly like a missing one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db.models import Model
from django.http import Http404

from institutions import selectors
from institutions.models import (
    FinancingContract,
    Institution,
    PeriodTransition,
    ReportingPeriod,
)
from tests.factories import (
    BranchFactory,
    ClientFactory,
    FinancialStatementFactory,
    FinancingContractFactory,
    FinancingProductFactory,
    InstalmentFactory,
    LatePaymentChargeFactory,
    PortfolioSummaryLineFactory,
    RepaymentFactory,
    ReportingPeriodFactory,
    RestructuringFactory,
    StaffingSnapshotFactory,
    WriteOffFactory,
)
from users.models import User


def _period_transition(institution: Institution) -> PeriodTransition:
    period = ReportingPeriodFactory(institution=institution)
    actor = User.objects.create(username=f"actor-{institution.code}", role=User.Role.ANALYST)
    return PeriodTransition.objects.create(
        period=period, from_status="draft", to_status="submitted", actor=actor
    )


def _contract(institution: Institution) -> FinancingContract:
    return FinancingContractFactory(institution=institution)


#: One way to make a row of each exposed model inside a given institution.
MAKERS: dict[str, Callable[[Institution], Model]] = {
    "Institution": lambda institution: institution,
    "Branch": lambda institution: BranchFactory(institution=institution),
    "ReportingPeriod": lambda institution: ReportingPeriodFactory(institution=institution),
    "PeriodTransition": _period_transition,
    "Client": lambda institution: ClientFactory(institution=institution),
    "FinancingProduct": lambda institution: FinancingProductFactory(institution=institution),
    "FinancingContract": _contract,
    "Instalment": lambda institution: InstalmentFactory(contract=_contract(institution)),
    "Repayment": lambda institution: RepaymentFactory(contract=_contract(institution)),
    "Restructuring": lambda institution: RestructuringFactory(contract=_contract(institution)),
    "WriteOff": lambda institution: WriteOffFactory(contract=_contract(institution)),
    "LatePaymentCharge": lambda institution: LatePaymentChargeFactory(
        contract=_contract(institution)
    ),
    "FinancialStatement": lambda institution: FinancialStatementFactory(
        period=ReportingPeriodFactory(institution=institution)
    ),
    "StaffingSnapshot": lambda institution: StaffingSnapshotFactory(
        period=ReportingPeriodFactory(institution=institution)
    ),
    "PortfolioSummaryLine": lambda institution: PortfolioSummaryLineFactory(
        period=ReportingPeriodFactory(institution=institution)
    ),
}


def test_every_exposed_model_has_a_maker() -> None:
    assert {model.__name__ for model in selectors.INSTITUTION_PATH} == set(MAKERS)


@pytest.fixture
def every_user(
    analyst: User,
    administrator: User,
    auditor: User,
    staff: User,
    manager: User,
    other_staff: User,
) -> dict[str, User]:
    return {
        "analyst": analyst,
        "administrator": administrator,
        "auditor": auditor,
        "staff": staff,
        "manager": manager,
        "other_staff": other_staff,
    }


#: Which of the two institutions each user reaches.
REACH = {
    "analyst": {"mine", "other"},
    "administrator": {"mine", "other"},
    "auditor": {"mine"},
    "staff": {"mine"},
    "manager": {"mine"},
    "other_staff": {"other"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(selectors.INSTITUTION_PATH), ids=lambda m: m.__name__)
def test_rows_are_scoped_to_the_users_institutions(
    model: type[Model],
    institution: Institution,
    other_institution: Institution,
    every_user: dict[str, User],
) -> None:
    rows = {
        "mine": MAKERS[model.__name__](institution),
        "other": MAKERS[model.__name__](other_institution),
    }
    for name, user in every_user.items():
        visible = set(selectors.scoped_queryset(model, user=user))
        for side, row in rows.items():
            if side in REACH[name]:
                assert row in visible, (name, side)
                assert selectors.scoped_get(model, user=user, pk=row.pk) == row
            else:
                assert row not in visible, (name, side)
                with pytest.raises(Http404):
                    selectors.scoped_get(model, user=user, pk=row.pk)


@pytest.mark.django_db
def test_missing_and_malformed_ids_are_404(analyst: User) -> None:
    with pytest.raises(Http404):
        selectors.institution_get_for_user(user=analyst, institution_id=999_999)
    with pytest.raises(Http404):
        selectors.period_get_for_user(user=analyst, period_id="not-a-number")


@pytest.mark.django_db
def test_inactive_user_sees_nothing(staff: User, institution: Institution) -> None:
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    assert not selectors.institution_list_for_user(user=staff).exists()


@pytest.mark.django_db
def test_auditor_sees_every_institution_granted(
    auditor: User, institution: Institution, other_institution: Institution
) -> None:
    from tests.factories import InstitutionMembershipFactory

    assert list(selectors.institution_list_for_user(user=auditor)) == [institution]
    InstitutionMembershipFactory(user=auditor, institution=other_institution)
    assert set(selectors.institution_list_for_user(user=auditor)) == {
        institution,
        other_institution,
    }


@pytest.mark.django_db
def test_latest_period_per_institution(analyst: User, institution: Institution) -> None:
    ReportingPeriodFactory(institution=institution, year=2025, quarter=4)
    latest = ReportingPeriodFactory(institution=institution, year=2026, quarter=1)
    ReportingPeriodFactory(institution=institution, year=2025, quarter=2)
    assert dict(selectors.institution_latest_periods(user=analyst))[institution] == latest


@pytest.mark.django_db
def test_previous_period_crosses_the_year(institution: Institution) -> None:
    q4 = ReportingPeriodFactory(institution=institution, year=2025, quarter=4)
    q1 = ReportingPeriodFactory(institution=institution, year=2026, quarter=1)
    assert selectors.period_previous(period=q1) == q4
    assert selectors.period_previous(period=q4) is None


@pytest.mark.django_db
def test_reference_data_takes_the_latest_version() -> None:
    from institutions.models import ReferenceData
    from tests.factories import ReferenceDataFactory

    ReferenceDataFactory(country="MA", year=2025, version=1)
    second = ReferenceDataFactory(country="MA", year=2025, version=2)
    assert selectors.reference_data_for(country="MA", year=2025) == second
    assert selectors.reference_data_for(country="MA", year=2025, version=1).version == 1
    with pytest.raises(ReferenceData.DoesNotExist):
        selectors.reference_data_for(country="MA", year=1999)


def test_quarter_dates_are_derived(db: None) -> None:
    period = ReportingPeriodFactory(year=2024, quarter=4)
    assert (str(period.start_date), str(period.end_date)) == ("2024-10-01", "2024-12-31")
    assert ReportingPeriod.objects.get(pk=period.pk).end_date == period.end_date
