"""Admin: the catalogue, the computations, and every quarter's results on one page."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import (
    Alert,
    DataQualityFinding,
    Indicator,
    IndicatorComputation,
    IndicatorValue,
    PortfolioSnapshot,
    QuarterIndicators,
)
from .services import computation_request


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ValueInline(ReadOnlyInline):
    model = IndicatorValue
    fields = (
        "indicator",
        "variant",
        "basis",
        "value",
        "numerator",
        "denominator",
        "averaging_points",
        "reason",
    )
    readonly_fields = fields
    verbose_name_plural = _("indicator values (whole portfolio)")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).filter(segment="total").select_related("indicator")


class FindingInline(ReadOnlyInline):
    model = DataQualityFinding
    fields = ("severity", "code", "message")
    readonly_fields = fields


class AlertInline(ReadOnlyInline):
    model = Alert
    fields = ("severity", "code", "message", "value", "threshold")
    readonly_fields = fields


class SnapshotInline(ReadOnlyInline):
    model = PortfolioSnapshot
    fields = (
        "source",
        "segment",
        "segment_value",
        "outstanding",
        "late_30",
        "late_90",
        "arrears",
        "active_financings",
        "active_clients",
    )
    readonly_fields = fields


@admin.action(description=_("Compute the indicators of the selected quarters"))
def compute_selected(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    count = 0
    for period in queryset.order_by("institution__code", "year", "quarter"):
        computation_request(period=period, trigger=IndicatorComputation.Trigger.MANUAL)
        count += 1
    modeladmin.message_user(
        request,
        ngettext("%(count)d computation requested.", "%(count)d computations requested.", count)
        % {"count": count},
        messages.SUCCESS,
    )


@admin.register(QuarterIndicators)
class QuarterIndicatorsAdmin(admin.ModelAdmin):
    list_display = ("institution", "year", "quarter", "status")
    list_filter = ("institution", "year", "status")
    readonly_fields = ("institution", "year", "quarter", "status")
    fields = readonly_fields
    inlines = [AlertInline, FindingInline, ValueInline, SnapshotInline]
    actions = [compute_selected]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(IndicatorComputation)
class IndicatorComputationAdmin(admin.ModelAdmin):
    list_display = ("period", "status", "trigger", "source", "duration_seconds", "created_at")
    list_filter = ("status", "trigger", "source")
    readonly_fields = [field.name for field in IndicatorComputation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "category", "unit", "direction", "catalogue_version")
    list_filter = ("category", "unit")
    search_fields = ("code", "name_en", "name_fr", "name_ar")
    readonly_fields = [field.name for field in Indicator._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
