"""Shared fixtures: a branch, a client and one product per contract type in ``institution``, and
``contract_data(type, **overrides)``: the data of a contract that every Shariah rule accepts,
ready for ``contract_create``."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from institutions.models import Branch, Client, ContractType, FinancingProduct, Institution
from shariah.services import checklist_load
from tests.api.conftest import api, make_token, token  # noqa: F401 — API fixtures, shared
from tests.factories import BranchFactory, ClientFactory, FinancingProductFactory

D = datetime.date
SIGNED = D(2025, 2, 10)

ContractData = Callable[..., dict[str, Any]]

#: Type-specific terms of a compliant contract signed on SIGNED.
COMPLIANT_TERMS: dict[str, dict[str, Any]] = {
    ContractType.MURABAHA: {
        "profit_amount": Decimal("1000.00"),
        "sale_price": Decimal("11000.00"),
        "supplier_invoice_date": D(2025, 2, 7),
        "ownership_date": D(2025, 2, 8),
        "delivery_date": D(2025, 2, 11),
        "asset_description": "Sewing machines",
        "supplier_name": "Atlas Equipment",
    },
    ContractType.ISTISNA: {
        "profit_amount": Decimal("1500.00"),
        "sale_price": Decimal("11500.00"),
        "delivery_date": D(2025, 6, 30),
    },
    ContractType.SALAM: {
        "commodity": "Durum wheat",
        "commodity_quantity": Decimal("25000.000"),
        "commodity_unit": "kg",
        "delivery_date": D(2025, 7, 15),
        "delivery_place": "Meknès cooperative warehouse",
        "price_paid_date": SIGNED,
        "expected_sale_price": Decimal("12500.00"),
    },
    ContractType.QARD_HASSAN: {
        "service_fee": Decimal("50.00"),
        "declared_actual_cost": Decimal("60.00"),
    },
    ContractType.IJARA: {
        "profit_amount": Decimal("1200.00"),
        "rent_amount": Decimal("933.33"),
        "delivery_date": D(2025, 2, 15),
        "rent_start_date": D(2025, 3, 15),
        "security_deposit": Decimal("1000.00"),
    },
    ContractType.IJARA_MUNTAHIA_BITTAMLEEK: {
        "profit_amount": Decimal("1200.00"),
        "rent_amount": Decimal("933.33"),
        "delivery_date": D(2025, 2, 10),
        "rent_start_date": D(2025, 3, 10),
        "advance_rent": Decimal("933.33"),
    },
    ContractType.MUSHARAKA: {
        "client_capital": Decimal("5000.00"),
        "institution_profit_share": Decimal("60.0000"),
        "client_profit_share": Decimal("40.0000"),
        "expected_roi": Decimal("18.0000"),
    },
    ContractType.MUDARABA: {
        "institution_profit_share": Decimal("45.0000"),
        "client_profit_share": Decimal("55.0000"),
        "expected_roi": Decimal("20.0000"),
    },
    ContractType.DIMINISHING_MUSHARAKA: {
        "profit_amount": Decimal("800.00"),
        "annual_profit_rate": Decimal("8.0000"),
        "client_capital": Decimal("3000.00"),
        "institution_profit_share": Decimal("70.0000"),
        "client_profit_share": Decimal("30.0000"),
        "buyout_units": 24,
    },
}


@pytest.fixture
def branch(institution: Institution) -> Branch:
    return BranchFactory(institution=institution)


@pytest.fixture
def borrower(institution: Institution, branch: Branch) -> Client:
    return ClientFactory(institution=institution, branch=branch)


@pytest.fixture
def products(institution: Institution) -> dict[str, FinancingProduct]:
    return {
        contract_type: FinancingProductFactory(
            institution=institution, contract_type=contract_type, code=f"P-{contract_type}"
        )
        for contract_type in ContractType.values
    }


@pytest.fixture
def contract_data(
    branch: Branch, borrower: Client, products: dict[str, FinancingProduct]
) -> ContractData:
    counter = iter(range(1, 10_000))

    def make(contract_type: str, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "branch": branch,
            "client": borrower,
            "product": products[contract_type],
            "external_id": f"C-{next(counter):04d}",
            "contract_date": SIGNED,
            "disbursement_date": SIGNED,
            "maturity_date": D(2026, 2, 10),
            "financed_amount": Decimal("10000.00"),
            **COMPLIANT_TERMS[contract_type],
        }
        data.update(overrides)
        return data

    return make


@pytest.fixture
def checklist(db: None) -> int:
    return checklist_load()
