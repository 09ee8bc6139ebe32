"""Data-quality findings and alerts in the reader's language.

The engine and the quality checks are pure and write an English ``message`` (for logs, the admin
and the API's ``message`` field) together with a stable ``code`` and the values the message quotes
(``params`` on findings; ``value`` and ``threshold`` on alerts). The pages render the message again
from the code and those values, translated, with numbers formatted for the active locale. An
unknown code (or a message whose values are missing) falls back to the stored English text, so
a new check is never silent, only untranslated.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institutions.models import ContractType, FinancialStatement

FINDING_MESSAGES = {
    "portfolio_vs_balance_sheet": gettext_lazy(
        "The gross financing portfolio on the balance sheet ({balance_sheet}) differs from the "
        "portfolio computed from contracts ({contracts}) by {difference} ({percent} %)."
    ),
    "summary_vs_contracts": gettext_lazy(
        "The quarterly return reports {reported} outstanding for {contract_type}; the contracts "
        "give {computed}."
    ),
    "components_do_not_sum": gettext_lazy(
        "The lines of the portfolio summary add up to {sum}, not to the gross financing "
        "portfolio of the balance sheet ({total})."
    ),
    "yield_does_not_reconcile": gettext_lazy(
        "Portfolio yield differs from the sum of its components by {gap} percentage points "
        "(limit {limit})."
    ),
    "identical_to_previous_quarter": gettext_lazy("Identical to the previous quarter: {fields}."),
    "par_falls_while_losses_spike": gettext_lazy(
        "PAR30 fell from {par30_before} % to {par30_now} % while {spikes} rose sharply: check "
        "that late financings were not removed from PAR."
    ),
    "late_payments_in_income": gettext_lazy(
        "{collected} of late-payment amounts were collected in the quarter but only {memo} is "
        "reported as set aside for charity: {difference} may have been booked as income."
    ),
    "equity_capital_not_appraised": gettext_lazy(
        "{excluded} of the {capital} equity-based capital outstanding ({percent} %) has no "
        "appraised expected return and is left out of the unrealised portfolio income (F1b)."
    ),
    "balance_sheet_does_not_balance": gettext_lazy(
        "Total assets ({assets}) differ from liabilities, mudaraba funds and equity ({other_side})."
    ),
}

ALERT_MESSAGES = {
    "OSS_BELOW_BREAK_EVEN": gettext_lazy(
        "Operational self-sufficiency ({value} %) fell below 100 % after break-even was reached."
    ),
    "ROA_NOT_POSITIVE": gettext_lazy("Return on assets is not positive ({value} %)."),
    "OER_NOT_FALLING": gettext_lazy(
        "The operating expense ratio ({value} %) did not fall from a year earlier ({threshold} %)."
    ),
    "DEBT_TO_EQUITY_ABOVE_CEILING": gettext_lazy(
        "Debt to equity ({value}) is above the ceiling ({threshold})."
    ),
    "NEGATIVE_EQUITY": gettext_lazy("Equity is negative (debt to equity {value})."),
    "EQUITY_NOT_POSITIVE": gettext_lazy(
        "Equity is zero or negative ({value}): the ratios on equity are not computed."
    ),
    "NEGATIVE_SPREAD": gettext_lazy(
        "Portfolio yield is below the cost of funds (spread {value} points)."
    ),
    "PURIFICATION_OVERDUE": gettext_lazy(
        "{value} of late-payment amounts and tainted income have waited more than {threshold} "
        "days for transfer to charity."
    ),
}

_SPIKES = {
    "write-offs": gettext_lazy("write-offs"),
    "restructured portfolio": gettext_lazy("the restructured portfolio"),
}


def _number(value: Any) -> str:
    if value in (None, "", "None"):
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    places = 0 if number == number.to_integral_value() else 2
    # Rounded, as the indicator tables show it (number_format alone cuts: 13.598 → 13.59).
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


def _field_label(name: str) -> str:
    try:
        return str(FinancialStatement._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - any unknown name is shown as it is
        return name


def _join(items: list[str]) -> str:
    return _(", ").join(items) if items else ""


def finding_message(*, code: str, params: Mapping[str, Any], fallback: str) -> str:
    template = FINDING_MESSAGES.get(code)
    if template is None:
        return fallback
    values = {key: _number(value) for key, value in params.items()}
    if "fields" in params:
        values["fields"] = _join(
            [_field_label(name) for name in str(params["fields"]).split(",") if name]
        )
    if "spikes" in params:
        values["spikes"] = _(" and ").join(
            str(_SPIKES.get(spike, spike)) for spike in str(params["spikes"]).split(",") if spike
        )
    if "contract_type" in params:
        try:
            values["contract_type"] = str(ContractType(params["contract_type"]).label)
        except ValueError:
            values["contract_type"] = str(params["contract_type"])
    try:
        return str(template).format(**values)
    except (KeyError, IndexError, ValueError):
        return fallback


def alert_message(*, code: str, value: Any, threshold: Any, fallback: str) -> str:
    if code == "DEBT_TO_EQUITY_ABOVE_CEILING" and value is not None and Decimal(value) < 0:
        code = "NEGATIVE_EQUITY"
    template = ALERT_MESSAGES.get(code)
    if template is None:
        return fallback
    try:
        return str(template).format(value=_number(value), threshold=_number(threshold))
    except (KeyError, IndexError, ValueError):
        return fallback
