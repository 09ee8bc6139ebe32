"""Frozen inputs of the financial indicator engine (``indicators/engine.py``, STYLE rule 7).

Selectors build these from the quarterly return (``FinancialStatement``, ``PortfolioSummaryLine``
or contract-level data, ``StaffingSnapshot``) and reference data; the engine never touches the
database. Money is ``Decimal`` in the institution's currency, percentages are percent values
(12.5 means 12.5 %), as in ``institutions/models.py``.

A *window* is the span a set of ratios covers: a quarter, the year to date or the trailing twelve
months (DECISIONS D3). Its snapshot series (balance, portfolio, staff) run from the opening point
(the end of the previous period, dated before ``Flows.start``) to the closing point (dated
``Flows.end``), in date order; :class:`EngineInputs` checks that shape and refuses anything else.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

Basis = Literal["quarter", "ytd", "ttm"]
BASES: tuple[Basis, ...] = ("quarter", "ytd", "ttm")
#: Day thresholds of the PAR family (DECISIONS D7).
PAR_THRESHOLDS: tuple[int, ...] = (1, 30, 60, 90, 180)


class _Dated(Protocol):
    @property
    def date(self) -> datetime.date: ...


@dataclass(frozen=True)
class BalancePoint:
    """Balance-sheet lines at one date (``FinancialStatement`` at a quarter end).

    ``total_liabilities`` excludes the mudaraba funds, which sit between liabilities and equity
    (DECISIONS D14); ``total_equity`` is shareholders' equity only.
    """

    date: datetime.date
    cash_and_bank: Decimal
    short_term_investments: Decimal
    gross_financing_portfolio: Decimal
    total_assets: Decimal
    deposits: Decimal
    third_party_financing: Decimal
    third_party_financing_short_term: Decimal
    current_liabilities: Decimal
    total_liabilities: Decimal
    mudaraba_funds: Decimal
    mudaraba_funds_short_term: Decimal
    total_equity: Decimal


@dataclass(frozen=True)
class PortfolioPoint:
    """The portfolio report at one date (guide-part4 §7.3).

    * ``outstanding``: unrecovered cost of every financing, all contract types (D5, D6).
    * ``outstanding_debt_based``: the same over the debt-based types (``DEBT_BASED_TYPES``).
    * ``late_outstanding[n]``: whole outstanding of debt-based financings with any instalment more
      than n days late, for n in :data:`PAR_THRESHOLDS` (D7); ``late_outstanding_all[n]``: the
      same over every contract type (the conventional PAR).
    * ``arrears_amount``: the overdue amounts only (the conventional "arrears rate" numerator,
      D7), over every contract type; None when the source does not report it (the quarterly
      return's summary). ``arrears_amount_debt_based``: the same over the debt-based types, the
      Islamic arrears rate's numerator (same contracts as its denominator); None when unknown.
    * ``equity_*``: musharaka, mudaraba and diminishing musharaka (D8), see
      :func:`indicators.engine.equity_unrealised_income`; ``equity_roi_gap_weighted`` is the
      capital-weighted mean of expected − actual ROI in percentage points, None when unknown;
      both over ``equity_capital_appraised`` (capital without an appraisal has no gap).
    """

    date: datetime.date
    outstanding: Decimal
    outstanding_debt_based: Decimal
    late_outstanding: Mapping[int, Decimal]
    late_outstanding_all: Mapping[int, Decimal]
    arrears_amount: Decimal | None
    restructured_outstanding: Decimal
    restructured_in_arrears: Decimal
    active_clients: int
    active_financings: int
    equity_capital_outstanding: Decimal
    equity_unrealised_income_amount: Decimal | None
    equity_roi_gap_weighted: Decimal | None
    arrears_amount_debt_based: Decimal | None = None
    #: The equity capital whose appraisal gives an expected ROI: F1b's denominator (D8), the
    #: capital the unrealised amount and the weighted gap are over. None: all of it.
    equity_capital_appraised: Decimal | None = None


@dataclass(frozen=True)
class StaffPoint:
    """Headcount at one date (``StaffingSnapshot``, D16)."""

    date: datetime.date
    total_staff: int
    financing_officers: int


@dataclass(frozen=True)
class EquityPosition:
    """One equity-based financing for F1b (D8): capital outstanding and annualised ROIs in %."""

    capital_outstanding: Decimal
    expected_roi: Decimal
    actual_roi: Decimal


@dataclass(frozen=True)
class Flows:
    """Income-statement lines summed over the window ``start``–``end`` (``months`` long).

    Late-payment amounts are not here: they are never income (D11).
    """

    start: datetime.date
    end: datetime.date
    months: int
    financing_income: Decimal
    other_operating_income: Decimal
    non_operating_income: Decimal
    donations: Decimal
    funding_expense_deposits: Decimal
    funding_expense_third_party: Decimal
    mudaraba_profit_distributed: Decimal
    provision_expense: Decimal
    personnel_expense: Decimal
    administrative_expense: Decimal
    ijara_depreciation: Decimal
    taxes: Decimal
    written_off: Decimal
    #: Profit of the instalments falling due in the window, from loan-level schedules (the
    #: contractual income of the yield gap); None when the source has no schedules.
    scheduled_profit: Decimal | None = None

    @property
    def portfolio_income(self) -> Decimal:
        """Income from the financing portfolio, ijara income net of ijara depreciation (D12)."""
        return self.financing_income - self.ijara_depreciation

    @property
    def operating_expense(self) -> Decimal:
        """Personnel and other administrative expense, own-asset depreciation included (D12)."""
        return self.personnel_expense + self.administrative_expense

    @property
    def funding_expense_on_liabilities(self) -> Decimal:
        """Funding expense on deposits and third-party financing, without mudaraba profit."""
        return self.funding_expense_deposits + self.funding_expense_third_party

    @property
    def financial_expense(self) -> Decimal:
        """All funding expense; profit distributed to mudaraba fund holders included (D14)."""
        return self.funding_expense_on_liabilities + self.mudaraba_profit_distributed

    @property
    def operating_revenue(self) -> Decimal:
        """OSS numerator: portfolio income and other operating income, without donations and
        non-operating income (D13)."""
        return self.portfolio_income + self.other_operating_income

    @property
    def net_income_before_donations(self) -> Decimal:
        """Net income after tax, less donations received (D13); same as
        ``FinancialStatement.net_income_before_donations``."""
        return (
            self.operating_revenue
            + self.non_operating_income
            - self.financial_expense
            - self.provision_expense
            - self.operating_expense
            - self.taxes
        )


@dataclass(frozen=True)
class EngineInputs:
    """Everything the engine needs for one window of one institution.

    ``gni_per_capita_local`` is the GNI per capita in the institution's currency (reference data,
    D22); ``break_even_reached_before`` says whether OSS ever reached 100 % before this window.
    """

    basis: Basis
    flows: Flows
    balance_points: tuple[BalancePoint, ...]
    portfolio_points: tuple[PortfolioPoint, ...]
    staff_points: tuple[StaffPoint, ...]
    gni_per_capita_local: Decimal | None = None
    break_even_reached_before: bool | None = None

    def __post_init__(self) -> None:
        flows = self.flows
        if self.basis not in BASES:
            raise ValueError(f"basis must be one of {', '.join(BASES)}, not {self.basis!r}.")
        if flows.end <= flows.start:
            raise ValueError("The window must end after it starts.")
        expected_months = {"quarter": (3,), "ttm": (12,), "ytd": tuple(range(1, 13))}
        if flows.months not in expected_months[self.basis]:
            raise ValueError(f"A {self.basis} window cannot be {flows.months} months long.")
        for series_name in ("balance_points", "portfolio_points", "staff_points"):
            _check_series(getattr(self, series_name), series_name, flows.start, flows.end)


def _check_series(
    points: Sequence[_Dated], series_name: str, start: datetime.date, end: datetime.date
) -> None:
    """A series is dated strictly increasing, within [opening, end], with one opening point at
    most (the only point dated before ``start``)."""
    dates = [point.date for point in points]
    if any(later <= earlier for earlier, later in zip(dates, dates[1:], strict=False)):
        raise ValueError(f"{series_name} must be in strictly increasing date order.")
    if dates and dates[-1] > end:
        raise ValueError(f"{series_name} has a point after the window end {end}.")
    if sum(date < start for date in dates) > 1:
        raise ValueError(f"{series_name} has more than one point before the window start {start}.")
