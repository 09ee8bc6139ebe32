"""A quarter's Shariah compliance, as an analyst or the institution reads it: the compliance
indicators, the contracts failing rules, the findings, the purification ledger and the audit.
Thin: the selector scopes and loads everything."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from indicators.catalog import CATALOGUE_DIRECTORY, load_catalogue

from .compliance import ComplianceIndicatorValue
from .rules import RULES_BY_CODE, ContractRule
from .selectors import compliance_for_user

SHARIAH_CATALOGUE_PATH = CATALOGUE_DIRECTORY / "shariah-v1.yaml"


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    name: str
    unit: str
    value: ComplianceIndicatorValue


@dataclass(frozen=True)
class RuleRow:
    rule: ContractRule | None
    code: str
    contracts: int


@login_required
def period_compliance(request: HttpRequest, period_id: int) -> HttpResponse:
    page = compliance_for_user(user=request.user, period_id=period_id)  # type: ignore[arg-type]
    catalogue = load_catalogue(SHARIAH_CATALOGUE_PATH)
    language = get_language() or "en"
    indicators = []
    for value in page["indicator_values"]:
        definition = catalogue.get(value.code)
        indicators.append(
            IndicatorRow(
                code=value.code, name=definition.name(language), unit=definition.unit, value=value
            )
        )
    figures = page["figures"]
    rule_rows = sorted(
        (
            RuleRow(rule=RULES_BY_CODE.get(code), code=code, contracts=count)
            for code, count in figures.failures_by_rule.items()
        ),
        key=lambda row: (not (row.rule and row.rule.blocking), -row.contracts, row.code),
    )
    return render(
        request,
        "shariah/period_compliance.html",
        {
            **page,
            "indicators": indicators,
            "rule_rows": rule_rows,
            "ageing": list(figures.purification.ageing.items()),
            "tainted_total": sum((f.tainted_income for f in page["findings"]), Decimal("0")),
        },
    )
