"""The Shariah admin: every page opens, and a transfer to charity cannot exceed the ledger."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from institutions.models import Institution
from shariah.models import CharityTransfer, ProductApproval
from tests.factories import (
    FinancingContractFactory,
    FinancingProductFactory,
    LatePaymentChargeFactory,
)
from tests.factories.shariah import (
    ApprovedCharityFactory,
    ShariahAuditFactory,
    ShariahBoardMemberFactory,
    ShariahFindingFactory,
)
from users.models import User

pytestmark = pytest.mark.django_db
MODELS = (
    "shariahpolicy",
    "shariahboardmember",
    "productapproval",
    "shariahreview",
    "shariahfinding",
    "approvedcharity",
    "charitytransfer",
    "checklistitem",
    "shariahaudit",
)


def test_every_shariah_admin_page_opens(
    institution: Institution,
    administrator: User,
    analyst: User,
    client_for: Callable[[User], Client],
    checklist: int,
) -> None:
    ShariahFindingFactory(institution=institution)
    ShariahAuditFactory()
    for user in (administrator, analyst):
        browser = client_for(user)
        for model in MODELS:
            page = browser.get(reverse(f"admin:shariah_{model}_changelist"))
            assert page.status_code == 200, (user.role, model)
    browser = client_for(administrator)
    for model in MODELS:
        if model != "checklistitem":
            assert browser.get(reverse(f"admin:shariah_{model}_add")).status_code == 200, model
    assert browser.get(reverse("admin:shariah_checklistitem_add")).status_code == 403


def test_admin_transfers_and_approvals_go_through_the_services(
    institution: Institution, administrator: User, client_for: Callable[[User], Client]
) -> None:
    LatePaymentChargeFactory(
        contract=FinancingContractFactory(institution=institution),
        amount=Decimal("90.00"),
        collected_on=datetime.date(2025, 1, 10),
    )
    charity = ApprovedCharityFactory(institution=institution)
    browser = client_for(administrator)
    url = reverse("admin:shariah_charitytransfer_add")
    data = {"charity": charity.pk, "date": "2025-02-01", "amount": "120.00"}
    page = browser.post(url, data)
    assert page.status_code == 200
    assert b"would exceed it" in page.content
    assert not CharityTransfer.objects.exists()
    assert browser.post(url, {**data, "amount": "90.00"}).status_code == 302
    transfer = CharityTransfer.objects.get()
    assert (transfer.institution, transfer.amount) == (institution, Decimal("90.00"))
    assert transfer.history.first().history_user == administrator

    product = FinancingProductFactory(institution=institution)
    untrained = ShariahBoardMemberFactory(
        institution=institution, has_shariah_training=False, qualification=""
    )
    url = reverse("admin:shariah_productapproval_add")
    data = {"product": product.pk, "approved_on": "2025-01-01", "approved_by": untrained.pk}
    assert b"trained in Shariah" in browser.post(url, data).content
    trained = ShariahBoardMemberFactory(institution=institution)
    assert browser.post(url, {**data, "approved_by": trained.pk}).status_code == 302
    assert ProductApproval.objects.get().approved_by == trained


def _change_form_data(browser: Client, url: str) -> dict[str, object]:
    form = browser.get(url).context["adminform"].form
    data: dict[str, object] = {
        name: (value.pk if hasattr(value, "pk") else ("" if value is None else value))
        for name, value in form.initial.items()
        if name in form.fields
    }
    data.update({"instalments-TOTAL_FORMS": "0", "instalments-INITIAL_FORMS": "0"})
    return data


def test_the_admin_contract_form_applies_the_shariah_rules(
    institution: Institution, administrator: User, client_for: Callable[[User], Client]
) -> None:
    from institutions.models import FinancingContract
    from institutions.services import contract_create
    from shariah.models import ShariahFinding
    from tests.factories import BranchFactory, ClientFactory

    branch = BranchFactory(institution=institution)
    contract = contract_create(
        actor=administrator,
        institution=institution,
        data={
            "branch": branch,
            "client": ClientFactory(institution=institution, branch=branch),
            "product": FinancingProductFactory(institution=institution, contract_type="murabaha"),
            "external_id": "M-ADMIN",
            "contract_date": datetime.date(2025, 2, 10),
            "disbursement_date": datetime.date(2025, 2, 10),
            "maturity_date": datetime.date(2026, 2, 10),
            "financed_amount": Decimal("10000.00"),
            "profit_amount": Decimal("1000.00"),
            "sale_price": Decimal("11000.00"),
        },
    )
    browser = client_for(administrator)
    url = reverse("admin:institutions_financingcontract_change", args=[contract.pk])
    data = _change_form_data(browser, url)

    # Blocking on update: the sale price as signed cannot change.
    response = browser.post(url, {**data, "profit_amount": "1500.00", "sale_price": "11500.00"})
    assert response.status_code == 200
    assert "MUR-PRICE-CHANGED" in response.content.decode()
    # Blocking on any save: a murabaha cannot be sold before the institution owned it.
    response = browser.post(url, {**data, "ownership_date": "2025-02-20"})
    assert "MUR-OWNERSHIP" in response.content.decode()
    contract.refresh_from_db()
    assert (contract.sale_price, contract.ownership_date) == (Decimal("11000.00"), None)

    # Passing: saved.
    assert browser.post(url, {**data, "ownership_date": "2025-02-09"}).status_code == 302
    assert FinancingContract.objects.get(pk=contract.pk).ownership_date == datetime.date(2025, 2, 9)
    assert not ShariahFinding.objects.exists()


def test_the_admin_contract_form_records_warnings_as_findings(
    institution: Institution, administrator: User, client_for: Callable[[User], Client]
) -> None:
    from shariah.models import ShariahFinding

    contract = FinancingContractFactory(
        institution=institution,
        contract_type="salam",
        contract_date=datetime.date(2025, 2, 10),
        delivery_place="Meknès",
        annual_profit_rate=None,
        profit_amount=Decimal("0.00"),
    )
    browser = client_for(administrator)
    url = reverse("admin:institutions_financingcontract_change", args=[contract.pk])
    data = _change_form_data(browser, url)
    assert browser.post(url, {**data, "delivery_place": ""}).status_code == 302
    finding = ShariahFinding.objects.get()
    assert (finding.contract_id, finding.rule_code) == (contract.pk, "SAL-DELIVERY-PLACE")
    assert finding.history.first().history_user == administrator
