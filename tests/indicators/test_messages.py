"""Findings and alerts are rendered again from their code and values in the reader's language,
with numbers in the locale's format; an unknown code falls back to the stored English text."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from indicators.messages import ALERT_MESSAGES, FINDING_MESSAGES, alert_message, finding_message
from indicators.quality import (
    balance_sheet_balances,
    par_falls_while_losses_spike,
    unchanged_figures,
)


def test_every_quality_check_has_a_translatable_message() -> None:
    found = [
        *balance_sheet_balances(total_assets=Decimal("1000"), liabilities_mudaraba_equity=Decimal("900")),
        *par_falls_while_losses_spike(
            par30_now=Decimal("2"), par30_before=Decimal("5"),
            written_off_now=Decimal("100"), written_off_before=Decimal("10"),
            restructured_now=Decimal("0"), restructured_before=Decimal("0"),
        ),
        *unchanged_figures(
            current={"financial_income": Decimal("5")}, previous={"financial_income": Decimal("5")}
        ),
    ]  # fmt: skip
    assert {finding.code for finding in found} <= set(FINDING_MESSAGES)
    for finding in found:
        with translation.override("en"):
            english = finding_message(code=finding.code, params=finding.params, fallback="?")
        assert english != "?"


def test_numbers_follow_the_locale_and_unknown_codes_fall_back() -> None:
    params = {"assets": "1234567.5", "other_side": "1234000"}
    with translation.override("fr"):
        text = finding_message(code="balance_sheet_does_not_balance", params=params, fallback="x")
    assert (
        "1\u202f234\u202f567,50" in text or "1 234 567,50" in text or "1\xa0234\xa0567,50" in text
    )
    with translation.override("en"):
        text = finding_message(code="balance_sheet_does_not_balance", params=params, fallback="x")
    assert "1,234,567.50" in text
    assert finding_message(code="new_check", params={}, fallback="stored") == "stored"
    assert finding_message(code="balance_sheet_does_not_balance", params={}, fallback="s") == "s"


def test_negative_leverage_reads_as_negative_equity() -> None:
    with translation.override("en"):
        text = alert_message(
            code="DEBT_TO_EQUITY_ABOVE_CEILING",
            value=Decimal("-3"),
            threshold=Decimal("5"),
            fallback="",
        )
        expected = str(ALERT_MESSAGES["NEGATIVE_EQUITY"]).format(value="-3")
    assert text == expected
    assert text.startswith("Equity is negative")


def test_equity_not_positive_alert_and_negative_denominator_reason_are_rendered() -> None:
    from indicators.models import IndicatorValue

    with translation.override("en"):
        text = alert_message(
            code="EQUITY_NOT_POSITIVE", value=Decimal("-600000"), threshold=0, fallback="stored"
        )
        assert (
            text == "Equity is zero or negative (-600,000): the ratios on equity are not computed."
        )
        value = IndicatorValue(reason_code="negative_denominator", reason="engine note")
        assert value.reason_display == (
            "Not computable: the denominator is negative, so the ratio would be meaningless."
        )


def test_values_in_messages_are_rounded_as_the_tables_round_them() -> None:
    """13.598 % is 13.60 in the indicator table; the alert beside it said 13.59."""
    from indicators.messages import _number

    with translation.override("en"):
        assert (_number("13.598"), _number("8.325"), _number("2.004")) == ("13.60", "8.33", "2.00")
    with translation.override("fr"):
        assert _number(Decimal("13.598")) == "13,60"
