"""Reads for the indicator engine: building its frozen inputs from the database, and reading
the stored results for other apps (scoring, reports, the UI).

Windows (DECISIONS D1–D3): for a quarter the engine computes three bases, each over whole
quarters — the quarter itself, the fiscal year to date and the trailing twelve months. A
window's stock series runs from the opening point (the end of the quarter before the window) to
its closing point, using every quarter end in between that has data (D2).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from indicators.engine import RatioResult
from indicators.inputs import (
    BalancePoint,
    Basis,
    Flows,
    PortfolioPoint,
    StaffPoint,
)
from indicators.models import (
    Alert,
    DataQualityFinding,
    IndicatorComputation,
    IndicatorValue,
    PortfolioSnapshot,
)
from institutions.models import (
    DEBT_BASED_TYPES,
    EQUITY_TYPES,
    INCOME_STATEMENT_FIELDS,
    FinancialStatement,
    FinancingContract,
    Institution,
    LatePaymentCharge,
    PortfolioSummaryLine,
    ReferenceData,
    ReportingPeriod,
    StaffingSnapshot,
)
from institutions.selectors import period_get_for_user, reference_data_for
from users.models import User

ZERO = Decimal("0")
MONTHS_PER_QUARTER = 3
FLOW_FIELDS = INCOME_STATEMENT_FIELDS


@dataclass(frozen=True)
class Window:
    """The quarters a basis covers, and the quarter whose end is its opening point."""

    basis: Basis
    quarters: tuple[ReportingPeriod, ...]  # the window's quarters that exist, in order
    expected_quarters: int
    opening: ReportingPeriod | None
    start: datetime.date
    end: datetime.date

    @property
    def months(self) -> int:
        return self.expected_quarters * MONTHS_PER_QUARTER

    @property
    def complete(self) -> bool:
        return len(self.quarters) == self.expected_quarters


def _quarter_index(year: int, quarter: int) -> int:
    return year * 4 + quarter - 1


def _fiscal_year_start(period: ReportingPeriod) -> datetime.date:
    """First day of the fiscal year containing the period (D1: calendar year by default)."""
    month = period.institution.fiscal_year_start_month
    year = period.year if period.start_date.month >= month else period.year - 1
    return datetime.date(year, month, 1)


def period_windows(*, period: ReportingPeriod) -> list[Window]:
    """The quarter, year-to-date and trailing-twelve-month windows ending with ``period``."""
    periods = {
        _quarter_index(p.year, p.quarter): p
        for p in ReportingPeriod.objects.filter(
            institution_id=period.institution_id,
            year__gte=period.year - 2,
            year__lte=period.year,
        ).select_related("institution")
    }
    last = _quarter_index(period.year, period.quarter)
    fiscal_start = _fiscal_year_start(period)
    ytd_quarters = sum(
        1
        for index in range(last - 3, last + 1)
        if datetime.date(index // 4, index % 4 * 3 + 1, 1) >= fiscal_start
    )
    windows = []
    for basis, length in (("quarter", 1), ("ytd", ytd_quarters), ("ttm", 4)):
        indexes = range(last - length + 1, last + 1)
        first_start = datetime.date(indexes[0] // 4, indexes[0] % 4 * 3 + 1, 1)
        windows.append(
            Window(
                basis=basis,  # type: ignore[arg-type]
                quarters=tuple(periods[i] for i in indexes if i in periods),
                expected_quarters=length,
                opening=periods.get(indexes[0] - 1),
                start=first_start,
                end=period.end_date,
            )
        )
    return windows


# --- Engine inputs --------------------------------------------------------------------------


def _window_periods(window: Window) -> list[ReportingPeriod]:
    return ([window.opening] if window.opening else []) + list(window.quarters)


def balance_points(*, window: Window) -> tuple[BalancePoint, ...]:
    statements = FinancialStatement.objects.filter(
        period__in=_window_periods(window)
    ).select_related("period")
    return tuple(
        BalancePoint(
            date=statement.period.end_date,
            cash_and_bank=statement.cash_and_bank,
            short_term_investments=statement.short_term_investments,
            gross_financing_portfolio=statement.gross_financing_portfolio,
            total_assets=statement.total_assets,
            deposits=statement.deposits,
            third_party_financing=statement.third_party_financing,
            third_party_financing_short_term=statement.third_party_financing_short_term,
            current_liabilities=statement.current_liabilities,
            total_liabilities=statement.total_liabilities,
            mudaraba_funds=statement.mudaraba_funds,
            mudaraba_funds_short_term=statement.mudaraba_funds_short_term,
            total_equity=statement.total_equity,
        )
        for statement in sorted(statements, key=lambda s: s.period.end_date)
    )


def staff_points(*, window: Window) -> tuple[StaffPoint, ...]:
    snapshots = StaffingSnapshot.objects.filter(period__in=_window_periods(window)).select_related(
        "period"
    )
    return tuple(
        StaffPoint(
            date=snapshot.period.end_date,
            total_staff=snapshot.total_staff,
            financing_officers=snapshot.financing_officers,
        )
        for snapshot in sorted(snapshots, key=lambda s: s.period.end_date)
    )


def window_flows(*, window: Window, written_off: Decimal) -> Flows | None:
    """The income statements of the window's quarters, summed; None unless every quarter of the
    window has its statement (a partial sum would understate every annualised ratio)."""
    if not window.complete:
        return None
    statements = FinancialStatement.objects.filter(period__in=window.quarters)
    if statements.count() != window.expected_quarters:
        return None
    sums = statements.aggregate(**{field: Sum(field) for field in FLOW_FIELDS})
    return Flows(
        start=window.start,
        end=window.end,
        months=window.months,
        written_off=written_off,
        **{field: sums[field] or ZERO for field in FLOW_FIELDS},
    )


def portfolio_point_from_snapshot(snapshot: PortfolioSnapshot) -> PortfolioPoint:
    """One total-segment snapshot as the engine's portfolio point.

    F1b (D8): expected annual income on appraised equity capital minus the profit realised in
    the quarter, annualised; the weighted ROI gap is that amount over the appraised capital.
    """
    expected = snapshot.equity_expected_income
    realised = snapshot.equity_realised_income
    unrealised = (expected - realised) if expected is not None and realised is not None else None
    appraised = snapshot.equity_capital_appraised
    gap = (
        unrealised / appraised * Decimal(100)
        if unrealised is not None and appraised > ZERO
        else None
    )
    late = {
        1: snapshot.late_1,
        30: snapshot.late_30,
        60: snapshot.late_60,
        90: snapshot.late_90,
        180: snapshot.late_180,
    }
    late_all = {
        1: snapshot.late_all_1,
        30: snapshot.late_all_30,
        60: snapshot.late_all_60,
        90: snapshot.late_all_90,
        180: snapshot.late_all_180,
    }
    return PortfolioPoint(
        date=snapshot.period.end_date,
        outstanding=snapshot.outstanding,
        outstanding_debt_based=snapshot.outstanding_debt_based,
        late_outstanding=late,
        late_outstanding_all={n: value for n, value in late_all.items() if value is not None},
        arrears_amount=snapshot.arrears,
        arrears_amount_debt_based=snapshot.arrears_debt_based,
        restructured_outstanding=snapshot.restructured,
        restructured_in_arrears=snapshot.restructured_in_arrears,
        active_clients=snapshot.active_clients,
        active_financings=snapshot.active_financings,
        equity_capital_outstanding=snapshot.equity_capital,
        equity_unrealised_income_amount=unrealised,
        equity_roi_gap_weighted=gap,
        equity_capital_appraised=appraised,
    )


def portfolio_points(*, window: Window, source: str) -> tuple[PortfolioPoint, ...]:
    snapshots = PortfolioSnapshot.objects.filter(
        period__in=_window_periods(window), source=source, segment=PortfolioSnapshot.Segment.TOTAL
    ).select_related("period")
    return tuple(
        portfolio_point_from_snapshot(snapshot)
        for snapshot in sorted(snapshots, key=lambda s: s.period.end_date)
    )


def gni_per_capita_local(*, institution: Institution, year: int) -> Decimal | None:
    try:
        reference = reference_data_for(country=str(institution.country), year=year)
    except ReferenceData.DoesNotExist:  # the cost-per-client-to-GNI ratio then says why
        return None
    return reference.gni_per_capita_usd * reference.exchange_rate_per_usd


def has_loan_level_data(*, institution_id: int) -> bool:
    return FinancingContract.objects.filter(institution_id=institution_id).exists()


def summary_totals(*, period: ReportingPeriod) -> dict[str, Decimal]:
    """Outstanding per contract type as reported in the quarterly return's summary."""
    return {
        line.contract_type: line.outstanding
        for line in PortfolioSummaryLine.objects.filter(period=period)
    }


def summary_segments(*, period: ReportingPeriod) -> list[PortfolioSummaryLine]:
    return list(PortfolioSummaryLine.objects.filter(period=period).order_by("contract_type"))


def summary_is_debt_based(contract_type: str) -> bool:
    return contract_type in DEBT_BASED_TYPES


def summary_is_equity(contract_type: str) -> bool:
    return contract_type in EQUITY_TYPES


def late_payments_collected(*, period: ReportingPeriod) -> Decimal:
    """Late-payment amounts collected in the quarter, from contract data (D11)."""
    total = LatePaymentCharge.objects.filter(
        contract__institution_id=period.institution_id,
        collected_on__gte=period.start_date,
        collected_on__lte=period.end_date,
    ).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def stored_results(*, period: ReportingPeriod, basis: str) -> list[RatioResult]:
    """Whole-portfolio values stored for a period, back as engine results (for year-on-year
    alerts)."""
    return [
        RatioResult(
            code=value.indicator_id_code,
            variant=value.variant,  # type: ignore[arg-type]
            basis=value.basis,  # type: ignore[arg-type]
            value=value.value,
            numerator=value.numerator,
            denominator=value.denominator,
            averaging_points=value.averaging_points,
            reason_code=None,
            reason=value.reason,
        )
        for value in IndicatorValue.objects.filter(
            period=period, basis=basis, segment=PortfolioSnapshot.Segment.TOTAL
        ).annotate(indicator_id_code=_indicator_code())
    ]


def _indicator_code():  # type: ignore[no-untyped-def]
    from django.db.models import F

    return F("indicator__code")


def break_even_reached_before(*, period: ReportingPeriod) -> bool:
    """Whether OSS reached 100 % in any earlier quarter of the institution."""
    return IndicatorValue.objects.filter(
        period__institution_id=period.institution_id,
        period__end_date__lt=period.end_date,
        indicator__code="F15_OSS",
        basis="quarter",
        segment=PortfolioSnapshot.Segment.TOTAL,
        value__gte=Decimal(100),
    ).exists()


# --- Results, for other apps and the UI -----------------------------------------------------


def period_indicator_values(
    *, period: ReportingPeriod, basis: str | None = None, segment: str = "total"
) -> QuerySet[IndicatorValue]:
    """The stored values of a period (whole portfolio unless a segment is named)."""
    queryset = IndicatorValue.objects.filter(period=period, segment=segment).select_related(
        "indicator"
    )
    if basis is not None:
        queryset = queryset.filter(basis=basis)
    return queryset.order_by("indicator__display_order", "indicator__code", "variant", "basis")


def period_results_for_user(*, user: User, period_id: object) -> dict[str, object]:
    """Everything computed for a period the user may see: values, findings, alerts, snapshots
    and the latest computation. Out of scope → 404 (through the period selector)."""
    period = period_get_for_user(user=user, period_id=period_id)
    return {
        "period": period,
        "computation": IndicatorComputation.objects.filter(period=period).first(),
        "values": list(period_indicator_values(period=period)),
        "findings": list(DataQualityFinding.objects.filter(period=period)),
        "alerts": list(Alert.objects.filter(period=period)),
        "snapshots": list(PortfolioSnapshot.objects.filter(period=period)),
    }


def periods_to_compute(
    *, institution_codes: Iterable[str] | None = None
) -> QuerySet[ReportingPeriod]:
    queryset = ReportingPeriod.objects.select_related("institution")
    if institution_codes is not None:
        queryset = queryset.filter(institution__code__in=list(institution_codes))
    return queryset.order_by("institution__code", "year", "quarter")


# --- The institution page: headline indicators and their last eight quarters ------------------

#: The headline indicators of the institution page, in order: portfolio quality, sustainability,
#: profitability, efficiency and yield (table 16's most read rows, guide part 4 §5).
HEADLINE_INDICATORS = (
    "PAR30",
    "F15_OSS",
    "F14_ROA",
    "F4_OPERATING_EXPENSE",
    "F12A_PORTFOLIO_YIELD",
)
#: The column a card shows when an indicator has two: the Islamic one, the guide's reference.
VARIANT_PREFERENCE = ("islamic", "both", "conventional")
#: How many quarters the charts cover.
HISTORY_QUARTERS = 8


@dataclass(frozen=True)
class HeadlineValue:
    """One card: the latest quarter's value, the previous quarter's, and how to read them."""

    code: str
    name: str
    unit: str
    direction: str  # the catalogue's: higher_better, lower_better, neutral
    value: Decimal | None
    previous: Decimal | None
    reason: str  # why the latest value is missing, in the reader's language


@dataclass(frozen=True)
class QuarterFigures:
    """The charted figures of one calendar quarter (``None`` when not computed)."""

    year: int
    quarter: int
    period: ReportingPeriod | None
    outstanding: Decimal | None
    par30: Decimal | None


@dataclass(frozen=True)
class InstitutionIndicatorOverview:
    latest: ReportingPeriod | None
    previous: ReportingPeriod | None
    headlines: list[HeadlineValue]
    quarters: list[QuarterFigures]  # oldest first, consecutive, ending with ``latest``


def _preferred(values: dict[str, IndicatorValue]) -> IndicatorValue | None:
    return next((values[v] for v in VARIANT_PREFERENCE if v in values), None)


def institution_indicator_overview(
    *, user: User, institution_id: object, today: datetime.date | None = None
) -> InstitutionIndicatorOverview:
    """The latest computed quarter's headline indicators with the previous quarter's values,
    and outstanding portfolio and PAR30 over the last eight quarters, for the institution page.

    The latest quarter is the most recent one with computed values that has ended by ``today``
    (a quarter still running has no final figures). Out of scope → 404. Five queries.
    """
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from indicators.models import Indicator
    from institutions.selectors import institution_get_for_user

    institution = institution_get_for_user(user=user, institution_id=institution_id)
    today = today or timezone.localdate()
    computed = list(
        ReportingPeriod.objects.filter(
            institution=institution,
            end_date__lte=today,
            indicator_values__segment=PortfolioSnapshot.Segment.TOTAL,
        )
        .distinct()
        .order_by("-year", "-quarter")[:HISTORY_QUARTERS]
    )
    if not computed:
        return InstitutionIndicatorOverview(None, None, [], [])
    latest = computed[0]
    # The calendar quarters of the window, oldest first (a missing quarter is a gap).
    index = _quarter_index(latest.year, latest.quarter)
    window = [divmod(i, 4) for i in range(index - HISTORY_QUARTERS + 1, index + 1)]
    window = [(year, quarter + 1) for year, quarter in window]
    by_key = {(period.year, period.quarter): period for period in computed}
    previous = by_key.get(window[-2])
    periods = [period for period in computed if (period.year, period.quarter) in set(window)]

    values: dict[tuple[int, str], dict[str, IndicatorValue]] = {}
    for value in IndicatorValue.objects.filter(
        period__in=periods,
        basis=IndicatorValue.Basis.QUARTER,
        segment=PortfolioSnapshot.Segment.TOTAL,
        indicator__code__in=HEADLINE_INDICATORS,
    ).select_related("indicator"):
        values.setdefault((value.period_id, value.indicator.code), {})[value.variant] = value
    # The snapshot of the source each quarter was computed from (its latest successful run).
    sources: dict[int, str] = {}
    for computation in IndicatorComputation.objects.filter(
        period__in=periods, status=IndicatorComputation.Status.SUCCEEDED
    ).order_by("created_at"):
        sources[computation.period_id] = computation.source
    snapshots: dict[int, PortfolioSnapshot] = {}
    for snapshot in PortfolioSnapshot.objects.filter(
        period__in=periods, segment=PortfolioSnapshot.Segment.TOTAL
    ):
        if snapshot.period_id not in snapshots or snapshot.source == sources.get(
            snapshot.period_id
        ):
            snapshots[snapshot.period_id] = snapshot

    def figure(period: ReportingPeriod | None, code: str) -> IndicatorValue | None:
        return _preferred(values.get((period.pk, code), {})) if period else None

    def amount(value: IndicatorValue | None) -> Decimal | None:
        return value.value if value is not None else None

    indicators = {i.code: i for i in Indicator.objects.filter(code__in=HEADLINE_INDICATORS)}
    headlines = []
    for code in HEADLINE_INDICATORS:
        indicator = indicators.get(code)
        if indicator is None:
            continue
        current = figure(latest, code)
        headlines.append(
            HeadlineValue(
                code=code,
                name=indicator.name,
                unit=indicator.unit,
                direction=indicator.direction,
                value=amount(current),
                previous=amount(figure(previous, code)),
                reason=current.reason_display if current is not None else "",
            )
        )
    for code, name, unit, attribute in (
        ("OUTSTANDING", _("Portfolio outstanding"), "currency", "outstanding"),
        ("ACTIVE_CLIENTS", _("Active clients"), "count", "active_clients"),
    ):
        latest_snapshot = snapshots.get(latest.pk)
        previous_snapshot = snapshots.get(previous.pk) if previous else None
        headlines.append(
            HeadlineValue(
                code=code,
                name=str(name),
                unit=unit,
                # Outreach: a growing portfolio and client base is the aim (guide ch. 3).
                direction="higher_better",
                value=_as_decimal(getattr(latest_snapshot, attribute, None)),
                previous=_as_decimal(getattr(previous_snapshot, attribute, None)),
                reason="" if latest_snapshot else str(_("Not computed")),
            )
        )
    quarters = []
    for year, quarter in window:
        period = by_key.get((year, quarter))
        snapshot = snapshots.get(period.pk) if period else None
        quarters.append(
            QuarterFigures(
                year=year,
                quarter=quarter,
                period=period,
                outstanding=snapshot.outstanding if snapshot else None,
                par30=amount(figure(period, "PAR30")),
            )
        )
    return InstitutionIndicatorOverview(latest, previous, headlines, quarters)


def _as_decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))
