"""The batch form of the Shariah contract rules (bulk imports) returns exactly what the
per-contract form returns, on a mixed set, in a number of queries that does not grow with the
number of contracts."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from institutions import contract_rules
from institutions.models import ContractType, FinancingContract, FinancingProduct, Institution
from institutions.services import contract_create
from shariah.rules import contract_violations, contract_violations_many
from tests.factories import FinancingContractFactory
from tests.factories.shariah import ProductApprovalFactory, ShariahBoardMemberFactory
from users.models import User

from .conftest import SIGNED, ContractData

pytestmark = pytest.mark.django_db
T = ContractType
D = datetime.date


def _unsaved(institution: Institution, data: dict) -> FinancingContract:
    contract = FinancingContract(institution=institution, **data)
    contract.contract_type = data["product"].contract_type
    return contract


@pytest.fixture
def mixed(
    institution: Institution,
    other_institution: Institution,
    staff: User,
    contract_data: ContractData,
    products: dict[str, FinancingProduct],
) -> list[FinancingContract | None]:
    """New and saved contracts; approved, unapproved and not-yet-approved products; an
    institution with a Shariah board and one without."""
    # Saved before the board existed (no approval needed then).
    saved_murabaha = contract_create(
        actor=staff, institution=institution, data=contract_data(T.MURABAHA)
    )
    saved_ijara = contract_create(actor=staff, institution=institution, data=contract_data(T.IJARA))
    saved_salam = contract_create(actor=staff, institution=institution, data=contract_data(T.SALAM))
    no_history = FinancingContractFactory(institution=institution)  # as the demo loader writes
    no_history.history.all().delete()
    other = FinancingContractFactory(institution=other_institution)  # no board there

    member = ShariahBoardMemberFactory(institution=institution)
    ProductApprovalFactory(
        product=products[T.MURABAHA], approved_by=member, approved_on=D(2024, 1, 1)
    )
    ProductApprovalFactory(product=products[T.IJARA], approved_by=member, approved_on=D(2025, 3, 1))
    ProductApprovalFactory(
        product=products[T.QARD_HASSAN],
        approved_by=member,
        approved_on=D(2024, 1, 1),
        withdrawn_on=D(2025, 1, 1),
    )

    price_changed = FinancingContract.objects.get(pk=saved_murabaha.pk)
    price_changed.profit_amount = Decimal("1200.00")
    price_changed.sale_price = Decimal("11200.00")
    debt_raised = FinancingContract.objects.get(pk=saved_ijara.pk)
    debt_raised.profit_amount += Decimal("100.00")
    unchanged_unapproved = FinancingContract.objects.get(pk=saved_salam.pk)
    unchanged_unapproved.purpose = "Corrected purpose"
    no_history_changed = FinancingContract.objects.get(pk=no_history.pk)
    no_history_changed.sale_price = (no_history_changed.sale_price or Decimal(0)) + 1
    no_history_changed.profit_amount = (no_history_changed.profit_amount or Decimal(0)) + 1
    other_new = copy.copy(other)
    other_new.pk = None
    other_new.external_id = "OTHER-NEW"

    return [
        _unsaved(institution, contract_data(T.MURABAHA)),  # approved: passes
        _unsaved(institution, contract_data(T.SALAM)),  # never approved
        _unsaved(institution, contract_data(T.IJARA)),  # approved after SIGNED
        _unsaved(
            institution,
            contract_data(
                T.IJARA,
                contract_date=D(2025, 3, 2),
                disbursement_date=D(2025, 3, 2),
                delivery_date=D(2025, 3, 2),
                rent_start_date=D(2025, 4, 2),
            ),
        ),  # fmt: skip
        _unsaved(institution, contract_data(T.QARD_HASSAN)),  # approval withdrawn
        _unsaved(institution, contract_data(T.MURABAHA, supplier_invoice_date=D(2025, 3, 1))),
        _unsaved(institution, contract_data(T.MUSHARAKA, client_capital=None)),  # + a warning
        None,  # a row that failed earlier validation
        price_changed,
        debt_raised,
        unchanged_unapproved,
        no_history_changed,
        FinancingContract.objects.get(pk=other.pk),
        other_new,
    ]


def test_batch_form_equals_the_per_contract_form_on_a_mixed_set(
    mixed: list[FinancingContract | None],
) -> None:
    one_by_one = [[] if c is None else contract_violations(c) for c in mixed]
    assert contract_violations_many(mixed) == one_by_one
    # The set really is mixed: every stage and both outcomes are represented.
    codes = [sorted(v.code for v in found) for found in one_by_one]
    assert codes[0] == []
    assert codes[1] == ["PRODUCT-NOT-APPROVED"]
    assert codes[2] == ["PRODUCT-NOT-APPROVED"]
    assert codes[3] == []
    assert codes[4] == ["PRODUCT-NOT-APPROVED"]
    assert codes[5] == ["MUR-INVOICE"]
    assert "EQU-CAPITAL-UNKNOWN" in codes[6]
    assert codes[8] == ["MUR-PRICE-CHANGED"]
    assert codes[9] == ["RES-DEBT-RAISED"]
    assert codes[10] == []  # updates are not checked for product approval
    assert codes[11] == ["MUR-PRICE-CHANGED"]
    assert codes[12] == codes[13] == []


def test_batch_form_is_registered_and_used_by_violations_of_many(
    mixed: list[FinancingContract | None],
) -> None:
    assert contract_rules._batch_forms[contract_violations] is contract_violations_many
    present = [c for c in mixed if c is not None]
    assert contract_rules.violations_of_many(present) == [
        contract_rules.violations_of(c) for c in present
    ]


def test_batch_form_loads_its_context_in_a_constant_number_of_queries(
    institution: Institution, contract_data: ContractData, mixed: list[FinancingContract | None]
) -> None:
    def queries(contracts: list[FinancingContract | None]) -> int:
        with CaptureQueriesContext(connection) as captured:
            contract_violations_many(contracts)
        return len(captured)

    few = queries(mixed)
    many = mixed * 20 + [_unsaved(institution, contract_data(T.SALAM)) for _ in range(50)]
    assert queries(many) == few <= 6
    with CaptureQueriesContext(connection) as captured:
        for contract in many:
            if contract is not None:
                contract_violations(contract)
    assert len(captured) > 10 * few


def test_batch_form_of_nothing() -> None:
    assert contract_violations_many([]) == []
    assert SIGNED  # the shared signing date of the fixtures
