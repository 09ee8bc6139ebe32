"""The contract form (one per contract type), its permissions and Shariah rules, and the contract
list's days-late filter and search."""

from __future__ import annotations

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse

from institutions.forms_contracts import TYPE_FIELDS, equal_instalments
from institutions.models import ContractType, FinancingContract, Instalment
from shariah.models import ShariahFinding
from tests.factories import (
    BranchFactory,
    ClientFactory,
    FinancingContractFactory,
    FinancingProductFactory,
    InstalmentFactory,
    RepaymentFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(institution):  # type: ignore[no-untyped-def]
    branch = BranchFactory(institution=institution, name="Rabat centre")
    client = ClientFactory(institution=institution, branch=branch, external_id="CL-77")
    products = {
        contract_type: FinancingProductFactory(
            institution=institution, contract_type=contract_type, code=f"P-{contract_type}"
        )
        for contract_type in ContractType.values
    }
    return {"branch": branch, "client": client, "products": products}


def murabaha_post(setup, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "contract_type": "murabaha",
        "external_id": "MUR-001",
        "branch": setup["branch"].pk,
        "client": setup["client"].external_id,
        "product": setup["products"]["murabaha"].pk,
        "contract_date": "2026-03-10",
        "disbursement_date": "2026-03-10",
        "maturity_date": "2027-03-10",
        "cycle_number": "1",
        "financed_amount": "12000.00",
        "murabaha-profit_amount": "1200.00",
        "murabaha-sale_price": "13200.00",
        "murabaha-ownership_date": "2026-03-05",
        "murabaha-supplier_invoice_date": "2026-03-04",
        "murabaha-paid_directly_to_supplier": "unknown",
        "schedule-mode": "generate",
        "schedule-instalment_count": "12",
        "schedule-first_due_date": "2026-04-10",
        "schedule-months_between": "1",
        "instalments-TOTAL_FORMS": "3",
        "instalments-INITIAL_FORMS": "0",
        "instalments-MIN_NUM_FORMS": "0",
        "instalments-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


# --- The form shows one type's fields -------------------------------------------------------


@pytest.mark.parametrize("contract_type", ContractType.values)
def test_form_shows_only_the_chosen_types_fields(
    client_for, staff, institution, setup, contract_type
):
    url = reverse("contract_create", args=[institution.code])
    response = client_for(staff).get(url, {"type": contract_type})
    assert response.status_code == 200
    sections = {section["type"]: section for section in response.context["sections"]}
    chosen = sections[contract_type]
    assert chosen["chosen"] is True
    assert list(chosen["form"].fields) == TYPE_FIELDS[contract_type]
    # The chosen section is visible and enabled; every other is hidden and disabled.
    page = response.content.decode()
    assert f'data-contract-type="{contract_type}">' in page
    for other, section in sections.items():
        if other != contract_type:
            assert f'data-contract-type="{other}" hidden>' in page
            assert all(field.disabled for field in section["form"].fields.values())
    assert all(not field.disabled for field in chosen["form"].fields.values())


def test_type_specific_fields_follow_the_model():
    # A salam's commodity is not a murabaha field and vice versa; qard hassan has no profit.
    assert "commodity" in TYPE_FIELDS["salam"]
    assert "commodity" not in TYPE_FIELDS["murabaha"]
    assert "sale_price" in TYPE_FIELDS["murabaha"]
    assert "profit_amount" not in TYPE_FIELDS["qard_hassan"]
    assert "annual_profit_rate" not in TYPE_FIELDS["musharaka"]


# --- Create and edit, per role --------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_data_entry_users_create_a_murabaha_with_its_schedule(
    client_for, request, institution, setup, role
):
    user = request.getfixturevalue(role)
    response = client_for(user).post(
        reverse("contract_create", args=[institution.code]), murabaha_post(setup)
    )
    contract = FinancingContract.objects.get(institution=institution, external_id="MUR-001")
    assert response.status_code == 302
    assert response.url == reverse("contract_detail", args=[contract.pk])
    assert contract.contract_type == ContractType.MURABAHA
    assert contract.sale_price == Decimal("13200.00")
    instalments = list(contract.instalments.order_by("number"))
    assert len(instalments) == 12
    assert sum(i.principal_due for i in instalments) == Decimal("12000.00")
    assert sum(i.profit_due for i in instalments) == Decimal("1200.00")
    assert instalments[1].due_date == datetime.date(2026, 5, 10)


def test_manual_schedule_is_saved_in_due_date_order(client_for, staff, institution, setup):
    data = murabaha_post(
        setup,
        **{
            "schedule-mode": "manual",
            "instalments-0-due_date": "2026-09-10",
            "instalments-0-principal_due": "6000",
            "instalments-0-profit_due": "600",
            "instalments-1-due_date": "2026-06-10",
            "instalments-1-principal_due": "6000",
            "instalments-1-profit_due": "600",
        },
    )
    response = client_for(staff).post(reverse("contract_create", args=[institution.code]), data)
    assert response.status_code == 302
    contract = FinancingContract.objects.get(external_id="MUR-001")
    assert [(i.number, i.due_date) for i in contract.instalments.order_by("number")] == [
        (1, datetime.date(2026, 6, 10)),
        (2, datetime.date(2026, 9, 10)),
    ]


def test_schedule_that_does_not_recover_the_cost_saves_nothing(
    client_for, staff, institution, setup
):
    data = murabaha_post(
        setup,
        **{
            "schedule-mode": "manual",
            "instalments-0-due_date": "2026-06-10",
            "instalments-0-principal_due": "5000",
            "instalments-0-profit_due": "0",
        },
    )
    response = client_for(staff).post(reverse("contract_create", args=[institution.code]), data)
    assert response.status_code == 200
    assert not FinancingContract.objects.filter(external_id="MUR-001").exists()
    assert "5000" in response.content.decode()


def test_a_schedule_starting_before_the_disbursement_saves_nothing(
    client_for, staff, institution, setup
):
    """The first due date typed before the disbursement (2026-03-10) made the new contract
    late from the day it was entered."""
    data = murabaha_post(setup, **{"schedule-first_due_date": "2025-01-10"})
    response = client_for(staff).post(reverse("contract_create", args=[institution.code]), data)
    assert response.status_code == 200
    assert not FinancingContract.objects.filter(external_id="MUR-001").exists()
    assert "before the disbursement (2026-03-10)" in response.content.decode()


@pytest.mark.parametrize("role", ["analyst", "auditor", "administrator"])
def test_other_roles_cannot_enter_contracts(client_for, request, institution, setup, role):
    user = request.getfixturevalue(role)
    url = reverse("contract_create", args=[institution.code])
    assert client_for(user).get(url).status_code == 403
    assert client_for(user).post(url, murabaha_post(setup)).status_code == 403
    assert not FinancingContract.objects.exists()
    contract = FinancingContractFactory(institution=institution)
    assert client_for(user).get(reverse("contract_edit", args=[contract.pk])).status_code == 403


def test_another_institutions_staff_gets_404(client_for, other_staff, institution, setup):
    contract = FinancingContractFactory(institution=institution)
    user_client = client_for(other_staff)
    url = reverse("contract_create", args=[institution.code])
    assert user_client.get(url).status_code == 404
    assert user_client.post(url, murabaha_post(setup)).status_code == 404
    assert user_client.get(reverse("contract_edit", args=[contract.pk])).status_code == 404
    assert user_client.post(reverse("contract_edit", args=[contract.pk]), {}).status_code == 404


def test_anonymous_is_sent_to_login(client, institution):
    response = client.get(reverse("contract_create", args=[institution.code]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_edit_changes_the_terms_and_keeps_the_schedule(client_for, manager, institution, setup):
    contract = FinancingContractFactory(
        institution=institution,
        branch=setup["branch"],
        client=setup["client"],
        product=setup["products"]["salam"],
        contract_type=ContractType.SALAM,
        delivery_place="Souk",
    )
    InstalmentFactory(contract=contract, number=1, principal_due=contract.financed_amount)
    url = reverse("contract_edit", args=[contract.pk])
    page = client_for(manager).get(url)
    assert page.status_code == 200
    assert page.context["chosen"] == "salam"
    data = {
        "contract_type": "salam",
        "external_id": contract.external_id,
        "branch": setup["branch"].pk,
        "client": setup["client"].external_id,
        "product": setup["products"]["salam"].pk,
        "contract_date": "2024-01-10",
        "disbursement_date": "2024-01-10",
        "maturity_date": "2025-01-04",
        "cycle_number": "2",
        "financed_amount": "10000.00",
        "salam-profit_amount": "1000.00",
        "salam-commodity": "durum wheat",
        "salam-commodity_quantity": "2000",
        "salam-commodity_unit": "kg",
        "salam-delivery_date": "2025-01-04",
        "salam-delivery_place": "Souk",
        "schedule-mode": "keep",
        "instalments-TOTAL_FORMS": "0",
        "instalments-INITIAL_FORMS": "0",
    }
    response = client_for(manager).post(url, data)
    assert response.status_code == 302, response.context and response.context["common"].errors
    contract.refresh_from_db()
    assert contract.commodity == "durum wheat"
    assert contract.cycle_number == 2
    assert contract.instalments.count() == 1


def test_schedule_of_a_paid_contract_cannot_be_replaced(client_for, staff, institution, setup):
    contract = FinancingContractFactory(
        institution=institution,
        branch=setup["branch"],
        client=setup["client"],
        product=setup["products"]["murabaha"],
    )
    InstalmentFactory(contract=contract, number=1, principal_due=contract.financed_amount)
    RepaymentFactory(contract=contract)
    data = murabaha_post(
        setup,
        external_id=contract.external_id,
        contract_date="2024-01-10",
        disbursement_date="2024-01-10",
        maturity_date="2025-01-04",
        financed_amount="10000.00",
        **{
            "murabaha-profit_amount": "1000.00",
            "murabaha-sale_price": "11000.00",
            "murabaha-ownership_date": "",
            "murabaha-supplier_invoice_date": "",
        },
    )
    response = client_for(staff).post(reverse("contract_edit", args=[contract.pk]), data)
    assert response.status_code == 200
    assert "rescheduling" in response.content.decode()
    assert contract.instalments.count() == 1


# --- Shariah rules on the form ----------------------------------------------------------------

OWNERSHIP = {
    "fr": "une mourabaha ne peut porter que sur un bien que l'institution possède déjà",
    "ar": "لا يجوز في المرابحة بيع إلا ما تملكه المؤسسة فعلًا",
}
PRICE_CHANGED = {
    "fr": "le prix d'une mourabaha est fixe une fois convenu",
    "ar": "المرابحة ثابت بعد الاتفاق عليه",
}


def _field_errors(response, form_key, field):  # type: ignore[no-untyped-def]
    if form_key == "common":
        return [str(e) for e in response.context["common"].errors.get(field, [])]
    section = next(s for s in response.context["sections"] if s["type"] == form_key)
    return [str(e) for e in section["form"].errors.get(field, [])]


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_murabaha_sold_before_owned_is_a_field_error_and_saves_nothing(
    client_for, staff, institution, setup, language
):
    data = murabaha_post(setup, **{"murabaha-ownership_date": "2026-03-20"})
    response = client_for(staff).post(
        reverse("contract_create", args=[institution.code]), data, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    errors = _field_errors(response, "murabaha", "ownership_date")
    assert len(errors) == 1
    assert OWNERSHIP[language] in errors[0]
    assert OWNERSHIP[language] in html.unescape(response.content.decode())
    assert not FinancingContract.objects.exists()
    assert not Instalment.objects.exists()


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_murabaha_price_changed_on_edit_is_refused(client_for, staff, institution, setup, language):
    # Created through the form, so the contract's history records the price as signed.
    client = client_for(staff)
    client.post(reverse("contract_create", args=[institution.code]), murabaha_post(setup))
    contract = FinancingContract.objects.get(external_id="MUR-001")
    data = murabaha_post(
        setup,
        **{
            "murabaha-profit_amount": "1500.00",
            "murabaha-sale_price": "13500.00",
            "schedule-mode": "keep",
        },
    )
    response = client.post(
        reverse("contract_edit", args=[contract.pk]), data, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    errors = _field_errors(response, "murabaha", "sale_price")
    assert any(PRICE_CHANGED[language] in error for error in errors)
    contract.refresh_from_db()
    assert contract.sale_price == Decimal("13200.00")
    assert contract.profit_amount == Decimal("1200.00")


def test_a_warning_is_accepted_and_recorded_as_a_finding(client_for, staff, institution, setup):
    data = {
        "contract_type": "salam",
        "external_id": "SAL-9",
        "branch": setup["branch"].pk,
        "client": setup["client"].external_id,
        "product": setup["products"]["salam"].pk,
        "contract_date": "2026-03-10",
        "disbursement_date": "2026-03-10",
        "maturity_date": "2026-09-10",
        "cycle_number": "1",
        "financed_amount": "5000",
        "salam-profit_amount": "500",
        "salam-commodity": "barley",
        "salam-commodity_quantity": "1000",
        "salam-commodity_unit": "kg",
        "salam-price_paid_date": "2026-03-10",
        "salam-delivery_date": "2026-09-10",
        "salam-delivery_place": "",
        "schedule-mode": "manual",
        "instalments-TOTAL_FORMS": "1",
        "instalments-INITIAL_FORMS": "0",
        "instalments-0-due_date": "2026-09-10",
        "instalments-0-principal_due": "5000",
        "instalments-0-profit_due": "500",
    }
    response = client_for(staff).post(
        reverse("contract_create", args=[institution.code]), data, follow=True
    )
    assert response.status_code == 200
    contract = FinancingContract.objects.get(external_id="SAL-9")
    assert ShariahFinding.objects.filter(contract=contract).exists()
    shown = [str(m) for m in response.context["messages"]]
    assert any("delivered" in text for text in shown), shown


# --- Equal instalments ----------------------------------------------------------------------


def test_equal_instalments_put_the_cents_on_the_last_one():
    rows = equal_instalments(
        financed_amount=Decimal("1000.00"),
        profit_amount=Decimal("100.00"),
        count=3,
        first_due_date=datetime.date(2026, 1, 31),
    )
    assert [row["principal_due"] for row in rows] == [
        Decimal("333.33"),
        Decimal("333.33"),
        Decimal("333.34"),
    ]
    assert sum(row["profit_due"] for row in rows) == Decimal("100.00")
    # The 31st becomes the last day of a shorter month.
    assert [row["due_date"] for row in rows] == [
        datetime.date(2026, 1, 31),
        datetime.date(2026, 2, 28),
        datetime.date(2026, 3, 31),
    ]


# --- Contract list: days late and search -----------------------------------------------------

AS_OF = datetime.date(2026, 6, 30)


@pytest.fixture
def late_book(institution, setup):  # type: ignore[no-untyped-def]
    """Five contracts whose oldest unpaid instalment is 0, 10, 45, 120 days late on AS_OF, and
    one whose late instalment was paid (so current)."""
    contracts = {}
    for name, days in (("none", None), ("d10", 10), ("d45", 45), ("d120", 120), ("paid", 60)):
        contract = FinancingContractFactory(
            institution=institution,
            branch=setup["branch"],
            product=setup["products"]["murabaha"],
            external_id=f"C-{name}",
            contract_date=datetime.date(2025, 1, 1),
        )
        if days is not None:
            due = AS_OF - datetime.timedelta(days=days)
            InstalmentFactory(
                contract=contract,
                number=1,
                due_date=due,
                paid_date=due if name == "paid" else None,
                principal_paid=Decimal("1000.00") if name == "paid" else Decimal("0"),
                profit_paid=Decimal("100.00") if name == "paid" else Decimal("0"),
            )
            # A later instalment, not yet due, never counts.
            InstalmentFactory(
                contract=contract, number=2, due_date=AS_OF + datetime.timedelta(days=5)
            )
        contracts[name] = contract
    return contracts


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ("current", {"C-none", "C-paid"}),
        ("1-30", {"C-d10"}),
        ("31-90", {"C-d45"}),
        ("over-90", {"C-d120"}),
        ("", {"C-none", "C-paid", "C-d10", "C-d45", "C-d120"}),
    ],
)
def test_days_late_filter(client_for, analyst, institution, late_book, band, expected):
    response = client_for(analyst).get(
        reverse("contract_list", args=[institution.code]),
        {"days_late": band, "as_of": AS_OF.isoformat()},
    )
    assert response.status_code == 200
    shown = {contract.external_id for contract in response.context["page_obj"]}
    assert shown == expected


def test_days_late_column(client_for, analyst, institution, late_book):
    response = client_for(analyst).get(
        reverse("contract_list", args=[institution.code]), {"as_of": AS_OF.isoformat()}
    )
    days = {c.external_id: c.days_late for c in response.context["page_obj"]}
    assert days == {"C-none": 0, "C-paid": 0, "C-d10": 10, "C-d45": 45, "C-d120": 120}


def test_search_by_reference_or_client(client_for, staff, institution, setup):
    FinancingContractFactory(institution=institution, external_id="ABC-1", client=setup["client"])
    FinancingContractFactory(institution=institution, external_id="XYZ-2")
    url = reverse("contract_list", args=[institution.code])
    by_reference = client_for(staff).get(url, {"q": "abc"})
    assert [c.external_id for c in by_reference.context["page_obj"]] == ["ABC-1"]
    by_client = client_for(staff).get(url, {"q": "CL-77"})
    assert [c.external_id for c in by_client.context["page_obj"]] == ["ABC-1"]


def test_detail_offers_edit_to_data_entry_users_only(client_for, staff, auditor, institution):
    contract = FinancingContractFactory(institution=institution)
    edit_url = reverse("contract_edit", args=[contract.pk])
    detail = reverse("contract_detail", args=[contract.pk])
    assert edit_url in client_for(staff).get(detail).content.decode()
    assert edit_url not in client_for(auditor).get(detail).content.decode()


def test_detail_shows_days_late_of_the_oldest_unpaid_instalment(client_for, staff, institution):
    from django.utils import timezone

    today = timezone.localdate()
    contract = FinancingContractFactory(
        institution=institution, contract_date=today - datetime.timedelta(days=200)
    )
    InstalmentFactory(contract=contract, number=1, due_date=today - datetime.timedelta(days=45))
    InstalmentFactory(contract=contract, number=2, due_date=today - datetime.timedelta(days=15))
    response = client_for(staff).get(reverse("contract_detail", args=[contract.pk]))
    assert response.context["days_late"] == 45


def test_edit_page_shows_the_client_reference(client_for, staff, institution, setup):
    contract = FinancingContractFactory(
        institution=institution, client=setup["client"], branch=setup["branch"]
    )
    page = client_for(staff).get(reverse("contract_edit", args=[contract.pk])).content.decode()
    assert 'value="CL-77"' in page
