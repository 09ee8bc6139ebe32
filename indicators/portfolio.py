"""The portfolio of an institution at a date, computed in the database from loan-level data.

One SQL statement per part of the institution's contract-id range, whatever the size of the
book (no Python loop per contract or instalment):

* per contract: the outstanding balance (DECISIONS D5: financed cost minus principal repaid by
  the date), days late of the oldest instalment due by the date and not fully paid by then
  (an instalment with nothing due, such as a grace-period row, is never late),
  principal in arrears, whether restructured, and the quarter's **flows** (disbursed in the
  window, written off in it, profit falling due in it);
* summed per *cell* (contract type × branch × gender × area: about a thousand rows), with the
  ids of the cell's active clients. Python adds the cells of every part up into the whole
  portfolio and the four breakdowns (exact: sums of sums, rounded once per segment) and counts
  the distinct client ids of each segment (vectorised).

The parts (``settings.MFME_PORTFOLIO_PARTS``) run at once on their own PostgreSQL connections,
all reading one exported snapshot; inside a transaction, and on SQLite, one after the other.
Instalments and repayments are aggregated per contract without a join to the contracts: the
part's contract-id range bounds their index scans, and the join with the institution's
contracts that follows keeps only its own (bench/README.md has the figures).

Definitions (DECISIONS D7): PAR(n) counts the *whole* outstanding of a financing with any
instalment more than n days late (PAR1 too: more than one day late); the arrears amount counts only
what is overdue and is reported separately. Lateness of a salam runs from its contractual
delivery date whatever its schedule says (D7): once that date has passed, the financing is late
and its whole undelivered balance is in arrears; a salam without a delivery date falls back on
its schedule. Written-off financings leave the book on their
write-off date (D10). Money is exact: repayments are summed by value date, so a past date is
computed as it was then.

The instalment heap is kept in contract order (see institutions/migrations/0002), which is what
makes the per-contract aggregation a streaming scan on PostgreSQL (spec/perf-calibration.md).
"""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from institutions.models import (
    DEBT_BASED_TYPES,
    EQUITY_TYPES,
    Client,
    ContractType,
    FinancingContract,
    Instalment,
    Repayment,
    Restructuring,
    WriteOff,
)

#: Lateness thresholds: PAR(n) counts financings more than ``LATE_THRESHOLDS[n]`` days late
#: (D7: "more than n days late", n = 1, 30, 60, 90, 180; so PAR1 starts at 2 days late).
LATE_THRESHOLDS: dict[int, int] = {1: 1, 30: 30, 60: 60, 90: 90, 180: 180}

#: Segments and the cell column that defines them (``None``: the whole portfolio).
SEGMENTS: dict[str, str | None] = {
    "total": None,
    "contract_type": "contract_type",
    "branch": "branch_id",
    "gender": "gender",
    "area": "area",
}

ZERO = Decimal("0")
CENT = Decimal("0.01")


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
    arrears: Decimal  # every financing with a schedule (conventional arrears rate)
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
    #: Profit of the instalments falling due in the window (the contractual income of the
    #: yield gap), on every financing not written off before the window.
    profit_due_in_period: Decimal = ZERO
    #: The arrears of the debt-based financings only: the Islamic arrears rate's numerator, on
    #: the same contracts as its denominator (``outstanding_debt_based``) and the Islamic PAR.
    arrears_debt_based: Decimal = ZERO


def _sql_in(values: frozenset[str]) -> str:
    # Contract types are our own enum values, never user input.
    return ", ".join(f"'{value}'" for value in sorted(values))


def _dialect() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {
            "days_late": "(CAST(%(as_of)s AS date) - i.oldest_unpaid_due)",
            "days_since_delivery": "(CAST(%(as_of)s AS date) - c.delivery_date)",
            "greatest": "GREATEST",
            # A fence: each contract's expressions are computed once, not once per measure
            # that uses them (which inlining the CTE into the sums would do).
            "fence": "OFFSET 0",
        }
    # SQLite keeps dates as ISO text; julianday difference gives whole days.
    return {
        "days_late": "CAST(julianday(%(as_of)s) - julianday(i.oldest_unpaid_due) AS INTEGER)",
        "days_since_delivery": "CAST(julianday(%(as_of)s) - julianday(c.delivery_date) AS INTEGER)",
        "greatest": "MAX",
        "fence": "",
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


def _measures() -> list[tuple[str, str, str | None]]:
    """(name, value, condition) of every measure over ``base``: the cell sums ``value`` over its
    financings that meet ``condition`` (``SUM … FILTER (WHERE …)``: no zeros added for the
    others; an empty sum is NULL, read as 0).

    Book measures count only financings in the book at the date (``in_book``); the flows count
    every financing disbursed in the window, written off in it or with profit falling due in it."""
    book = "in_book = 1"
    measures: list[tuple[str, str, str | None]] = [
        ("outstanding", "outstanding", book),
        ("gross_receivable", "gross_receivable", book),
    ]
    for n, days in LATE_THRESHOLDS.items():
        measures.append((f"late_all_{n}", "outstanding", f"{book} AND days_late > {days}"))
    appraised = f"{book} AND is_equity = 1 AND expected_roi IS NOT NULL"
    measures += [
        ("arrears", "arrears", book),
        ("restructured", "outstanding", f"{book} AND restructured = 1"),
        (
            "restructured_in_arrears",
            "outstanding",
            f"{book} AND restructured = 1 AND days_late > 0",
        ),
        ("active_financings", "1", book),
        ("equity_capital_appraised", "outstanding", appraised),
        ("equity_expected_income", "outstanding * expected_roi / 100", appraised),
        ("equity_profit_in_period", "profit_in_period", appraised),
        ("profit_received_in_period", "profit_in_period", book),
        ("disbursed_in_period", "financed_amount", "disbursed_in_window = 1"),
        ("number_disbursed_in_period", "1", "disbursed_in_window = 1"),
        ("written_off_in_period", "written_off_in_window", None),
        ("profit_due_in_period", "profit_due_in_window", None),
    ]
    return measures


#: Measures that a cell's contract type decides (a cell holds one type): the debt-based
#: outstanding and PAR are its outstanding and PAR when the type is debt-based, the equity
#: capital its outstanding when the type is equity-based; otherwise 0. Python adds them when it
#: rolls the cells up, so the statement sums fewer columns.
BY_TYPE: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("outstanding_debt_based", "outstanding", DEBT_BASED_TYPES),
    *((f"late_{n}", f"late_all_{n}", DEBT_BASED_TYPES) for n in LATE_THRESHOLDS),
    ("arrears_debt_based", "arrears", DEBT_BASED_TYPES),
    ("equity_capital", "outstanding", EQUITY_TYPES),
)


#: How PostgreSQL may JIT-compile the portfolio statement (``SET LOCAL`` for its transaction; the
#: server's settings are untouched). Compiling its expressions and tuple deforming costs about
#: 0.1 s and pays back; LLVM inlining and optimisation, which the default cost thresholds switch
#: on for a statement this size, took 3.2 s of a 14 s execution on 1M financings and never paid
#: back on one pass over the book (bench/README.md).
JIT_SETTINGS: tuple[tuple[str, str], ...] = (
    ("jit", "on"),
    ("jit_inline_above_cost", "-1"),
    ("jit_optimize_above_cost", "-1"),
)


def _postgres_settings(cursor, *, parts: int) -> None:
    """The statement's settings, for this transaction only: JIT as above and, when there are
    several parts, no parallel workers (the parts are the parallelism)."""
    pairs = list(JIT_SETTINGS)
    if parts > 1:
        pairs.append(("max_parallel_workers_per_gather", "0"))
    for name, value in pairs:
        cursor.execute(f"SET LOCAL {name} = {value}")


#: The columns of a cell, the unit the statement sums over.
CELL_COLUMNS = ("contract_type", "branch_id", "gender", "area")


def _portfolio_sql() -> str:
    """One statement for the contracts whose ids lie in ``[first_id, last_id]``: the
    per-contract book and flows summed per cell, with the ids of the cell's active clients
    (one per financing in the book; duplicates are removed when the cells are rolled up)."""
    names = {**_tables(), **_dialect()}
    debt = _sql_in(DEBT_BASED_TYPES)
    equity = _sql_in(EQUITY_TYPES)
    salam_delivery = (
        f"c.contract_type = '{ContractType.SALAM.value}' AND c.delivery_date IS NOT NULL"
    )
    sums = ",\n  ".join(
        f"SUM({value}) FILTER (WHERE {condition}) AS {name}"
        if condition
        else f"SUM({value}) AS {name}"
        for name, value, condition in _measures()
    )
    cells = ", ".join(CELL_COLUMNS)
    if connection.vendor == "postgresql":
        # One text key: PostgreSQL estimates few groups and hashes the book instead of
        # sorting it (four separate columns: sort). Gender and area are NOT NULL choices;
        # chr(31) never occurs in them.
        cell_group = (
            "contract_type || chr(31) || CAST(branch_id AS VARCHAR(20)) || chr(31) || gender"
            " || chr(31) || area"
        )
        cell_values = ", ".join(f"MIN({column}) AS {column}" for column in CELL_COLUMNS)
        client_ids = "ARRAY_AGG(client_id) FILTER (WHERE in_book = 1)"
    else:
        cell_group = cell_values = cells
        client_ids = "GROUP_CONCAT(CASE WHEN in_book = 1 THEN client_id END)"
    # Instalments and repayments are aggregated per contract without joining the contracts:
    # the contract-id range bounds the index scans, and the join with the institution's
    # contracts below drops any other institution's contract inside the range.
    return f"""
WITH due AS (
  SELECT i.contract_id,
         SUM(i.principal_due) FILTER (WHERE i.due_date < %(as_of)s) AS principal_overdue,
         -- An instalment with nothing due (a grace-period row) is never late: settling
         -- never gives it a paid date.
         MIN(i.due_date) FILTER (
           WHERE (i.paid_date IS NULL OR i.paid_date > %(as_of)s)
             AND i.principal_due + i.profit_due > 0
         ) AS oldest_unpaid_due,
         SUM(i.profit_due) FILTER (WHERE i.due_date > %(window_start)s) AS profit_due_in_window
  FROM {names["instalment"]} i
  WHERE i.contract_id BETWEEN %(first_id)s AND %(last_id)s AND i.due_date <= %(as_of)s
  GROUP BY i.contract_id
), paid AS (
  SELECT r.contract_id,
         SUM(r.principal_amount) AS principal,
         SUM(r.profit_amount) AS profit,
         SUM(r.profit_amount) FILTER (WHERE r.value_date > %(window_start)s) AS profit_in_period
  FROM {names["repayment"]} r
  WHERE r.contract_id BETWEEN %(first_id)s AND %(last_id)s AND r.value_date <= %(as_of)s
  GROUP BY r.contract_id
), contracts AS (
  SELECT c.id, c.client_id, c.contract_type, c.branch_id, c.expected_roi,
         c.financed_amount,
         c.financed_amount - COALESCE(p.principal, 0) AS outstanding,
         CASE WHEN c.contract_type IN ({debt})
           THEN c.financed_amount + c.profit_amount - COALESCE(p.principal, 0)
                - COALESCE(p.profit, 0)
           ELSE c.financed_amount - COALESCE(p.principal, 0) END AS gross_receivable,
         CASE WHEN c.contract_type IN ({equity}) THEN 1 ELSE 0 END AS is_equity,
         -- A salam is late from its contractual delivery date (D7), whatever its schedule says;
         -- the measures count only financings in the book, i.e. not fully delivered.
         CASE WHEN {salam_delivery}
           THEN CASE WHEN c.delivery_date < %(as_of)s THEN {names["days_since_delivery"]} ELSE 0 END
           WHEN i.oldest_unpaid_due IS NULL THEN 0 ELSE {names["days_late"]} END AS days_late,
         -- Its whole undelivered balance is overdue once the delivery date has passed.
         CASE WHEN {salam_delivery}
           THEN CASE WHEN c.delivery_date < %(as_of)s
             THEN c.financed_amount - COALESCE(p.principal, 0) ELSE 0 END
           ELSE {names["greatest"]}(COALESCE(i.principal_overdue, 0) - COALESCE(p.principal, 0), 0)
           END AS arrears,
         CASE WHEN EXISTS (
           SELECT 1 FROM {names["restructuring"]} s
           WHERE s.contract_id = c.id AND s.date <= %(as_of)s
         ) THEN 1 ELSE 0 END AS restructured,
         COALESCE(p.profit_in_period, 0) AS profit_in_period,
         CASE WHEN c.disbursement_date > %(window_start)s THEN 1 ELSE 0 END AS disbursed_in_window,
         CASE WHEN w.date > %(window_start)s THEN w.principal_amount ELSE 0 END
           AS written_off_in_window,
         w.date AS written_off_on,
         -- The contractual profit of the window: instalments falling due in it, unless the
         -- financing was written off before it began.
         CASE WHEN w.date IS NULL OR w.date > %(window_start)s
           THEN COALESCE(i.profit_due_in_window, 0) ELSE 0 END AS profit_due_in_window,
         CASE WHEN w.contract_id IS NULL THEN 1 ELSE 0 END AS not_written_off
  FROM {names["contract"]} c
  -- Written off by the date: out of the book (D10); in the window: a flow.
  LEFT JOIN {names["writeoff"]} w ON w.contract_id = c.id AND w.date <= %(as_of)s
  LEFT JOIN due i ON i.contract_id = c.id
  LEFT JOIN paid p ON p.contract_id = c.id
  WHERE c.institution_id = %(institution_id)s
    AND c.id BETWEEN %(first_id)s AND %(last_id)s
    AND c.disbursement_date <= %(as_of)s
    -- ``base``'s test below, on the joined columns: the financings outside the book and the
    -- window's flows (a third of them) skip the expressions above.
    AND ((w.contract_id IS NULL AND ROUND(c.financed_amount - COALESCE(p.principal, 0), 2) > 0)
         OR c.disbursement_date > %(window_start)s
         OR w.date > %(window_start)s
         OR ((w.date IS NULL OR w.date > %(window_start)s) AND i.profit_due_in_window > 0))
  {names["fence"]}
), flagged AS (
  -- Rounded: SQLite sums decimals in floating point and leaves 5e-11 on repaid financings.
  SELECT *,
         CASE WHEN not_written_off = 1 AND ROUND(outstanding, 2) > 0 THEN 1 ELSE 0 END AS in_book
  FROM contracts
), base AS (
  -- Only the financings in the book or in the window's flows; gender and area are the
  -- client's own.
  SELECT f.*, cl.gender, cl.area
  FROM flagged f JOIN {names["client"]} cl ON cl.id = f.client_id
  WHERE f.in_book = 1 OR f.disbursed_in_window = 1 OR f.written_off_on > %(window_start)s
     OR f.profit_due_in_window > 0
)
SELECT {cell_values},
  {sums},
  {client_ids} AS client_ids
FROM base
GROUP BY {cell_group}
"""


def _decimal(value: object) -> Decimal:
    if value is None:
        return CENT * 0
    # SQLite returns floats for SUM over decimals; money has 2 places, so round back to cents.
    return Decimal(str(value)).quantize(CENT)


def _contract_id_range(cursor, institution_id: int) -> tuple[int, int]:
    """The lowest and highest contract ids of the institution ((0, -1) when it has none)."""
    cursor.execute(
        f"SELECT MIN(id), MAX(id) FROM {FinancingContract._meta.db_table}"
        " WHERE institution_id = %s",
        [institution_id],
    )
    first, last = cursor.fetchone()
    return (0, -1) if first is None else (int(first), int(last))


def _segment_value(segment: str, cell: dict[str, object]) -> str:
    column = SEGMENTS[segment]
    return "" if column is None else str(cell[column])


def _parts(first_id: int, last_id: int) -> list[tuple[int, int]]:
    """The contract-id range cut into ``settings.MFME_PORTFOLIO_PARTS`` contiguous parts."""
    count = max(1, int(getattr(settings, "MFME_PORTFOLIO_PARTS", 1)))
    span = last_id - first_id + 1
    if span < count * 2:
        return [(first_id, last_id)]
    cuts = [first_id + span * k // count for k in range(count + 1)]
    return [(cuts[k], cuts[k + 1] - 1) for k in range(count)]


def _fetch(cursor, params: dict[str, object]) -> list[dict[str, object]]:
    cursor.execute(_portfolio_sql(), params)
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def _fetch_parts(common: dict[str, object]) -> list[dict[str, object]]:
    """The cells of every part of the institution's contract-id range.

    On PostgreSQL outside a transaction, the parts run at once, each on its own connection,
    all reading the snapshot in which the range was read (exported by this connection, as
    pg_dump's parallel mode does). Otherwise (SQLite, or inside a transaction whose snapshot
    another connection could not share) they run one after the other on this connection."""
    postgres = connection.vendor == "postgresql"
    own_transaction = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres and own_transaction:
            # The first statement of the transaction, as PostgreSQL requires.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        first_id, last_id = _contract_id_range(cursor, int(common["institution_id"]))
        params = [{**common, "first_id": lo, "last_id": hi} for lo, hi in _parts(first_id, last_id)]
        if postgres:
            _postgres_settings(cursor, parts=len(params))
        if not (postgres and own_transaction and len(params) > 1):
            return [row for part in params for row in _fetch(cursor, part)]
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        with ThreadPoolExecutor(max_workers=len(params) - 1) as pool:
            others = [pool.submit(_fetch_in_snapshot, snapshot, part) for part in params[1:]]
            rows = _fetch(cursor, params[0])
            for other in others:
                rows += other.result()
    return rows


def _fetch_in_snapshot(snapshot: str, params: dict[str, object]) -> list[dict[str, object]]:
    """One part on this thread's own connection, in the snapshot of the first part."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
            _postgres_settings(cursor, parts=2)
            return _fetch(cursor, params)
    finally:
        connection.close()


def _client_ids(value: object) -> np.ndarray:
    """The client ids of a cell: a list (PostgreSQL's array) or a comma-separated text
    (SQLite's GROUP_CONCAT); None when the cell has no financing in the book."""
    if value is None:
        return np.empty(0, dtype=np.int64)
    if isinstance(value, str):
        return np.array(value.split(","), dtype=np.int64)
    return np.asarray(value, dtype=np.int64)


def _distinct(values: np.ndarray) -> int:
    """How many distinct values (a sort: faster here than ``np.unique``'s hashing)."""
    if not values.size:
        return 0
    values.sort()
    return int(np.count_nonzero(values[1:] != values[:-1])) + 1


def portfolio_at(
    *, institution_id: int, as_of: datetime.date, window_start: datetime.date
) -> list[SegmentPortfolio]:
    """The book of ``institution_id`` at ``as_of`` for every segment, with the flows of the
    window ``(window_start, as_of]`` (``window_start`` is the previous quarter end)."""
    rows = _fetch_parts(
        {
            "institution_id": institution_id,
            "as_of": as_of.isoformat(),
            "window_start": window_start.isoformat(),
        }
    )

    # Roll the cells (of every part) up into segments: exact sums (Decimal; SQLite's floats
    # are read back through their shortest text form, as ``_decimal`` does), rounded once per
    # segment. Active clients: the distinct ids over the segment's cells (vectorised).
    measures = [name for name, _value, _condition in _measures()]
    totals: dict[tuple[str, str], dict[str, Decimal]] = {("total", ""): {}}
    ids: dict[tuple[str, str], list[np.ndarray]] = {}
    for row in rows:
        cell_ids = _client_ids(row["client_ids"])
        values = [
            (name, value if isinstance(value, Decimal) else Decimal(str(value)))
            for name in measures
            if (value := row[name]) is not None
        ]
        summed = dict(values)
        values += [
            (name, summed[source])
            for name, source, types in BY_TYPE
            if row["contract_type"] in types and source in summed
        ]
        for segment in SEGMENTS:
            key = (segment, _segment_value(segment, row))
            sums = totals.setdefault(key, {})
            for name, value in values:
                sums[name] = sums.get(name, ZERO) + value
            ids.setdefault(key, []).append(cell_ids)
    clients = {key: _distinct(np.concatenate(arrays)) for key, arrays in ids.items()}

    results = []
    for key in sorted(totals):
        sums = totals[key]
        results.append(
            SegmentPortfolio(
                segment=key[0],
                segment_value=key[1],
                outstanding=_decimal(sums.get("outstanding")),
                gross_receivable=_decimal(sums.get("gross_receivable")),
                outstanding_debt_based=_decimal(sums.get("outstanding_debt_based")),
                late={n: _decimal(sums.get(f"late_{n}")) for n in LATE_THRESHOLDS},
                late_all={n: _decimal(sums.get(f"late_all_{n}")) for n in LATE_THRESHOLDS},
                arrears=_decimal(sums.get("arrears")),
                arrears_debt_based=_decimal(sums.get("arrears_debt_based")),
                restructured=_decimal(sums.get("restructured")),
                restructured_in_arrears=_decimal(sums.get("restructured_in_arrears")),
                active_financings=int(sums.get("active_financings") or 0),
                active_clients=clients.get(key, 0),
                equity_capital=_decimal(sums.get("equity_capital")),
                equity_capital_appraised=_decimal(sums.get("equity_capital_appraised")),
                equity_expected_income=_decimal(sums.get("equity_expected_income")),
                equity_profit_in_period=_decimal(sums.get("equity_profit_in_period")),
                profit_received_in_period=_decimal(sums.get("profit_received_in_period")),
                disbursed_in_period=_decimal(sums.get("disbursed_in_period")),
                number_disbursed_in_period=int(sums.get("number_disbursed_in_period") or 0),
                written_off_in_period=_decimal(sums.get("written_off_in_period")),
                profit_due_in_period=_decimal(sums.get("profit_due_in_period")),
            )
        )
    return results
