"""Every Shariah contract rule, failing and passing, on every entry path that exists.

Entry paths today: ``institutions.services.contract_create`` (the one write path: browser forms,
imports and the REST API all call it) and the Django admin, whose contract form runs
``institutions.contract_rules.violations_of`` on its candidate and hands warnings over after
saving. Each rule is tested through ``contract_create`` and through ``violations_of`` on the
unsaved candidate the admin form builds; ``test_admin.py`` drives the admin form itself. Updates of
a saved contract reach the rules only through the admin's change form: the update-only rules are
tested there and through ``violations_of`` on a saved contract.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation

from institutions import contract_rules
from institutions.models import ContractType, FinancingContract, FinancingProduct, Institution
from institutions.services import contract_create
from shariah import rules
from shariah.models import ShariahFinding
from shariah.rules import RULES, RULES_BY_CODE, RuleContext, Stage, evaluate
from shariah.selectors import finding_list_for_user
from tests.factories import FinancingContractFactory
from tests.factories.shariah import ProductApprovalFactory, ShariahBoardMemberFactory
from users.models import User

from .conftest import SIGNED, ContractData

pytestmark = pytest.mark.django_db
D = datetime.date
T = ContractType

# (rule, contract type, overrides that break it, the field named, overrides that satisfy it)
BLOCKING_CASES = [
    (
        "MUR-OWNERSHIP",
        T.MURABAHA,
        {"ownership_date": D(2025, 2, 12)},
        "ownership_date",
        {"ownership_date": SIGNED},
    ),
    (
        "MUR-INVOICE",
        T.MURABAHA,
        {"supplier_invoice_date": D(2025, 2, 20)},
        "supplier_invoice_date",
        {"supplier_invoice_date": SIGNED},
    ),
    (
        "SAL-PRICE-DEFERRED",
        T.SALAM,
        {"price_paid_date": D(2025, 3, 1)},
        "price_paid_date",
        {"price_paid_date": SIGNED},
    ),
    (
        "SAL-PRICE-DEFERRED",
        T.SALAM,
        {"price_paid_date": None, "disbursement_date": D(2025, 2, 20)},
        "disbursement_date",
        {"price_paid_date": None, "disbursement_date": SIGNED},
    ),
    (
        "SAL-FORBIDDEN-COMMODITY",
        T.SALAM,
        {"commodity": "Gold bars"},
        "commodity",
        {"commodity": "Golden Delicious apples"},
    ),
    (
        "SAL-FORBIDDEN-COMMODITY",
        T.SALAM,
        {"commodity": "Lingots d'or"},
        "commodity",
        {"commodity": "Orge de brasserie"},
    ),
    (
        "SAL-FORBIDDEN-COMMODITY",
        T.SALAM,
        {"commodity": "فضة"},
        "commodity",
        {"commodity": "تمر مجهول"},
    ),
    (
        "SAL-FORBIDDEN-COMMODITY",
        T.SALAM,
        {"commodity": "US dollars"},
        "commodity",
        {"commodity": "Olive oil"},
    ),
    (
        "QH-ABOVE-PRINCIPAL",
        T.QARD_HASSAN,
        {"annual_profit_rate": Decimal("5")},
        "annual_profit_rate",
        {"annual_profit_rate": Decimal("0")},
    ),
    (
        "QH-ABOVE-PRINCIPAL",
        T.QARD_HASSAN,
        {"sale_price": Decimal("10500.00")},
        "sale_price",
        {"sale_price": Decimal("10000.00")},
    ),
    (
        "QH-FEE-ABOVE-COST",
        T.QARD_HASSAN,
        {"service_fee": Decimal("80.00")},
        "service_fee",
        {"service_fee": Decimal("60.00")},
    ),
    (
        "IJA-RENT-BEFORE-DELIVERY",
        T.IJARA,
        {"rent_start_date": D(2025, 2, 12)},
        "rent_start_date",
        {"rent_start_date": D(2025, 2, 15)},
    ),
    (
        "IJA-RENT-BEFORE-DELIVERY",
        T.IJARA,
        {"delivery_date": None, "rent_start_date": D(2025, 2, 1)},
        "rent_start_date",
        {"delivery_date": None, "rent_start_date": SIGNED},
    ),
    (
        "EQU-LUMP-SUM-PROFIT",
        T.MUSHARAKA,
        {"annual_profit_rate": Decimal("12")},
        "annual_profit_rate",
        {"annual_profit_rate": None},
    ),
    (
        "EQU-LUMP-SUM-PROFIT",
        T.MUDARABA,
        {"annual_profit_rate": Decimal("15")},
        "annual_profit_rate",
        {"annual_profit_rate": None},
    ),
]

# (rule, contract type, overrides that trigger it, the field named, finding severity, passing)
WARNING_CASES = [
    ("SAL-DELIVERY-PLACE", T.SALAM, {"delivery_place": ""}, "delivery_place", "minor", {}),
    ("QH-FEE-COST-UNDECLARED", T.QARD_HASSAN, {"declared_actual_cost": None},
     "declared_actual_cost", "major", {"declared_actual_cost": None, "service_fee": None}),
    ("IJA-ADVANCE-RENT", T.IJARA, {"advance_rent": Decimal("933.33")}, "advance_rent", "minor",
     {"advance_rent": Decimal("933.33"), "delivery_date": SIGNED, "rent_start_date": SIGNED}),
    ("EQU-PROFIT-RATIO", T.MUDARABA,
     {"institution_profit_share": Decimal("100"), "client_profit_share": Decimal("0")},
     "institution_profit_share", "major", {}),
    ("EQU-CAPITAL-UNKNOWN", T.MUSHARAKA, {"client_capital": None}, "client_capital", "major",
     {}),
    ("EQU-CAPITAL-UNKNOWN", T.DIMINISHING_MUSHARAKA, {"client_capital": Decimal("0")},
     "client_capital", "major", {}),
]  # fmt: skip


def _ids(cases: list[tuple[Any, ...]]) -> list[str]:
    return [f"{case[0]}-{case[1]}-{index}" for index, case in enumerate(cases)]


def _unsaved(institution: Institution, data: dict[str, Any]) -> FinancingContract:
    """What the admin's add form builds before it validates."""
    contract = FinancingContract(institution=institution, **data)
    contract.contract_type = data["product"].contract_type
    return contract


# --- The compliant baseline -------------------------------------------------------------------


@pytest.mark.parametrize("contract_type", ContractType.values)
def test_a_compliant_contract_of_every_type_passes_every_rule(
    contract_type: str, institution: Institution, staff: User, contract_data: ContractData
) -> None:
    contract = contract_create(
        actor=staff, institution=institution, data=contract_data(contract_type)
    )
    assert evaluate(contract, stage=Stage.CREATE) == []
    assert not ShariahFinding.objects.exists()


def test_every_rule_has_a_code_a_translated_message_and_a_severity() -> None:
    assert len(RULES_BY_CODE) == len(RULES)
    for rule in RULES:
        assert rule.code.isupper()
        assert rule.contract_types
        for language in ("ar", "fr", "en"):
            with translation.override(language):
                assert str(rule.name)
                assert str(rule.message)
    blocking = {rule.code for rule in RULES if rule.blocking}
    assert {
        "MUR-OWNERSHIP",
        "MUR-INVOICE",
        "MUR-PRICE-CHANGED",
        "SAL-PRICE-DEFERRED",
        "SAL-FORBIDDEN-COMMODITY",
        "QH-ABOVE-PRINCIPAL",
        "QH-FEE-ABOVE-COST",
        "IJA-RENT-BEFORE-DELIVERY",
        "EQU-LUMP-SUM-PROFIT",
        "EQU-LOSS-SHARE",
        "RES-DEBT-RAISED",
        "PRODUCT-NOT-APPROVED",
    } == blocking


# --- Blocking rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "contract_type", "failing", "field", "passing"), BLOCKING_CASES,
                         ids=_ids(BLOCKING_CASES))  # fmt: skip
def test_blocking_rule_rejects_through_contract_create(
    code: str,
    contract_type: str,
    failing: dict[str, Any],
    field: str,
    passing: dict[str, Any],
    institution: Institution,
    staff: User,
    contract_data: ContractData,
) -> None:
    data = contract_data(contract_type, **failing)
    with pytest.raises(ValidationError) as error:
        contract_create(actor=staff, institution=institution, data=data)
    assert field in error.value.error_dict, error.value.error_dict
    assert code in [e.code for e in error.value.error_dict[field]]
    assert code in error.value.message_dict[field][0]  # the message names the rule
    assert not FinancingContract.objects.filter(external_id=data["external_id"]).exists()
    assert not ShariahFinding.objects.exists()

    contract = contract_create(
        actor=staff, institution=institution, data=contract_data(contract_type, **passing)
    )
    assert contract.pk is not None


@pytest.mark.parametrize(("code", "contract_type", "failing", "field", "passing"), BLOCKING_CASES,
                         ids=_ids(BLOCKING_CASES))  # fmt: skip
def test_blocking_rule_is_reported_to_the_admin_form(
    code: str,
    contract_type: str,
    failing: dict[str, Any],
    field: str,
    passing: dict[str, Any],
    institution: Institution,
    contract_data: ContractData,
) -> None:
    violations = contract_rules.violations_of(
        _unsaved(institution, contract_data(contract_type, **failing))
    )
    assert [(v.code, v.field, v.blocking) for v in violations] == [(code, field, True)]
    assert (
        contract_rules.violations_of(_unsaved(institution, contract_data(contract_type, **passing)))
        == []
    )


def test_qard_hassan_with_a_profit_is_refused_before_the_rules_run(
    institution: Institution, staff: User, contract_data: ContractData
) -> None:
    # The database constraint catches it first in contract_create; the rule names the field
    # on paths that validate the rules alone (the admin form).
    data = contract_data(T.QARD_HASSAN, profit_amount=Decimal("300.00"))
    with pytest.raises(ValidationError) as error:
        contract_create(actor=staff, institution=institution, data=data)
    assert NON_FIELD_ERRORS in error.value.message_dict
    codes = [v.code for v in contract_rules.violations_of(_unsaved(institution, data))]
    assert codes == ["QH-ABOVE-PRINCIPAL"]


def test_rule_messages_are_translated(
    institution: Institution, contract_data: ContractData
) -> None:
    (violation,) = contract_rules.violations_of(
        _unsaved(institution, contract_data(T.SALAM, commodity="Gold"))
    )
    with translation.override("en"):
        english = str(violation.message)
    assert "gold, silver or currency" in english
    assert "“Gold”" in english


# --- Warnings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "contract_type", "triggering", "field", "severity", "passing"),
                         WARNING_CASES, ids=_ids(WARNING_CASES))  # fmt: skip
def test_warning_is_accepted_and_recorded_as_a_finding(
    code: str,
    contract_type: str,
    triggering: dict[str, Any],
    field: str,
    severity: str,
    passing: dict[str, Any],
    institution: Institution,
    staff: User,
    analyst: User,
    other_staff: User,
    contract_data: ContractData,
) -> None:
    contract = contract_create(
        actor=staff, institution=institution, data=contract_data(contract_type, **triggering)
    )
    (finding,) = ShariahFinding.objects.all()
    assert (finding.contract, finding.rule_code, finding.field) == (contract, code, field)
    assert finding.severity == severity
    assert finding.status == ShariahFinding.Status.OPEN
    assert finding.source == ShariahFinding.Source.RULE
    assert finding.history.first().history_user == staff
    assert finding.message
    # Never silent: the institution and the analyst both see it; another institution does not.
    assert list(finding_list_for_user(user=staff)) == [finding]
    assert list(finding_list_for_user(user=analyst)) == [finding]
    assert list(finding_list_for_user(user=other_staff)) == []

    contract_create(
        actor=staff, institution=institution, data=contract_data(contract_type, **passing)
    )
    assert ShariahFinding.objects.count() == 1


@pytest.mark.parametrize(("code", "contract_type", "triggering", "field", "severity", "passing"),
                         WARNING_CASES, ids=_ids(WARNING_CASES))  # fmt: skip
def test_warning_is_reported_to_the_admin_form_as_non_blocking(
    code: str,
    contract_type: str,
    triggering: dict[str, Any],
    field: str,
    severity: str,
    passing: dict[str, Any],
    institution: Institution,
    contract_data: ContractData,
) -> None:
    violations = contract_rules.violations_of(
        _unsaved(institution, contract_data(contract_type, **triggering))
    )
    assert [(v.code, v.field, v.blocking) for v in violations] == [(code, field, False)]


def test_a_finding_renders_in_the_readers_language(
    institution: Institution, staff: User, contract_data: ContractData
) -> None:
    contract_create(
        actor=staff,
        institution=institution,
        data=contract_data(T.QARD_HASSAN, declared_actual_cost=None),
    )
    finding = ShariahFinding.objects.get()
    assert finding.params == {"fee": "50.00"}
    with translation.override("en"):
        assert "50.00" in finding.message
        assert "not declared" in finding.message


# --- Rules that fire on updates only ----------------------------------------------------------


def test_murabaha_sale_price_cannot_change_after_signing(
    institution: Institution, staff: User, contract_data: ContractData
) -> None:
    contract = contract_create(actor=staff, institution=institution, data=contract_data(T.MURABAHA))
    contract.refresh_from_db()
    contract.purpose = "Sewing workshop"  # other changes are fine
    assert contract_rules.violations_of(contract) == []

    for profit in (Decimal("1300.00"), Decimal("800.00")):
        contract.profit_amount = profit
        contract.sale_price = contract.financed_amount + profit
        violations = contract_rules.violations_of(contract)
        assert [(v.code, v.field, v.blocking) for v in violations] == [
            ("MUR-PRICE-CHANGED", "sale_price", True)
        ]
    # The price as signed is the first historical record, even after a (forced) later save.
    contract.save()
    contract.sale_price = Decimal("11000.00")
    contract.profit_amount = Decimal("1000.00")
    assert contract_rules.violations_of(contract) == []


def test_murabaha_price_rule_uses_the_stored_row_when_there_is_no_history(
    institution: Institution, contract_data: ContractData
) -> None:
    contract = FinancingContractFactory(institution=institution)  # as the bulk loader writes
    contract.history.all().delete()
    contract.sale_price = contract.sale_price + 1
    contract.profit_amount = contract.profit_amount + 1
    assert [v.code for v in contract_rules.violations_of(contract)] == ["MUR-PRICE-CHANGED"]


@pytest.mark.parametrize("contract_type", [T.IJARA, T.DIMINISHING_MUSHARAKA, T.SALAM])
def test_a_change_that_raises_the_amount_owed_is_refused(
    contract_type: str, institution: Institution, staff: User, contract_data: ContractData
) -> None:
    contract = contract_create(
        actor=staff, institution=institution, data=contract_data(contract_type)
    )
    contract.refresh_from_db()
    contract.maturity_date = D(2026, 8, 10)  # rescheduling: a longer term is fine
    assert contract_rules.violations_of(contract) == []
    contract.profit_amount += Decimal("150.00")
    violations = contract_rules.violations_of(contract)
    assert [(v.code, v.field, v.blocking) for v in violations] == [
        ("RES-DEBT-RAISED", "profit_amount", True)
    ]
    contract.profit_amount -= Decimal("150.00")  # a lower debt is always allowed
    contract.financed_amount -= Decimal("300.00")
    assert contract_rules.violations_of(contract) == []
    # Once lowered, the debt cannot climb back, even below what was signed.
    contract.save()
    contract.profit_amount += Decimal("100.00")
    assert [v.code for v in contract_rules.violations_of(contract)] == ["RES-DEBT-RAISED"]


def test_restructuring_rule_matches_the_database_constraint() -> None:
    assert (
        rules.restructuring_violations(
            amount_owed_before=Decimal("8000"), amount_owed_after=Decimal("8000")
        )
        == []
    )
    (violation,) = rules.restructuring_violations(
        amount_owed_before=Decimal("8000"), amount_owed_after=Decimal("8400")
    )
    assert (violation.code, violation.field, violation.blocking) == (
        "RES-DEBT-RAISED",
        "amount_owed_after",
        True,
    )


def test_the_database_refuses_a_restructuring_that_raises_the_debt() -> None:
    from tests.factories import RestructuringFactory

    restructuring = RestructuringFactory.build(
        contract=FinancingContractFactory(),
        amount_owed_before=Decimal("8000.00"),
        amount_owed_after=Decimal("8400.00"),
    )
    with pytest.raises(ValidationError, match="cannot increase the amount owed"):
        restructuring.full_clean()


# --- Product approval -------------------------------------------------------------------------


def test_without_a_shariah_board_products_need_no_approval(
    institution: Institution, staff: User, contract_data: ContractData
) -> None:
    # The institution does not use the Shariah module yet: the rule does not apply.
    assert contract_create(actor=staff, institution=institution, data=contract_data(T.MURABAHA))


def test_with_a_shariah_board_an_unapproved_product_cannot_be_used_for_new_contracts(
    institution: Institution,
    staff: User,
    contract_data: ContractData,
    products: dict[str, FinancingProduct],
) -> None:
    member = ShariahBoardMemberFactory(institution=institution)
    with pytest.raises(ValidationError) as error:
        contract_create(actor=staff, institution=institution, data=contract_data(T.MURABAHA))
    assert [e.code for e in error.value.error_dict["product"]] == ["PRODUCT-NOT-APPROVED"]

    # Approved after the contract date: still refused for that contract.
    approval = ProductApprovalFactory(
        product=products[T.MURABAHA], approved_by=member, approved_on=D(2025, 3, 1)
    )
    with pytest.raises(ValidationError, match="PRODUCT-NOT-APPROVED"):
        contract_create(actor=staff, institution=institution, data=contract_data(T.MURABAHA))
    assert contract_create(
        actor=staff,
        institution=institution,
        data=contract_data(
            T.MURABAHA, contract_date=D(2025, 3, 1), disbursement_date=D(2025, 3, 1)
        ),
    )

    # Withdrawn: new contracts from that day on are refused again.
    approval.withdrawn_on = D(2025, 4, 1)
    approval.save()
    with pytest.raises(ValidationError, match="PRODUCT-NOT-APPROVED"):
        contract_create(
            actor=staff,
            institution=institution,
            data=contract_data(
                T.MURABAHA, contract_date=D(2025, 4, 2), disbursement_date=D(2025, 4, 2)
            ),
        )


def test_product_approval_is_not_checked_again_on_updates(
    institution: Institution, staff: User, contract_data: ContractData
) -> None:
    contract = contract_create(actor=staff, institution=institution, data=contract_data(T.MURABAHA))
    ShariahBoardMemberFactory(institution=institution)
    contract.refresh_from_db()
    contract.purpose = "Corrected purpose"
    assert contract_rules.violations_of(contract) == []
    # …but the quarter's review counts the contract as using an unapproved product.
    codes = [v.code for v in evaluate(contract, RuleContext(product_approved=False),
                                     stage=Stage.REVIEW)]  # fmt: skip
    assert codes == ["PRODUCT-NOT-APPROVED"]


# --- Loss shares -----------------------------------------------------------------------------


def test_loss_share_rule_compares_the_agreed_loss_share_with_the_capital_share() -> None:
    contract = FinancingContractFactory.build(
        contract_type=T.MUSHARAKA,
        financed_amount=Decimal("6000.00"),
        client_capital=Decimal("4000.00"),
        annual_profit_rate=None,
    )
    assert evaluate(contract, stage=Stage.CREATE) == []  # no loss share recorded: nothing to judge
    contract.institution_loss_share = Decimal("60")
    assert evaluate(contract, stage=Stage.CREATE) == []
    contract.institution_loss_share = Decimal("40")
    (violation,) = evaluate(contract, stage=Stage.CREATE)
    assert (violation.code, violation.field, violation.blocking) == (
        "EQU-LOSS-SHARE",
        "institution_loss_share",
        True,
    )
    assert violation.params == {"loss_share": "40 %", "capital_share": "60.00 %"}


def test_forbidden_salam_commodities_are_whole_words_in_three_languages() -> None:
    found = rules.forbidden_salam_commodity
    assert found("Gold") == "Gold"
    assert found("silver coins") == "silver"
    assert found("monnaie") == "monnaie"
    assert found("بيع الذهب") == "الذهب"
    assert found("Golden raisins") is None
    assert found("Wheat or barley") is None
    assert found("Argan oil") is None
