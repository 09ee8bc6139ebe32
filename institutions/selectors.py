"""Reads, scoped to what the user may see.

Every read of institution data goes through one of these functions. An object outside the
user's scope is indistinguishable from a missing one: both raise ``Http404``.

Scope: analysts and administrators see every institution; MFI staff, managers and auditors see
the institutions they hold a membership for. Inactive users see nothing.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from users.models import User

from .models import (
    Branch,
    Client,
    FinancialStatement,
    FinancingContract,
    FinancingProduct,
    Instalment,
    Institution,
    LatePaymentCharge,
    PeriodTransition,
    PortfolioSummaryLine,
    ReferenceData,
    Repayment,
    ReportingPeriod,
    Restructuring,
    ReturnDraft,
    ReviewComment,
    StaffingSnapshot,
    WriteOff,
)
from .workflow import actions_for

ModelT = TypeVar("ModelT", bound=Model)

#: How each exposed model reaches its institution, for scoping.
INSTITUTION_PATH: dict[type[Model], str] = {
    Institution: "id",
    Branch: "institution_id",
    ReportingPeriod: "institution_id",
    PeriodTransition: "period__institution_id",
    Client: "institution_id",
    FinancingProduct: "institution_id",
    FinancingContract: "institution_id",
    Instalment: "contract__institution_id",
    Repayment: "contract__institution_id",
    Restructuring: "contract__institution_id",
    WriteOff: "contract__institution_id",
    LatePaymentCharge: "contract__institution_id",
    FinancialStatement: "period__institution_id",
    StaffingSnapshot: "period__institution_id",
    PortfolioSummaryLine: "period__institution_id",
}


def institution_ids_for_user(*, user: User) -> QuerySet[Institution] | None:
    """The ids a user may see, as a subquery; ``None`` means every institution."""
    if not user.is_authenticated or not user.is_active:
        return Institution.objects.none().values("id")
    if user.sees_all_institutions:
        return None
    return Institution.objects.filter(memberships__user=user).values("id")


def scoped_queryset(model: type[ModelT], *, user: User) -> QuerySet[ModelT]:
    """All rows of ``model`` that belong to institutions the user may see."""
    queryset = model._default_manager.all()
    visible = institution_ids_for_user(user=user)
    if visible is None:
        return queryset
    return queryset.filter(Q(**{f"{INSTITUTION_PATH[model]}__in": visible}))


def scoped_get(model: type[ModelT], *, user: User, pk: object) -> ModelT:
    """One row by primary key, or ``Http404`` if it does not exist or is out of scope."""
    try:
        return scoped_queryset(model, user=user).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError) as error:
        raise Http404(_("Not found.")) from error


# --- Institutions ---------------------------------------------------------------------------


def institution_list_for_user(*, user: User) -> QuerySet[Institution]:
    return scoped_queryset(Institution, user=user).order_by("code")


def institution_get_for_user(*, user: User, institution_id: object) -> Institution:
    return scoped_get(Institution, user=user, pk=institution_id)


def institution_get_by_code_for_user(*, user: User, code: str) -> Institution:
    try:
        return institution_list_for_user(user=user).get(code=code)
    except Institution.DoesNotExist as error:
        raise Http404(_("Not found.")) from error


def institution_latest_periods(*, user: User) -> list[tuple[Institution, ReportingPeriod | None]]:
    """Each visible institution with its most recent reporting period (two queries)."""
    institutions = list(institution_list_for_user(user=user))
    latest: dict[int, ReportingPeriod] = {}
    periods = ReportingPeriod.objects.filter(institution__in=[i.pk for i in institutions]).order_by(
        "institution_id", "-year", "-quarter"
    )
    for period in periods:
        latest.setdefault(period.institution_id, period)
    return [(institution, latest.get(institution.pk)) for institution in institutions]


# --- Periods --------------------------------------------------------------------------------


def period_list_for_user(
    *, user: User, institution: Institution | None = None
) -> QuerySet[ReportingPeriod]:
    queryset = scoped_queryset(ReportingPeriod, user=user).select_related("institution")
    if institution is not None:
        queryset = queryset.filter(institution=institution)
    return queryset.order_by("institution__code", "-year", "-quarter")


def period_get_for_user(*, user: User, period_id: object) -> ReportingPeriod:
    try:
        return period_list_for_user(user=user).get(pk=period_id)
    except (ReportingPeriod.DoesNotExist, ValueError, TypeError) as error:
        raise Http404(_("Not found.")) from error


def period_exists(*, institution: Institution, year: int, quarter: int) -> bool:
    """Whether the institution's quarter is already open (an upsert then answers 200)."""
    return ReportingPeriod.objects.filter(
        institution=institution, year=year, quarter=quarter
    ).exists()


def period_record_exists(*, model: type[Model], period: ReportingPeriod) -> bool:
    """Whether the quarter already has its one ``model`` record (statement, staffing)."""
    return model._default_manager.filter(period=period).exists()


def period_actions_for_user(*, user: User, period: ReportingPeriod) -> list[str]:
    """The review actions (``submit``, ``return``, ``approve``, ``lock``, ``reopen``) the user
    may take on the period now; the services check again when one is taken."""
    return actions_for(user=user, period=period)


def period_timeline(*, period: ReportingPeriod) -> QuerySet[PeriodTransition]:
    return period.transitions.select_related("actor").order_by("created_at", "id")


def period_previous(*, period: ReportingPeriod) -> ReportingPeriod | None:
    """The quarter before ``period`` of the same institution, if it exists."""
    year, quarter = (
        (period.year, period.quarter - 1) if period.quarter > 1 else (period.year - 1, 4)
    )
    return ReportingPeriod.objects.filter(
        institution_id=period.institution_id, year=year, quarter=quarter
    ).first()


# --- Contracts and clients ------------------------------------------------------------------


def contract_list_for_user(
    *, user: User, institution: Institution | None = None
) -> QuerySet[FinancingContract]:
    queryset = scoped_queryset(FinancingContract, user=user).select_related(
        "branch", "client", "product"
    )
    if institution is not None:
        queryset = queryset.filter(institution=institution)
    return queryset


def contract_get_for_user(*, user: User, contract_id: object) -> FinancingContract:
    try:
        return contract_list_for_user(user=user).select_related("institution").get(pk=contract_id)
    except (FinancingContract.DoesNotExist, ValueError, TypeError) as error:
        raise Http404(_("Not found.")) from error


def client_list_for_user(*, user: User, institution: Institution | None = None) -> QuerySet[Client]:
    queryset = scoped_queryset(Client, user=user).select_related("branch")
    if institution is not None:
        queryset = queryset.filter(institution=institution)
    return queryset


def client_get_for_user(*, user: User, client_id: object) -> Client:
    return scoped_get(Client, user=user, pk=client_id)


# --- Reference data (public to every signed-in user) ----------------------------------------


def reference_data_for(*, country: str, year: int, version: int | None = None) -> ReferenceData:
    """The reference values for a country and year: the latest version unless one is named."""
    queryset = ReferenceData.objects.filter(country=country, year=year)
    if version is not None:
        queryset = queryset.filter(version=version)
    found = queryset.order_by("-version").first()
    if found is None:
        raise ReferenceData.DoesNotExist(
            _("No reference data for {country} in {year}.").format(country=country, year=year)
        )
    return found


# --- Quarterly return pages -----------------------------------------------------------------


def return_draft_get(*, period: ReportingPeriod, section: str) -> ReturnDraft | None:
    """The autosaved draft of one section of a quarter the caller already fetched in scope."""
    return ReturnDraft.objects.filter(period=period, section=section).first()


def return_draft_sections(*, period: ReportingPeriod) -> set[str]:
    """The sections of the quarter that have an unsaved draft."""
    return set(ReturnDraft.objects.filter(period=period).values_list("section", flat=True))


def review_comments_for_period(
    *, period: ReportingPeriod, section: str | None = None
) -> QuerySet[ReviewComment]:
    """The analysts' comments per section on a quarter, newest review step first."""
    queryset = ReviewComment.objects.filter(transition__period=period).select_related(
        "transition", "transition__actor"
    )
    if section is not None:
        queryset = queryset.filter(section=section)
    return queryset.order_by("-transition__created_at", "-transition_id", "section")
