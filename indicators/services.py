"""Writes of the indicator engine: loading the catalogue, and computing an institution-quarter.

A computation is a row with a status (STYLE rule 15). ``computation_request`` creates it and
enqueues the task after commit; ``computation_run`` (the task's only call) takes the row from
pending to running with a compare-and-set, so a duplicate delivery does nothing, computes, and
replaces the period's results — values, portfolio snapshots, findings and alerts — in one
transaction, so readers see either the old results or the new ones, never a mix or duplicates.
"""

from __future__ import annotations

import dataclasses
import datetime
import time
import traceback
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation

from indicators import contributors, engine, quality
from indicators import selectors as read
from indicators.catalog import CATALOGUE_DIRECTORY, FINANCIAL_CATALOGUE_PATH, load_catalogue
from indicators.inputs import (
    BalancePoint,
    EngineInputs,
    Flows,
    PortfolioPoint,
)
from indicators.models import (
    Alert,
    DataQualityFinding,
    Indicator,
    IndicatorComputation,
    IndicatorValue,
    PortfolioSnapshot,
)
from indicators.portfolio import SegmentPortfolio, portfolio_at
from institutions.models import (
    DEBT_BASED_TYPES,
    EQUITY_TYPES,
    FinancialStatement,
    PortfolioSummaryLine,
    ReportingPeriod,
)
from institutions.selectors import period_previous

ZERO = Decimal("0")
Source = IndicatorComputation.Source
Segment = PortfolioSnapshot.Segment

#: Ratios that need the window's income statements; the others come from balance sheets,
#: staffing and the portfolio, and are still computed when an income statement is missing.
INCOME_STATEMENT_CODES = frozenset(
    {
        "F4_OPERATING_EXPENSE",
        "F5_COST_PER_CLIENT",
        "F5_COST_PER_CLIENT_GNI",
        "F9_COST_OF_FUNDS",
        "F10_FINANCIAL_EXPENSE",
        "F12A_PORTFOLIO_YIELD",
        "YIELD_GAP",
        "F12B_PROVISION_EXPENSE",
        "F12B_NET_PROFIT_MARGIN",
        "SPREAD",
        "F13_ROE",
        "F14_ROA",
        "F15_OSS",
    }
)
#: Ratios on the window's write-offs, summed from the snapshots of its quarters: not computable
#: when a quarter of the window has none (D4, like the income-statement ratios).
WRITE_OFF_CODES = frozenset({"F3_WRITE_OFF"})
#: Portfolio ratios also produced per contract type, branch, gender and area (DECISIONS D6).
SEGMENT_CODES = frozenset(
    {
        "PAR1",
        "PAR30",
        "PAR60",
        "PAR90",
        "PAR180",
        "ARREARS_RATE",
        "F1B_UNREALISED_INCOME",
        "F1B_UNREALISED_INCOME_AMOUNT",
        "F2_RESTRUCTURED",
        "F3_WRITE_OFF",
    }
)
#: Flows and balances whose exact repetition from one quarter to the next is suspicious.
UNCHANGED_WATCHED = (
    "gross_financing_portfolio",
    "total_assets",
    "financing_income",
    "personnel_expense",
    "administrative_expense",
    "provision_expense",
)
QUARTER_MONTHS = 3


# --- Catalogue ------------------------------------------------------------------------------


@transaction.atomic
def indicator_catalog_load() -> int:
    """Store every catalogue file's indicators (idempotent upsert by code); returns the count.

    Financial indicators come first in display order, then the other catalogues by file name.
    """
    paths = [FINANCIAL_CATALOGUE_PATH] + sorted(
        path for path in CATALOGUE_DIRECTORY.glob("*.yaml") if path != FINANCIAL_CATALOGUE_PATH
    )
    count = 0
    for path in paths:
        count += _catalogue_file_load(path, first_order=count)
    return count


def _variant_label(variant: str) -> str:
    try:
        return str(IndicatorValue.Variant(variant).label)
    except ValueError:
        return variant


def _catalogue_file_load(path: object, *, first_order: int) -> int:
    catalogue = load_catalogue(path)  # type: ignore[arg-type]
    for order, definition in enumerate(catalogue.indicators, start=first_order):
        formula = {}
        for language in ("en", "fr", "ar"):
            # Each variant's formula under its name in that language ("Islamic: …").
            with translation.override(language):
                formula[language] = " | ".join(
                    f"{_variant_label(variant)}: {texts[language]}"
                    if len(definition.formula) > 1
                    else texts[language]
                    for variant, texts in definition.formula.items()
                )
        Indicator.objects.update_or_create(
            code=definition.code,
            defaults={
                "catalogue": catalogue.name,
                "catalogue_version": catalogue.version,
                "category": definition.category,
                "unit": definition.unit,
                "direction": definition.direction,
                "name_en": definition.names["en"],
                "name_fr": definition.names["fr"],
                "name_ar": definition.names["ar"],
                "formula_en": formula["en"],
                "formula_fr": formula["fr"],
                "formula_ar": formula["ar"],
                "guide_reference": ", ".join(
                    filter(
                        None,
                        [
                            f"table 16 row {definition.guide_ref.table_16_row}"
                            if definition.guide_ref.table_16_row
                            else "",
                            *definition.guide_ref.lines,
                        ],
                    )
                ),
                "variants": list(definition.variants),
                "display_order": order,
            },
        )
    return len(catalogue.indicators)


# --- Requesting and running a computation ---------------------------------------------------


def computation_request(*, period: ReportingPeriod, trigger: str) -> IndicatorComputation:
    """Record a pending computation and enqueue it once the caller's transaction commits."""
    from indicators.tasks import computation_run_task

    computation = IndicatorComputation.objects.create(period=period, trigger=trigger)
    computation_run_task.delay_on_commit(computation.pk)
    return computation


def computation_run(*, computation_id: int) -> IndicatorComputation | None:
    """Run a pending computation; returns None if another worker already took it."""
    taken = IndicatorComputation.objects.filter(
        pk=computation_id, status=IndicatorComputation.Status.PENDING
    ).update(status=IndicatorComputation.Status.RUNNING, started_at=timezone.now())
    if not taken:
        # Celery delivers at least once: another worker got there first, or it already ran.
        return None
    computation = IndicatorComputation.objects.select_related("period__institution").get(
        pk=computation_id
    )
    started = time.perf_counter()
    try:
        timings = _compute_and_store(computation)
    except Exception:
        IndicatorComputation.objects.filter(pk=computation_id).update(
            status=IndicatorComputation.Status.FAILED,
            finished_at=timezone.now(),
            duration_seconds=time.perf_counter() - started,
            error=traceback.format_exc(limit=20),
        )
        raise
    IndicatorComputation.objects.filter(pk=computation_id).update(
        status=IndicatorComputation.Status.SUCCEEDED,
        finished_at=timezone.now(),
        duration_seconds=time.perf_counter() - started,
        timings=timings,
        engine_version=engine.ENGINE_VERSION,
        catalogue_version=load_catalogue().version,
    )
    computation.refresh_from_db()
    return computation


def indicators_compute_now(*, period: ReportingPeriod, trigger: str) -> IndicatorComputation:
    """Compute a period in this process (commands, tests, the benchmark's reference path)."""
    computation = IndicatorComputation.objects.create(period=period, trigger=trigger)
    result = computation_run(computation_id=computation.pk)
    assert result is not None  # freshly created: nobody else can have taken it
    return result


# --- The computation itself -----------------------------------------------------------------


def _compute_and_store(computation: IndicatorComputation) -> dict[str, float]:
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step] = round(now - clock, 4)
        clock = now

    period = computation.period
    if not Indicator.objects.exists():
        indicator_catalog_load()
    windows = read.period_windows(period=period)
    loan_level = read.has_loan_level_data(institution_id=period.institution_id)
    source = Source.LOAN_LEVEL if loan_level else Source.SUMMARY

    # Portfolio snapshots: this quarter always; earlier quarter ends of the windows if missing.
    current_segments: list[SegmentPortfolio] | None = None
    if loan_level:
        current_segments = _portfolio_of(period)
        needed = {
            p.pk: p for w in windows for p in ([w.opening] if w.opening else []) + list(w.quarters)
        }
        needed.pop(period.pk, None)
        stored = set(
            PortfolioSnapshot.objects.filter(period__in=needed, source=source).values_list(
                "period_id", flat=True
            )
        )
        earlier = {pk: _portfolio_of(p) for pk, p in needed.items() if pk not in stored}
    lap("portfolio_sql")

    with transaction.atomic():
        ReportingPeriod.objects.select_for_update().get(pk=period.pk)
        if loan_level:
            assert current_segments is not None
            _snapshots_replace(period, source, current_segments)
            for pk, segments in earlier.items():
                _snapshots_replace(needed[pk], source, segments)
        else:
            _snapshots_replace(period, source, _summary_segments(period))
        lap("snapshots_store")

        results, segment_results, flows_by_basis = _ratios(period, windows, source)
        lap("ratios")
        findings = _findings(period, source, results, flows_by_basis)
        previous_year = ReportingPeriod.objects.filter(
            institution_id=period.institution_id, year=period.year - 1, quarter=period.quarter
        ).first()
        fired = engine.alerts(
            [r for r in results if r.basis == "quarter"],
            read.stored_results(period=previous_year, basis="quarter") if previous_year else None,
            break_even_reached_before=read.break_even_reached_before(period=period),
        )
        contributed = contributors.contributions_for(period)
        lap("contributors")
        _results_replace(
            computation,
            results + contributed.results,
            segment_results,
            findings + contributed.findings,
            fired + contributed.alerts,
        )
        lap("store")
    return timings


def _portfolio_of(period: ReportingPeriod) -> list[SegmentPortfolio]:
    previous_end = period.start_date - datetime.timedelta(days=1)
    return portfolio_at(
        institution_id=period.institution_id, as_of=period.end_date, window_start=previous_end
    )


def _snapshots_replace(
    period: ReportingPeriod, source: str, segments: Iterable[SegmentPortfolio]
) -> None:
    PortfolioSnapshot.objects.filter(period=period, source=source).delete()
    annualise = Decimal(12) / Decimal(QUARTER_MONTHS)
    PortfolioSnapshot.objects.bulk_create(
        PortfolioSnapshot(
            period=period,
            source=source,
            segment=row.segment,
            segment_value=row.segment_value,
            outstanding=row.outstanding,
            gross_receivable=row.gross_receivable,
            outstanding_debt_based=row.outstanding_debt_based,
            late_1=row.late[1],
            late_30=row.late[30],
            late_60=row.late[60],
            late_90=row.late[90],
            late_180=row.late[180],
            late_all_1=row.late_all.get(1),
            late_all_30=row.late_all.get(30),
            late_all_60=row.late_all.get(60),
            late_all_90=row.late_all.get(90),
            late_all_180=row.late_all.get(180),
            arrears=row.arrears if source == Source.LOAN_LEVEL else None,
            arrears_debt_based=row.arrears_debt_based if source == Source.LOAN_LEVEL else None,
            restructured=row.restructured,
            restructured_in_arrears=row.restructured_in_arrears,
            written_off_in_period=row.written_off_in_period,
            disbursed_in_period=row.disbursed_in_period,
            number_disbursed_in_period=row.number_disbursed_in_period,
            profit_received_in_period=row.profit_received_in_period
            if source == Source.LOAN_LEVEL
            else None,
            profit_due_in_period=row.profit_due_in_period if source == Source.LOAN_LEVEL else None,
            active_financings=row.active_financings,
            active_clients=row.active_clients,
            equity_capital=row.equity_capital,
            equity_capital_appraised=row.equity_capital_appraised,
            equity_expected_income=row.equity_expected_income
            if source == Source.LOAN_LEVEL
            else None,
            equity_realised_income=row.equity_profit_in_period * annualise
            if source == Source.LOAN_LEVEL
            else None,
        )
        for row in segments
    )


def _summary_segments(period: ReportingPeriod) -> list[SegmentPortfolio]:
    """The quarterly return's summary as portfolio segments (total and per contract type).

    The summary carries no arrears amount, no equity appraisal and no client identities, so
    active clients are summed over contract types (a client with two types counts twice) —
    which the snapshot's source label makes visible.
    """
    lines = list(PortfolioSummaryLine.objects.filter(period=period).order_by("contract_type"))

    def segment(name: str, value: str, group: list[PortfolioSummaryLine]) -> SegmentPortfolio:
        debt = [line for line in group if line.contract_type in DEBT_BASED_TYPES]
        equity = [line for line in group if line.contract_type in EQUITY_TYPES]

        def total(items: list[PortfolioSummaryLine], field: str) -> Decimal:
            return sum((getattr(line, field) or ZERO for line in items), ZERO)

        return SegmentPortfolio(
            segment=name,
            segment_value=value,
            outstanding=total(group, "outstanding"),
            gross_receivable=sum(
                (line.gross_receivable or line.outstanding for line in group), ZERO
            ),
            outstanding_debt_based=total(debt, "outstanding"),
            late={n: total(debt, f"par_{n}") for n in (1, 30, 60, 90, 180)},
            late_all={n: total(group, f"par_{n}") for n in (1, 30, 60, 90, 180)},
            arrears=ZERO,
            restructured=total(group, "restructured_outstanding"),
            restructured_in_arrears=total(group, "restructured_in_arrears"),
            active_financings=sum(line.number_of_financings for line in group),
            active_clients=sum(line.active_clients for line in group),
            equity_capital=total(equity, "outstanding"),
            equity_capital_appraised=ZERO,
            equity_expected_income=ZERO,
            equity_profit_in_period=ZERO,
            profit_received_in_period=ZERO,
            disbursed_in_period=total(group, "disbursed_amount"),
            number_disbursed_in_period=sum(line.number_disbursed for line in group),
            written_off_in_period=total(group, "written_off"),
            profit_due_in_period=ZERO,  # not in the summary; stored as NULL
        )

    segments = [segment("total", "", lines)] if lines else []
    segments += [segment("contract_type", line.contract_type, [line]) for line in lines]
    return segments


def _zero_flows(window: read.Window, written_off: Decimal) -> Flows:
    amounts = dict.fromkeys(read.FLOW_FIELDS, ZERO)
    return Flows(
        start=window.start, end=window.end, months=window.months, written_off=written_off, **amounts
    )


def _scheduled_profit(window: read.Window, source: str) -> Decimal | None:
    """Profit falling due in the window by the schedules, from the snapshots of its quarters
    (total segment); None unless every quarter has it (loan-level data only)."""
    if source != Source.LOAN_LEVEL or not window.complete:
        return None
    amounts = list(
        PortfolioSnapshot.objects.filter(
            period__in=window.quarters, source=source, segment=Segment.TOTAL
        ).values_list("profit_due_in_period", flat=True)
    )
    if len(amounts) != window.expected_quarters or None in amounts:
        return None
    return sum(amounts, ZERO)


def _written_off(window: read.Window, source: str) -> Decimal | None:
    """Write-offs of the window, from the snapshots of its quarters (total segment); None unless
    every quarter of the window has its snapshot (D4: a missing quarter is not 0, and a partial
    sum annualised over the whole window would understate the write-off ratio)."""
    amounts = list(
        PortfolioSnapshot.objects.filter(
            period__in=window.quarters, source=source, segment=Segment.TOTAL
        ).values_list("written_off_in_period", flat=True)
    )
    if not window.complete or len(amounts) != window.expected_quarters:
        return None
    return sum(amounts, ZERO)


def _quarters_with_snapshot(window: read.Window, source: str) -> int:
    return PortfolioSnapshot.objects.filter(
        period__in=window.quarters, source=source, segment=Segment.TOTAL
    ).count()


def _not_computable(result: engine.RatioResult, reason: str) -> engine.RatioResult:
    return dataclasses.replace(
        result, value=None, reason_code=engine.Reason.MISSING_DATA, reason=reason
    )


def _ratios(
    period: ReportingPeriod, windows: list[read.Window], source: str
) -> tuple[
    list[engine.RatioResult],
    list[tuple[str, str, engine.RatioResult]],
    dict[str, Flows | None],
]:
    institution = period.institution
    gni = read.gni_per_capita_local(institution=institution, year=period.year)
    results: list[engine.RatioResult] = []
    flows_by_basis: dict[str, Flows | None] = {}
    for window in windows:
        written_off = _written_off(window, source)
        flows = read.window_flows(window=window, written_off=written_off or ZERO)
        flows_by_basis[window.basis] = flows
        inputs = EngineInputs(
            basis=window.basis,
            flows=dataclasses.replace(
                flows or _zero_flows(window, written_off or ZERO),
                scheduled_profit=_scheduled_profit(window, source),
            ),
            balance_points=read.balance_points(window=window),
            portfolio_points=read.portfolio_points(window=window, source=source),
            staff_points=read.staff_points(window=window),
            gni_per_capita_local=gni,
        )
        computed = engine.compute(inputs)
        if flows is None:
            missing = (
                ", ".join(
                    f"{p.year}Q{p.quarter}"
                    for p in window.quarters
                    if not FinancialStatement.objects.filter(period=p).exists()
                )
                or "quarters without a reporting period"
            )
            reason = f"Income statements are missing for {missing}."
            computed = [
                _not_computable(r, reason) if r.code in INCOME_STATEMENT_CODES else r
                for r in computed
            ]
        if written_off is None:
            reason = (
                f"Write-offs are known for {_quarters_with_snapshot(window, source)} of the "
                f"{window.expected_quarters} quarters of the {window.basis} window."
            )
            computed = [
                _not_computable(r, reason) if r.code in WRITE_OFF_CODES else r for r in computed
            ]
        results += computed
    return results, _segment_ratios(period, windows[0], source), flows_by_basis


def _segment_ratios(
    period: ReportingPeriod, window: read.Window, source: str
) -> list[tuple[str, str, engine.RatioResult]]:
    """Portfolio ratios of the quarter per segment (D6), from the segment snapshots: the write-off
    ratio's average uses the segment's own outstanding at the opening and closing points."""
    snapshots = (
        PortfolioSnapshot.objects.filter(
            period__in=[p for p in (window.opening, period) if p is not None], source=source
        )
        .exclude(segment=Segment.TOTAL)
        .select_related("period")
    )
    by_segment: dict[tuple[str, str], list[PortfolioSnapshot]] = {}
    for snapshot in snapshots:
        by_segment.setdefault((snapshot.segment, snapshot.segment_value), []).append(snapshot)
    results = []
    for (segment, value), rows in sorted(by_segment.items()):
        rows.sort(key=lambda s: s.period.end_date)
        if rows[-1].period_id != period.pk:
            continue  # the segment no longer exists at the quarter end
        points: tuple[PortfolioPoint, ...] = tuple(
            read.portfolio_point_from_snapshot(row) for row in rows
        )
        balances = tuple(
            BalancePoint(
                date=row.period.end_date,
                gross_financing_portfolio=row.outstanding,
                **dict.fromkeys(_ZERO_BALANCE_FIELDS, ZERO),
            )
            for row in rows
        )
        inputs = EngineInputs(
            basis="quarter",
            flows=_zero_flows(window, rows[-1].written_off_in_period),
            balance_points=balances,
            portfolio_points=points,
            staff_points=(),
        )
        results += [
            (segment, value, result)
            for result in engine.compute(inputs)
            if result.code in SEGMENT_CODES
        ]
    return results


_ZERO_BALANCE_FIELDS = tuple(
    field.name
    for field in dataclasses.fields(BalancePoint)
    if field.name not in {"date", "gross_financing_portfolio"}
)


def _findings(
    period: ReportingPeriod,
    source: str,
    results: list[engine.RatioResult],
    flows_by_basis: dict[str, Flows | None],
) -> list[quality.Finding]:
    statement = FinancialStatement.objects.filter(period=period).first()
    total = PortfolioSnapshot.objects.filter(
        period=period, source=source, segment=Segment.TOTAL
    ).first()
    previous = period_previous(period=period)
    previous_statement = (
        FinancialStatement.objects.filter(period=previous).first() if previous else None
    )
    previous_total = (
        PortfolioSnapshot.objects.filter(
            period=previous, source=source, segment=Segment.TOTAL
        ).first()
        if previous
        else None
    )
    quarter = [r for r in results if r.basis == "quarter"]
    par30_now = next(
        (r.value for r in quarter if r.code == "PAR30" and r.variant == "islamic"), None
    )
    par30_before = _stored_value(previous, "PAR30", "islamic")
    found: list[quality.Finding] = []
    if statement is not None:
        found += quality.balance_sheet_balances(
            total_assets=statement.total_assets,
            liabilities_mudaraba_equity=statement.liabilities_and_equity,
        )
        found += quality.late_payments_in_income(
            collected_from_contracts=read.late_payments_collected(period=period),
            reported_memo=statement.late_payment_collected,
        )
        if total is not None and source == Source.LOAN_LEVEL:
            found += quality.portfolio_vs_balance_sheet(
                from_contracts=total.outstanding,
                on_balance_sheet=statement.gross_financing_portfolio,
            )
        summary = read.summary_totals(period=period)
        if summary:
            found += quality.components_sum_to_total(
                label="the portfolio summary",
                total=statement.gross_financing_portfolio,
                components=summary,
            )
        found += quality.unchanged_figures(
            current={name: getattr(statement, name) for name in UNCHANGED_WATCHED},
            previous={name: getattr(previous_statement, name) for name in UNCHANGED_WATCHED}
            if previous_statement
            else None,
        )
    if total is not None and source == Source.LOAN_LEVEL:
        found += quality.equity_capital_not_appraised(
            capital=total.equity_capital, appraised=total.equity_capital_appraised
        )
    if source == Source.LOAN_LEVEL:
        summary = read.summary_totals(period=period)
        if summary:
            contracts = {
                s.segment_value: s.outstanding
                for s in PortfolioSnapshot.objects.filter(
                    period=period, source=source, segment=Segment.CONTRACT_TYPE
                )
            }
            found += quality.summary_vs_contracts(summary=summary, contracts=contracts)
    if flows_by_basis.get("quarter") is not None:
        found += quality.yield_reconciliation(gap_points=engine.yield_reconciliation_gap(quarter))
    if total is not None and previous_total is not None:
        found += quality.par_falls_while_losses_spike(
            par30_now=par30_now,
            par30_before=par30_before,
            written_off_now=total.written_off_in_period,
            written_off_before=previous_total.written_off_in_period,
            restructured_now=total.restructured,
            restructured_before=previous_total.restructured,
        )
    return found


def _stored_value(period: ReportingPeriod | None, code: str, variant: str) -> Decimal | None:
    if period is None:
        return None
    return (
        IndicatorValue.objects.filter(
            period=period,
            indicator__code=code,
            variant=variant,
            basis="quarter",
            segment=Segment.TOTAL,
        )
        .values_list("value", flat=True)
        .first()
    )


def _value_row(
    computation: IndicatorComputation,
    indicators: dict[str, Indicator],
    result: engine.RatioResult,
    segment: str = Segment.TOTAL,
    segment_value: str = "",
) -> IndicatorValue:
    return IndicatorValue(
        period=computation.period,
        computation=computation,
        indicator=indicators[result.code],
        variant=result.variant,
        basis=result.basis,
        segment=segment,
        segment_value=segment_value,
        value=result.value,
        numerator=result.numerator,
        denominator=result.denominator,
        averaging_points=result.averaging_points,
        reason_code=str(result.reason_code or ""),
        reason=result.reason[:300],
    )


def _results_replace(
    computation: IndicatorComputation,
    results: list[engine.RatioResult],
    segment_results: list[tuple[str, str, engine.RatioResult]],
    findings: list[quality.Finding],
    fired: list[engine.Alert],
) -> None:
    period = computation.period
    codes = {r.code for r in results} | {r.code for _s, _v, r in segment_results}
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=codes)}
    if len(indicators) != len(codes):
        indicator_catalog_load()
        indicators = {i.code: i for i in Indicator.objects.filter(code__in=codes)}
    IndicatorValue.objects.filter(period=period).delete()
    DataQualityFinding.objects.filter(period=period).delete()
    Alert.objects.filter(period=period).delete()
    IndicatorValue.objects.bulk_create(
        [_value_row(computation, indicators, r) for r in results]
        + [_value_row(computation, indicators, r, s, v) for s, v, r in segment_results],
        batch_size=2000,
    )
    DataQualityFinding.objects.bulk_create(
        DataQualityFinding(
            period=period,
            computation=computation,
            code=f.code,
            severity=f.severity,
            message=f.message,
            params=dict(f.params),
        )
        for f in findings
    )
    Alert.objects.bulk_create(
        Alert(
            period=period,
            computation=computation,
            code=a.code,
            severity="error" if a.severity == engine.Severity.CRITICAL else str(a.severity),
            message=a.message,
            value=a.value,
            threshold=a.threshold,
        )
        for a in fired
    )
