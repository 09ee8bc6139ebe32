"""A synthetic loan book for ``bench/indicators_benchmark.py``, generated with vectorised numpy.

It follows the recipe of spec/perf-calibration.md (Setup): log-normal amounts, disbursements
spread over 2024-2025, monthly schedules with profit on the declining balance, and three
behaviour classes (good, irregular, defaulters) so that lateness is correlated within a
contract; the data is "extracted" on 2026-03-31, so later payments are unknown. On top of the
recipe: all nine contract types of ``institutions.models.ContractType`` (salam: one instalment
due on the delivery date; musharaka and mudaraba: a bullet at maturity), one ``Repayment`` row
per payment, restructurings and write-offs.

Everything is integers: money in cents, percentages in units of the last stored decimal place,
dates in days since 1970-01-01 (-1 is NULL). Arrays are indexed by row position; the caller
turns positions into primary keys. Rows come out in the physical order the portfolio SQL wants
(instalments and repayments grouped by contract, contracts in id order). No Python loop runs
per contract, instalment or payment.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np

EPOCH = np.datetime64("1970-01-01", "D")
NULL = -1


def day(value: str | datetime.date) -> int:
    """Days since 1970-01-01."""
    return int((np.datetime64(value, "D") - EPOCH).astype(np.int64))


def date_of(days: int) -> datetime.date:
    return (EPOCH + np.timedelta64(int(days), "D")).astype(datetime.date)


EXTRACTED_ON = day("2026-03-31")
FIRST_DISBURSEMENT = day("2024-01-01")
LAST_DISBURSEMENT = day("2025-12-31")
BRANCHES = 20
CONTRACTS_PER_CLIENT = 1.6
WRITTEN_OFF_SHARE = 0.02  # of all contracts, drawn from defaulters more than 180 days late
RESTRUCTURED_SHARE_OF_IRREGULAR = 0.05
UNALLOCATED_REPAYMENT_SHARE = 0.03  # repayments recorded without an instalment


@dataclass(frozen=True)
class TypeSpec:
    code: str
    share: float
    monthly_rate: float  # profit on the declining balance (or expected return), per month
    size: float  # multiplier of the log-normal amount
    schedule: str  # "monthly" (12 instalments), "salam" (delivery) or "bullet"


TYPES: tuple[TypeSpec, ...] = (
    TypeSpec("murabaha", 0.40, 0.015, 1.0, "monthly"),
    TypeSpec("ijara", 0.10, 0.018, 1.5, "monthly"),
    TypeSpec("ijara_mb", 0.08, 0.016, 2.0, "monthly"),
    TypeSpec("qard_hassan", 0.10, 0.0, 0.4, "monthly"),
    TypeSpec("istisna", 0.07, 0.014, 1.2, "monthly"),
    TypeSpec("diminishing_musharaka", 0.10, 0.012, 2.5, "monthly"),
    TypeSpec("salam", 0.05, 0.020, 1.0, "salam"),
    TypeSpec("musharaka", 0.05, 0.025, 2.0, "bullet"),
    TypeSpec("mudaraba", 0.05, 0.030, 2.0, "bullet"),
)
TYPE_CODES = np.array([t.code for t in TYPES], dtype=object)
SALE_BASED = ("murabaha", "istisna")
LEASES = ("ijara", "ijara_mb")
EQUITY = ("musharaka", "mudaraba", "diminishing_musharaka")
DEBT_BASED = (
    "murabaha",
    "salam",
    "istisna",
    "ijara",
    "ijara_mb",
    "qard_hassan",
    "diminishing_musharaka",
)
STATUS_CODES = np.array(["active", "repaid", "written_off"], dtype=object)
GENDERS = np.array(["female", "male"], dtype=object)
AREAS = np.array(["rural", "urban", "peri_urban"], dtype=object)
POVERTY = np.array(["extreme_poor", "poor", "vulnerable", "non_poor", "unknown"], dtype=object)
SECTORS = np.array(["agriculture", "trade", "crafts", "services", "housing"], dtype=object)
COMMODITIES = np.array(["wheat", "barley", "dates", "olive oil", "maize"], dtype=object)
COMMODITY_UNITS = np.array(["t", "t", "kg", "l", "t"], dtype=object)
COMMODITY_UNIT_PRICE_CENTS = np.array([30_000, 25_000, 1_500, 4_000, 28_000])


@dataclass
class Portfolio:
    """Column arrays per table (see the module docstring for units)."""

    contracts: dict[str, np.ndarray] = field(default_factory=dict)
    instalments: dict[str, np.ndarray] = field(default_factory=dict)
    repayments: dict[str, np.ndarray] = field(default_factory=dict)
    clients: dict[str, np.ndarray] = field(default_factory=dict)
    write_offs: dict[str, np.ndarray] = field(default_factory=dict)
    restructurings: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def sizes(self) -> dict[str, int]:
        return {
            name: len(next(iter(table.values())))
            for name, table in (
                ("clients", self.clients),
                ("contracts", self.contracts),
                ("instalments", self.instalments),
                ("repayments", self.repayments),
                ("restructurings", self.restructurings),
                ("write_offs", self.write_offs),
            )
        }


def _add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``days`` plus ``months`` calendar months, on the same day of the month clamped to 28."""
    dates = days.astype("datetime64[D]")
    month_start = dates.astype("datetime64[M]")
    day_of_month = (dates - month_start.astype("datetime64[D]")).astype(np.int64)
    target = (month_start + months.astype("timedelta64[M]")).astype("datetime64[D]")
    return (target - EPOCH).astype(np.int64) + np.minimum(day_of_month, 27)


def generate(contracts: int, seed: int = 20260331) -> Portfolio:
    rng = np.random.default_rng(seed)
    n = contracts
    spec = TYPES
    schedule = np.array([t.schedule for t in spec])

    # --- Contracts: type, dates, amounts ------------------------------------------------------
    type_idx = rng.choice(len(spec), size=n, p=[t.share for t in spec])
    monthly_rate = np.array([t.monthly_rate for t in spec])[type_idx]
    kind = schedule[type_idx]
    disbursed = rng.integers(FIRST_DISBURSEMENT, LAST_DISBURSEMENT + 1, n)
    contract_date = disbursed - rng.integers(0, 15, n)
    amount = np.exp(rng.normal(np.log(1500.0), 0.9, n)) * np.array([t.size for t in spec])[type_idx]
    financed = np.round(np.clip(amount, 100.0, 100_000.0) * 100).astype(np.int64)

    # Schedule shape: 12 monthly instalments, or one instalment `horizon` months ahead.
    count = np.where(kind == "monthly", 12, 1)
    horizon = np.where(
        kind == "salam",
        rng.integers(3, 10, n),
        np.where(kind == "bullet", rng.integers(6, 19, n), 0),
    )
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(count[:-1], out=starts[1:])
    m = int(count.sum())

    # --- Instalments ------------------------------------------------------------------------
    owner = np.repeat(np.arange(n), count)
    k = np.arange(m) - starts[owner]  # 0-based position in the schedule
    single = count[owner] == 1
    due = _add_months(disbursed[owner], np.where(single, horizon[owner], k + 1))
    per = financed // count
    principal_due = np.where(
        k == count[owner] - 1, financed[owner] - per[owner] * (count[owner] - 1), per[owner]
    )
    balance_before = financed[owner] - per[owner] * k
    profit_due = np.where(
        single,
        np.round(financed[owner] * monthly_rate[owner] * horizon[owner]),
        np.round(balance_before * monthly_rate[owner]),
    ).astype(np.int64)
    profit = np.add.reduceat(profit_due, starts)
    maturity = due[starts + count - 1]

    # --- Behaviour: good 78 %, irregular 14 %, defaulters 8 % ----------------------------------
    behaviour_of = rng.choice(3, size=n, p=[0.78, 0.14, 0.08])
    behaviour = behaviour_of[owner]
    u = rng.random(m)
    early = -rng.integers(0, 4, m)
    delay = np.where(
        u < 0.97, early, rng.integers(1, 16, m)
    )  # good (and defaulters before default)
    irregular = behaviour == 1
    long_late = np.clip(np.ceil(rng.exponential(25.0, m)), 1, 200).astype(np.int64)
    delay = np.where(irregular, np.where(u < 0.45, early, long_late), delay)
    never = irregular & (u >= 0.95)
    first_unpaid_of = np.floor(rng.random(n) * count).astype(np.int64)
    defaulter = behaviour == 2
    first_unpaid = first_unpaid_of[owner]
    never |= defaulter & (k >= first_unpaid)
    partial = defaulter & (k == first_unpaid) & (rng.random(n) < 0.30)[owner]
    delay = np.where(partial, rng.integers(0, 21, m), delay)
    pay_day = due + delay
    known = (~never | partial) & (pay_day <= EXTRACTED_ON)
    full = known & ~partial

    principal_paid = np.where(full, principal_due, np.where(known, principal_due * 4 // 10, 0))
    profit_paid = np.where(full, profit_due, np.where(known, profit_due * 4 // 10, 0))
    paid_date = np.where(full, pay_day, NULL)

    # --- Repayments: one per known payment, in contract order ---------------------------------
    paid_rows = np.flatnonzero(known)
    repayment_instalment = paid_rows.copy()
    repayment_instalment[rng.random(len(paid_rows)) < UNALLOCATED_REPAYMENT_SHARE] = NULL
    repayments = {
        "contract": owner[paid_rows],
        "instalment": repayment_instalment,
        "value_date": pay_day[paid_rows],
        "principal": principal_paid[paid_rows],
        "profit": profit_paid[paid_rows],
    }

    # --- Write-offs: defaulters more than 180 days late, about 2 % of the book -----------------
    first_unpaid_due = due[starts + first_unpaid_of]
    write_off_day = np.minimum(first_unpaid_due + rng.integers(181, 271, n), EXTRACTED_ON)
    candidates = np.flatnonzero((behaviour_of == 2) & (first_unpaid_due + 181 <= EXTRACTED_ON))
    target = round(WRITTEN_OFF_SHARE * n)
    if len(candidates) > target:
        candidates = np.sort(rng.choice(candidates, size=target, replace=False))
    repaid_principal = np.bincount(repayments["contract"], repayments["principal"], n)
    repaid_profit = np.bincount(repayments["contract"], repayments["profit"], n)
    repaid_principal = np.round(repaid_principal).astype(np.int64)
    repaid_profit = np.round(repaid_profit).astype(np.int64)
    write_offs = {
        "contract": candidates,
        "date": write_off_day[candidates],
        "principal": financed[candidates] - repaid_principal[candidates],
        "profit": profit[candidates] - repaid_profit[candidates],
    }
    written_off = np.zeros(n, dtype=bool)
    written_off[candidates] = True

    # --- Restructurings: a few irregular payers, without raising the debt (D9) ----------------
    pick = np.flatnonzero(
        (behaviour_of == 1) & ~written_off & (rng.random(n) < RESTRUCTURED_SHARE_OF_IRREGULAR)
    )
    low = disbursed[pick] + 60
    high = np.minimum(maturity[pick], EXTRACTED_ON)
    pick, low, high = pick[low <= high], low[low <= high], high[low <= high]
    restructured_on = low + np.floor(rng.random(len(pick)) * (high - low + 1)).astype(np.int64)
    on_of = np.full(n, NULL, dtype=np.int64)
    on_of[pick] = restructured_on
    before_mask = repayments["value_date"] <= on_of[repayments["contract"]]
    repaid_before = np.round(
        np.bincount(
            repayments["contract"][before_mask],
            (repayments["principal"] + repayments["profit"])[before_mask],
            n,
        )
    ).astype(np.int64)
    owed_before = financed[pick] + profit[pick] - repaid_before[pick]
    waiver_percent = np.where(rng.random(len(pick)) < 0.6, 0, rng.integers(1, 6, len(pick)))
    restructurings = {
        "contract": pick,
        "date": restructured_on,
        "before": owed_before,
        "after": owed_before - owed_before * waiver_percent // 100,
        "maturity_before": maturity[pick],
        "maturity_after": maturity[pick] + 91,
    }

    # --- Clients: about one per 1.6 contracts, each with at least one contract ----------------
    n_clients = max(1, min(n, round(n / CONTRACTS_PER_CLIENT)))
    client_of = np.concatenate([np.arange(n_clients), rng.integers(0, n_clients, n - n_clients)])
    rng.shuffle(client_of)
    client_branch = rng.integers(0, BRANCHES, n_clients)
    first_financing = np.full(n_clients, np.iinfo(np.int64).max)
    np.minimum.at(first_financing, client_of, disbursed)
    order = np.lexsort((np.arange(n), disbursed, client_of))
    sorted_clients = client_of[order]
    group_start = np.flatnonzero(np.r_[True, sorted_clients[1:] != sorted_clients[:-1]])
    group_of = np.repeat(group_start, np.diff(np.r_[group_start, n]))
    cycle = np.empty(n, dtype=np.int64)
    cycle[order] = np.arange(n) - group_of + 1
    clients = {
        "branch": client_branch,
        "gender": GENDERS[(rng.random(n_clients) >= 0.70).astype(np.int64)],
        "area": AREAS[rng.choice(3, size=n_clients, p=[0.40, 0.45, 0.15])],
        "birth_year": rng.integers(1955, 2006, n_clients),
        "poverty_status": POVERTY[rng.choice(5, size=n_clients, p=[0.15, 0.35, 0.25, 0.1, 0.15])],
        "first_financing_date": first_financing,
    }

    # --- Contract columns, type-specific ones included ------------------------------------------
    codes = TYPE_CODES[type_idx]
    is_ = {t.code: codes == t.code for t in spec}
    sale_based = is_["murabaha"] | is_["istisna"]
    lease = is_["ijara"] | is_["ijara_mb"]
    equity = is_["musharaka"] | is_["mudaraba"] | is_["diminishing_musharaka"]
    salam = is_["salam"]
    commodity = rng.integers(0, len(COMMODITIES), n)
    institution_share = np.where(
        equity, rng.choice([600_000, 700_000, 800_000], n), NULL
    )  # 4 places
    appraised = equity & (rng.random(n) < 0.8)
    status = np.where(
        written_off, 2, np.where(np.minimum.reduceat(full.astype(np.int8), starts) == 1, 1, 0)
    )
    contracts = {
        "type": type_idx,
        "code": codes,
        "client": client_of,
        "branch": client_branch[client_of],
        "status": STATUS_CODES[status],
        "contract_date": contract_date,
        "disbursement_date": disbursed,
        "maturity_date": maturity,
        "cycle_number": cycle,
        "activity_sector": SECTORS[rng.integers(0, len(SECTORS), n)],
        "financed": financed,
        "profit": profit,
        # 4 decimal places: 1.5 %/month -> 18 %/year -> 180000.
        "annual_profit_rate": np.where(
            is_["qard_hassan"], NULL, np.round(monthly_rate * 12 * 100 * 10_000).astype(np.int64)
        ),
        "sale_price": np.where(sale_based, financed + profit, NULL),
        "delivery_date": np.where(salam, maturity, NULL),
        "commodity": np.where(salam, COMMODITIES[commodity], ""),
        "commodity_quantity": np.where(  # 3 decimal places
            salam, financed * 1000 // COMMODITY_UNIT_PRICE_CENTS[commodity], NULL
        ),
        "commodity_unit": np.where(salam, COMMODITY_UNITS[commodity], ""),
        "price_paid_date": np.where(salam, disbursed, NULL),
        "expected_sale_price": np.where(salam, financed + profit, NULL),
        "rent_amount": np.where(lease, (financed + profit) // 12, NULL),
        "rent_start_date": np.where(lease, disbursed, NULL),
        "client_capital": np.where(
            is_["musharaka"] | is_["diminishing_musharaka"], financed // 4, NULL
        ),
        "institution_profit_share": institution_share,
        "client_profit_share": np.where(equity, 1_000_000 - institution_share, NULL),
        "expected_roi": np.where(
            appraised, np.round(monthly_rate * 12 * 100 * 10_000).astype(np.int64), NULL
        ),
        "buyout_units": np.where(is_["diminishing_musharaka"], 12, NULL),
        "starts": starts,
        "count": count,
    }
    instalments = {
        "contract": owner,
        "number": k + 1,
        "due_date": due,
        "principal_due": principal_due,
        "profit_due": profit_due,
        "principal_paid": principal_paid,
        "profit_paid": profit_paid,
        "paid_date": paid_date,
    }
    return Portfolio(
        contracts=contracts,
        instalments=instalments,
        repayments=repayments,
        clients=clients,
        write_offs=write_offs,
        restructurings=restructurings,
    )


def book_at(portfolio: Portfolio, as_of: int, window_start: int) -> dict[str, int]:
    """What the engine should find at ``as_of`` (cents), computed from the arrays: outstanding,
    PAR30 (debt-based and all), and the profit received and disbursements of the window
    ``(window_start, as_of]``. Same definitions as indicators/portfolio.py."""
    c, i, r = portfolio.contracts, portfolio.instalments, portfolio.repayments
    n = len(c["financed"])
    written_off_on = np.full(n, np.iinfo(np.int64).max)
    written_off_on[portfolio.write_offs["contract"]] = portfolio.write_offs["date"]
    by_date = r["value_date"] <= as_of
    repaid = np.round(np.bincount(r["contract"][by_date], r["principal"][by_date], n))
    outstanding = c["financed"] - repaid.astype(np.int64)
    in_book = (c["disbursement_date"] <= as_of) & (written_off_on > as_of) & (outstanding > 0)
    unpaid = (i["due_date"] <= as_of) & ((i["paid_date"] == NULL) | (i["paid_date"] > as_of))
    big = np.iinfo(np.int64).max
    oldest = np.minimum.reduceat(np.where(unpaid, i["due_date"], big), c["starts"])
    late_30 = in_book & (oldest != big) & (as_of - oldest > 30)
    debt = np.isin(c["code"], DEBT_BASED)
    window = (r["value_date"] > window_start) & by_date
    new = (c["disbursement_date"] > window_start) & (c["disbursement_date"] <= as_of)
    return {
        "outstanding": int(outstanding[in_book].sum()),
        "late_30": int(outstanding[late_30 & debt].sum()),
        "late_all_30": int(outstanding[late_30].sum()),
        "active_financings": int(in_book.sum()),
        "profit_received": int(r["profit"][window].sum()),
        "disbursed": int(c["financed"][new].sum()),
    }
