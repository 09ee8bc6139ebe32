"""The purification (charity) ledger, computed: pure functions over plain inflows and transfers.

Inflows are the late-payment amounts collected from clients and the income a Shariah finding
declares non-compliant (DECISIONS D11); outflows are the transfers to approved charities. The
ledger is never stored as running balances: it is derived from those records every time, so it
reconciles with them by construction:

    balance = Σ inflows − Σ transfers

Transfers settle the oldest inflows first (first in, first out). What each inflow still holds is
aged from its date to the as-of date, in the buckets 0–30, 31–90 and over 90 days, and an alert
fires when any amount has waited longer than the institution's configured limit
(``ShariahPolicy.purification_alert_days``, 90 days unless the institution sets another).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0")
#: Default number of days an amount may wait before it is transferred to charity (methodology
#: data: each institution may set another in its Shariah policy).
DEFAULT_ALERT_DAYS = 90
#: Ageing buckets, as (label, lowest age, highest age in days or None).
AGEING_BUCKETS = (("0-30", 0, 30), ("31-90", 31, 90), ("over-90", 91, None))


class InflowSource:
    LATE_PAYMENT = "late_payment"
    TAINTED_INCOME = "tainted_income"


@dataclass(frozen=True)
class Inflow:
    """An amount that must go to charity: its date, its amount and where it comes from."""

    date: datetime.date
    amount: Decimal
    source: str
    reference: str = ""


@dataclass(frozen=True)
class Transfer:
    date: datetime.date
    amount: Decimal


@dataclass(frozen=True)
class OpenInflow:
    """The part of an inflow not yet transferred, with its age at the as-of date."""

    inflow: Inflow
    remaining: Decimal
    age_days: int


@dataclass(frozen=True)
class PurificationPosition:
    """The ledger at a date: what came in, what went out, what waits and for how long."""

    as_of: datetime.date
    late_payment_inflows: Decimal
    tainted_income_inflows: Decimal
    transferred: Decimal
    balance: Decimal
    ageing: dict[str, Decimal]
    alert_days: int
    overdue: Decimal
    oldest_pending_date: datetime.date | None
    open_inflows: tuple[OpenInflow, ...]

    @property
    def total_inflows(self) -> Decimal:
        return self.late_payment_inflows + self.tainted_income_inflows

    @property
    def alert(self) -> bool:
        """True when some amount has waited longer than the configured number of days."""
        return self.overdue > ZERO


def _bucket(age_days: int) -> str:
    for label, low, high in AGEING_BUCKETS:
        if age_days >= low and (high is None or age_days <= high):
            return label
    return AGEING_BUCKETS[0][0]  # a negative age cannot happen: inflows are up to as_of


def position(
    *,
    inflows: Iterable[Inflow],
    transfers: Iterable[Transfer],
    as_of: datetime.date,
    alert_days: int = DEFAULT_ALERT_DAYS,
) -> PurificationPosition:
    """The ledger at ``as_of``: only records dated on or before it count."""
    dated_inflows = sorted(
        (inflow for inflow in inflows if inflow.date <= as_of),
        key=lambda inflow: (inflow.date, inflow.source, inflow.reference),
    )
    transferred = sum((t.amount for t in transfers if t.date <= as_of), ZERO)
    # First in, first out: transfers settle the oldest inflows first.
    to_settle = transferred
    open_inflows: list[OpenInflow] = []
    for inflow in dated_inflows:
        settled = min(inflow.amount, to_settle)
        to_settle -= settled
        remaining = inflow.amount - settled
        if remaining > ZERO:
            open_inflows.append(
                OpenInflow(inflow=inflow, remaining=remaining, age_days=(as_of - inflow.date).days)
            )
    ageing = {label: ZERO for label, _low, _high in AGEING_BUCKETS}
    for open_inflow in open_inflows:
        ageing[_bucket(open_inflow.age_days)] += open_inflow.remaining
    late = sum((i.amount for i in dated_inflows if i.source == InflowSource.LATE_PAYMENT), ZERO)
    tainted = sum(
        (i.amount for i in dated_inflows if i.source == InflowSource.TAINTED_INCOME), ZERO
    )
    return PurificationPosition(
        as_of=as_of,
        late_payment_inflows=late,
        tainted_income_inflows=tainted,
        transferred=transferred,
        balance=late + tainted - transferred,
        ageing=ageing,
        alert_days=alert_days,
        overdue=sum((o.remaining for o in open_inflows if o.age_days > alert_days), ZERO),
        oldest_pending_date=open_inflows[0].inflow.date if open_inflows else None,
        open_inflows=tuple(open_inflows),
    )


def transferable(
    *,
    inflows: Sequence[Inflow],
    transfers: Sequence[Transfer],
    on: datetime.date,
) -> Decimal:
    """The most that can be transferred on ``on`` without the balance ever going negative.

    A transfer dated in the past must fit the balance of that day and of every later day on
    which other transfers were already recorded, so it is the lowest running balance from ``on``
    onwards.
    """
    dates = sorted({on, *(t.date for t in transfers if t.date > on)})
    lowest: Decimal | None = None
    for date in dates:
        balance = sum((i.amount for i in inflows if i.date <= date), ZERO) - sum(
            (t.amount for t in transfers if t.date <= date), ZERO
        )
        lowest = balance if lowest is None else min(lowest, balance)
    return max(lowest or ZERO, ZERO)
