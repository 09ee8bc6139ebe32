"""The review-stage contract rules as database conditions, for counting a quarter's contracts.

``rules.py`` decides one contract in Python (entry paths: a form, an import row, an API call).
The compliance indicators need the same verdicts over every contract concluded in a quarter —
a million rows on a large institution — so each rule that runs at the ``review`` stage also has
a condition here: a ``Q`` on ``FinancingContract`` that holds exactly when the rule's check
returns a hit. ``selectors.contracts_rule_review`` counts them in one aggregate query instead of
running the Python rules in a loop per contract.

The two conditions that need more than the contract's own columns take their facts as
arguments, loaded once per quarter: the institution's Shariah board (product approvals apply
only with one) and the salam commodity texts that name a forbidden commodity (the multilingual
word match of ``rules.forbidden_salam_commodity`` runs in Python once per *distinct* text).

``tests/shariah/test_rule_conditions.py`` checks that every review-stage rule has a condition
and that the conditions agree with the Python checks on every failing and passing case of the
rule tests. Change a check in ``rules.py`` and its condition here together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.db.models.lookups import GreaterThan, LessThan

from .models import ProductApproval
from .rules import LOSS_SHARE_TOLERANCE, RULES, ContractRule, Stage

ConditionBuilder = Callable[..., Q]


def _gt(field: str, other: str) -> Q:
    return Q(**{f"{field}__gt": F(other)})


def _differs(field: str, other: str) -> Q:
    return Q(**{f"{field}__lt": F(other)}) | Q(**{f"{field}__gt": F(other)})


def _murabaha_ownership(**_facts: object) -> Q:
    return _gt("ownership_date", "contract_date")


def _murabaha_invoice(**_facts: object) -> Q:
    return _gt("supplier_invoice_date", "contract_date")


def _salam_price_deferred(**_facts: object) -> Q:
    return _differs("price_paid_date", "contract_date") | _gt("disbursement_date", "contract_date")


def _salam_forbidden_commodity(*, forbidden_commodities: Iterable[str], **_facts: object) -> Q:
    texts = sorted(set(forbidden_commodities))
    return Q(commodity__in=texts) if texts else Q(pk__in=[])


def _salam_without_delivery_place(**_facts: object) -> Q:
    # ``(delivery_place or "").strip()`` is empty: NULL, empty or whitespace only.
    return Q(delivery_place__isnull=True) | Q(delivery_place__regex=r"^\s*$")


def _qard_above_principal(**_facts: object) -> Q:
    return (
        Q(profit_amount__gt=0) | _gt("sale_price", "financed_amount") | Q(annual_profit_rate__gt=0)
    )


def _qard_fee_above_cost(**_facts: object) -> Q:
    return _gt("service_fee", "declared_actual_cost")


def _qard_fee_cost_undeclared(**_facts: object) -> Q:
    return Q(service_fee__gt=0, declared_actual_cost__isnull=True)


def _ijara_rent_before_delivery(**_facts: object) -> Q:
    return Q(rent_start_date__lt=F("delivery_date")) | Q(rent_start_date__lt=F("contract_date"))


def _ijara_advance_rent(**_facts: object) -> Q:
    delivered_by_signing = Q(delivery_date__isnull=False) & Q(delivery_date__lte=F("contract_date"))
    return Q(advance_rent__gt=0) & ~delivered_by_signing


def _lump_sum_profit(**_facts: object) -> Q:
    return Q(annual_profit_rate__gt=0)


def _degenerate_profit_ratio(**_facts: object) -> Q:
    return Q(institution_profit_share__lte=0) | Q(institution_profit_share__gte=100)


def _loss_share_not_proportional(**_facts: object) -> Q:
    # |loss share - 100 * financed / (financed + client capital)| > tolerance, with both sides
    # multiplied by the total capital (> 0) so that no division is needed: exact in numeric.
    money = DecimalField(max_digits=30, decimal_places=10)
    total = ExpressionWrapper(F("financed_amount") + F("client_capital"), output_field=money)
    gap = ExpressionWrapper(
        F("institution_loss_share") * total - F("financed_amount") * Value(100), output_field=money
    )
    bound = ExpressionWrapper(total * Value(LOSS_SHARE_TOLERANCE), output_field=money)
    return (
        Q(institution_loss_share__isnull=False, client_capital__isnull=False)
        & Q(GreaterThan(total, Value(0)))
        & (Q(GreaterThan(gap, bound)) | Q(LessThan(gap, -bound)))
    )


def _partner_capital_unknown(**_facts: object) -> Q:
    return Q(client_capital__isnull=True) | Q(client_capital__lte=0)


def _product_not_approved(*, has_shariah_board: bool, **_facts: object) -> Q:
    if not has_shariah_board:
        return Q(pk__in=[])
    in_force = ProductApproval.objects.filter(
        product_id=OuterRef("product_id"), approved_on__lte=OuterRef("contract_date")
    ).filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=OuterRef("contract_date")))
    return ~Exists(in_force)


CONDITIONS: dict[str, ConditionBuilder] = {
    "MUR-OWNERSHIP": _murabaha_ownership,
    "MUR-INVOICE": _murabaha_invoice,
    "SAL-PRICE-DEFERRED": _salam_price_deferred,
    "SAL-FORBIDDEN-COMMODITY": _salam_forbidden_commodity,
    "SAL-DELIVERY-PLACE": _salam_without_delivery_place,
    "QH-ABOVE-PRINCIPAL": _qard_above_principal,
    "QH-FEE-ABOVE-COST": _qard_fee_above_cost,
    "QH-FEE-COST-UNDECLARED": _qard_fee_cost_undeclared,
    "IJA-RENT-BEFORE-DELIVERY": _ijara_rent_before_delivery,
    "IJA-ADVANCE-RENT": _ijara_advance_rent,
    "EQU-LUMP-SUM-PROFIT": _lump_sum_profit,
    "EQU-PROFIT-RATIO": _degenerate_profit_ratio,
    "EQU-LOSS-SHARE": _loss_share_not_proportional,
    "EQU-CAPITAL-UNKNOWN": _partner_capital_unknown,
    "PRODUCT-NOT-APPROVED": _product_not_approved,
}


def review_rules() -> list[ContractRule]:
    return [rule for rule in RULES if Stage.REVIEW in rule.stages]


def review_conditions(
    *, forbidden_commodities: Iterable[str], has_shariah_board: bool
) -> dict[str, Q]:
    """For each review-stage rule, the condition under which a contract breaks it."""
    forbidden = list(forbidden_commodities)
    conditions = {}
    for rule in review_rules():
        check = CONDITIONS[rule.code](
            forbidden_commodities=forbidden, has_shariah_board=has_shariah_board
        )
        conditions[rule.code] = Q(contract_type__in=sorted(rule.contract_types)) & check
    return conditions
