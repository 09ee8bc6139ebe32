"""FilterSets of the institutions API.

The choices of every relational filter (the foreign keys of ``Meta.fields`` included) are
narrowed to the caller's institutions by the API's filter backend (``mfme.api.filters``).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from institutions.models import (
    Branch,
    Client,
    FinancialStatement,
    FinancingContract,
    FinancingProduct,
    Repayment,
    ReportingPeriod,
    Restructuring,
    StaffingSnapshot,
    WriteOff,
)


def _visible_period(request: Any, period_id: int) -> ReportingPeriod | None:
    from institutions.selectors import scoped_queryset

    return scoped_queryset(ReportingPeriod, user=request.user).filter(pk=period_id).first()


class BranchFilter(django_filters.FilterSet):
    class Meta:
        model = Branch
        fields = ["institution", "code"]


class PeriodFilter(django_filters.FilterSet):
    class Meta:
        model = ReportingPeriod
        fields = ["institution", "year", "quarter", "status"]


class ClientFilter(django_filters.FilterSet):
    class Meta:
        model = Client
        fields = ["institution", "branch", "external_id", "gender", "area"]


class ProductFilter(django_filters.FilterSet):
    class Meta:
        model = FinancingProduct
        fields = ["institution", "code", "contract_type", "is_active"]


class ContractFilter(django_filters.FilterSet):
    period = django_filters.NumberFilter(
        method="filter_period", label="Active during this reporting period (id)"
    )
    disbursed_after = django_filters.DateFilter(field_name="disbursement_date", lookup_expr="gte")
    disbursed_before = django_filters.DateFilter(field_name="disbursement_date", lookup_expr="lte")

    class Meta:
        model = FinancingContract
        fields = [
            "institution",
            "branch",
            "client",
            "product",
            "contract_type",
            "status",
            "external_id",
        ]

    def filter_period(
        self, queryset: QuerySet[FinancingContract], name: str, value: int
    ) -> QuerySet[FinancingContract]:
        period = _visible_period(self.request, value)
        if period is None:
            return queryset.none()
        return queryset.filter(
            institution_id=period.institution_id,
            disbursement_date__lte=period.end_date,
            maturity_date__gte=period.start_date,
        )


class RepaymentFilter(django_filters.FilterSet):
    period = django_filters.NumberFilter(
        method="filter_period", label="Value date within this reporting period (id)"
    )
    value_date_after = django_filters.DateFilter(field_name="value_date", lookup_expr="gte")
    value_date_before = django_filters.DateFilter(field_name="value_date", lookup_expr="lte")

    class Meta:
        model = Repayment
        fields = ["contract", "external_id"]

    def filter_period(
        self, queryset: QuerySet[Repayment], name: str, value: int
    ) -> QuerySet[Repayment]:
        period = _visible_period(self.request, value)
        if period is None:
            return queryset.none()
        return queryset.filter(
            contract__institution_id=period.institution_id,
            value_date__gte=period.start_date,
            value_date__lte=period.end_date,
        )


class RestructuringFilter(django_filters.FilterSet):
    class Meta:
        model = Restructuring
        fields = ["contract"]


class WriteOffFilter(django_filters.FilterSet):
    class Meta:
        model = WriteOff
        fields = ["contract"]


class FinancialStatementFilter(django_filters.FilterSet):
    institution = django_filters.NumberFilter(field_name="period__institution")

    class Meta:
        model = FinancialStatement
        fields = ["period", "institution"]


class StaffingFilter(django_filters.FilterSet):
    institution = django_filters.NumberFilter(field_name="period__institution")

    class Meta:
        model = StaffingSnapshot
        fields = ["period", "institution"]
