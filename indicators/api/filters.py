"""FilterSets of the indicators API."""

from __future__ import annotations

import django_filters

from indicators.models import DataQualityFinding, IndicatorValue


class IndicatorValueFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code")
    institution = django_filters.NumberFilter(field_name="period__institution")

    class Meta:
        model = IndicatorValue
        fields = ["period", "institution", "indicator", "variant", "basis", "segment"]


class DataQualityFindingFilter(django_filters.FilterSet):
    institution = django_filters.NumberFilter(field_name="period__institution")

    class Meta:
        model = DataQualityFinding
        fields = ["period", "institution", "code", "severity"]
