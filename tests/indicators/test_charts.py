"""Chart geometry (pure: values → SVG coordinates, mirrored right to left), trends, and the
institution page's indicator cards and charts built from stored results."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.charts import (
    AXIS_SPACE,
    BOTTOM_SPACE,
    END_SPACE,
    TOP_SPACE,
    chart_geometry,
    nice_ceiling,
    trend,
)
from indicators.models import Indicator, IndicatorComputation, IndicatorValue, PortfolioSnapshot
from indicators.selectors import institution_indicator_overview
from tests.factories import ReportingPeriodFactory

D = Decimal
SERIES = [("Q1", D(10)), ("Q2", D(20)), ("Q3", None), ("Q4", D(40))]


# --- Geometry -------------------------------------------------------------------------------


def test_points_sit_in_equal_slots_left_to_right():
    chart = chart_geometry(SERIES, width=400, height=200)
    slot = (400 - AXIS_SPACE - END_SPACE) / 4
    assert chart.slot == pytest.approx(slot)
    assert [p.x for p in chart.points] == pytest.approx(
        [AXIS_SPACE + slot * (i + 0.5) for i in range(4)]
    )
    # Oldest first, left to right.
    assert chart.points[0].x < chart.points[-1].x


def test_values_map_to_heights_on_a_readable_axis():
    chart = chart_geometry(SERIES, width=400, height=200)
    plot_bottom, plot_top = 200 - BOTTOM_SPACE, TOP_SPACE
    # Axis 0 → 50 (the nice ceiling of 40): 40 sits at 4/5 of the height, 0 on the baseline.
    assert chart.grid[0].value == 0
    assert chart.grid[-1].value == 50
    assert chart.baseline == pytest.approx(plot_bottom)
    assert chart.points[3].y == pytest.approx(plot_bottom - 0.8 * (plot_bottom - plot_top))
    assert chart.points[0].y == pytest.approx(plot_bottom - 0.2 * (plot_bottom - plot_top))
    assert chart.points[2].y is None


def test_right_to_left_mirrors_positions_only():
    ltr = chart_geometry(SERIES, width=400, height=200)
    rtl = chart_geometry(SERIES, width=400, height=200, rtl=True)
    for left, right in zip(ltr.points, rtl.points, strict=True):
        assert right.x == pytest.approx(400 - left.x)
        assert right.y == left.y
        assert right.label == left.label  # labels are not mirrored
    # Oldest quarter on the right; the value axis on the right (start) side.
    assert rtl.points[0].x > rtl.points[-1].x
    assert rtl.axis_x == pytest.approx(400 - ltr.axis_x)
    assert (rtl.plot_start, rtl.plot_end) == pytest.approx(
        (400 - ltr.plot_end, 400 - ltr.plot_start)
    )


def test_missing_quarter_breaks_the_line():
    chart = chart_geometry(SERIES, width=400, height=200)
    path = chart.line_path
    assert path.count("M") == 2
    assert path.count("L") == 1


def test_bars_rise_from_the_baseline():
    chart = chart_geometry(SERIES, width=400, height=200)
    bars = chart.bars
    assert [bar.label for bar in bars] == ["Q1", "Q2", "Q4"]
    for bar, point in zip(bars, [chart.points[0], chart.points[1], chart.points[3]], strict=True):
        assert bar.y + bar.height == pytest.approx(chart.baseline)
        assert bar.x + bar.width / 2 == pytest.approx(point.x, abs=0.01)


def test_negative_values_move_the_baseline_up():
    chart = chart_geometry([("a", D(-5)), ("b", D(10))], width=300, height=200)
    assert chart.grid[0].value == -5
    assert TOP_SPACE < chart.baseline < 200 - BOTTOM_SPACE
    negative_bar = chart.bars[0]
    assert negative_bar.y == pytest.approx(chart.baseline)


def test_empty_series_has_no_data():
    chart = chart_geometry([("a", None), ("b", None)])
    assert not chart.has_data
    assert chart.line_path == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("0.7"), D("1")), (D(4), D(5)), (D(40), D(50)), (D(55095345), D(100000000)), (D(21), D(25))],
)
def test_nice_ceiling(value, expected):
    assert nice_ceiling(value) == expected


@pytest.mark.parametrize(
    ("value", "previous", "direction", "expected"),
    [
        (D(5), D(4), "lower_better", ("up", "bad")),
        (D(3), D(4), "lower_better", ("down", "good")),
        (D(120), D(110), "higher_better", ("up", "good")),
        (D(100), D(110), "higher_better", ("down", "bad")),
        (D("26.77"), D("26.80"), "higher_better", ("flat", "neutral")),
        (D(2), D(1), "neutral", ("up", "neutral")),
    ],
)
def test_trend_reads_the_catalogue_direction(value, previous, direction, expected):
    found = trend(value, previous, direction)
    assert (found.direction, found.verdict) == expected


def test_no_trend_without_a_previous_value():
    assert trend(D(1), None, "lower_better") is None
    assert trend(None, D(1), "lower_better") is None


# --- Institution page -------------------------------------------------------------------------


def _indicator(code: str, unit: str, direction: str, order: int) -> Indicator:
    return Indicator.objects.create(
        code=code,
        catalogue="financial",
        catalogue_version=1,
        category=Indicator.Category.PORTFOLIO_QUALITY,
        unit=unit,
        direction=direction,
        name_en=f"{code} name",
        name_fr=f"{code} nom",
        name_ar=f"{code} اسم",
        display_order=order,
    )


def _snapshot(period, outstanding: int, clients: int) -> PortfolioSnapshot:  # type: ignore[no-untyped-def]
    zero = D(0)
    return PortfolioSnapshot.objects.create(
        period=period,
        source="loan_level",
        segment="total",
        outstanding=D(outstanding),
        outstanding_debt_based=D(outstanding),
        late_1=zero,
        late_30=zero,
        late_60=zero,
        late_90=zero,
        late_180=zero,
        restructured=zero,
        restructured_in_arrears=zero,
        written_off_in_period=zero,
        active_financings=clients,
        active_clients=clients,
        equity_capital=zero,
    )


@pytest.fixture
def history(institution):  # type: ignore[no-untyped-def]
    """Three computed quarters (2025Q4, 2026Q1, 2026Q2), a gap before them, and a future
    quarter (2030Q1) that must not count as the latest."""
    par30 = _indicator("PAR30", "percent", "lower_better", 1)
    oss = _indicator("F15_OSS", "percent", "higher_better", 2)
    figures = {
        (2025, 4): (D("3.00"), D("95.0"), 900_000, 400),
        (2026, 1): (D("4.00"), D("101.0"), 1_000_000, 450),
        (2026, 2): (D("2.50"), D("104.0"), 1_200_000, 480),
        (2030, 1): (D("9.99"), D("1.0"), 5, 1),
    }
    periods = {}
    for (year, quarter), (par, oss_value, outstanding, clients) in figures.items():
        period = ReportingPeriodFactory(institution=institution, year=year, quarter=quarter)
        computation = IndicatorComputation.objects.create(
            period=period, trigger="manual", status="succeeded", source="loan_level"
        )
        for indicator, variant, value in (
            (par30, "islamic", par),
            (par30, "conventional", par + 1),
            (oss, "both", oss_value),
        ):
            IndicatorValue.objects.create(
                period=period,
                computation=computation,
                indicator=indicator,
                variant=variant,
                basis="quarter",
                value=value,
            )
        _snapshot(period, outstanding, clients)
        periods[(year, quarter)] = period
    return periods


def test_overview_takes_the_latest_ended_quarter_and_eight_quarters(history, analyst, institution):
    overview = institution_indicator_overview(
        user=analyst, institution_id=institution.pk, today=datetime.date(2026, 11, 23)
    )
    assert (overview.latest.year, overview.latest.quarter) == (2026, 2)
    assert (overview.previous.year, overview.previous.quarter) == (2026, 1)
    assert [(q.year, q.quarter) for q in overview.quarters] == [
        (2024, 3), (2024, 4), (2025, 1), (2025, 2), (2025, 3), (2025, 4), (2026, 1), (2026, 2)
    ]  # fmt: skip
    assert [q.par30 for q in overview.quarters][-3:] == [D("3.00"), D("4.00"), D("2.50")]
    assert [q.outstanding for q in overview.quarters][:5] == [None] * 5
    cards = {card.code: card for card in overview.headlines}
    # The Islamic PAR30 is the card's (the guide's column).
    assert (cards["PAR30"].value, cards["PAR30"].previous) == (D("2.50"), D("4.00"))
    assert (cards["F15_OSS"].value, cards["F15_OSS"].previous) == (D("104.0"), D("101.0"))
    assert (cards["OUTSTANDING"].value, cards["OUTSTANDING"].previous) == (
        D(1_200_000),
        D(1_000_000),
    )
    assert cards["ACTIVE_CLIENTS"].value == 480


def test_overview_is_scoped(history, other_staff, institution):
    from django.http import Http404

    with pytest.raises(Http404):
        institution_indicator_overview(user=other_staff, institution_id=institution.pk)


def test_institution_page_shows_cards_and_charts(history, staff, institution, client_for):
    response = client_for(staff).get(
        reverse("institution_detail", args=[institution.code]), HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-indicator="PAR30"' in page
    # PAR30 fell from 4 to 2.5: good news; OSS rose: good news too.
    assert re.search(r'indicator-card--good" data-indicator="PAR30"', page)
    assert re.search(r'indicator-card--good" data-indicator="F15_OSS"', page)
    assert "2,50 %" in page  # French decimal comma
    assert page.count('role="img"') == 2
    assert '<title id="chart-portfolio-title">' in page
    assert '<title id="chart-par30-title">' in page
    # SVG coordinates stay in C locale whatever the language.
    assert not re.search(r'(?:x|y|cx|cy|width|height)="\d+,\d', page)


def test_arabic_charts_run_right_to_left(history, staff, institution, client_for):
    response = client_for(staff).get(
        reverse("institution_detail", args=[institution.code]), HTTP_ACCEPT_LANGUAGE="ar"
    )
    page = response.content.decode()
    assert 'dir="rtl"' in page
    circles = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', page)]
    # Three PAR30 points, oldest first in the data: on the right in Arabic.
    assert len(circles) == 3
    assert circles == sorted(circles, reverse=True)


def test_page_without_computed_quarters(institution, staff, client_for):
    response = client_for(staff).get(reverse("institution_detail", args=[institution.code]))
    assert response.status_code == 200
    assert "No quarter has computed indicators yet." in response.content.decode()
