"""Every one of the 17 Shariah contract rules, failing and passing, through every entry path.

An entry path is one function in ``ENTRY_PATHS``: it submits contract rows the way that path
does and reports what happened as an ``Outcome`` (accepted, or refused with ``(field, code)``
errors). Adding a path (a browser form, a file import) means writing that function and adding
it to the dictionary; every case below then runs through it too. ``update`` is the same for a
change to a contract already stored (re-sent by its contract number); a path that cannot change
a saved contract leaves it ``None`` and the update-stage rules are skipped there, saying why.

Paths today:

* ``api_single``: ``POST /api/v1/contracts/`` (through ``institutions.services.contract_create``;
  the API has no endpoint that changes a stored contract, so the update-stage rules are skipped);
* ``api_bulk``: ``POST /api/v1/contracts/bulk/`` (``partners.bulk.validate_contracts`` and
  ``contract_rules.violations_of_many``; a re-sent contract number is checked as an update);
* ``browser_form``: the contract form per type (``/institutions/<code>/contracts/new/`` and
  ``/contracts/<id>/edit/``), posted as a user fills it; a rule whose field the type's form does
  not have (a profit rate on a qard hassan or a mudaraba) cannot be broken there and is skipped;
* ``file_import``: a CSV uploaded on the quarter's import page: the preview must show the rule on
  the file's row and column and save nothing; a clean file is then confirmed.

``test_rules.py`` covers ``contract_create`` and the admin form directly.

To add a path: write ``_<path>_create(env, row) -> Outcome`` (``row`` is a contract as partners
send it: references by code, dates and amounts as text; ``env.browser`` is a Django test client
logged in as the institution's staff member) and, if the path can change a stored contract, an
``update`` function; then add ``"<path>": EntryPath(create=..., update=...)`` to ``ENTRY_PATHS``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as DjangoClient
from rest_framework.test import APIClient

from institutions.forms_contracts import COMMON_FIELDS, contract_terms_forms
from institutions.models import (
    Branch,
    Client,
    ContractType,
    FinancingContract,
    FinancingProduct,
    Institution,
    ReportingPeriod,
)
from institutions.services import contract_create
from shariah.models import ShariahFinding
from shariah.rules import RULES
from tests.factories import ReportingPeriodFactory
from tests.factories.shariah import ProductApprovalFactory, ShariahBoardMemberFactory
from users.models import User

from .conftest import COMPLIANT_TERMS, SIGNED, ContractData

pytestmark = pytest.mark.django_db
D = datetime.date
T = ContractType

SINGLE = "/api/v1/contracts/"
BULK = "/api/v1/contracts/bulk/"


# --- Entry paths ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    accepted: bool
    errors: list[tuple[str | None, str]] = field(default_factory=list)  # (field, code)
    detail: Any = None


@dataclass
class Env:
    """What an entry path needs: the institution, its references, an actor, an API client with
    a read-write token, and a browser logged in as the institution's staff member."""

    institution: Institution
    branch: Branch
    client: Client
    products: dict[str, FinancingProduct]
    staff: User
    api: APIClient
    browser: DjangoClient
    period: ReportingPeriod

    @property
    def products_by_code(self) -> dict[str, FinancingProduct]:
        return {product.code: product for product in self.products.values()}


def _api_single_create(env: Env, row: dict[str, Any]) -> Outcome:
    response = env.api.post(SINGLE, row, format="json")
    body = response.json()
    if response.status_code == 201:
        return Outcome(True, detail=body)
    assert response.status_code == 400, body
    return Outcome(False, [(e.get("field"), e["code"]) for e in body["errors"]], body)


def _api_bulk(env: Env, row: dict[str, Any]) -> Outcome:
    response = env.api.post(BULK, data=json.dumps([row]), content_type="application/json")
    body = response.json()
    if response.status_code == 200:
        return Outcome(True, detail=body)
    assert response.status_code == 400, body
    assert all(e.get("row") in (1, None) for e in body["errors"]), body
    return Outcome(False, [(e.get("field"), e["code"]) for e in body["errors"]], body)


@dataclass(frozen=True)
class EntryPath:
    #: Submit one new contract row.
    create: Callable[[Env, dict[str, Any]], Outcome]
    #: Re-submit a stored contract (same contract number) with changes; None if the path
    #: cannot change a saved contract.
    update: Callable[[Env, dict[str, Any]], Outcome] | None


def _form_errors(response: Any) -> list[tuple[str | None, str]]:
    """(field, code) of every error on the contract form page's forms."""
    found: list[tuple[str | None, str]] = []
    forms = [response.context["common"]] + [
        section["form"] for section in response.context["sections"] if section["chosen"]
    ]
    for form in forms:
        for name, errors in form.errors.as_data().items():
            found += [(None if name == "__all__" else name, error.code or "") for error in errors]
    return found


def _form_data(env: Env, row: dict[str, Any], *, schedule: str) -> dict[str, str]:
    """The contract form as a user fills it: common fields by name, the chosen type's terms
    under the type's prefix, branch and product chosen from lists, the client typed by
    reference, no schedule (the rules concern the terms), and every field the row does not
    mention left at the value the form shows (its initial value or the model's default).

    A row value the form has no field for cannot be typed on this path: the case is skipped
    there (e.g. a profit rate on a qard hassan, whose form has no such field)."""
    contract_type = env.products_by_code[row["product"]].contract_type
    terms_form = contract_terms_forms(data=None, chosen=contract_type, instance=None)[contract_type]
    data = {
        "contract_type": contract_type,
        "branch": str(env.branch.pk),
        "client": env.client.external_id,
        "product": str(env.products_by_code[row["product"]].pk),
        "schedule-mode": schedule,
    }
    for name in COMMON_FIELDS:
        if name not in row and name not in data:
            default = FinancingContract._meta.get_field(name).get_default()
            data[name] = "" if default in (None, "") else str(default)
    for name, bound in ((name, terms_form[name]) for name in terms_form.fields):
        value = bound.value()
        data[f"{contract_type}-{name}"] = "" if value is None or value is False else str(value)
    for name, value in row.items():
        if name in ("branch", "client", "product"):
            continue
        if name in COMMON_FIELDS:
            data[name] = "" if value is None else str(value)
        elif name in terms_form.fields:
            data[f"{contract_type}-{name}"] = "" if value is None else str(value)
        elif value not in (None, "") and str(value).strip("0.") != "":
            pytest.skip(f"the {contract_type} form has no {name} field: it cannot be typed there")
    return data


def _browser_form_create(env: Env, row: dict[str, Any]) -> Outcome:
    response = env.browser.post(
        f"/institutions/{env.institution.code}/contracts/new/",
        _form_data(env, row, schedule="none"),
    )
    if response.status_code == 302:
        return Outcome(True, detail=response["Location"])
    assert response.status_code == 200, response.status_code
    return Outcome(False, _form_errors(response), response.content.decode()[:2000])


def _browser_form_update(env: Env, row: dict[str, Any]) -> Outcome:
    stored = FinancingContract.objects.get(
        institution=env.institution, external_id=row["external_id"]
    )
    response = env.browser.post(
        f"/contracts/{stored.pk}/edit/", _form_data(env, row, schedule="keep")
    )
    if response.status_code == 302:
        return Outcome(True, detail=response["Location"])
    assert response.status_code == 200, response.status_code
    return Outcome(False, _form_errors(response), response.content.decode()[:2000])


def _file_import(env: Env, row: dict[str, Any]) -> Outcome:
    """A CSV file with the API's column names, uploaded on the quarter's import page: the
    preview must list the rule's error on its row and column; a clean file is confirmed."""
    columns = list(row)
    lines = [
        ",".join(columns),
        ",".join("" if row[name] is None else str(row[name]) for name in columns),
    ]
    upload = SimpleUploadedFile(
        "contracts.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv"
    )
    page = f"/periods/{env.period.pk}/import/"
    response = env.browser.post(page, {"kind": "contracts", "file": upload})
    assert response.status_code == 200, response.status_code
    problems = response.context["problems"]
    if problems:
        assert all(problem.row in (2, None) for problem in problems), problems
        errors = [
            (problem.column.name if problem.column else None, problem.code) for problem in problems
        ]
        return Outcome(False, errors, problems)
    token = response.context["token"]
    confirmed = env.browser.post(f"{page}{token}/confirm/")
    assert confirmed.status_code == 302, confirmed.status_code
    return Outcome(True, detail=confirmed["Location"])


ENTRY_PATHS: dict[str, EntryPath] = {
    "api_single": EntryPath(create=_api_single_create, update=None),
    "api_bulk": EntryPath(create=_api_bulk, update=_api_bulk),
    "browser_form": EntryPath(create=_browser_form_create, update=_browser_form_update),
    "file_import": EntryPath(create=_file_import, update=_file_import),
}


# --- Rows ----------------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(env: Env, external_id: str, contract_type: str, **overrides: Any) -> dict[str, Any]:
    """A contract row as partners send it: references by code, values as JSON."""
    terms: dict[str, Any] = {
        "contract_date": SIGNED,
        "disbursement_date": SIGNED,
        "maturity_date": D(2026, 2, 10),
        "financed_amount": Decimal("10000.00"),
        **COMPLIANT_TERMS[contract_type],
        **overrides,
    }
    return {
        "external_id": external_id,
        "branch": env.branch.code,
        "client": env.client.external_id,
        "product": env.products[contract_type].code,
        **{name: _json(value) for name, value in terms.items()},
    }


@pytest.fixture
def env(
    institution: Institution,
    branch: Branch,
    borrower: Client,
    products: dict[str, FinancingProduct],
    staff: User,
    api: Callable[[str | None], APIClient],
    token: str,
    client_for: Callable[[User], DjangoClient],
) -> Env:
    period = ReportingPeriodFactory(institution=institution, year=2025, quarter=1)
    return Env(
        institution, branch, borrower, products, staff, api(token), client_for(staff), period
    )


# --- Cases: one per rule ---------------------------------------------------------------------------

# (rule, contract type, overrides that break it, the field named, overrides that satisfy it)
CREATE_CASES = [
    ("MUR-OWNERSHIP", T.MURABAHA, {"ownership_date": D(2025, 2, 12)}, "ownership_date",
     {"ownership_date": SIGNED}),
    ("MUR-INVOICE", T.MURABAHA, {"supplier_invoice_date": D(2025, 2, 20)},
     "supplier_invoice_date", {"supplier_invoice_date": SIGNED}),
    ("SAL-PRICE-DEFERRED", T.SALAM, {"price_paid_date": D(2025, 3, 1)}, "price_paid_date",
     {"price_paid_date": SIGNED}),
    ("SAL-FORBIDDEN-COMMODITY", T.SALAM, {"commodity": "Gold bars"}, "commodity",
     {"commodity": "Golden Delicious apples"}),
    ("QH-ABOVE-PRINCIPAL", T.QARD_HASSAN, {"annual_profit_rate": Decimal("5")},
     "annual_profit_rate", {"annual_profit_rate": Decimal("0")}),
    ("QH-FEE-ABOVE-COST", T.QARD_HASSAN, {"service_fee": Decimal("80.00")}, "service_fee",
     {"service_fee": Decimal("60.00")}),
    ("IJA-RENT-BEFORE-DELIVERY", T.IJARA, {"rent_start_date": D(2025, 2, 12)},
     "rent_start_date", {"rent_start_date": D(2025, 2, 15)}),
    ("EQU-LUMP-SUM-PROFIT", T.MUDARABA, {"annual_profit_rate": Decimal("15")},
     "annual_profit_rate", {"annual_profit_rate": None}),
    ("EQU-LOSS-SHARE", T.MUSHARAKA, {"institution_loss_share": Decimal("50")},
     "institution_loss_share", {"institution_loss_share": Decimal("66.6667")}),
    ("PRODUCT-NOT-APPROVED", T.MURABAHA, {}, "product", {}),
]  # fmt: skip

# (rule, contract type, overrides that trigger it, the field named, severity, overrides that don't)
WARNING_CASES = [
    ("SAL-DELIVERY-PLACE", T.SALAM, {"delivery_place": ""}, "delivery_place", "minor", {}),
    ("QH-FEE-COST-UNDECLARED", T.QARD_HASSAN, {"declared_actual_cost": None},
     "declared_actual_cost", "major", {}),
    ("IJA-ADVANCE-RENT", T.IJARA, {"advance_rent": Decimal("933.33")}, "advance_rent", "minor",
     {"advance_rent": Decimal("933.33"), "delivery_date": SIGNED, "rent_start_date": SIGNED}),
    ("EQU-PROFIT-RATIO", T.MUDARABA,
     {"institution_profit_share": Decimal("100"), "client_profit_share": Decimal("0")},
     "institution_profit_share", "major", {}),
    ("EQU-CAPITAL-UNKNOWN", T.MUSHARAKA, {"client_capital": None}, "client_capital", "major", {}),
]  # fmt: skip

# Rules that fire when a stored contract is changed.
# (rule, contract type, change that breaks it, the field named, change that does not)
UPDATE_CASES = [
    ("MUR-PRICE-CHANGED", T.MURABAHA,
     {"profit_amount": Decimal("1300.00"), "sale_price": Decimal("11300.00")}, "sale_price",
     {"purpose": "Sewing workshop"}),
    ("RES-DEBT-RAISED", T.IJARA, {"profit_amount": Decimal("1350.00")}, "profit_amount",
     {"maturity_date": D(2026, 8, 10)}),
]  # fmt: skip


def _approval_setup(env: Env, *, approved: bool) -> None:
    """PRODUCT-NOT-APPROVED applies once the institution has a Shariah board."""
    member = ShariahBoardMemberFactory(institution=env.institution)
    if approved:
        ProductApprovalFactory(
            product=env.products[T.MURABAHA], approved_by=member, approved_on=D(2025, 1, 1)
        )


def test_every_rule_has_a_case() -> None:
    covered = {case[0] for case in CREATE_CASES + WARNING_CASES + UPDATE_CASES}
    assert covered == {rule.code for rule in RULES}
    assert len(covered) == 17


def _ids(cases: list[tuple[Any, ...]]) -> list[str]:
    return [case[0] for case in cases]


# --- Blocking rules on new contracts -------------------------------------------------------------


@pytest.mark.parametrize("path", ENTRY_PATHS)
@pytest.mark.parametrize(("code", "contract_type", "failing", "field_name", "passing"),
                         CREATE_CASES, ids=_ids(CREATE_CASES))  # fmt: skip
def test_blocking_rule_fails_and_passes(
    path: str,
    code: str,
    contract_type: str,
    failing: dict[str, Any],
    field_name: str,
    passing: dict[str, Any],
    env: Env,
) -> None:
    entry = ENTRY_PATHS[path]
    if code == "PRODUCT-NOT-APPROVED":
        _approval_setup(env, approved=False)
    outcome = entry.create(env, _row(env, "K-FAIL", contract_type, **failing))
    assert not outcome.accepted
    assert (field_name, code) in outcome.errors, outcome.detail
    assert not FinancingContract.objects.filter(external_id="K-FAIL").exists()

    if code == "PRODUCT-NOT-APPROVED":
        ProductApprovalFactory(
            product=env.products[T.MURABAHA],
            approved_by=ShariahBoardMemberFactory(institution=env.institution),
            approved_on=D(2025, 1, 1),
        )
    outcome = entry.create(env, _row(env, "K-PASS", contract_type, **passing))
    assert outcome.accepted, outcome.detail
    assert FinancingContract.objects.filter(external_id="K-PASS").exists()
    assert not ShariahFinding.objects.exists()


# --- Warnings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ENTRY_PATHS)
@pytest.mark.parametrize(("code", "contract_type", "triggering", "field_name", "severity", "passing"),
                         WARNING_CASES, ids=_ids(WARNING_CASES))  # fmt: skip
def test_warning_is_accepted_with_a_finding_and_passes_without(
    path: str,
    code: str,
    contract_type: str,
    triggering: dict[str, Any],
    field_name: str,
    severity: str,
    passing: dict[str, Any],
    env: Env,
) -> None:
    entry = ENTRY_PATHS[path]
    outcome = entry.create(env, _row(env, "K-WARN", contract_type, **triggering))
    assert outcome.accepted, outcome.detail
    contract = FinancingContract.objects.get(external_id="K-WARN")
    (finding,) = ShariahFinding.objects.all()
    assert (finding.contract, finding.rule_code, finding.field) == (contract, code, field_name)
    assert finding.severity == severity

    outcome = entry.create(env, _row(env, "K-PASS", contract_type, **passing))
    assert outcome.accepted, outcome.detail
    assert ShariahFinding.objects.count() == 1


# --- Rules on changes to a stored contract ---------------------------------------------------------


@pytest.mark.parametrize("path", ENTRY_PATHS)
@pytest.mark.parametrize(("code", "contract_type", "failing", "field_name", "passing"),
                         UPDATE_CASES, ids=_ids(UPDATE_CASES))  # fmt: skip
def test_update_rule_fails_and_passes(
    path: str,
    code: str,
    contract_type: str,
    failing: dict[str, Any],
    field_name: str,
    passing: dict[str, Any],
    env: Env,
) -> None:
    entry = ENTRY_PATHS[path]
    if entry.update is None:
        pytest.skip(f"{path} cannot change a stored contract: the update-stage rules cannot fire")
    stored = contract_create(
        actor=env.staff,
        institution=env.institution,
        data={
            "branch": env.branch,
            "client": env.client,
            "product": env.products[contract_type],
            "external_id": "K-UPD",
            "contract_date": SIGNED,
            "disbursement_date": SIGNED,
            "maturity_date": D(2026, 2, 10),
            "financed_amount": Decimal("10000.00"),
            **COMPLIANT_TERMS[contract_type],
        },
    )
    outcome = entry.update(env, _row(env, "K-UPD", contract_type, **failing))
    assert not outcome.accepted
    assert (field_name, code) in outcome.errors, outcome.detail
    stored.refresh_from_db()
    assert stored.profit_amount == COMPLIANT_TERMS[contract_type]["profit_amount"]

    outcome = entry.update(env, _row(env, "K-UPD", contract_type, **passing))
    assert outcome.accepted, outcome.detail
    changed = FinancingContract.objects.get(pk=stored.pk)
    for name, value in passing.items():
        assert getattr(changed, name) == value
    assert FinancingContract.objects.count() == 1


def test_product_approval_is_not_required_again_when_a_stored_contract_is_resent(
    env: Env,
) -> None:
    """A contract stored before the Shariah board existed may still be corrected in bulk."""
    row = _row(env, "K-OLD", T.MURABAHA)
    assert _api_bulk(env, row).accepted
    _approval_setup(env, approved=False)
    outcome = _api_bulk(env, {**row, "purpose": "Corrected purpose"})
    assert outcome.accepted, outcome.detail
    outcome = _api_bulk(env, _row(env, "K-NEW", T.MURABAHA))
    assert ("product", "PRODUCT-NOT-APPROVED") in outcome.errors


def test_contract_data_fixture_is_the_same_compliant_contract(contract_data: ContractData) -> None:
    # The rows above are built like ``contract_data``: the same compliant terms.
    data = contract_data(T.MURABAHA)
    assert data["contract_date"] == SIGNED
    assert data["sale_price"] == COMPLIANT_TERMS[T.MURABAHA]["sale_price"]
