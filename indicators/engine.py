"""The financial performance engine: guide chapter 5 ratios (table 16) from frozen inputs.

Pure (STYLE rule 7): ``Decimal`` only, no ORM, no Django. The codes it emits are the ones of
``indicators/catalog/financial-v1.yaml``; services persist the results with :data:`ENGINE_VERSION`
and the catalogue version.

Conventions (each report states them, DECISIONS preamble):

* Units. ``percent`` values are percent values (12.34 means 12.34 %), as in
  ``institutions/models.py``; ``percent_points`` are differences of percentages; ``ratio_times``
  (D/E, liquidity) and ``clients_per_person`` are plain quotients; ``currency`` is the
  institution's currency.
* Rounding. One helper, :func:`quantize`: ROUND_HALF_EVEN to :data:`PLACES` (4) decimal places,
  applied once, to the value, numerator and denominator of each result. Values are computed from
  the unrounded operands, under a fixed decimal context, so a recomputation gives the same digits.
* Averages (D2): arithmetic mean of every snapshot from the opening balance (end of the previous
  period) to the closing balance, divided by the number of points. No opening balance → not
  computable with ``missing_opening_balance``, never an average of the closing balance alone.
* Annualisation (D3): a flow compared with a stock is multiplied by 12 / months of the window; the
  stored numerator is the annualised flow. Flow-over-flow ratios (OSS) are not annualised.
* Stock ratios (PAR, restructured, D/E, liquidity, structure) use the closing snapshot;
  productivity uses the period averages (D16).
* ``averaging_points`` = snapshots behind the stock figures: 1 for a closing-date ratio, n for an
  average of n points, 0 for flows only; for a ratio of two averages, the smaller count.
* Not computable (D4): value ``None`` with a reason code (:class:`Reason`), never 0; also when
  a denominator that must be positive for the ratio to mean anything (equity, assets, funding,
  costs: ROE, ROA, D/E, cost of funds, OSS) is negative (``negative_denominator``).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from enum import StrEnum
from typing import Literal, TypeVar

from indicators.inputs import (
    PAR_THRESHOLDS,
    BalancePoint,
    Basis,
    EngineInputs,
    EquityPosition,
    PortfolioPoint,
    StaffPoint,
)

ENGINE_VERSION = "1"
PLACES = 4

Variant = Literal["conventional", "islamic", "both"]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
MONTHS_PER_YEAR = Decimal(12)
OSS_BREAK_EVEN = HUNDRED
DEFAULT_DEBT_TO_EQUITY_CEILING = Decimal(5)
# 28 significant digits is ample for 18-digit money; fixing the context keeps results independent
# of whatever context the caller set.
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)


class Reason(StrEnum):
    """Why a result has no value (D4)."""

    ZERO_DENOMINATOR = "zero_denominator"
    #: A denominator whose sign makes the ratio meaningless: a loss over negative equity would
    #: read as a positive return on equity, debt over negative equity as negative leverage.
    NEGATIVE_DENOMINATOR = "negative_denominator"
    MISSING_OPENING_BALANCE = "missing_opening_balance"
    MISSING_DATA = "missing_data"
    NOT_APPLICABLE = "not_applicable"


class Severity(StrEnum):
    """How urgent an :class:`Alert` is."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class RatioResult:
    """One indicator value for one variant and basis, with what it was computed from (D3)."""

    code: str
    variant: Variant
    basis: Basis
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    averaging_points: int
    reason_code: Reason | None
    reason: str


@dataclass(frozen=True)
class Alert:
    """A rule of guide-part4 §9.3 that fired; ``message`` is English, translate by ``code``."""

    code: str
    severity: Severity
    message: str
    value: Decimal
    threshold: Decimal
    indicator_code: str
    variant: Variant


def quantize(value: Decimal, places: int = PLACES) -> Decimal:
    """The engine's only rounding: half-even to ``places`` decimal places."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


# --------------------------------------------------------------------------------------------
# Figures: an amount, or why it cannot be had
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Figure:
    """An intermediate amount with the snapshot count behind it, or the reason it is missing.

    A quotient also keeps its numerator and denominator for the result.
    """

    label: str
    value: Decimal | None
    points: int = 0
    reason_code: Reason | None = None
    reason: str = ""
    numerator: Decimal | None = None
    denominator: Decimal | None = None


def _missing(label: str, reason_code: Reason, reason: str, points: int = 0) -> _Figure:
    return _Figure(label, None, points, reason_code, reason)


def _flow(label: str, amount: Decimal) -> _Figure:
    """A flow of the window as it is (flow-over-flow ratios)."""
    return _Figure(label, amount)


def _annualised(label: str, amount: Decimal, months: int) -> _Figure:
    """A flow of the window scaled to a year: amount × 12 / months (D3)."""
    return _Figure(f"annualised {label}", amount * MONTHS_PER_YEAR / Decimal(months))


def _constant(label: str, amount: Decimal | None) -> _Figure:
    if amount is None:
        return _missing(label, Reason.MISSING_DATA, f"{label} is not available.")
    return _Figure(label, amount)


_Point = TypeVar("_Point", BalancePoint, PortfolioPoint, StaffPoint)
_Getter = Callable[[_Point], "Decimal | int | None"]


def _closing(
    label: str, points: Sequence[_Point], getter: _Getter[_Point], end: datetime.date
) -> _Figure:
    """The value at the closing date ``end`` (stock ratios)."""
    if not points or points[-1].date != end:
        return _missing(label, Reason.MISSING_DATA, f"No closing snapshot on {end} for {label}.")
    value = getter(points[-1])
    if value is None:
        return _missing(label, Reason.MISSING_DATA, f"{label} is not reported on {end}.")
    return _Figure(label, Decimal(value), points=1)


def _average(
    label: str,
    points: Sequence[_Point],
    getter: _Getter[_Point],
    start: datetime.date,
    end: datetime.date,
) -> _Figure:
    """Arithmetic mean of all points from the opening to the closing snapshot (D2)."""
    if not points or points[-1].date != end:
        return _missing(
            f"average {label}",
            Reason.MISSING_DATA,
            f"No closing snapshot on {end} for the average {label}.",
            points=len(points),
        )
    if points[0].date >= start:
        return _missing(
            f"average {label}",
            Reason.MISSING_OPENING_BALANCE,
            f"No opening snapshot before {start}: the average {label} needs the opening and "
            "closing balances (D2).",
            points=len(points),
        )
    values = [getter(point) for point in points]
    if any(value is None for value in values):
        return _missing(
            f"average {label}", Reason.MISSING_DATA, f"{label} is missing at some snapshot."
        )
    total = sum((Decimal(value) for value in values if value is not None), ZERO)
    return _Figure(f"average {label}", total / Decimal(len(values)), points=len(values))


def _first_missing(*figures: _Figure) -> _Figure | None:
    return next((figure for figure in figures if figure.value is None), None)


def _points(*figures: _Figure) -> int:
    """Snapshots behind a combination: the smallest non-zero count (0 for flows only)."""
    return min((figure.points for figure in figures if figure.points), default=0)


def _divide(numerator: _Figure, denominator: _Figure, scale: Decimal = ONE) -> _Figure:
    """numerator / denominator × scale, or why not: the only division of the engine (D4)."""
    label = f"{numerator.label} / {denominator.label}"
    points = _points(numerator, denominator)
    top, bottom = numerator.value, denominator.value
    if top is None or bottom is None:
        missing = numerator if top is None else denominator
        return _Figure(
            label,
            None,
            points or missing.points,
            missing.reason_code,
            missing.reason,
            numerator=top,
            denominator=bottom,
        )
    if bottom == 0:
        return _Figure(
            label,
            None,
            points,
            Reason.ZERO_DENOMINATOR,
            f"The {denominator.label} is zero.",
            numerator=top,
            denominator=bottom,
        )
    return _Figure(label, top * scale / bottom, points, numerator=top, denominator=bottom)


def _divide_positive(numerator: _Figure, denominator: _Figure, scale: Decimal = ONE) -> _Figure:
    """:func:`_divide` for a denominator that must be positive for the ratio to mean anything
    (equity, assets, funding, costs): a negative one gives None with a reason (D4)."""
    quotient = _divide(numerator, denominator, scale)
    bottom = denominator.value
    if bottom is None or bottom >= 0:
        return quotient
    return dataclasses.replace(
        quotient,
        value=None,
        reason_code=Reason.NEGATIVE_DENOMINATOR,
        reason=f"The {denominator.label} is negative ({quantize(bottom)}): the ratio would be "
        "meaningless.",
    )


def _subtract(minuend: _Figure, subtrahend: _Figure) -> _Figure:
    """minuend − subtrahend (spreads, in percentage points); no numerator or denominator."""
    label = f"{minuend.label} − {subtrahend.label}"
    points = _points(minuend, subtrahend)
    if minuend.value is None or subtrahend.value is None:
        missing = minuend if minuend.value is None else subtrahend
        return _Figure(label, None, points, missing.reason_code, missing.reason)
    return _Figure(label, minuend.value - subtrahend.value, points)


def _result(code: str, variant: Variant, basis: Basis, figure: _Figure) -> RatioResult:
    def rounded(amount: Decimal | None) -> Decimal | None:
        return None if amount is None else quantize(amount)

    return RatioResult(
        code=code,
        variant=variant,
        basis=basis,
        value=rounded(figure.value),
        numerator=rounded(figure.numerator),
        denominator=rounded(figure.denominator),
        averaging_points=figure.points,
        reason_code=figure.reason_code,
        reason=figure.reason,
    )


# --------------------------------------------------------------------------------------------
# The window: the inputs seen as averages, closing values and annualised flows
# --------------------------------------------------------------------------------------------


class _Window:
    """Accessors over one :class:`EngineInputs`, so the ratio code reads like the formulas."""

    def __init__(self, inputs: EngineInputs) -> None:
        self.inputs = inputs
        self.flows = inputs.flows
        self.start = inputs.flows.start
        self.end = inputs.flows.end

    def annualised(self, label: str, amount: Decimal) -> _Figure:
        return _annualised(label, amount, self.flows.months)

    def average_balance(self, label: str, getter: _Getter[BalancePoint]) -> _Figure:
        return _average(label, self.inputs.balance_points, getter, self.start, self.end)

    def closing_balance(self, label: str, getter: _Getter[BalancePoint]) -> _Figure:
        return _closing(label, self.inputs.balance_points, getter, self.end)

    def average_portfolio(self, label: str, getter: _Getter[PortfolioPoint]) -> _Figure:
        return _average(label, self.inputs.portfolio_points, getter, self.start, self.end)

    def closing_portfolio(self, label: str, getter: _Getter[PortfolioPoint]) -> _Figure:
        return _closing(label, self.inputs.portfolio_points, getter, self.end)

    def average_staff(self, label: str, getter: _Getter[StaffPoint]) -> _Figure:
        return _average(label, self.inputs.staff_points, getter, self.start, self.end)

    def average_gfp(self) -> _Figure:
        return self.average_balance(
            "gross financing portfolio", lambda point: point.gross_financing_portfolio
        )


def _late(threshold: int, over_all_types: bool) -> _Getter[PortfolioPoint]:
    """Getter of the late outstanding over ``threshold`` days (None when not reported)."""

    def getter(point: PortfolioPoint) -> Decimal | None:
        late = point.late_outstanding_all if over_all_types else point.late_outstanding
        return late.get(threshold)

    return getter


# --------------------------------------------------------------------------------------------
# The ratios, by category of table 16
# --------------------------------------------------------------------------------------------


def compute(inputs: EngineInputs) -> list[RatioResult]:
    """Every indicator of the financial catalogue for one window, in catalogue order."""
    with localcontext(_CONTEXT):
        window = _Window(inputs)
        figures = [
            *_portfolio_quality(window),
            *_efficiency_productivity(window),
            *_financial_management(window),
            *_profitability_sustainability(window),
        ]
        return [_result(code, variant, inputs.basis, figure) for code, variant, figure in figures]


_Named = tuple[str, Variant, _Figure]


def _portfolio_quality(window: _Window) -> list[_Named]:
    """PAR family and arrears (D7), F1b (D8), F2 (D9), F3 (D10); guide L12526–L13017."""
    portfolio = window.closing_portfolio
    all_outstanding = portfolio("outstanding balance of all financings", lambda p: p.outstanding)
    debt_outstanding = portfolio(
        "outstanding balance of debt-based financings", lambda p: p.outstanding_debt_based
    )
    named: list[_Named] = []
    for threshold in PAR_THRESHOLDS:
        late_all = portfolio(
            f"outstanding more than {threshold} days late (all types)", _late(threshold, True)
        )
        late_debt = portfolio(
            f"outstanding more than {threshold} days late (debt-based)", _late(threshold, False)
        )
        named += [
            (f"PAR{threshold}", "conventional", _divide(late_all, all_outstanding, HUNDRED)),
            (f"PAR{threshold}", "islamic", _divide(late_debt, debt_outstanding, HUNDRED)),
        ]

    arrears = portfolio("overdue amounts", lambda p: p.arrears_amount)
    # The Islamic rate's numerator covers the same (debt-based) financings as its denominator:
    # the overdue capital of a musharaka over the debt-based book could exceed 100 %.
    arrears_debt = portfolio(
        "overdue amounts of debt-based financings", lambda p: p.arrears_amount_debt_based
    )
    named += [
        ("ARREARS_RATE", "conventional", _divide(arrears, all_outstanding, HUNDRED)),
        ("ARREARS_RATE", "islamic", _divide(arrears_debt, debt_outstanding, HUNDRED)),
        *_unrealised_income(window),
        (
            "F2_RESTRUCTURED",
            "conventional",
            _divide(
                portfolio("restructured outstanding", lambda p: p.restructured_outstanding),
                all_outstanding,
                HUNDRED,
            ),
        ),
        (
            "F2_RESTRUCTURED",
            "islamic",
            _divide(
                portfolio("restructured and in arrears", lambda p: p.restructured_in_arrears),
                all_outstanding,
                HUNDRED,
            ),
        ),
        (
            "F3_WRITE_OFF",
            "both",
            _divide(
                window.annualised("amounts written off", window.flows.written_off),
                window.average_gfp(),
                HUNDRED,
            ),
        ),
    ]
    return named


def _unrealised_income(window: _Window) -> list[_Named]:
    """F1b for equity-based financing (D8, guide L12828–L12861).

    The percentage is the capital-weighted mean ROI gap = the unrealised amount / the capital it
    is over × 100: the capital with an appraised expected ROI (capital without one has no gap;
    the computation records it as a data-quality finding). Numerator and denominator are those
    two, so value = 100 × numerator / denominator always holds.

    The quarter only: D8's actual ROI is the one realised in the period, and the portfolio
    snapshots hold the quarter's realised profit per contract, not the year's or the twelve
    months'; YTD and TTM are not applicable (with the reason), never the quarter's figure.
    """
    capital = window.closing_portfolio(
        "equity capital outstanding", lambda p: p.equity_capital_outstanding
    )
    appraised = window.closing_portfolio(
        "equity capital with an appraised expected return",
        lambda p: (
            p.equity_capital_outstanding
            if p.equity_capital_appraised is None
            else p.equity_capital_appraised
        ),
    )
    amount = window.closing_portfolio(
        "unrealised income", lambda p: p.equity_unrealised_income_amount
    )
    if window.inputs.basis != "quarter":
        not_applicable = _missing(
            "unrealised income",
            Reason.NOT_APPLICABLE,
            "F1b compares the expected ROI with the ROI realised in the quarter (D8); it is "
            "not computed over the year to date or twelve months.",
            points=1,
        )
        percentage = amount_figure = not_applicable
    elif capital.value == 0:
        not_applicable = _missing(
            "unrealised income",
            Reason.NOT_APPLICABLE,
            "No musharaka, mudaraba or diminishing musharaka capital is outstanding.",
            points=1,
        )
        percentage = amount_figure = not_applicable
    elif appraised.value == 0:
        percentage = amount_figure = _missing(
            "unrealised income",
            Reason.MISSING_DATA,
            "No equity-based capital outstanding has an appraised expected return (D8).",
            points=1,
        )
    else:
        missing = _first_missing(capital, appraised, amount)
        if missing is not None:
            percentage = amount_figure = missing
        else:
            percentage = _divide(amount, appraised, HUNDRED)
            amount_figure = amount
    return [
        ("F1B_UNREALISED_INCOME", "islamic", percentage),
        ("F1B_UNREALISED_INCOME_AMOUNT", "islamic", amount_figure),
    ]


def _efficiency_productivity(window: _Window) -> list[_Named]:
    """F4–F7 and cost per client / GNI per capita (D16); guide L13019–L13584."""
    operating_expense = window.annualised("operating expense", window.flows.operating_expense)
    active_clients = window.average_portfolio("active clients", lambda p: p.active_clients)
    cost_per_client = _divide(operating_expense, active_clients)
    gni = _constant("GNI per capita", window.inputs.gni_per_capita_local)
    return [
        ("F4_OPERATING_EXPENSE", "both", _divide(operating_expense, window.average_gfp(), HUNDRED)),
        ("F5_COST_PER_CLIENT", "both", cost_per_client),
        ("F5_COST_PER_CLIENT_GNI", "both", _divide(cost_per_client, gni, HUNDRED)),
        (
            "F6_OFFICER_PRODUCTIVITY",
            "both",
            _divide(
                active_clients,
                window.average_staff("financing officers", lambda s: s.financing_officers),
            ),
        ),
        (
            "F7_STAFF_PRODUCTIVITY",
            "both",
            _divide(active_clients, window.average_staff("staff", lambda s: s.total_staff)),
        ),
    ]


def _financial_management(window: _Window) -> list[_Named]:
    """F8–F12 (D14, D15), spread and structure ratios; guide L13586–L14317."""
    flows = window.flows
    closing = window.closing_balance
    equity = closing("total equity", lambda b: b.total_equity)
    deposits = closing("deposits", lambda b: b.deposits)
    external = closing("financing from other parties", lambda b: b.third_party_financing)
    mudaraba = closing("mudaraba funds", lambda b: b.mudaraba_funds)
    islamic_funding = closing(
        "deposits, external financing and mudaraba funds",
        lambda b: b.deposits + b.third_party_financing + b.mudaraba_funds,
    )
    liquid_assets = closing(
        "cash and short-term investments", lambda b: b.cash_and_bank + b.short_term_investments
    )
    total_assets = closing("total assets", lambda b: b.total_assets)
    average_gfp = window.average_gfp()

    cost_of_funds_conventional = _divide_positive(
        window.annualised("funding expense on liabilities", flows.funding_expense_on_liabilities),
        window.average_balance(
            "deposits and external financing", lambda b: b.deposits + b.third_party_financing
        ),
        HUNDRED,
    )
    # Sum of the three averages = average of the sum (same points): D14 / table 16 row 9.
    cost_of_funds_islamic = _divide_positive(
        window.annualised("financial expense", flows.financial_expense),
        window.average_balance(
            "deposits, external financing and mudaraba funds",
            lambda b: b.deposits + b.third_party_financing + b.mudaraba_funds,
        ),
        HUNDRED,
    )
    portfolio_yield = _divide(
        window.annualised("portfolio income", flows.portfolio_income), average_gfp, HUNDRED
    )
    contractual_yield = (
        _divide(
            window.annualised("profit falling due", flows.scheduled_profit),
            average_gfp,
            HUNDRED,
        )
        if flows.scheduled_profit is not None
        else _missing(
            "contractual yield",
            Reason.MISSING_DATA,
            "The profit falling due in the period comes from loan-level schedules; the "
            "portfolio summary of the quarterly return does not carry it.",
        )
    )
    return [
        (
            "F8_DEBT_TO_EQUITY",
            "conventional",
            _divide_positive(closing("total liabilities", lambda b: b.total_liabilities), equity),
        ),
        ("F8_DEBT_TO_EQUITY", "islamic", _divide_positive(islamic_funding, equity)),
        ("F8_DEPOSITS_TO_EQUITY", "islamic", _divide_positive(deposits, equity)),
        ("F8_EXTERNAL_TO_EQUITY", "islamic", _divide_positive(external, equity)),
        ("F8_MUDARABA_TO_EQUITY", "islamic", _divide_positive(mudaraba, equity)),
        ("F9_COST_OF_FUNDS", "conventional", cost_of_funds_conventional),
        ("F9_COST_OF_FUNDS", "islamic", cost_of_funds_islamic),
        (
            "F10_FINANCIAL_EXPENSE",
            "both",
            _divide(
                window.annualised("financial expense", flows.financial_expense),
                average_gfp,
                HUNDRED,
            ),
        ),
        (
            "F11_LIQUIDITY",
            "conventional",
            _divide(liquid_assets, closing("current liabilities", lambda b: b.current_liabilities)),
        ),
        (
            "F11_LIQUIDITY",
            "islamic",
            _divide(
                liquid_assets,
                closing(
                    "deposits and short-term external and mudaraba funding",
                    lambda b: (
                        b.deposits
                        + b.third_party_financing_short_term
                        + b.mudaraba_funds_short_term
                    ),
                ),
            ),
        ),
        ("F12A_PORTFOLIO_YIELD", "both", portfolio_yield),
        ("F12A_CONTRACTUAL_YIELD", "both", contractual_yield),
        # Positive: the portfolio earned less than its contracts scheduled (collection problems,
        # guide L14232–L14238).
        ("YIELD_GAP", "both", _subtract(contractual_yield, portfolio_yield)),
        (
            "F12B_PROVISION_EXPENSE",
            "both",
            _divide(
                window.annualised("provision expense", flows.provision_expense),
                average_gfp,
                HUNDRED,
            ),
        ),
        (
            "F12B_NET_PROFIT_MARGIN",
            "both",
            _divide(
                window.annualised("net income before donations", flows.net_income_before_donations),
                average_gfp,
                HUNDRED,
            ),
        ),
        ("SPREAD", "conventional", _subtract(portfolio_yield, cost_of_funds_conventional)),
        ("SPREAD", "islamic", _subtract(portfolio_yield, cost_of_funds_islamic)),
        ("EQUITY_TO_ASSETS", "both", _divide(equity, total_assets, HUNDRED)),
        (
            "PORTFOLIO_TO_ASSETS",
            "both",
            _divide(
                closing("gross financing portfolio", lambda b: b.gross_financing_portfolio),
                total_assets,
                HUNDRED,
            ),
        ),
    ]


def _profitability_sustainability(window: _Window) -> list[_Named]:
    """F13–F15 (D13); guide L14319–L14703."""
    flows = window.flows
    net_income = window.annualised("net income before donations", flows.net_income_before_donations)
    total_cost = _flow(
        "financial, provision and operating expense",
        flows.financial_expense + flows.provision_expense + flows.operating_expense,
    )
    return [
        (
            "F13_ROE",
            "both",
            _divide_positive(
                net_income,
                window.average_balance("total equity", lambda b: b.total_equity),
                HUNDRED,
            ),
        ),
        (
            "F14_ROA",
            "both",
            _divide_positive(
                net_income,
                window.average_balance("total assets", lambda b: b.total_assets),
                HUNDRED,
            ),
        ),
        (
            "F15_OSS",
            "both",
            _divide_positive(
                _flow("operating revenue", flows.operating_revenue), total_cost, HUNDRED
            ),
        ),
    ]


# --------------------------------------------------------------------------------------------
# F1b aggregation, the yield reconciliation and the alerts
# --------------------------------------------------------------------------------------------


def equity_unrealised_income(
    positions: Iterable[EquityPosition],
) -> tuple[Decimal, Decimal | None]:
    """F1b aggregation (D8): (Σ gap × capital / 100, capital-weighted mean gap in points).

    Each gap is expected − actual annualised ROI, in percentage points; a positive amount is
    income the institution expected and did not realise. Guide L12846–L12861: expected 30 %,
    actual 22 % → 8 points, i.e. 8 % of the capital outstanding. The mean is None when no
    capital is outstanding. The selector puts both into :class:`PortfolioPoint`.
    """
    with localcontext(_CONTEXT):
        positions = list(positions)
        capital = sum((position.capital_outstanding for position in positions), ZERO)
        weighted_gap = sum(
            (
                (position.expected_roi - position.actual_roi) * position.capital_outstanding
                for position in positions
            ),
            ZERO,
        )
        if capital == 0:
            return ZERO, None
        return quantize(weighted_gap / HUNDRED), quantize(weighted_gap / capital)


_YIELD_TERMS = (
    "F4_OPERATING_EXPENSE",
    "F10_FINANCIAL_EXPENSE",
    "F12B_PROVISION_EXPENSE",
    "F12B_NET_PROFIT_MARGIN",
)


def yield_reconciliation_gap(results: Iterable[RatioResult]) -> Decimal | None:
    """Yield − (OER + financial expense ratio + provision ratio + net profit margin), in points.

    D15: all terms are on the average gross financing portfolio, so the gap is what the net
    profit holds besides the portfolio: other operating and non-operating income (negative gap)
    and taxes (positive gap), or misclassified income. Callers compare its absolute value with
    the tolerance (0.5 point by D15). None when a term is not computable.
    """
    values = {result.code: result.value for result in results if result.variant == "both"}
    portfolio_yield = values.get("F12A_PORTFOLIO_YIELD")
    terms = [values.get(code) for code in _YIELD_TERMS]
    if portfolio_yield is None or any(term is None for term in terms):
        return None
    with localcontext(_CONTEXT):
        return quantize(portfolio_yield - sum((t for t in terms if t is not None), ZERO))


def alerts(
    current: Sequence[RatioResult],
    previous_year_same_basis: Sequence[RatioResult] | None,
    break_even_reached_before: bool,
    de_ceiling: Decimal = DEFAULT_DEBT_TO_EQUITY_CEILING,
) -> list[Alert]:
    """The financial alert rules of guide-part4 §9.3 that fire on ``current``.

    * OSS below 100 % once break-even was reached (guide L14633–L14650);
    * ROA ≤ 0 (guide L14566);
    * operating expense ratio not lower than a year earlier, same basis (guide L13141–L13154);
    * debt to equity above ``de_ceiling`` (about 5 for MFIs, guide L13742–L13750), for each
      variant; equity zero or negative (debt to equity then has no value), once, its value the
      closing equity;
    * negative spread (yield below cost of funds), for each variant.

    Results without a value never fire.
    """
    now = _values(current)
    before = _values(previous_year_same_basis or ())
    fired: list[Alert] = []

    def fire(
        code: str,
        severity: Severity,
        message: str,
        value: Decimal,
        threshold: Decimal,
        indicator: tuple[str, Variant],
    ) -> None:
        fired.append(
            Alert(
                code=code,
                severity=severity,
                message=message,
                value=value,
                threshold=threshold,
                indicator_code=indicator[0],
                variant=indicator[1],
            )
        )

    oss = now.get(("F15_OSS", "both"))
    if break_even_reached_before and oss is not None and oss < OSS_BREAK_EVEN:
        fire(
            "OSS_BELOW_BREAK_EVEN",
            Severity.CRITICAL,
            "Operational self-sufficiency fell below 100 % after break-even was reached.",
            oss,
            OSS_BREAK_EVEN,
            ("F15_OSS", "both"),
        )
    roa = now.get(("F14_ROA", "both"))
    if roa is not None and roa <= 0:
        fire(
            "ROA_NOT_POSITIVE",
            Severity.WARNING,
            "Return on assets is not positive.",
            roa,
            ZERO,
            ("F14_ROA", "both"),
        )
    oer = now.get(("F4_OPERATING_EXPENSE", "both"))
    oer_before = before.get(("F4_OPERATING_EXPENSE", "both"))
    if oer is not None and oer_before is not None and oer >= oer_before:
        fire(
            "OER_NOT_FALLING",
            Severity.INFO,
            "The operating expense ratio did not fall from a year earlier.",
            oer,
            oer_before,
            ("F4_OPERATING_EXPENSE", "both"),
        )
    # Equity zero or negative: debt to equity is not computed (D4), the alert says why.
    equity_not_positive = next(
        (
            result
            for result in current
            if result.code == "F8_DEBT_TO_EQUITY"
            and result.value is None
            and result.denominator is not None
            and result.denominator <= 0
        ),
        None,
    )
    if equity_not_positive is not None:
        assert equity_not_positive.denominator is not None
        fire(
            "EQUITY_NOT_POSITIVE",
            Severity.CRITICAL,
            "Equity is zero or negative: the ratios on equity are not computed.",
            equity_not_positive.denominator,
            ZERO,
            ("F8_DEBT_TO_EQUITY", equity_not_positive.variant),
        )
    variants: tuple[Variant, ...] = ("conventional", "islamic")
    for variant in variants:
        leverage = now.get(("F8_DEBT_TO_EQUITY", variant))
        if leverage is not None and (leverage > de_ceiling or leverage < 0):
            fire(
                "DEBT_TO_EQUITY_ABOVE_CEILING",
                Severity.WARNING,
                "Equity is negative." if leverage < 0 else "Debt to equity is above the ceiling.",
                leverage,
                de_ceiling,
                ("F8_DEBT_TO_EQUITY", variant),
            )
        spread = now.get(("SPREAD", variant))
        if spread is not None and spread < 0:
            fire(
                "NEGATIVE_SPREAD",
                Severity.CRITICAL,
                "Portfolio yield is below the cost of funds.",
                spread,
                ZERO,
                ("SPREAD", variant),
            )
    return fired


def _values(results: Iterable[RatioResult]) -> dict[tuple[str, str], Decimal]:
    return {
        (result.code, result.variant): result.value
        for result in results
        if result.value is not None
    }
