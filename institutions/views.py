"""Server-rendered pages: the home page of each role, institutions, quarters and contracts.

Views only fetch through the access-checked selectors (an object out of scope is a 404) and
write through the services (a refused action is a 403, an invalid one a message).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Model, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services, services_return
from .forms import ContractFilterForm, InstitutionFilterForm
from .forms_return import PORTFOLIO_FIELDS
from .models import (
    CONTRACT_TERM_FIELDS,
    INCOME_STATEMENT_FIELDS,
    ContractType,
    FinancialStatement,
    FinancingContract,
    Instalment,
    Institution,
    PortfolioSummaryLine,
    ReportingPeriod,
    ReturnSection,
    StaffingSnapshot,
)

Status = ReportingPeriod.Status

CONTRACTS_PER_PAGE = 50


# --- Home -------------------------------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """MFI staff and managers see their institution and what is due; everybody else sees the
    table of the institutions in their scope (all of them for analysts and administrators)."""
    user = request.user
    # A superuser created with the default role is still an administrator: check scope first.
    if user.is_institution_user and not user.sees_all_institutions:
        return _home_institution_user(request)
    return _home_institution_table(request)


def _home_institution_user(request: HttpRequest) -> HttpResponse:
    user = request.user
    institution = selectors.institution_list_for_user(user=user).first()
    periods: list[ReportingPeriod] = []
    if institution is not None:
        periods = list(selectors.period_list_for_user(user=user, institution=institution))
    # Periods come newest first, so the first draft is the latest quarter not yet submitted.
    due_period = next((period for period in periods if period.status == Status.DRAFT), None)
    returned_periods = [period for period in periods if period.status == Status.RETURNED]
    return render(
        request,
        "institutions/home_institution_user.html",
        {
            "institution": institution,
            "periods": periods,
            "due_period": due_period,
            "returned_periods": returned_periods,
        },
    )


def _home_institution_table(request: HttpRequest) -> HttpResponse:
    rows = selectors.institution_latest_periods(user=request.user)
    form = InstitutionFilterForm(request.GET or None, institutions=[row[0] for row in rows])
    if form.is_valid():
        rows = _filter_institution_rows(rows, **form.cleaned_data)
    awaiting_review = sum(
        1 for _institution, period in rows if period and period.status == Status.SUBMITTED
    )
    return render(
        request,
        "institutions/home_institution_table.html",
        {"rows": rows, "form": form, "awaiting_review": awaiting_review},
    )


def _filter_institution_rows(
    rows: Iterable[tuple[Institution, ReportingPeriod | None]],
    *,
    q: str,
    status: str,
    country: str,
) -> list[tuple[Institution, ReportingPeriod | None]]:
    # The selector returns one row per visible institution (tens, not thousands): filtering
    # the list keeps the two-query selector intact.
    needle = q.strip().casefold()
    kept = []
    for institution, period in rows:
        names = (institution.code, institution.name_en, institution.name_fr, institution.name_ar)
        if needle and not any(needle in name.casefold() for name in names):
            continue
        if status == "none" and period is not None:
            continue
        if status and status != "none" and (period is None or period.status != status):
            continue
        if country and institution.country.code != country:
            continue
        kept.append((institution, period))
    return kept


# --- Institution ------------------------------------------------------------------------------


@require_GET
@login_required
def institution_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    institution = selectors.institution_get_by_code_for_user(user=user, code=code)
    active_by_type = (
        selectors.contract_list_for_user(user=user, institution=institution)
        .filter(status=FinancingContract.Status.ACTIVE)
        .values("contract_type")
        .annotate(count=Count("pk"), financed=Sum("financed_amount"))
        .order_by("contract_type")
    )
    return render(
        request,
        "institutions/institution_detail.html",
        {
            "institution": institution,
            "branches": institution.branches.all(),
            "periods": selectors.period_list_for_user(user=user, institution=institution),
            "client_count": selectors.client_list_for_user(
                user=user, institution=institution
            ).count(),
            "active_contracts": [
                {
                    "label": ContractType(row["contract_type"]).label,
                    "count": row["count"],
                    "financed": row["financed"],
                }
                for row in active_by_type
            ],
        },
    )


# --- Reporting period -------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodAction:
    """A review action offered on the period page, posted to ``period_action``."""

    name: str
    label: Promise
    service: Callable[..., ReportingPeriod]
    needs_reason: bool = False
    done: Promise = _("Done.")
    style: str = "primary"
    #: Offers a comment box per section of the return (``ReviewComment``).
    with_comments: bool = False


PERIOD_ACTIONS: dict[str, PeriodAction] = {
    action.name: action
    for action in (
        PeriodAction(
            name="submit",
            label=_("Submit for review"),
            service=services.period_submit,
            done=_("The quarter was submitted for review."),
        ),
        PeriodAction(
            name="approve",
            label=_("Approve"),
            service=services.period_approve,
            done=_("The quarter was approved."),
        ),
        PeriodAction(
            name="return",
            label=_("Return for revision"),
            service=services_return.period_return_with_comments,
            needs_reason=True,
            done=_("The quarter was returned to the institution."),
            style="secondary",
            with_comments=True,
        ),
        PeriodAction(
            name="lock",
            label=_("Lock"),
            service=services.period_lock,
            done=_("The quarter was locked."),
        ),
        PeriodAction(
            name="reopen",
            label=_("Reopen"),
            service=services.period_reopen,
            needs_reason=True,
            done=_("The quarter was reopened for correction."),
            style="secondary",
        ),
    )
}


def _related_or_none(instance: Model, name: str) -> Any:
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


@dataclass(frozen=True)
class Line:
    """One labelled amount of a read-only statement table."""

    label: str
    value: Any
    total: bool = False


BALANCE_SHEET_SECTIONS = (
    (
        _("Assets"),
        [
            "cash_and_bank",
            "short_term_investments",
            "gross_financing_portfolio",
            "deferred_profit",
            "ijara_assets_net",
            "impairment_allowance",
            "other_assets",
        ],
        "total_assets",
    ),
    (
        _("Liabilities"),
        [
            "deposits",
            "third_party_financing",
            "third_party_financing_short_term",
            "other_liabilities",
            "current_liabilities",
        ],
        "total_liabilities",
    ),
    (
        _("Mudaraba funds and equity"),
        [
            "mudaraba_funds",
            "mudaraba_funds_short_term",
            "restricted_mudaraba_funds",
            "donated_equity",
        ],
        "total_equity",
    ),
)
STAFFING_FIELDS = ["total_staff", "financing_officers", "women_staff", "staff_departures"]


def _label(model: type[Model], field: str) -> str:
    return capfirst(model._meta.get_field(field).verbose_name)


def _lines(instance: Model, fields: Iterable[str], *, total: str | None = None) -> list[Line]:
    lines = [Line(_label(type(instance), field), getattr(instance, field)) for field in fields]
    if total is not None:
        lines.append(Line(_label(type(instance), total), getattr(instance, total), total=True))
    return lines


def _balance_sheet(statement: FinancialStatement) -> list[tuple[Promise, list[Line]]]:
    sections = [
        (title, _lines(statement, fields, total=total))
        for title, fields, total in BALANCE_SHEET_SECTIONS
    ]
    sections.append(
        (
            _("Balance"),
            [
                Line(gettext("Total assets"), statement.total_assets),
                Line(
                    gettext("Liabilities, mudaraba funds and equity"),
                    statement.liabilities_and_equity,
                    total=True,
                ),
            ],
        )
    )
    return sections


def _income_statement(statement: FinancialStatement) -> list[Line]:
    return [
        *_lines(statement, INCOME_STATEMENT_FIELDS),
        Line(gettext("Net income before donations"), statement.net_income_before_donations),
        Line(gettext("Net income"), statement.net_income, total=True),
        *_lines(statement, ["late_payment_collected"]),
    ]


def _portfolio_summary(
    lines: list[PortfolioSummaryLine],
) -> tuple[list[str], list[tuple[str, list[Any]]]]:
    """The portfolio report transposed: one column per contract type, one row per figure
    (a few contract types but fourteen figures, which reads better on narrow screens)."""
    headers = [line.get_contract_type_display() for line in lines]
    rows = [
        (_label(PortfolioSummaryLine, field), [getattr(line, field) for line in lines])
        for field in PORTFOLIO_FIELDS
    ]
    return headers, rows


#: The indicators shown next to the return on the quarter page (the full table is one click away).
KEY_INDICATORS = (
    "PAR30",
    "F3_WRITE_OFF",
    "F4_OPERATING_EXPENSE",
    "F8_DEBT_TO_EQUITY",
    "F11_LIQUIDITY",
    "F12A_PORTFOLIO_YIELD",
    "F14_ROA",
    "F15_OSS",
)


def _key_indicators(period: ReportingPeriod) -> list[Any]:
    """The quarter's key indicators, one value each (Islamic form where there are two).

    Read through the reverse relation the indicators app declares on the period: institutions
    cannot import the apps above it (STYLE rule 3), but may follow their foreign keys."""
    values = period.indicator_values.filter(  # type: ignore[attr-defined]
        basis="quarter", segment="total", indicator__code__in=KEY_INDICATORS
    ).select_related("indicator")
    chosen: dict[str, Any] = {}
    preference = {"islamic": 0, "both": 1, "conventional": 2}
    for value in values:
        code = value.indicator.code
        if code not in chosen or preference.get(value.variant, 3) < preference.get(
            chosen[code].variant, 3
        ):
            chosen[code] = value
    return [chosen[code] for code in KEY_INDICATORS if code in chosen]


@require_GET
@login_required
def period_detail(request: HttpRequest, period_id: int) -> HttpResponse:
    user = request.user
    period = selectors.period_get_for_user(user=user, period_id=period_id)
    statement = _related_or_none(period, "financial_statement")
    staffing: StaffingSnapshot | None = _related_or_none(period, "staffing")
    portfolio_lines = list(period.portfolio_summary.all())
    portfolio_headers, portfolio_rows = _portfolio_summary(portfolio_lines)
    actions = [
        PERIOD_ACTIONS[name] for name in selectors.period_actions_for_user(user=user, period=period)
    ]
    can_enter = services_return.return_user_can_enter(user=user, period=period)
    drafts = selectors.return_draft_sections(period=period) if can_enter else set()
    comments: dict[str, list[Any]] = {}
    for comment in selectors.review_comments_for_period(period=period):
        comments.setdefault(comment.section, []).append(comment)
    return render(
        request,
        "institutions/period_detail.html",
        {
            "period": period,
            "institution": period.institution,
            "timeline": selectors.period_timeline(period=period).prefetch_related("comments"),
            "actions": actions,
            "balance_sheet": _balance_sheet(statement) if statement else None,
            "income_statement": _income_statement(statement) if statement else None,
            "staffing": _lines(staffing, STAFFING_FIELDS) if staffing else None,
            "portfolio_headers": portfolio_headers,
            "portfolio_rows": portfolio_rows if portfolio_lines else None,
            "can_edit_return": can_enter and period.status in ReportingPeriod.EDITABLE_STATUSES,
            "return_sections": [
                {
                    "section": section,
                    "label": ReturnSection(section).label,
                    "has_draft": section in drafts,
                    "comments": comments.get(section, []),
                }
                for section in services_return.EDITABLE_SECTIONS
            ],
            "other_comments": [
                comment
                for section in (ReturnSection.CONTRACTS, ReturnSection.GENERAL)
                for comment in comments.get(section, [])
            ],
            "commentable_sections": [
                (section, ReturnSection(section).label)
                for section in services_return.COMMENTABLE_SECTIONS
            ],
            # The review side of the page: what the computation found and the key ratios.
            "findings": list(period.data_quality_findings.all()),  # type: ignore[attr-defined]
            "alerts": list(period.indicator_alerts.all()),  # type: ignore[attr-defined]
            "key_indicators": _key_indicators(period),
        },
    )


@require_POST
@login_required
def period_action(request: HttpRequest, period_id: int, action: str) -> HttpResponse:
    """Run one review action. A user without the right gets a 403 (``PermissionDenied`` from
    the service); a refused transition or a missing reason comes back as a message. Returning
    a quarter also takes an optional comment per section (``comment_<section>`` fields)."""
    try:
        chosen = PERIOD_ACTIONS[action]
    except KeyError as error:
        raise Http404(gettext("Not found.")) from error
    period = selectors.period_get_for_user(user=request.user, period_id=period_id)
    text = request.POST.get("reason", "")
    arguments: dict[str, Any] = (
        {"reason": text} if chosen.needs_reason else {"comment": text.strip()}
    )
    if chosen.with_comments:
        arguments["comments"] = {
            section: request.POST.get(f"comment_{section}", "")
            for section in services_return.COMMENTABLE_SECTIONS
        }
    try:
        chosen.service(actor=request.user, period=period, **arguments)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, chosen.done)
    return redirect("period_detail", period_id=period.pk)


# --- Contracts --------------------------------------------------------------------------------


def _contracts_with_days_late(
    contracts: QuerySet[FinancingContract], *, as_of: datetime.date
) -> QuerySet[FinancingContract]:
    """Annotate each contract with the due date of its oldest instalment due by ``as_of`` and
    not fully paid by then (what ``indicators.portfolio`` counts days late from, D7)."""
    oldest_unpaid = (
        Instalment.objects.filter(contract=OuterRef("pk"), due_date__lte=as_of)
        .filter(Q(paid_date__isnull=True) | Q(paid_date__gt=as_of))
        .order_by("due_date")
        .values("due_date")[:1]
    )
    return contracts.annotate(oldest_unpaid_due=Subquery(oldest_unpaid))


def _filter_days_late(
    contracts: QuerySet[FinancingContract], *, band: str, as_of: datetime.date
) -> QuerySet[FinancingContract]:
    lowest, highest = ContractFilterForm.DAYS_LATE_BANDS[band]
    if highest == 0:
        return contracts.filter(Q(oldest_unpaid_due__isnull=True) | Q(oldest_unpaid_due=as_of))
    # n days late = due n days before as_of: the band is a range of due dates.
    condition = Q(oldest_unpaid_due__lte=as_of - datetime.timedelta(days=lowest))
    if highest is not None:
        condition &= Q(oldest_unpaid_due__gte=as_of - datetime.timedelta(days=highest))
    return contracts.filter(condition)


@require_GET
@login_required
def contract_list(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    institution = selectors.institution_get_by_code_for_user(user=user, code=code)
    form = ContractFilterForm(request.GET or None, institution=institution)
    contracts = selectors.contract_list_for_user(user=user, institution=institution)
    as_of = timezone.localdate()
    if form.is_valid():
        as_of = form.cleaned_data["as_of"] or as_of
    contracts = _contracts_with_days_late(contracts, as_of=as_of)
    if form.is_valid():
        if form.cleaned_data["q"].strip():
            needle = form.cleaned_data["q"].strip()
            contracts = contracts.filter(
                Q(external_id__icontains=needle) | Q(client__external_id__icontains=needle)
            )
        if form.cleaned_data["contract_type"]:
            contracts = contracts.filter(contract_type=form.cleaned_data["contract_type"])
        if form.cleaned_data["branch"]:
            contracts = contracts.filter(branch=form.cleaned_data["branch"])
        if form.cleaned_data["status"]:
            contracts = contracts.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["days_late"]:
            contracts = _filter_days_late(
                contracts, band=form.cleaned_data["days_late"], as_of=as_of
            )
    # Newest first: the financings a user works on are the recent ones, not page 311's.
    newest_first = contracts.order_by("-disbursement_date", "-pk")
    page = Paginator(newest_first, CONTRACTS_PER_PAGE).get_page(request.GET.get("page"))
    for contract in page:
        oldest = contract.oldest_unpaid_due
        contract.days_late = max((as_of - oldest).days, 0) if oldest else 0
    return render(
        request,
        "institutions/contract_list.html",
        {
            "institution": institution,
            "form": form,
            "page_obj": page,
            "as_of": as_of,
            "can_enter_contracts": user.can_enter_data,
        },
    )


#: Type-specific terms shown on the contract page when they are filled in.


def _contract_terms(contract: FinancingContract) -> list[Line]:
    terms = []
    for name in CONTRACT_TERM_FIELDS:
        field = FinancingContract._meta.get_field(name)
        value = getattr(contract, name)
        if value is None or value == "":
            continue
        # wakala_used is never null: show it only when an agent was actually used.
        if name == "wakala_used" and not value:
            continue
        if field.choices:
            value = getattr(contract, f"get_{name}_display")()
        elif isinstance(value, Decimal):
            # Money keeps its two decimals; rates and quantities drop trailing zeros.
            places = field.decimal_places
            if places != 2:
                # 62.5000 → 62.5, 40.0000 → 40 (``floatformat``'s "-4" keeps all four).
                places = max(0, min(places, -value.normalize().as_tuple().exponent))
            value = floatformat(value, f"{places}g")
        elif isinstance(value, bool):
            value = gettext("Yes") if value else gettext("No")
        elif isinstance(value, datetime.date):
            value = date_format(value, "SHORT_DATE_FORMAT")
        terms.append(Line(_label(FinancingContract, name), value))
    return terms


@require_GET
@login_required
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = selectors.contract_get_for_user(user=request.user, contract_id=contract_id)
    instalments = list(contract.instalments.all())
    today = timezone.localdate()
    # Days late as the portfolio counts them (D7): from the oldest instalment due and unpaid.
    oldest_unpaid = min(
        (i.due_date for i in instalments if i.due_date <= today and i.paid_date is None),
        default=None,
    )
    totals = {
        name: sum((getattr(instalment, name) for instalment in instalments), Decimal("0"))
        for name in ("principal_due", "profit_due", "principal_paid", "profit_paid")
    }
    return render(
        request,
        "institutions/contract_detail.html",
        {
            "contract": contract,
            "institution": contract.institution,
            "terms": _contract_terms(contract),
            "instalments": instalments,
            "instalment_totals": totals,
            "repayments": contract.repayments.select_related("instalment"),
            "restructurings": contract.restructurings.all(),
            "write_off": _related_or_none(contract, "write_off"),
            "late_payment_charges": contract.late_payment_charges.all(),
            "can_edit": request.user.can_enter_data,
            "days_late": (today - oldest_unpaid).days if oldest_unpaid else 0,
        },
    )
