"""The quarterly return, one page per section: balance sheet, income statement, staffing and
portfolio summary (guide-part4 §7).

The institution's own staff and managers fill a section in while the quarter is a draft or
returned; everybody else who may see the quarter (analysts, auditors, the institution once it
has submitted) reads the same page without inputs. What is typed is autosaved as a draft (raw
strings, one per quarter and section) and restored over the stored figures on the next visit;
saving the section goes through the section's service and discards the draft.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services_return
from .forms_return import (
    FORM_CLASSES,
    PORTFOLIO_FIELDS,
    PortfolioSummaryForms,
    Total,
    apply_service_errors,
    draft_initial,
    draft_normalized,
    format_locale_number,
    number_separators,
    parse_locale_number,
)
from .models import (
    ContractType,
    FinancialStatement,
    ReportingPeriod,
    ReturnSection,
    StaffingSnapshot,
)
from .services import PeriodNotEditable

SECTIONS = services_return.EDITABLE_SECTIONS


def _section_or_404(section: str) -> str:
    if section not in SECTIONS:
        raise Http404(gettext("Not found."))
    return section


def _stored_values(period: ReportingPeriod, section: str) -> dict[str, Any]:
    """The saved figures of a section, keyed as the form names its fields."""
    if section == ReturnSection.PORTFOLIO_SUMMARY:
        return {
            f"{line.contract_type}-{name}": getattr(line, name)
            for line in period.portfolio_summary.all()
            for name in PORTFOLIO_FIELDS
        }
    model: type[Model] = (
        StaffingSnapshot if section == ReturnSection.STAFFING else FinancialStatement
    )
    instance = model._default_manager.filter(period=period).first()
    if instance is None:
        return {}
    return {
        name: getattr(instance, name)
        for name in FORM_CLASSES[section].field_names  # type: ignore[attr-defined]
    }


def _build_form(section: str, data: Any, initial: dict[str, Any]) -> Any:
    if section == ReturnSection.PORTFOLIO_SUMMARY:
        return PortfolioSummaryForms(data, initial=initial)
    return FORM_CLASSES[section](data, initial=initial)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)
    try:
        number = parse_locale_number(str(value or ""))
    except ValueError:
        return None  # not a number: its totals stay blank until it is corrected
    return Decimal(0) if number is None else number


def _evaluate(totals: list[Total], values: dict[str, Decimal | None]) -> dict[str, str]:
    """The totals as the page first shows them (the script recomputes them as the user types):
    blank lines count as zero, a line that is not a number leaves its totals blank."""
    known: dict[str, Decimal | None] = dict(values)
    shown: dict[str, str] = {}
    for total in totals:
        result: Decimal | None = Decimal(0)
        for sign, name in total.terms:
            term = known.get(name, Decimal(0))
            if term is None or result is None:
                result = None
                continue
            result += sign * term
        known[total.name] = result
        shown[total.name] = format_locale_number(result, decimal_places=total.decimal_places)
    return shown


def _layout(section: str, form: Any) -> dict[str, Any]:
    """Groups of bound fields and the totals with their first values."""
    if section == ReturnSection.PORTFOLIO_SUMMARY:
        values = {
            f"{line.contract_type}-{name}": _number(line[name].value())
            for line in form.lines
            for name in PORTFOLIO_FIELDS
        }
        totals = form.totals
        shown = _evaluate(totals, values)
        return {"lines": form.lines, "totals": [(total, shown[total.name]) for total in totals]}
    values = {name: _number(form[name].value()) for name in form.field_names}
    every_total = list(dict.fromkeys(total for group in form.groups for total in group.totals))
    shown = _evaluate(every_total, values)
    return {
        "groups": [
            {
                "group": group,
                "fields": [form[name] for name in group.fields],
                "totals": [(total, shown[total.name]) for total in group.totals],
            }
            for group in form.groups
        ]
    }


def _error_summary(form: Any) -> list[tuple[Any, list[str]]]:
    """(bound field, messages) for every field in error, for the summary at the top."""
    if isinstance(form, PortfolioSummaryForms):
        return form.error_fields()
    return [
        (form[name], list(errors)) for name, errors in form.errors.items() if name in form.fields
    ]


@require_http_methods(["GET", "POST"])
@login_required
def return_section(request: HttpRequest, period_id: int, section: str) -> HttpResponse:
    _section_or_404(section)
    user = request.user
    period = selectors.period_get_for_user(user=user, period_id=period_id)
    can_enter = services_return.return_user_can_enter(user=user, period=period)
    editable = can_enter and period.status in ReportingPeriod.EDITABLE_STATUSES
    stored = _stored_values(period, section)
    draft = selectors.return_draft_get(period=period, section=section) if editable else None
    balance_errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not can_enter:
            raise PermissionDenied(gettext("You cannot enter data for this institution."))
        if not editable:
            messages.error(request, gettext("This quarter cannot change: nothing was saved."))
            return redirect("return_section", period_id=period.pk, section=section)
        form = _build_form(section, request.POST, initial=stored)
        if form.is_valid():
            data = (
                form.service_lines()
                if isinstance(form, PortfolioSummaryForms)
                else form.service_data()
            )
            try:
                services_return.return_section_save(
                    actor=user, period=period, section=section, data=data
                )
            except PeriodNotEditable as error:
                form.add_error(None, error.messages[0])
            except ValidationError as error:
                fields = () if isinstance(form, PortfolioSummaryForms) else form.fields.keys()
                balance_errors = apply_service_errors(form, error, fields=fields)
            else:
                messages.success(
                    request,
                    gettext("{section} saved.").format(section=ReturnSection(section).label),
                )
                return redirect("return_section", period_id=period.pk, section=section)
        # Nothing was saved: keep what was typed, as the autosave would have.
        try:
            draft = services_return.return_draft_save(
                actor=user, period=period, section=section, data=draft_normalized(request.POST)
            )
        except (ValidationError, PermissionDenied):
            draft = None
        status = 400
    else:
        form = _build_form(
            section, None, initial={**stored, **(draft_initial(draft.data) if draft else {})}
        )
    decimal_separator, group_separator = number_separators()
    return render(
        request,
        f"institutions/return/{section}.html",
        {
            "period": period,
            "institution": period.institution,
            "section": section,
            "section_label": ReturnSection(section).label,
            "sections": [(value, ReturnSection(value).label) for value in SECTIONS],
            "form": form,
            "editable": editable,
            "can_enter": can_enter,
            "draft": draft,
            "draft_time": _when(draft.updated_at) if draft is not None else "",
            "error_summary": _error_summary(form) if form.is_bound else [],
            "non_field_errors": form.non_field_errors() if form.is_bound else [],
            "balance_errors": balance_errors,
            "comments": selectors.review_comments_for_period(period=period, section=section),
            "decimal_separator": decimal_separator,
            "group_separator": group_separator,
            "contract_types": ContractType.choices,
            **_layout(section, form),
        },
        status=status,
    )


def _time(moment: Any) -> str:
    return formats.time_format(timezone.localtime(moment), "TIME_FORMAT")


def _when(moment: Any) -> str:
    """The time of a draft saved today, its date and time otherwise."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return _time(moment)
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"errors": [{"code": code, "message": message}]}, status=status)


@require_POST
@login_required
def return_autosave(request: HttpRequest, period_id: int, section: str) -> JsonResponse:
    """Keep what was typed into a section (posted by the page's script, CSRF-protected):
    403 for a user who does not enter this institution's data, 409 once the quarter cannot
    change, 400 for input that is not a form's."""
    _section_or_404(section)
    period = selectors.period_get_for_user(user=request.user, period_id=period_id)
    try:
        draft = services_return.return_draft_save(
            actor=request.user, period=period, section=section, data=draft_normalized(request.POST)
        )
    except PermissionDenied as error:
        return _json_error("permission_denied", str(error), 403)
    except PeriodNotEditable as error:
        return _json_error("not_editable", error.messages[0], 409)
    except ValidationError as error:
        return _json_error("invalid", " ".join(error.messages), 400)
    time = _time(draft.updated_at)
    return JsonResponse(
        {
            "saved_at": draft.updated_at.isoformat(),
            "message": gettext("Draft saved at {time}.").format(time=time),
        }
    )


@require_POST
@login_required
def return_draft_discard(request: HttpRequest, period_id: int, section: str) -> HttpResponse:
    _section_or_404(section)
    period = selectors.period_get_for_user(user=request.user, period_id=period_id)
    try:
        services_return.return_draft_discard(actor=request.user, period=period, section=section)
    except PeriodNotEditable as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, gettext("The draft was discarded."))
    return redirect("return_section", period_id=period.pk, section=section)
