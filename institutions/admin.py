"""Admin for analysts and administrators.

Lists that can hold millions of rows (clients, contracts, instalments, repayments) avoid full
counts and load related objects with raw-id widgets, so the admin stays fast at scale. Period
workflow changes are not editable here: they go through the review services (timeline, rules).
"""

import copy

from django import forms
from django.contrib import admin
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter
from simple_history.admin import SimpleHistoryAdmin

from .contract_rules import ContractViolation, violations_of, warnings_hand_over
from .models import (
    INSTALMENT_COLUMNS,
    Branch,
    Client,
    FinancialStatement,
    FinancingContract,
    FinancingProduct,
    Instalment,
    Institution,
    InstitutionMembership,
    LatePaymentCharge,
    PeriodTransition,
    PortfolioSummaryLine,
    ReferenceData,
    Repayment,
    ReportingPeriod,
    Restructuring,
    StaffingSnapshot,
    WriteOff,
)
from .statement_rules import violations_of as statement_violations_of


class BranchInline(admin.TabularInline):
    model = Branch
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "country", "currency", "legal_form", "maturity_stage")
    list_filter = (("country", CountryFilter), "legal_form", "maturity_stage", "deposit_taking")
    search_fields = ("code", "name_en", "name_fr", "name_ar")
    inlines = [BranchInline]


@admin.register(Branch)
class BranchAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "institution", "city", "region")
    list_filter = ("institution",)
    search_fields = ("code", "name", "city")


@admin.register(InstitutionMembership)
class InstitutionMembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "institution")
    list_filter = ("institution",)
    raw_id_fields = ("user",)


class PeriodTransitionInline(admin.TabularInline):
    model = PeriodTransition
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "actor", "reason", "created_at")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class PortfolioSummaryInline(admin.TabularInline):
    model = PortfolioSummaryLine
    extra = 0


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(SimpleHistoryAdmin):
    list_display = ("institution", "label", "status", "status_changed_at")
    list_filter = ("status", "year", "quarter", "institution")
    readonly_fields = ("start_date", "end_date", "status", "status_changed_at", "return_reason")
    inlines = [PortfolioSummaryInline, PeriodTransitionInline]

    @admin.display(description=_("quarter"))
    def label(self, obj: ReportingPeriod) -> str:
        return obj.label


@admin.register(Client)
class ClientAdmin(SimpleHistoryAdmin):
    list_display = ("external_id", "institution", "branch", "gender", "area", "poverty_status")
    list_filter = ("institution", "gender", "area", "poverty_status")
    search_fields = ("external_id",)
    raw_id_fields = ("branch",)
    show_full_result_count = False


@admin.register(FinancingProduct)
class FinancingProductAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "institution", "contract_type", "is_active")
    list_filter = ("institution", "contract_type", "is_active")


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    fields = INSTALMENT_COLUMNS


class FinancingContractForm(forms.ModelForm):
    """Runs every registered contract rule, as ``services.contract_create`` does, so the admin
    cannot save a contract that a blocking rule rejects; warnings are handed over after save."""

    class Meta:
        model = FinancingContract
        fields = "__all__"  # noqa: DJ007 — the admin chooses the fields it shows

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = construct_instance(self, copy.copy(self.instance))
        self.contract_warnings: list[ContractViolation] = []
        for violation in violations_of(candidate):
            if violation.blocking:
                field = violation.field if violation.field in self.fields else None
                self.add_error(field, forms.ValidationError(violation.message, code=violation.code))
            else:
                self.contract_warnings.append(violation)
        return cleaned


@admin.register(FinancingContract)
class FinancingContractAdmin(SimpleHistoryAdmin):
    form = FinancingContractForm

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        warnings = getattr(form, "contract_warnings", [])
        if warnings:
            warnings_hand_over(obj, warnings)

    list_display = (
        "external_id",
        "institution",
        "contract_type",
        "status",
        "disbursement_date",
        "financed_amount",
    )
    list_filter = ("institution", "contract_type", "status")
    search_fields = ("external_id",)
    raw_id_fields = ("branch", "client", "product")
    date_hierarchy = "disbursement_date"
    show_full_result_count = False
    inlines = [InstalmentInline]


@admin.register(Repayment)
class RepaymentAdmin(admin.ModelAdmin):
    list_display = ("contract", "value_date", "principal_amount", "profit_amount")
    raw_id_fields = ("contract", "instalment")
    show_full_result_count = False


@admin.register(Restructuring)
class RestructuringAdmin(SimpleHistoryAdmin):
    list_display = ("contract", "date", "amount_owed_before", "amount_owed_after")
    raw_id_fields = ("contract",)


@admin.register(WriteOff)
class WriteOffAdmin(SimpleHistoryAdmin):
    list_display = ("contract", "date", "principal_amount")
    raw_id_fields = ("contract",)


@admin.register(LatePaymentCharge)
class LatePaymentChargeAdmin(SimpleHistoryAdmin):
    list_display = ("contract", "date", "amount", "collected_on")
    raw_id_fields = ("contract",)


class FinancialStatementForm(forms.ModelForm):
    """Runs every registered statement rule, as ``services.financial_statement_save`` does, so
    the admin cannot save a statement that a blocking rule rejects (late-payment amounts
    recognised as income)."""

    class Meta:
        model = FinancialStatement
        fields = "__all__"  # noqa: DJ007 — the admin chooses the fields it shows

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = construct_instance(self, copy.copy(self.instance))
        for violation in statement_violations_of(candidate):
            if violation.blocking:
                field = violation.field if violation.field in self.fields else None
                self.add_error(field, forms.ValidationError(violation.message, code=violation.code))
        return cleaned


@admin.register(FinancialStatement)
class FinancialStatementAdmin(SimpleHistoryAdmin):
    form = FinancialStatementForm
    list_display = ("period", "total_assets", "gross_financing_portfolio", "total_equity")
    list_filter = ("period__institution",)


@admin.register(StaffingSnapshot)
class StaffingSnapshotAdmin(SimpleHistoryAdmin):
    list_display = ("period", "total_staff", "financing_officers")
    list_filter = ("period__institution",)


@admin.register(ReferenceData)
class ReferenceDataAdmin(SimpleHistoryAdmin):
    list_display = ("country", "year", "version", "currency", "market_interest_rate")
    list_filter = ("country", "year")
