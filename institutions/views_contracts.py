"""Create and edit one financing contract through the form of its contract type.

Only MFI staff and managers of the contract's institution enter contracts: another
institution's contract or code is a 404 (the selectors), an analyst or an auditor a 403. Every
write goes through the services: ``contract_create`` or ``contract_update`` (every contract
rule runs there: a blocking Shariah rule comes back as an error on its field, a warning as a
message that a finding was recorded), then ``contract_schedule_replace``, all in one
transaction, so a refused contract leaves nothing behind.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from users.models import User

from . import contract_rules, selectors, services
from .forms_contracts import (
    ContractCommonForm,
    ContractTypeForm,
    InstalmentFormSet,
    ScheduleForm,
    contract_terms_forms,
    equal_instalments,
    instalments_from_formset,
)
from .models import ContractType, FinancingContract, Institution


def _require_data_entry(user: User) -> None:
    if not user.can_enter_data:
        raise PermissionDenied(gettext("Only the institution's staff can enter contracts."))


#: The warnings handed over during the current request's save (the Shariah app records them
#: as findings through its own sink); a context variable, so concurrent requests stay apart.
_request_warnings: ContextVar[list[str] | None] = ContextVar("contract_warnings", default=None)


@contract_rules.register_warning_sink
def _collect_warnings(contract: FinancingContract, warnings: list[Any]) -> None:
    bucket = _request_warnings.get()
    if bucket is not None:
        bucket.extend(str(warning.message) for warning in warnings)


def _chosen_type(request: HttpRequest, contract: FinancingContract | None) -> str | None:
    if contract is not None:
        return contract.contract_type
    value = request.POST.get("contract_type") or request.GET.get("type")
    return value if value in ContractType.values else None


def _schedule(
    schedule_form: ScheduleForm, formset: forms.BaseFormSet, data: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """The instalments to store, or ``None`` to leave the schedule as it is."""
    mode = schedule_form.cleaned_data["mode"]
    if mode == ScheduleForm.KEEP:
        return None
    if mode == ScheduleForm.NONE:
        return []
    if mode == ScheduleForm.MANUAL:
        return instalments_from_formset(formset)
    return equal_instalments(
        financed_amount=data["financed_amount"],
        profit_amount=data.get("profit_amount") or 0,
        count=schedule_form.cleaned_data["instalment_count"],
        first_due_date=schedule_form.cleaned_data["first_due_date"],
        months_between=schedule_form.cleaned_data.get("months_between") or 1,
    )


def _place_errors(
    error: ValidationError, forms_by_field: dict[str, forms.BaseForm], fallback: forms.BaseForm
) -> None:
    """Put each service error on the form that shows its field, else on top of the page."""
    if not hasattr(error, "error_dict"):
        fallback.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = forms_by_field.get(field)
        for item in errors:
            if target is not None and field in target.fields:
                target.add_error(field, item)
            else:
                fallback.add_error(None, item)


def _contract_form_page(
    request: HttpRequest, *, institution: Institution, contract: FinancingContract | None
) -> HttpResponse:
    editing = contract is not None
    chosen = _chosen_type(request, contract)
    posted = request.method == "POST"
    data = request.POST if posted else None
    type_form = ContractTypeForm(initial={"contract_type": chosen})
    common = ContractCommonForm(
        data, institution=institution, contract_type=chosen, instance=contract
    )
    terms = contract_terms_forms(data=data, chosen=chosen, instance=contract)
    schedule_form = ScheduleForm(data, editing=editing, prefix="schedule")
    formset = InstalmentFormSet(data, prefix="instalments")
    if posted and chosen is None:
        common.add_error(None, gettext("Choose the contract type."))
    elif posted:
        terms_form = terms[chosen]
        valid = all([common.is_valid(), terms_form.is_valid(), schedule_form.is_valid()])
        # The typed-in rows matter only when the schedule is typed in.
        if valid and schedule_form.cleaned_data["mode"] == ScheduleForm.MANUAL:
            valid = formset.is_valid()
        if valid:
            values = {**common.cleaned_data, **terms_form.cleaned_data}
            warnings: list[str] = []
            token = _request_warnings.set(warnings)
            try:
                with transaction.atomic():
                    if contract is None:
                        saved = services.contract_create(
                            actor=request.user,
                            institution=institution,
                            data={**values, "contract_type": chosen},
                        )
                    else:
                        saved = services.contract_update(
                            actor=request.user, contract=contract, data=values
                        )
                    instalments = _schedule(schedule_form, formset, values)
                    if instalments is not None:
                        services.contract_schedule_replace(
                            actor=request.user, contract=saved, instalments=instalments
                        )
            except ValidationError as error:
                by_field: dict[str, forms.BaseForm] = {
                    **dict.fromkeys(common.fields, common),
                    **dict.fromkeys(terms_form.fields, terms_form),
                }
                by_field.pop(NON_FIELD_ERRORS, None)
                if "contract_type" in getattr(error, "error_dict", {}):
                    by_field["contract_type"] = common
                    error.error_dict["product"] = error.error_dict.pop("contract_type")
                _place_errors(error, by_field, common)
                messages.error(request, gettext("Nothing was saved: correct the errors below."))
            else:
                if editing:
                    messages.success(request, gettext("The contract was updated."))
                else:
                    messages.success(request, gettext("The contract was created."))
                for text in warnings:
                    messages.warning(
                        request,
                        gettext(
                            "Accepted with a Shariah warning, recorded as a finding: {message}"
                        ).format(message=text),
                    )
                return redirect("contract_detail", contract_id=saved.pk)
            finally:
                _request_warnings.reset(token)
    for contract_type, form in terms.items():
        if contract_type != chosen:
            # Rendered disabled: the browser neither validates nor sends another type's fields;
            # the script enables the section it shows.
            for field in form.fields.values():
                field.disabled = True
    sections = [
        {"type": value, "label": label, "form": terms[value], "chosen": value == chosen}
        for value, label in ContractType.choices
    ]
    return render(
        request,
        "institutions/contracts/contract_form.html",
        {
            "institution": institution,
            "contract": contract,
            "editing": editing,
            "chosen": chosen,
            "chosen_label": ContractType(chosen).label if chosen else "",
            "type_form": type_form,
            "common": common,
            "sections": sections,
            "schedule_form": schedule_form,
            "formset": formset,
            "has_payments": editing and contract.repayments.exists(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def contract_create(request: HttpRequest, code: str) -> HttpResponse:
    institution = selectors.institution_get_by_code_for_user(user=request.user, code=code)
    _require_data_entry(request.user)
    return _contract_form_page(request, institution=institution, contract=None)


@require_http_methods(["GET", "POST"])
@login_required
def contract_edit(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = selectors.contract_get_for_user(user=request.user, contract_id=contract_id)
    _require_data_entry(request.user)
    return _contract_form_page(request, institution=contract.institution, contract=contract)
