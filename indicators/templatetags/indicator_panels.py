"""The institution page's indicator panels, as template tags of the indicators app.

Institutions cannot import indicators (STYLE rule 3), so the institution page loads these tags
instead: ``{% load indicator_panels %}{% institution_indicators institution %}`` renders the
headline cards (latest quarter, previous quarter, trend) and the two charts over eight quarters.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import get_language_bidi, gettext, pgettext

from indicators.charts import chart_geometry, trend
from indicators.selectors import institution_indicator_overview

register = template.Library()


def quarter_label(year: int, quarter: int) -> str:
    # The same message as templates/includes/quarter.html.
    return gettext("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": year}


@register.filter
def indicator_amount(value: Decimal | None, unit: str) -> str:
    """A value in its unit, with the locale's separators (``—`` when missing)."""
    if value is None:
        return "—"
    if unit == "percent":
        return f"{floatformat(value, '2g')} %"
    if unit == "percent_points":
        return gettext("%(value)s pp") % {"value": floatformat(value, "2g")}
    if unit == "ratio_times":
        return f"{floatformat(value, '2g')} ×"
    if unit in {"currency", "count"}:
        return floatformat(value, "0g")
    if unit == "amount":
        # A scaled amount (thousands, millions): one decimal at most.
        return floatformat(value, "-1g")
    return floatformat(value, "2g")


def axis_labels(chart: Any, quarters: list[Any]) -> list[dict[str, Any]]:
    """Short labels under a chart: the quarter, and the year under its first quarter shown."""
    labels = []
    shown_year = None
    for point, figures in zip(chart.points, quarters, strict=True):
        labels.append(
            {
                "x": point.x,
                "quarter": pgettext("short quarter", "Q%(quarter)s") % {"quarter": figures.quarter},
                "year": str(figures.year) if figures.year != shown_year else "",
            }
        )
        shown_year = figures.year
    return labels


def amount_scale(values: list[Decimal | None]) -> tuple[Decimal, str]:
    """A divisor that keeps an axis readable (amounts in thousands or millions), with the
    caption that names it."""
    largest = max((abs(value) for value in values if value is not None), default=Decimal(0))
    if largest >= 10_000_000:
        return Decimal(1_000_000), gettext("millions")
    if largest >= 10_000:
        return Decimal(1_000), gettext("thousands")
    return Decimal(1), ""


@register.inclusion_tag("indicators/_institution_indicators.html", takes_context=True)
def institution_indicators(context: template.Context, institution: Any) -> dict[str, Any]:
    request = context["request"]
    overview = institution_indicator_overview(user=request.user, institution_id=institution.pk)
    rtl = bool(get_language_bidi())
    outstanding = [q.outstanding for q in overview.quarters]
    divisor, scale = amount_scale(outstanding)
    scaled = [value / divisor if value is not None else None for value in outstanding]
    labels = [quarter_label(q.year, q.quarter) for q in overview.quarters]
    cards = [
        {
            "headline": headline,
            "trend": trend(headline.value, headline.previous, headline.direction),
        }
        for headline in overview.headlines
    ]
    rows = [
        {"label": label, "outstanding": q.outstanding, "par30": q.par30, "period": q.period}
        for label, q in zip(labels, overview.quarters, strict=True)
    ]
    portfolio_chart = chart_geometry(list(zip(labels, scaled, strict=True)), rtl=rtl)
    par_chart = chart_geometry(
        [(label, q.par30) for label, q in zip(labels, overview.quarters, strict=True)], rtl=rtl
    )
    return {
        "institution": institution,
        "overview": overview,
        "latest_label": (
            quarter_label(overview.latest.year, overview.latest.quarter) if overview.latest else ""
        ),
        "previous_label": (
            quarter_label(overview.previous.year, overview.previous.quarter)
            if overview.previous
            else ""
        ),
        "cards": cards,
        "rows": rows,
        "portfolio_chart": portfolio_chart,
        "portfolio_axis": axis_labels(portfolio_chart, overview.quarters),
        "portfolio_scale": scale,
        "par_chart": par_chart,
        "par_axis": axis_labels(par_chart, overview.quarters),
        "rtl": rtl,
    }
