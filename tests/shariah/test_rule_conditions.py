"""The database conditions of the review-stage rules (``shariah.rule_conditions``) agree with
the Python checks (``shariah.rules``) on every failing and passing case of the rule tests, so
the share of contracts passing all rules can be counted in the database."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from institutions.models import ContractType, FinancingContract, FinancingProduct, Institution
from shariah import rule_conditions, selectors
from shariah.rules import RULES, RuleContext, Stage, evaluate, forbidden_salam_commodity
from tests.factories import ReportingPeriodFactory
from tests.factories.shariah import ProductApprovalFactory, ShariahBoardMemberFactory

from .conftest import ContractData
from .test_rules import BLOCKING_CASES, WARNING_CASES

pytestmark = pytest.mark.django_db
T = ContractType

#: Edge cases beyond the rule tests: NULLs, boundaries, whitespace, loss shares.
EXTRA_CASES: list[tuple[str, dict[str, Any]]] = [
    (T.SALAM, {"delivery_place": "   "}),
    (T.SALAM, {"delivery_place": "\t"}),
    (T.SALAM, {"price_paid_date": None}),
    (T.SALAM, {"commodity": "Gold"}),
    (T.SALAM, {"commodity": "gold"}),
    (T.SALAM, {"commodity": "Goldfish food"}),
    (T.QARD_HASSAN, {"service_fee": Decimal("0.00"), "declared_actual_cost": None}),
    (T.QARD_HASSAN, {"service_fee": Decimal("60.00")}),
    (T.IJARA, {"rent_start_date": None}),
    (T.IJARA, {"advance_rent": Decimal("0.00")}),
    (T.IJARA_MUNTAHIA_BITTAMLEEK, {"advance_rent": Decimal("10.00"), "delivery_date": None}),
    (T.MUDARABA, {"institution_profit_share": Decimal("0")}),
    (T.MUSHARAKA, {"institution_loss_share": Decimal("66.6667")}),  # 10000 / 15000 → ok
    (T.MUSHARAKA, {"institution_loss_share": Decimal("66.68")}),
    (T.MUSHARAKA, {"institution_loss_share": Decimal("66.65")}),
    (T.MUSHARAKA, {"institution_loss_share": Decimal("50"), "client_capital": None}),
    (T.DIMINISHING_MUSHARAKA, {"institution_loss_share": Decimal("76.9231")}),  # 10000 / 13000
    (T.DIMINISHING_MUSHARAKA, {"institution_loss_share": Decimal("70")}),
    (T.MURABAHA, {"ownership_date": None, "supplier_invoice_date": None}),
]


def _cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for _code, contract_type, failing, _field, passing in BLOCKING_CASES:
        cases += [(contract_type, failing), (contract_type, passing)]
    for _code, contract_type, triggering, _field, _severity, passing in WARNING_CASES:
        cases += [(contract_type, triggering), (contract_type, passing)]
    return cases + EXTRA_CASES


def _store(institution: Institution, contract_data: ContractData) -> list[FinancingContract]:
    """Every case saved as is (no rule runs: as rows loaded in bulk would be)."""
    stored = []
    for contract_type, overrides in _cases():
        data = contract_data(contract_type, **overrides)
        contract = FinancingContract(institution=institution, contract_type=contract_type, **data)
        try:
            with transaction.atomic():
                contract.save()
        except IntegrityError:
            continue  # a database constraint refuses it before any rule could
        stored.append(contract)
    return stored


def _python_codes(
    contracts: list[FinancingContract], approved: dict[int, bool] | None
) -> dict[int, set[str]]:
    return {
        contract.pk: {
            violation.code
            for violation in evaluate(
                contract,
                RuleContext(product_approved=None if approved is None else approved[contract.pk]),
                stage=Stage.REVIEW,
            )
        }
        for contract in contracts
    }


def _database_codes(contracts: list[FinancingContract], *, board: bool) -> dict[int, set[str]]:
    queryset = FinancingContract.objects.filter(pk__in=[c.pk for c in contracts])
    commodities = queryset.values_list("commodity", flat=True).distinct()
    conditions = rule_conditions.review_conditions(
        forbidden_commodities=[text for text in commodities if forbidden_salam_commodity(text)],
        has_shariah_board=board,
    )
    found: dict[int, set[str]] = {contract.pk: set() for contract in contracts}
    for code, condition in conditions.items():
        for pk in queryset.filter(condition).values_list("pk", flat=True):
            found[pk].add(code)
    return found


def test_every_review_rule_has_a_condition() -> None:
    review = {rule.code for rule in RULES if Stage.REVIEW in rule.stages}
    assert set(rule_conditions.CONDITIONS) == review
    assert len(review) == len(RULES) - 2  # the two update-only rules


def test_conditions_agree_with_the_python_checks(
    institution: Institution, contract_data: ContractData
) -> None:
    contracts = _store(institution, contract_data)
    assert len(contracts) >= 60
    python = _python_codes(contracts, approved=None)
    assert _database_codes(contracts, board=False) == python
    # Both outcomes of every review rule but the product approval are represented.
    fired = Counter(code for codes in python.values() for code in codes)
    assert set(fired) == set(rule_conditions.CONDITIONS) - {"PRODUCT-NOT-APPROVED"}
    assert sum(1 for codes in python.values() if not codes) >= 20


def test_product_approval_condition_agrees_with_the_python_check(
    institution: Institution, contract_data: ContractData, products: dict[str, FinancingProduct]
) -> None:
    import datetime

    contracts = _store(institution, contract_data)
    member = ShariahBoardMemberFactory(institution=institution)
    ProductApprovalFactory(
        product=products[T.MURABAHA], approved_by=member, approved_on=datetime.date(2024, 1, 1)
    )
    ProductApprovalFactory(
        product=products[T.SALAM],
        approved_by=member,
        approved_on=datetime.date(2024, 1, 1),
        withdrawn_on=datetime.date(2025, 2, 10),  # withdrawn on the signing day
    )
    ProductApprovalFactory(
        product=products[T.IJARA], approved_by=member, approved_on=datetime.date(2025, 2, 10)
    )
    approved = {
        contract.pk: selectors.product_is_approved(
            product_id=contract.product_id, on=contract.contract_date
        )
        for contract in contracts
    }
    assert set(approved.values()) == {True, False}
    assert _database_codes(contracts, board=True) == _python_codes(contracts, approved=approved)


def test_the_quarters_review_counts_what_the_python_loop_counts(
    institution: Institution, contract_data: ContractData
) -> None:
    contracts = _store(institution, contract_data)
    ShariahBoardMemberFactory(institution=institution)  # no approvals: every product fails
    period = ReportingPeriodFactory(institution=institution, year=2025, quarter=1)
    checked, passing, failures, unapproved = selectors.contracts_rule_review(period=period)
    python = _python_codes(contracts, approved={c.pk: False for c in contracts})
    assert checked == len(contracts)
    assert passing == sum(1 for codes in python.values() if not codes) == 0
    assert failures == Counter(code for codes in python.values() for code in codes)
    assert unapproved == {c.product_id for c in contracts}
