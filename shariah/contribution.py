"""The Shariah compliance indicators of a quarter, contributed to the indicator computation
(``indicators.contributors``): % of contracts passing every rule, open findings by severity,
audit score, amounts purified and pending — and an alert when purification is overdue.

The share of contracts passing every rule is counted in the database
(``selectors.contracts_rule_review`` with ``rule_conditions``): a few aggregate queries whatever
the number of contracts in the quarter, no Python loop per contract."""

from __future__ import annotations

from decimal import Decimal

from indicators import engine
from indicators.contributors import Contribution
from institutions.models import ReportingPeriod

from . import compliance, selectors


def compliance_contribution(period: ReportingPeriod) -> Contribution:
    figures = selectors.compliance_for_period(period=period)
    results = [
        engine.RatioResult(
            code=value.code,
            variant="islamic",
            basis="quarter",
            value=value.value,
            numerator=value.numerator,
            denominator=value.denominator,
            averaging_points=0,
            reason_code=engine.Reason.MISSING_DATA if value.value is None else None,
            reason=value.reason,
        )
        for value in compliance.indicator_values(figures)
    ]
    position = figures.purification
    alerts = []
    if position.alert:
        alerts.append(
            engine.Alert(
                code="PURIFICATION_OVERDUE",
                severity=engine.Severity.CRITICAL,
                message=(
                    f"{position.overdue} of late-payment amounts and tainted income have waited "
                    f"more than {position.alert_days} days for transfer to charity."
                ),
                value=position.overdue,
                threshold=Decimal(position.alert_days),
                indicator_code="SHARIAH_PURIFICATION_OVERDUE",
                variant="islamic",
            )
        )
    return Contribution(results=results, alerts=alerts)
