"""Computing an institution-quarter end to end: snapshots, every basis, segments, findings,
idempotent recomputation, the summary source and the task path.

The quarter is 2025Q4 of the hand-computed book in conftest.py (see test_portfolio.py), with
these statements (quarter flows; × 4 to annualise):

              GFP     assets  liabilities mudaraba equity  deposits 3rd-party (short) mud.short cash ST-inv current-liab.
  2025Q3   42,000    50,000     20,000     5,000   25,000   8,000   12,000   (3,000)  1,000    6,000 2,000  10,000
  2025Q4   33,500    46,000     18,000     4,000   24,000   7,000   11,000   (2,000)  1,000    5,000 1,000   9,000

  2025Q4 income: financing 2,400, ijara depreciation 100, other operating 200, non-operating 50,
  donations 300; funding: deposits 100, third party 250, mudaraba profit 150; provisions 200;
  personnel 900, administrative 400; taxes 60.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators.models import (
    DataQualityFinding,
    IndicatorComputation,
    IndicatorValue,
    PortfolioSnapshot,
)
from indicators.services import indicators_compute_now
from indicators.tasks import computation_run_task
from institutions import services as institution_services
from institutions.models import FinancingContract, Institution, ReportingPeriod
from tests.factories import (
    LatePaymentChargeFactory,
    PortfolioSummaryLineFactory,
    ReportingPeriodFactory,
)
from tests.indicators.conftest import D

pytestmark = pytest.mark.django_db
MANUAL = IndicatorComputation.Trigger.MANUAL


def _value(
    period: ReportingPeriod, code: str, variant: str = "both", **extra: str
) -> IndicatorValue:
    return IndicatorValue.objects.get(
        period=period,
        indicator__code=code,
        variant=variant,
        basis=extra.pop("basis", "quarter"),
        segment=extra.pop("segment", "total"),
        segment_value=extra.pop("segment_value", ""),
    )


def test_quarter_ratios_by_hand(quarters: tuple[ReportingPeriod, ReportingPeriod]) -> None:
    _q3, q4 = quarters
    computation = indicators_compute_now(period=q4, trigger=MANUAL)
    assert computation.status == IndicatorComputation.Status.SUCCEEDED

    expected = {
        # average GFP = (42,000 + 33,500) / 2 = 37,750
        ("F4_OPERATING_EXPENSE", "both"): "13.7748",  # (900 + 400) × 4 / 37,750
        ("F12A_PORTFOLIO_YIELD", "both"): "24.3709",  # (2,400 − 100) × 4 / 37,750
        # profit falling due in Q4 by the schedules: 1,100 (test_portfolio) × 4 / 37,750
        ("F12A_CONTRACTUAL_YIELD", "both"): "11.6556",
        ("YIELD_GAP", "both"): "-12.7152",  # (4,400 − 9,200) / 37,750: earned above schedule
        ("F10_FINANCIAL_EXPENSE", "both"): "5.2980",  # (100 + 250 + 150) × 4 / 37,750
        ("F3_WRITE_OFF", "both"): "21.1921",  # C8 2,000 × 4 / 37,750
        # (100 + 250 + 150) × 4 / (avg deposits 7,500 + avg third party 11,500 + avg mudaraba 4,500)
        ("F9_COST_OF_FUNDS", "islamic"): "8.5106",
        ("F9_COST_OF_FUNDS", "conventional"): "7.3684",  # (100 + 250) × 4 / (7,500 + 11,500)
        ("F8_DEBT_TO_EQUITY", "conventional"): "0.7500",  # 18,000 / 24,000
        ("F8_DEBT_TO_EQUITY", "islamic"): "0.9167",  # (7,000 + 11,000 + 4,000) / 24,000
        ("F11_LIQUIDITY", "conventional"): "0.6667",  # (5,000 + 1,000) / 9,000
        ("F11_LIQUIDITY", "islamic"): "0.6000",  # 6,000 / (7,000 + 2,000 + 1,000)
        # net income before donations: 2,300 + 200 + 50 − 500 − 200 − 1,300 − 60 = 490; × 4 = 1,960
        ("F13_ROE", "both"): "8.0000",  # 1,960 / ((25,000 + 24,000) / 2)
        ("F14_ROA", "both"): "4.0833",  # 1,960 / ((50,000 + 46,000) / 2)
        ("F15_OSS", "both"): "125.0000",  # (2,300 + 200) / (500 + 200 + 1,300)
        # portfolio ratios from the loan-level book (conftest): late > 30 days 13,500
        ("PAR30", "islamic"): "67.1642",  # 13,500 / debt-based 20,100
        ("PAR30", "conventional"): "40.7855",  # 13,500 / all 33,100
        ("PAR90", "islamic"): "24.8756",  # 5,000 / 20,100
        ("F2_RESTRUCTURED", "conventional"): "9.0634",  # 3,000 / 33,100
        ("F1B_UNREALISED_INCOME", "islamic"): "8.0000",  # 30 % expected − 550 × 4 / 10,000
        ("F7_STAFF_PRODUCTIVITY", "both"): "0.4286",  # 9 clients both dates / ((20 + 22) / 2)
        ("F6_OFFICER_PRODUCTIVITY", "both"): "1.0000",  # 9 / ((8 + 10) / 2)
    }
    actual = {}
    for code, variant in expected:
        rows = IndicatorValue.objects.filter(
            period=q4, indicator__code=code, basis="quarter", segment="total"
        )
        row = rows.filter(variant=variant).first() or rows.get()
        actual[(code, variant)] = row.value
    assert actual == {key: Decimal(value) for key, value in expected.items()}

    yield_value = _value(q4, "F12A_PORTFOLIO_YIELD")
    assert (yield_value.numerator, yield_value.denominator) == (Decimal("9200"), Decimal("37750"))
    assert yield_value.averaging_points == 2
    contractual = _value(q4, "F12A_CONTRACTUAL_YIELD")
    assert (contractual.numerator, contractual.denominator) == (Decimal("4400"), Decimal("37750"))
    snapshot = PortfolioSnapshot.objects.get(period=q4, segment="total", source="loan_level")
    assert snapshot.profit_due_in_period == Decimal("1100.00")


def test_windows_without_enough_quarters_are_null_with_a_reason(
    quarters: tuple[ReportingPeriod, ReportingPeriod],
) -> None:
    q3, q4 = quarters
    indicators_compute_now(period=q4, trigger=MANUAL)
    ttm = _value(q4, "F4_OPERATING_EXPENSE", basis="ttm")
    assert ttm.value is None
    assert ttm.reason_code == "missing_data"
    assert "Income statements are missing" in ttm.reason
    # The first quarter has no opening balance: averaged ratios are not computable (D2) ...
    indicators_compute_now(period=q3, trigger=MANUAL)
    first = _value(q3, "F4_OPERATING_EXPENSE")
    assert (first.value, first.reason_code) == (None, "missing_opening_balance")
    # ... while closing-date ratios are.
    assert _value(q3, "F8_DEBT_TO_EQUITY", "conventional").value == Decimal("0.8000")


def test_segments_and_snapshots(quarters: tuple[ReportingPeriod, ReportingPeriod]) -> None:
    _q3, q4 = quarters
    indicators_compute_now(period=q4, trigger=MANUAL)
    salam = _value(q4, "PAR180", "islamic", segment="contract_type", segment_value="salam")
    assert salam.value == Decimal("100.0000")  # the whole salam book is 184 days late
    murabaha = _value(q4, "PAR30", "islamic", segment="contract_type", segment_value="murabaha")
    assert murabaha.value == Decimal("83.3333")  # (C2 2,000 + C7 3,000) / 6,000
    # The opening quarter's snapshot was computed too, to serve as the averaging point.
    assert PortfolioSnapshot.objects.filter(period=_q3, segment="total").count() == 1


def test_findings(quarters: tuple[ReportingPeriod, ReportingPeriod]) -> None:
    _q3, q4 = quarters
    contract = FinancingContract.objects.filter(institution=q4.institution).first()
    LatePaymentChargeFactory(
        contract=contract, date=D(2025, 11, 1), amount=Decimal(120), collected_on=D(2025, 11, 20)
    )
    indicators_compute_now(period=q4, trigger=MANUAL)
    codes = set(DataQualityFinding.objects.filter(period=q4).values_list("code", flat=True))
    # The balance sheet says 33,500, the contracts 33,100 (1.2 % apart, above the 1 % tolerance).
    assert "portfolio_vs_balance_sheet" in codes
    # 120 collected in late-payment amounts, none set aside in the return's memo line.
    assert "late_payments_in_income" in codes
    # Yield 24.37 vs OER 13.77 + FER 5.30 + provisions 2.12 + net margin 5.19: 2.01 points apart.
    assert "yield_does_not_reconcile" in codes
    assert "balance_sheet_does_not_balance" not in codes


def test_recomputation_replaces_results(quarters: tuple[ReportingPeriod, ReportingPeriod]) -> None:
    _q3, q4 = quarters
    indicators_compute_now(period=q4, trigger=MANUAL)
    counts = (
        IndicatorValue.objects.filter(period=q4).count(),
        PortfolioSnapshot.objects.filter(period=q4).count(),
        DataQualityFinding.objects.filter(period=q4).count(),
    )
    values = list(IndicatorValue.objects.filter(period=q4).values_list("indicator__code", "value"))
    second = indicators_compute_now(period=q4, trigger=MANUAL)
    assert (
        IndicatorValue.objects.filter(period=q4).count(),
        PortfolioSnapshot.objects.filter(period=q4).count(),
        DataQualityFinding.objects.filter(period=q4).count(),
    ) == counts
    assert set(IndicatorValue.objects.filter(period=q4).values_list("computation", flat=True)) == {
        second.pk
    }
    assert sorted(values, key=str) == sorted(
        IndicatorValue.objects.filter(period=q4).values_list("indicator__code", "value"), key=str
    )


def test_task_runs_once(quarters: tuple[ReportingPeriod, ReportingPeriod]) -> None:
    _q3, q4 = quarters
    computation = IndicatorComputation.objects.create(period=q4, trigger=MANUAL)
    assert computation_run_task.apply(args=[computation.pk]).get() == "succeeded"
    # A repeated delivery finds the computation taken and changes nothing.
    assert computation_run_task.apply(args=[computation.pk]).get() is None
    computation.refresh_from_db()
    assert computation.status == "succeeded"
    assert set(computation.timings) >= {"portfolio_sql", "ratios", "store"}


def test_failure_is_recorded(
    quarters: tuple[ReportingPeriod, ReportingPeriod], monkeypatch
) -> None:
    _q3, q4 = quarters
    from indicators import services

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_compute_and_store", broken)
    computation = IndicatorComputation.objects.create(period=q4, trigger=MANUAL)
    with pytest.raises(RuntimeError):
        services.computation_run(computation_id=computation.pk)
    computation.refresh_from_db()
    assert computation.status == "failed"
    assert "disk full" in computation.error


def test_submission_requests_a_computation(
    quarters: tuple[ReportingPeriod, ReportingPeriod],
    manager: object,
    django_capture_on_commit_callbacks: object,
) -> None:
    _q3, q4 = quarters
    # ``manager`` is the manager of ``institution``, the book's institution.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
        institution_services.period_submit(actor=manager, period=q4)  # type: ignore[arg-type]
    pending = IndicatorComputation.objects.get(period=q4)
    assert (pending.trigger, pending.status) == ("submission", "pending")
    assert len(callbacks) == 1  # the task is enqueued only once the transition commits


def test_summary_source_when_no_contracts(institution: Institution) -> None:
    q1 = ReportingPeriodFactory(institution=institution, year=2026, quarter=1)
    PortfolioSummaryLineFactory(
        period=q1, contract_type="murabaha", outstanding=Decimal(8000),
        par_1=Decimal(1200), par_30=Decimal(800), par_60=Decimal(0), par_90=Decimal(0),
        par_180=Decimal(0), restructured_outstanding=Decimal(0), restructured_in_arrears=Decimal(0),
    )  # fmt: skip
    PortfolioSummaryLineFactory(
        period=q1, contract_type="mudaraba", outstanding=Decimal(2000),
        par_1=Decimal(0), par_30=Decimal(0), par_60=Decimal(0), par_90=Decimal(0),
        par_180=Decimal(0), restructured_outstanding=Decimal(0), restructured_in_arrears=Decimal(0),
    )  # fmt: skip
    indicators_compute_now(period=q1, trigger=MANUAL)
    assert _value(q1, "PAR30", "islamic").value == Decimal("10.0000")  # 800 / 8,000 debt-based
    assert _value(q1, "PAR30", "conventional").value == Decimal("8.0000")  # 800 / 10,000
    arrears = _value(q1, "ARREARS_RATE", "islamic")
    assert (arrears.value, arrears.reason_code) == (None, "missing_data")
    snapshot = PortfolioSnapshot.objects.get(period=q1, segment="total")
    assert snapshot.source == "summary"
    # The summary has no schedules: no contractual yield, so no yield gap (never 0).
    assert snapshot.profit_due_in_period is None
    for code in ("F12A_CONTRACTUAL_YIELD", "YIELD_GAP"):
        value = _value(q1, code)
        assert (value.value, value.reason_code) == (None, "missing_data")


def test_islamic_arrears_rate_is_on_debt_based_financings_only(institution: Institution) -> None:
    """Audit probe through the computation: murabaha 1,000 current, musharaka 5,000 whose bullet
    fell due on 1 Oct 2025 unpaid. Islamic arrears rate = debt-based overdue 0 / debt-based
    outstanding 1,000 = 0 % (was 5,000 / 1,000 = 500 %); conventional = 5,000 / 6,000 =
    83.3333 %."""
    from tests.factories import ClientFactory
    from tests.indicators.conftest import _contract, _instalment

    client = ClientFactory(institution=institution)
    murabaha = _contract(institution, client, "murabaha", 1000, 100)
    _instalment(murabaha, 1, D(2026, 3, 31), 1000, 100)
    musharaka = _contract(institution, client, "musharaka", 5000, expected_roi=Decimal("20"))
    _instalment(musharaka, 1, D(2025, 10, 1), 5000)
    q4 = ReportingPeriodFactory(institution=institution, year=2025, quarter=4)
    indicators_compute_now(period=q4, trigger=MANUAL)
    islamic = _value(q4, "ARREARS_RATE", "islamic")
    assert (islamic.value, islamic.numerator, islamic.denominator) == (
        Decimal("0.0000"),
        Decimal("0.0000"),
        Decimal("1000.0000"),
    )
    assert _value(q4, "ARREARS_RATE", "conventional").value == Decimal("83.3333")


def test_write_off_ratio_is_null_when_a_quarter_of_the_window_is_missing(
    quarters: tuple[ReportingPeriod, ReportingPeriod],
) -> None:
    """TTM of 2025Q4 = 2025Q1…Q4, opening 2024Q4. With 2024Q4, 2025Q3 and 2025Q4 reported but
    2025Q1 and Q2 missing, the average GFP has its opening and closing points, but the write-offs
    are known for two quarters only: 2,000 (C8, Q4) × 12 / 12 over the average GFP would be
    understated (the missing quarters counted as 0). D4: NULL with the reason. The quarter basis
    keeps its value: 2,000 × 4 / 37,750 = 21.1921 %."""
    from tests.indicators.conftest import _statement

    q3, q4 = quarters
    q2024 = ReportingPeriodFactory(institution=q4.institution, year=2024, quarter=4)
    _statement(q2024, gross_financing_portfolio=40000, total_assets=50000, total_equity=25000)
    indicators_compute_now(period=q4, trigger=MANUAL)
    ttm = _value(q4, "F3_WRITE_OFF", basis="ttm")
    assert (ttm.value, ttm.reason_code) == (None, "missing_data")
    assert "Write-offs are known for 2 of the 4 quarters" in ttm.reason
    assert _value(q4, "F3_WRITE_OFF").value == Decimal("21.1921")


def test_unrealised_income_row_is_consistent_and_unappraised_capital_is_recorded(
    quarters: tuple[ReportingPeriod, ReportingPeriod],
) -> None:
    """The book's equity capital: C6 musharaka 10,000 (expected ROI 30 %), C9 diminishing
    musharaka 4,000 and C11 mudaraba 3,000 without an appraisal: 17,000. Expected income on the
    appraised capital 10,000 × 30 % = 3,000; realised 550 × 4 = 2,200; unrealised 800.
    F1b = 800 / 10,000 × 100 = 8 points, stored with numerator 800 and denominator 10,000 (was
    denominator 17,000, and 800 / 17,000 = 4.7 % contradicted the value 8). The 7,000 left out
    (7,000 / 17,000 = 41.18 %) is a data-quality finding. YTD/TTM: not applicable (D8)."""
    from indicators.messages import finding_message

    _q3, q4 = quarters
    indicators_compute_now(period=q4, trigger=MANUAL)
    f1b = _value(q4, "F1B_UNREALISED_INCOME", "islamic")
    assert (f1b.value, f1b.numerator, f1b.denominator) == (
        Decimal("8.0000"),
        Decimal("800.0000"),
        Decimal("10000.0000"),
    )
    assert f1b.value == f1b.numerator / f1b.denominator * 100
    finding = DataQualityFinding.objects.get(period=q4, code="equity_capital_not_appraised")
    assert (finding.params["excluded"], finding.params["capital"], finding.params["percent"]) == (
        "7000.00",
        "17000.00",
        "41.18",
    )
    from django.utils import translation

    with translation.override("en"):
        assert finding_message(code=finding.code, params=finding.params, fallback="") == (
            "7,000 of the 17,000 equity-based capital outstanding (41.18 %) has no appraised "
            "expected return and is left out of the unrealised portfolio income (F1b)."
        )
    for basis in ("ytd", "ttm"):
        value = _value(q4, "F1B_UNREALISED_INCOME", "islamic", basis=basis)
        assert (value.value, value.reason_code) == (None, "not_applicable")
