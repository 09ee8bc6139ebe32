"""The quarter's indicators, as an analyst or the institution reads them: table 16 with the
conventional and Islamic columns side by side, the data-quality findings and alerts, and the
portfolio broken down by contract type. Thin: the selector scopes and loads everything."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Indicator, IndicatorValue
from .selectors import period_results_for_user

CATEGORY_ORDER = [choice for choice, _label in Indicator.Category.choices]


@dataclass(frozen=True)
class Row:
    """One indicator of table 16: a value per column, each with its reason when missing."""

    indicator: Indicator
    conventional: IndicatorValue | None
    islamic: IndicatorValue | None
    both: IndicatorValue | None

    @property
    def single(self) -> bool:
        return self.both is not None


@login_required
def period_indicators(request: HttpRequest, period_id: int) -> HttpResponse:
    results = period_results_for_user(user=request.user, period_id=period_id)
    basis = request.GET.get("basis", "quarter")
    if basis not in IndicatorValue.Basis.values:
        basis = "quarter"
    by_indicator: dict[int, dict[str, IndicatorValue]] = {}
    indicators: dict[int, Indicator] = {}
    for value in results["values"]:
        if value.basis != basis:
            continue
        indicators[value.indicator_id] = value.indicator
        by_indicator.setdefault(value.indicator_id, {})[value.variant] = value
    categories = []
    for category, label in Indicator.Category.choices:
        rows = [
            Row(
                indicator=indicator,
                conventional=by_indicator[pk].get("conventional"),
                islamic=by_indicator[pk].get("islamic"),
                both=by_indicator[pk].get("both"),
            )
            for pk, indicator in sorted(indicators.items(), key=lambda i: i[1].display_order)
            if indicator.category == category
        ]
        if rows:
            categories.append((label, rows))
    snapshots = [s for s in results["snapshots"] if s.segment == "contract_type"]
    for snapshot in snapshots:
        snapshot.par30_percent = (
            snapshot.late_30 / snapshot.outstanding_debt_based * Decimal(100)
            if snapshot.outstanding_debt_based
            else None
        )
    return render(
        request,
        "indicators/period_indicators.html",
        {
            **results,
            "institution": results["period"].institution,
            "basis": basis,
            "bases": IndicatorValue.Basis.choices,
            "categories": categories,
            "type_snapshots": sorted(snapshots, key=lambda s: s.segment_value),
            "total_snapshot": next((s for s in results["snapshots"] if s.segment == "total"), None),
        },
    )
