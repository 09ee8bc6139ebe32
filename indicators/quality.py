"""Data-quality checks run with every computation (issue 3 §4), as pure functions.

Each check returns findings: a stable code, a severity, an English message (the UI renders the
code and parameters in the reader's language) and the figures behind it. Thresholds are
arguments with defaults, so methodology can change them without touching the checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # "info" | "warning" | "error"
    message: str
    params: Mapping[str, str] = field(default_factory=dict)


def _percent_gap(reference: Decimal, other: Decimal) -> Decimal | None:
    if reference == ZERO:
        return None
    return ((other - reference) / reference * HUNDRED).quantize(Decimal("0.01"))


def portfolio_vs_balance_sheet(
    *, from_contracts: Decimal, on_balance_sheet: Decimal, tolerance_percent: Decimal = Decimal(1)
) -> list[Finding]:
    """The portfolio computed from contracts should match the balance sheet's gross portfolio."""
    difference = on_balance_sheet - from_contracts
    gap = _percent_gap(from_contracts, on_balance_sheet)
    if difference == ZERO or (gap is not None and abs(gap) <= tolerance_percent):
        return []
    return [
        Finding(
            code="portfolio_vs_balance_sheet",
            severity="warning",
            message=(
                f"The gross financing portfolio on the balance sheet ({on_balance_sheet}) differs "
                f"from the portfolio computed from contracts ({from_contracts}) by {difference}"
                + (f" ({gap} %)." if gap is not None else ".")
            ),
            params={
                "balance_sheet": str(on_balance_sheet),
                "contracts": str(from_contracts),
                "difference": str(difference),
                "percent": str(gap),
            },
        )
    ]


def summary_vs_contracts(
    *,
    summary: Mapping[str, Decimal],
    contracts: Mapping[str, Decimal],
    tolerance_percent: Decimal = Decimal(1),
) -> list[Finding]:
    """When both sources exist, loan-level data is the source and every contract type whose
    reported summary differs from it is a finding (issue 3 §7)."""
    findings = []
    for contract_type in sorted(set(summary) | set(contracts)):
        reported = summary.get(contract_type, ZERO)
        computed = contracts.get(contract_type, ZERO)
        gap = _percent_gap(computed, reported)
        if reported == computed or (gap is not None and abs(gap) <= tolerance_percent):
            continue
        findings.append(
            Finding(
                code="summary_vs_contracts",
                severity="warning",
                message=(
                    f"The quarterly return reports {reported} outstanding for {contract_type}; "
                    f"the contracts give {computed}."
                ),
                params={
                    "contract_type": contract_type,
                    "reported": str(reported),
                    "computed": str(computed),
                    "percent": str(gap),
                },  # fmt: skip
            )
        )
    return findings


def components_sum_to_total(
    *,
    label: str,
    total: Decimal,
    components: Mapping[str, Decimal],
    tolerance: Decimal = Decimal(1),
) -> list[Finding]:
    """Components (e.g. the summary lines per contract type) should add up to their total."""
    added = sum(components.values(), ZERO)
    if abs(added - total) <= tolerance:
        return []
    return [
        Finding(
            code="components_do_not_sum",
            severity="warning",
            message=f"The parts of {label} add up to {added}, not to the total {total}.",
            params={"label": label, "total": str(total), "sum": str(added)},
        )
    ]


def yield_reconciliation(
    *, gap_points: Decimal | None, limit: Decimal = Decimal("0.5")
) -> list[Finding]:
    """DECISIONS D15: yield = OER + financial expense ratio + provision ratio + net profit margin;
    a gap above half a percentage point is a data-quality warning."""
    if gap_points is None or abs(gap_points) <= limit:
        return []
    return [
        Finding(
            code="yield_does_not_reconcile",
            severity="warning",
            message=(
                f"Portfolio yield differs from the sum of its components by {gap_points} "
                f"percentage points (limit {limit})."
            ),
            params={"gap": str(gap_points), "limit": str(limit)},
        )
    ]


def unchanged_figures(
    *, current: Mapping[str, Decimal], previous: Mapping[str, Decimal] | None
) -> list[Finding]:
    """Flows and portfolio figures identical to the previous quarter's are usually copied, not
    reported (zeros excluded: an unused line is legitimately zero twice)."""
    if not previous:
        return []
    same = sorted(
        name
        for name, value in current.items()
        if value != ZERO and previous.get(name) is not None and previous[name] == value
    )
    if not same:
        return []
    return [
        Finding(
            code="identical_to_previous_quarter",
            severity="warning",
            message="Identical to the previous quarter: " + ", ".join(same) + ".",
            params={"fields": ",".join(same)},
        )
    ]


def par_falls_while_losses_spike(
    *,
    par30_now: Decimal | None,
    par30_before: Decimal | None,
    written_off_now: Decimal,
    written_off_before: Decimal,
    restructured_now: Decimal,
    restructured_before: Decimal,
    spike_factor: Decimal = Decimal(2),
) -> list[Finding]:
    """PAR can be flattered by writing off or rescheduling late financings (guide L12700–726):
    PAR30 falling while write-offs or restructured balances at least double is flagged."""
    if par30_now is None or par30_before is None or par30_now >= par30_before:
        return []
    spikes = []
    if written_off_now > ZERO and written_off_now >= written_off_before * spike_factor:
        spikes.append("write-offs")
    if restructured_now > ZERO and restructured_now >= restructured_before * spike_factor:
        spikes.append("restructured portfolio")
    if not spikes:
        return []
    return [
        Finding(
            code="par_falls_while_losses_spike",
            severity="warning",
            message=(
                f"PAR30 fell from {par30_before} % to {par30_now} % while "
                + " and ".join(spikes)
                + " rose sharply: check that late financings were not removed from PAR."
            ),
            params={
                "par30_now": str(par30_now),
                "par30_before": str(par30_before),
                "spikes": ",".join(spikes),
            },  # fmt: skip
        )
    ]


def late_payments_in_income(
    *, collected_from_contracts: Decimal, reported_memo: Decimal
) -> list[Finding]:
    """DECISIONS D11: late-payment amounts are never income. When contracts show late-payment
    amounts collected in the quarter but the return's memo line (amounts set aside for charity)
    is lower, the difference was probably booked as income."""
    if collected_from_contracts <= reported_memo:
        return []
    difference = collected_from_contracts - reported_memo
    return [
        Finding(
            code="late_payments_in_income",
            severity="error",
            message=(
                f"{collected_from_contracts} of late-payment amounts were collected in the quarter "
                f"but only {reported_memo} is reported as set aside for charity: {difference} may "
                "have been booked as income."
            ),
            params={
                "collected": str(collected_from_contracts),
                "memo": str(reported_memo),
                "difference": str(difference),
            },  # fmt: skip
        )
    ]


def balance_sheet_balances(
    *, total_assets: Decimal, liabilities_mudaraba_equity: Decimal, tolerance: Decimal = Decimal(1)
) -> list[Finding]:
    if abs(total_assets - liabilities_mudaraba_equity) <= tolerance:
        return []
    return [
        Finding(
            code="balance_sheet_does_not_balance",
            severity="error",
            message=(
                f"Total assets ({total_assets}) differ from liabilities, mudaraba funds and equity "
                f"({liabilities_mudaraba_equity})."
            ),
            params={"assets": str(total_assets), "other_side": str(liabilities_mudaraba_equity)},
        )
    ]


def equity_capital_not_appraised(*, capital: Decimal, appraised: Decimal) -> list[Finding]:
    """Equity-based capital without an appraised expected return has no ROI gap and is left out
    of the unrealised income (F1b, D8): say how much, rather than dropping it silently."""
    excluded = capital - appraised
    if capital <= ZERO or excluded <= ZERO:
        return []
    percent = (excluded / capital * HUNDRED).quantize(Decimal("0.01"))
    return [
        Finding(
            code="equity_capital_not_appraised",
            severity="warning",
            message=(
                f"{excluded} of the {capital} equity-based capital outstanding ({percent} %) has "
                "no appraised expected return and is left out of the unrealised portfolio income "
                "(F1b)."
            ),
            params={"excluded": str(excluded), "capital": str(capital), "percent": str(percent)},
        )
    ]


def collect(*groups: Iterable[Finding]) -> list[Finding]:
    return [finding for group in groups for finding in group]
