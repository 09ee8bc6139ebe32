"""ViewSets of the indicators API: computed results, read only, scoped by period."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins

from indicators.models import DataQualityFinding, IndicatorValue
from mfme.api.viewsets import ScopedViewSet

from . import filters, serializers


def _visible_periods(user: Any) -> QuerySet[Any]:
    from institutions.models import ReportingPeriod
    from institutions.selectors import scoped_queryset

    return scoped_queryset(ReportingPeriod, user=user).values("id")


class IndicatorValueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Indicator values computed for a period (filter by ``period``)."""

    serializer_class = serializers.IndicatorValueSerializer
    filterset_class = filters.IndicatorValueFilter

    def get_queryset(self) -> QuerySet[Any]:
        return IndicatorValue.objects.filter(
            period__in=_visible_periods(self.request.user)
        ).select_related("indicator")


class DataQualityFindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Data-quality findings of a period's computation."""

    serializer_class = serializers.DataQualityFindingSerializer
    filterset_class = filters.DataQualityFindingFilter

    def get_queryset(self) -> QuerySet[Any]:
        return DataQualityFinding.objects.filter(period__in=_visible_periods(self.request.user))
