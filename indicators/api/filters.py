"""FilterSets of the indicators API.

The choices of every relational filter (the foreign keys of ``Meta.fields`` included) are
narrowed to the caller's institutions by the API's filter backend (``mfme.api.filters``).
"""

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
