"""Admin for analysts and administrators.

Creations that carry a Shariah rule go through the services (a product approval by a sitting,
trained member; a transfer to charity within the ledger's balance): the admin forms run the same
checks in ``clean`` so an error is shown on the field, and ``save_model`` calls the service,
which checks again under its lock. The checklist is reference data loaded by
``load_shariah_checklist``: read-only here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import purification, selectors, services
from .models import (
    ApprovedCharity,
    AuditAnswer,
    CharityTransfer,
    ChecklistItem,
    ProductApproval,
    ShariahAudit,
    ShariahBoardMember,
    ShariahFinding,
    ShariahPolicy,
    ShariahReview,
)


@admin.register(ShariahPolicy)
class ShariahPolicyAdmin(SimpleHistoryAdmin):
    list_display = ("institution", "purification_alert_days")


@admin.register(ShariahBoardMember)
class ShariahBoardMemberAdmin(SimpleHistoryAdmin):
    list_display = (
        "full_name",
        "institution",
        "role",
        "has_shariah_training",
        "appointed_on",
        "left_on",
    )
    list_filter = ("institution", "role", "has_shariah_training")
    search_fields = ("full_name",)


class ProductApprovalForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ProductApproval
        fields = ("product", "approved_on", "approved_by", "reference", "note", "withdrawn_on")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        member, product, on = data.get("approved_by"), data.get("product"), data.get("approved_on")
        if member and product and on and self.instance.pk is None:
            if member.institution_id != product.institution_id:
                self.add_error(
                    "approved_by", _("This person is not on the institution's Shariah board.")
                )
            elif not member.has_shariah_training:
                self.add_error(
                    "approved_by", _("A product must be approved by a member trained in Shariah.")
                )
        return data


@admin.register(ProductApproval)
class ProductApprovalAdmin(SimpleHistoryAdmin):
    form = ProductApprovalForm
    list_display = ("product", "approved_on", "approved_by", "reference", "withdrawn_on")
    list_filter = ("product__institution",)
    raw_id_fields = ("product", "approved_by")

    def save_model(
        self, request: HttpRequest, obj: ProductApproval, form: Any, change: bool
    ) -> None:
        if change:
            obj._history_user = request.user  # type: ignore[attr-defined]
            super().save_model(request, obj, form, change)
            return
        created = services.product_approve(
            actor=request.user,  # type: ignore[arg-type]
            product=obj.product,
            approved_by=obj.approved_by,
            approved_on=obj.approved_on,
            reference=obj.reference,
            note=obj.note,
        )
        obj.pk = created.pk


@admin.register(ShariahReview)
class ShariahReviewAdmin(SimpleHistoryAdmin):
    list_display = ("institution", "reviewed_on", "reviewer", "scope", "period")
    list_filter = ("institution",)
    raw_id_fields = ("period", "reviewer")


@admin.register(ShariahFinding)
class ShariahFindingAdmin(SimpleHistoryAdmin):
    list_display = (
        "institution",
        "found_on",
        "severity",
        "status",
        "source",
        "rule_code",
        "contract",
        "tainted_income",
    )
    list_filter = ("status", "severity", "source", "institution", "rule_code")
    search_fields = ("rule_code", "description", "contract__external_id")
    raw_id_fields = ("contract", "period", "review", "audit")
    readonly_fields = ("source", "rule_code", "field", "params", "message")
    show_full_result_count = False

    @admin.display(description=_("message"))
    def message(self, obj: ShariahFinding) -> str:
        return obj.message


@admin.register(ApprovedCharity)
class ApprovedCharityAdmin(SimpleHistoryAdmin):
    list_display = ("name", "institution", "approved_on", "approved_by")
    list_filter = ("institution",)


class CharityTransferForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CharityTransfer
        fields = ("charity", "date", "amount", "reference", "note")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        charity, date, amount = data.get("charity"), data.get("date"), data.get("amount")
        if charity and date and amount:
            inflows, transfers = selectors.purification_records(
                institution_id=charity.institution_id
            )
            available = purification.transferable(inflows=inflows, transfers=transfers, on=date)
            if amount > available:
                raise ValidationError(
                    {
                        "amount": _(
                            "The purification ledger holds {available} on that date: a transfer "
                            "of {amount} would exceed it."
                        ).format(available=available, amount=amount)
                    }
                )
        return data


@admin.register(CharityTransfer)
class CharityTransferAdmin(SimpleHistoryAdmin):
    """Transfers are recorded, never edited: a correction is a new transfer."""

    form = CharityTransferForm
    list_display = ("institution", "date", "charity", "amount", "reference")
    list_filter = ("institution",)
    raw_id_fields = ("charity",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: CharityTransfer, form: Any, change: bool
    ) -> None:
        created = services.charity_transfer_record(
            actor=request.user,  # type: ignore[arg-type]
            charity=obj.charity,
            date=obj.date,
            amount=obj.amount,
            reference=obj.reference,
            note=obj.note,
        )
        obj.pk = created.pk
        obj.institution_id = created.institution_id


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("contract_type", "number", "section_en", "kind", "text_en", "version")
    list_filter = ("version", "contract_type", "kind", "section")
    search_fields = ("text_en", "text_fr", "text_ar")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditAnswerInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AuditAnswer
    extra = 0
    fields = ("item", "result", "evidence_note", "evidence_file", "answered_by")
    raw_id_fields = ("item", "answered_by")


@admin.register(ShariahAudit)
class ShariahAuditAdmin(SimpleHistoryAdmin):
    list_display = ("period", "auditor", "auditor_role", "status", "started_on", "score")
    list_filter = ("status", "auditor_role", "period__institution")
    raw_id_fields = ("period", "auditor", "sampled_contracts")
    inlines = [AuditAnswerInline]

    @admin.display(description=_("score"))
    def score(self, obj: ShariahAudit) -> str:
        value = selectors.audit_score_for(audit=obj).value
        return "—" if value is None else f"{value:.2f} %"
