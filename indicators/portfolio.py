"""The portfolio of an institution at a date, computed in the database from loan-level data.

Two SQL statements, whatever the size of the book (no Python loop per contract or instalment):

* the **book** at the date: per contract, the outstanding balance (DECISIONS D5: financed cost
  minus principal repaid by the date), days late of the oldest instalment due by the date and
  not fully paid by then, principal in arrears, whether restructured; then rolled up for the
  whole portfolio and per contract type, branch, gender and area in the same statement;
* the quarter's **flows**: disbursements and write-offs in the window, per the same segments.

Definitions (DECISIONS D7): PAR(n) counts the *whole* outstanding of a financing with any
instalment more than n days late (PAR1: at least one day late); the arrears amount counts only
what is overdue and is reported separately. Lateness of a salam runs from its delivery date (its
single instalment is due on the delivery date). Written-off financings leave the book on their
write-off date (D10). Money is exact: repayments are summed by value date, so a past date is
computed as it was then.

The instalment heap is kept in contract order (see institutions/migrations/0002), which is what
makes the per-contract aggregation a streaming scan on PostgreSQL (spec/perf-calibration.md).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from institutions.models import (
    DEBT_BASED_TYPES,
    EQUITY_TYPES,
    Client,
    FinancingContract,
    Instalment,
    Repayment,
    Restructuring,
    WriteOff,
)

#: Lateness thresholds: PAR(n) counts financings more than ``LATE_THRESHOLDS[n]`` days late.
LATE_THRESHOLDS: dict[int, int] = {1: 0, 30: 30, 60: 60, 90: 90, 180: 180}

#: Segments and the book column that defines them.
SEGMENTS: dict[str, str] = {
    "total": "''",
    "contract_type": "contract_type",
    "branch": "CAST(branch_id AS VARCHAR(20))",
    "gender": "gender",
    "area": "area",
}

ZERO = Decimal("0")


@dataclass(frozen=True)
class SegmentPortfolio:
    """The book of one segment at a date, plus the flows of the window that ends on that date."""

    segment: str
    segment_value: str
    outstanding: Decimal
    gross_receivable: Decimal
    outstanding_debt_based: Decimal
    late: dict[int, Decimal]  # debt-based financings only (Islamic PAR, table 16 row 1a)
    late_all: dict[int, Decimal]  # every financing with a schedule (conventional PAR)
    arrears: Decimal
    restructured: Decimal
    restructured_in_arrears: Decimal
    active_financings: int
    active_clients: int
    equity_capital: Decimal
    equity_capital_appraised: Decimal
    equity_expected_income: Decimal
    equity_profit_in_period: Decimal
    profit_received_in_period: Decimal
    disbursed_in_period: Decimal
    number_disbursed_in_period: int
    written_off_in_period: Decimal


def _sql_in(values: frozenset[str]) -> str:
    # Contract types are our own enum values, never user input.
    return ", ".join(f"'{value}'" for value in sorted(values))


def _dialect() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {
            "days_late": "(CAST(%(as_of)s AS date) - i.oldest_unpaid_due)",
            "greatest": "GREATEST",
        }
    # SQLite keeps dates as ISO text; julianday difference gives whole days.
    return {
        "days_late": "CAST(julianday(%(as_of)s) - julianday(i.oldest_unpaid_due) AS INTEGER)",
        "greatest": "MAX",
    }


def _tables() -> dict[str, str]:
    return {
        "contract": FinancingContract._meta.db_table,
        "instalment": Instalment._meta.db_table,
        "repayment": Repayment._meta.db_table,
        "restructuring": Restructuring._meta.db_table,
        "writeoff": WriteOff._meta.db_table,
        "client": Client._meta.db_table,
    }


def _book_sql() -> str:
    names = {**_tables(), **_dialect()}
    debt = _sql_in(DEBT_BASED_TYPES)
    equity = _sql_in(EQUITY_TYPES)
    late_columns = []
    for n, days in LATE_THRESHOLDS.items():
        late_columns.append(
            f"SUM(CASE WHEN is_debt = 1 AND days_late > {days} THEN outstanding ELSE 0 END)"
            f" AS late_{n}"
        )
        late_columns.append(
            f"SUM(CASE WHEN days_late > {days} THEN outstanding ELSE 0 END) AS late_all_{n}"
        )
    aggregates = ",\n  ".join(
        [
            "SUM(outstanding) AS outstanding",
            "SUM(gross_receivable) AS gross_receivable",
            "SUM(CASE WHEN is_debt = 1 THEN outstanding ELSE 0 END) AS outstanding_debt_based",
            *late_columns,
            "SUM(arrears) AS arrears",
            "SUM(CASE WHEN restructured = 1 THEN outstanding ELSE 0 END) AS restructured",
            "SUM(CASE WHEN restructured = 1 AND days_late > 0 THEN outstanding ELSE 0 END)"
            " AS restructured_in_arrears",
            "COUNT(*) AS active_financings",
            "COUNT(DISTINCT client_id) AS active_clients",
            "SUM(CASE WHEN is_equity = 1 THEN outstanding ELSE 0 END) AS equity_capital",
            "SUM(CASE WHEN is_equity = 1 AND expected_roi IS NOT NULL THEN outstanding ELSE 0 END)"
            " AS equity_capital_appraised",
            "SUM(CASE WHEN is_equity = 1 AND expected_roi IS NOT NULL"
            " THEN outstanding * expected_roi / 100 ELSE 0 END) AS equity_expected_income",
            "SUM(CASE WHEN is_equity = 1 AND expected_roi IS NOT NULL"
            " THEN profit_in_period ELSE 0 END) AS equity_profit_in_period",
            "SUM(profit_in_period) AS profit_received_in_period",
        ]
    )
    rollups = "\nUNION ALL\n".join(
        f"SELECT '{segment}' AS segment, {column} AS segment_value,\n  {aggregates}\n"
        f"FROM book GROUP BY {column if segment != 'total' else '1'}"
        if segment != "total"
        else f"SELECT 'total' AS segment, '' AS segment_value,\n  {aggregates}\nFROM book"
        for segment, column in SEGMENTS.items()
    )
    return f"""
WITH due AS (
  SELECT i.contract_id,
         SUM(CASE WHEN i.due_date < %(as_of)s THEN i.principal_due ELSE 0 END) AS principal_overdue,
         MIN(CASE WHEN i.paid_date IS NULL OR i.paid_date > %(as_of)s THEN i.due_date END)
           AS oldest_unpaid_due
  FROM {names["instalment"]} i
  JOIN {names["contract"]} c ON c.id = i.contract_id
  WHERE c.institution_id = %(institution_id)s AND i.due_date <= %(as_of)s
  GROUP BY i.contract_id
), paid AS (
  SELECT r.contract_id,
         SUM(r.principal_amount) AS principal,
         SUM(r.profit_amount) AS profit,
         SUM(CASE WHEN r.value_date > %(window_start)s THEN r.profit_amount ELSE 0 END)
           AS profit_in_period
  FROM {names["repayment"]} r
  JOIN {names["contract"]} c ON c.id = r.contract_id
  WHERE c.institution_id = %(institution_id)s AND r.value_date <= %(as_of)s
  GROUP BY r.contract_id
), contracts AS (
  SELECT c.id, c.client_id, c.contract_type, c.branch_id, cl.gender, cl.area, c.expected_roi,
         c.financed_amount - COALESCE(p.principal, 0) AS outstanding,
         CASE WHEN c.contract_type IN ({debt})
           THEN c.financed_amount + c.profit_amount - COALESCE(p.principal, 0)
                - COALESCE(p.profit, 0)
           ELSE c.financed_amount - COALESCE(p.principal, 0) END AS gross_receivable,
         CASE WHEN c.contract_type IN ({debt}) THEN 1 ELSE 0 END AS is_debt,
         CASE WHEN c.contract_type IN ({equity}) THEN 1 ELSE 0 END AS is_equity,
         CASE WHEN i.oldest_unpaid_due IS NULL THEN 0 ELSE {names["days_late"]} END AS days_late,
         {names["greatest"]}(COALESCE(i.principal_overdue, 0) - COALESCE(p.principal, 0), 0)
           AS arrears,
         CASE WHEN EXISTS (
           SELECT 1 FROM {names["restructuring"]} s
           WHERE s.contract_id = c.id AND s.date <= %(as_of)s
         ) THEN 1 ELSE 0 END AS restructured,
         COALESCE(p.profit_in_period, 0) AS profit_in_period
  FROM {names["contract"]} c
  JOIN {names["client"]} cl ON cl.id = c.client_id
  LEFT JOIN due i ON i.contract_id = c.id
  LEFT JOIN paid p ON p.contract_id = c.id
  WHERE c.institution_id = %(institution_id)s
    AND c.disbursement_date <= %(as_of)s
    AND NOT EXISTS (
      SELECT 1 FROM {names["writeoff"]} w WHERE w.contract_id = c.id AND w.date <= %(as_of)s
    )
), book AS (
  -- Rounded: SQLite sums decimals in floating point and leaves 5e-11 on repaid financings.
  SELECT * FROM contracts WHERE ROUND(outstanding, 2) > 0
)
{rollups}
"""


def _flows_sql() -> str:
    names = _tables()
    sums = (
        "SUM(disbursed) AS disbursed, SUM(number_disbursed) AS number_disbursed, "
        "SUM(written_off) AS written_off"
    )
    rollups = "\nUNION ALL\n".join(
        f"SELECT '{segment}' AS segment, {column} AS segment_value, {sums} FROM flows"
        + ("" if segment == "total" else f" GROUP BY {column}")
        for segment, column in SEGMENTS.items()
    )
    return f"""
WITH flows AS (
  SELECT c.contract_type, c.branch_id, cl.gender, cl.area,
         CASE WHEN c.disbursement_date > %(window_start)s THEN c.financed_amount ELSE 0 END
           AS disbursed,
         CASE WHEN c.disbursement_date > %(window_start)s THEN 1 ELSE 0 END AS number_disbursed,
         COALESCE(w.principal_amount, 0) AS written_off
  FROM {names["contract"]} c
  JOIN {names["client"]} cl ON cl.id = c.client_id
  -- A LEFT JOIN, not OR EXISTS: PostgreSQL misestimated that filter 4x and walked contracts in
  -- client order (random heap reads); this halves the statement on 1M contracts (bench/).
  LEFT JOIN {names["writeoff"]} w
    ON w.contract_id = c.id AND w.date > %(window_start)s AND w.date <= %(as_of)s
  WHERE c.institution_id = %(institution_id)s
    AND c.disbursement_date <= %(as_of)s
    AND (c.disbursement_date > %(window_start)s OR w.contract_id IS NOT NULL)
)
{rollups}
"""


def _decimal(value: object) -> Decimal:
    if value is None:
        return ZERO
    # SQLite returns floats for SUM over decimals; money has 2 places, so round back to cents.
    return Decimal(str(value)).quantize(Decimal("0.01"))


def portfolio_at(
    *, institution_id: int, as_of: datetime.date, window_start: datetime.date
) -> list[SegmentPortfolio]:
    """The book of ``institution_id`` at ``as_of`` for every segment, with the flows of the
    window ``(window_start, as_of]`` (``window_start`` is the previous quarter end)."""
    params = {
        "institution_id": institution_id,
        "as_of": as_of.isoformat(),
        "window_start": window_start.isoformat(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_book_sql(), params)
        columns = [column[0] for column in cursor.description]
        book = {(row[0], str(row[1])): dict(zip(columns, row, strict=True)) for row in cursor}
        cursor.execute(_flows_sql(), params)
        flows = {(row[0], str(row[1])): row[2:] for row in cursor}

    results = []
    for key in sorted(set(book) | set(flows)):
        row = book.get(key, {})
        disbursed, number_disbursed, written_off = flows.get(key, (None, None, None))
        results.append(
            SegmentPortfolio(
                segment=key[0],
                segment_value=key[1],
                outstanding=_decimal(row.get("outstanding")),
                gross_receivable=_decimal(row.get("gross_receivable")),
                outstanding_debt_based=_decimal(row.get("outstanding_debt_based")),
                late={n: _decimal(row.get(f"late_{n}")) for n in LATE_THRESHOLDS},
                late_all={n: _decimal(row.get(f"late_all_{n}")) for n in LATE_THRESHOLDS},
                arrears=_decimal(row.get("arrears")),
                restructured=_decimal(row.get("restructured")),
                restructured_in_arrears=_decimal(row.get("restructured_in_arrears")),
                active_financings=int(row.get("active_financings") or 0),
                active_clients=int(row.get("active_clients") or 0),
                equity_capital=_decimal(row.get("equity_capital")),
                equity_capital_appraised=_decimal(row.get("equity_capital_appraised")),
                equity_expected_income=_decimal(row.get("equity_expected_income")),
                equity_profit_in_period=_decimal(row.get("equity_profit_in_period")),
                profit_received_in_period=_decimal(row.get("profit_received_in_period")),
                disbursed_in_period=_decimal(disbursed),
                number_disbursed_in_period=int(number_disbursed or 0),
                written_off_in_period=_decimal(written_off),
            )
        )
    return results
