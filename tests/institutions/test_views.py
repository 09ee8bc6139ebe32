"""Server-rendered pages: scope per role, the review workflow, and localised numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from institutions.models import ContractType, FinancingContract, PeriodTransition, ReportingPeriod
from tests.factories import (
    BranchFactory,
    FinancialStatementFactory,
    FinancingContractFactory,
    InstalmentFactory,
    InstitutionFactory,
    MfiStaffFactory,
    PortfolioSummaryLineFactory,
    RepaymentFactory,
    ReportingPeriodFactory,
    RestructuringFactory,
    StaffingSnapshotFactory,
    WriteOffFactory,
)
from users.models import User

Status = ReportingPeriod.Status


@pytest.fixture
def period(institution):
    return ReportingPeriodFactory(institution=institution, year=2024, quarter=3)


@pytest.fixture
def other_period(other_institution):
    return ReportingPeriodFactory(institution=other_institution, year=2024, quarter=3)


@pytest.fixture
def contract(institution):
    return FinancingContractFactory(institution=institution, external_id="AM-0001")


@pytest.fixture
def other_contract(other_institution):
    return FinancingContractFactory(institution=other_institution, external_id="BA-0001")


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Anonymous access ---------------------------------------------------------------------


def test_every_page_sends_anonymous_visitors_to_the_login(period, contract):
    client = Client()
    urls = [
        reverse("home"),
        reverse("institution_detail", args=[period.institution.code]),
        reverse("contract_list", args=[period.institution.code]),
        reverse("period_detail", args=[period.pk]),
        reverse("contract_detail", args=[contract.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('login')}?next="), url

    response = client.post(reverse("period_action", args=[period.pk, "submit"]))
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.status == Status.DRAFT


# --- Home per role ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_institution_user_home_shows_only_their_institution(
    client_for, request, role, institution, other_institution
):
    html = client_for(request.getfixturevalue(role)).get(reverse("home")).content.decode()

    assert "Amana Microfinance" in html
    assert "Baraka Finance" not in html


def test_institution_user_home_shows_what_is_due(client_for, staff, institution):
    ReportingPeriodFactory(institution=institution, year=2024, quarter=1, status=Status.APPROVED)
    ReportingPeriodFactory(
        institution=institution,
        year=2024,
        quarter=2,
        status=Status.RETURNED,
        return_reason="The staffing figures are missing.",
    )
    due = ReportingPeriodFactory(institution=institution, year=2024, quarter=3)

    response = client_for(staff).get(reverse("home"))

    assert response.context["due_period"] == due
    assert [period.quarter for period in response.context["returned_periods"]] == [2]
    html = response.content.decode()
    assert "The staffing figures are missing." in html
    assert reverse("period_detail", args=[due.pk]) in html


def test_institution_user_without_membership_gets_a_notice(client_for, db):
    response = client_for(MfiStaffFactory()).get(reverse("home"))

    assert response.status_code == 200
    assert response.context["institution"] is None


@pytest.mark.parametrize("role", ["analyst", "administrator"])
def test_analyst_home_lists_every_institution(
    client_for, request, role, institution, other_institution
):
    ReportingPeriodFactory(institution=institution, year=2024, quarter=2, status=Status.APPROVED)
    ReportingPeriodFactory(institution=institution, year=2024, quarter=3, status=Status.SUBMITTED)

    response = client_for(request.getfixturevalue(role)).get(reverse("home"))

    rows = dict(response.context["rows"])
    assert set(rows) == {institution, other_institution}
    assert rows[institution].quarter == 3
    assert rows[other_institution] is None
    assert response.context["awaiting_review"] == 1


def test_superuser_with_the_default_role_gets_the_institutions_table(
    client_for, institution, other_institution
):
    superuser = User.objects.create_superuser("root", "root@example.org", "secret")

    response = client_for(superuser).get(reverse("home"))

    assert {row[0] for row in response.context["rows"]} == {institution, other_institution}


def test_auditor_home_lists_only_granted_institutions(
    client_for, auditor, institution, other_institution
):
    response = client_for(auditor).get(reverse("home"))

    assert [row[0] for row in response.context["rows"]] == [institution]
    assert "Baraka Finance" not in response.content.decode()


def test_analyst_home_filters_by_status_country_and_name(
    client_for, analyst, institution, other_institution
):
    ReportingPeriodFactory(institution=institution, status=Status.SUBMITTED)
    senegal = InstitutionFactory(code="sahel", name_en="Sahel Credit", country="SN")
    client = client_for(analyst)

    def codes(**params):
        response = client.get(reverse("home"), params)
        return [row[0].code for row in response.context["rows"]]

    assert codes(status="submitted") == ["amana"]
    assert codes(status="none") == ["baraka", "sahel"]
    assert codes(country="SN") == [senegal.code]
    assert codes(q="BARAKA") == ["baraka"]
    assert codes(q="sahel", country="MA") == []
    assert codes() == ["amana", "baraka", "sahel"]


def test_analyst_home_uses_a_fixed_number_of_queries(
    client_for, analyst, django_assert_max_num_queries
):
    for _index in range(5):
        ReportingPeriodFactory(institution=InstitutionFactory())
    client = client_for(analyst)

    with django_assert_max_num_queries(6):
        client.get(reverse("home"))


# --- Scope: another institution's objects are 404 -----------------------------------------


@pytest.mark.parametrize("role", ["staff", "manager", "auditor"])
def test_other_institutions_pages_are_not_found(
    client_for, request, role, other_period, other_contract
):
    client = client_for(request.getfixturevalue(role))
    code = other_period.institution.code
    urls = [
        reverse("institution_detail", args=[code]),
        reverse("contract_list", args=[code]),
        reverse("period_detail", args=[other_period.pk]),
        reverse("contract_detail", args=[other_contract.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", ["staff", "manager", "auditor", "analyst"])
def test_own_institutions_pages_are_found(client_for, request, role, period, contract):
    client = client_for(request.getfixturevalue(role))
    code = period.institution.code
    urls = [
        reverse("institution_detail", args=[code]),
        reverse("contract_list", args=[code]),
        reverse("period_detail", args=[period.pk]),
        reverse("contract_detail", args=[contract.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_analyst_sees_any_institution(client_for, analyst, other_period, other_contract):
    client = client_for(analyst)
    code = other_period.institution.code

    assert client.get(reverse("institution_detail", args=[code])).status_code == 200
    assert client.get(reverse("contract_list", args=[code])).status_code == 200
    assert client.get(reverse("period_detail", args=[other_period.pk])).status_code == 200
    assert client.get(reverse("contract_detail", args=[other_contract.pk])).status_code == 200


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_posting_to_another_institutions_period_is_not_found(
    client_for, request, role, other_period
):
    response = client_for(request.getfixturevalue(role)).post(
        reverse("period_action", args=[other_period.pk, "submit"])
    )

    assert response.status_code == 404
    other_period.refresh_from_db()
    assert other_period.status == Status.DRAFT


# --- Institution page ---------------------------------------------------------------------


def test_institution_page_shows_identity_branches_and_counts(client_for, analyst, institution):
    institution.name_fr = "Amana Microfinance (fr)"
    institution.name_ar = "أمانة للتمويل الأصغر"
    institution.save()
    branch = BranchFactory(institution=institution, name="Fès Médina")
    FinancingContractFactory.create_batch(2, institution=institution, branch=branch)
    FinancingContractFactory(
        institution=institution, branch=branch, contract_type=ContractType.QARD_HASSAN
    )
    FinancingContractFactory(institution=institution, status=FinancingContract.Status.REPAID)

    response = client_for(analyst).get(reverse("institution_detail", args=[institution.code]))

    html = response.content.decode()
    assert "Amana Microfinance (fr)" in html
    assert "أمانة للتمويل الأصغر" in html
    assert "Fès Médina" in html
    assert response.context["client_count"] == 4
    active = {str(row["label"]): row["count"] for row in response.context["active_contracts"]}
    assert active == {"Murabaha": 2, "Qard hassan": 1}


# --- Period page and the review workflow --------------------------------------------------


def test_period_page_shows_the_return_in_read_only_tables(client_for, analyst, period):
    FinancialStatementFactory(period=period)
    StaffingSnapshotFactory(period=period)
    PortfolioSummaryLineFactory(period=period)

    response = client_for(analyst).get(reverse("period_detail", args=[period.pk]))

    html = response.content.decode()
    assert "Balance sheet" in html
    assert "Income statement" in html
    assert "1,000,000.00" in html  # total assets, English grouping
    assert "Financing officers" in html
    assert "Murabaha" in html
    assert "<input" not in html.split('id="balance-title"')[1].split("</section>")[0]


@pytest.mark.parametrize(
    ("language", "expected"), [("fr", "1\u202f000\u202f000,00"), ("ar", "1\u202f000\u202f000,00")]
)
def test_period_page_formats_numbers_per_locale(client_for, analyst, period, language, expected):
    FinancialStatementFactory(period=period)
    client = client_for(analyst)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = client.get(reverse("period_detail", args=[period.pk])).content.decode()

    assert expected in html
    assert f'lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}"' in html


def test_period_page_without_data_says_so(client_for, staff, period):
    response = client_for(staff).get(reverse("period_detail", args=[period.pk]))

    assert response.status_code == 200
    assert response.context["balance_sheet"] is None
    assert response.context["portfolio_rows"] is None


def test_manager_sees_submit_and_staff_sees_no_action(client_for, manager, staff, period):
    manager_page = client_for(manager).get(reverse("period_detail", args=[period.pk]))
    staff_page = client_for(staff).get(reverse("period_detail", args=[period.pk]))

    assert [action.name for action in manager_page.context["actions"]] == ["submit"]
    submit_url = reverse("period_action", args=[period.pk, "submit"])
    assert submit_url in manager_page.content.decode()
    assert staff_page.context["actions"] == []
    assert submit_url not in staff_page.content.decode()


def test_manager_submits_the_quarter(client_for, manager, period):
    response = client_for(manager).post(
        reverse("period_action", args=[period.pk, "submit"]), {"reason": "All figures in."}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("period_detail", args=[period.pk])
    period.refresh_from_db()
    assert period.status == Status.SUBMITTED
    transition = PeriodTransition.objects.get(period=period)
    assert (transition.from_status, transition.to_status) == (Status.DRAFT, Status.SUBMITTED)
    assert transition.actor == manager
    assert transition.reason == "All figures in."


def test_a_quarter_with_unsaved_drafts_is_not_submitted(client_for, manager, staff, period):
    """Once submitted, a draft could no longer be saved: the manager is told which sections
    hold one, and submits after they are saved or discarded."""
    from institutions.models import ReturnDraft

    ReturnDraft.objects.create(period=period, section="staffing", data={}, updated_by=staff)
    client = client_for(manager)
    url = reverse("period_action", args=[period.pk, "submit"])
    response = client.post(url, follow=True)
    period.refresh_from_db()
    assert period.status == Status.DRAFT
    assert "Unsaved drafts in: Staffing and outreach." in response.content.decode()
    ReturnDraft.objects.all().delete()
    client.post(url)
    period.refresh_from_db()
    assert period.status == Status.SUBMITTED


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_forged_submit_by_a_user_without_the_right_is_forbidden(client_for, request, role, period):
    response = client_for(request.getfixturevalue(role)).post(
        reverse("period_action", args=[period.pk, "submit"])
    )

    assert response.status_code == 403
    period.refresh_from_db()
    assert period.status == Status.DRAFT
    assert not PeriodTransition.objects.exists()


def test_forged_approve_by_a_manager_is_forbidden(client_for, manager, period):
    period.status = Status.SUBMITTED
    period.save()

    response = client_for(manager).post(reverse("period_action", args=[period.pk, "approve"]))

    assert response.status_code == 403
    period.refresh_from_db()
    assert period.status == Status.SUBMITTED


def test_unknown_action_is_not_found(client_for, analyst, period):
    response = client_for(analyst).post(reverse("period_action", args=[period.pk, "delete"]))

    assert response.status_code == 404


def test_actions_accept_only_post(client_for, manager, period):
    response = client_for(manager).get(reverse("period_action", args=[period.pk, "submit"]))

    assert response.status_code == 405


@pytest.fixture
def submitted_period(institution):
    return ReportingPeriodFactory(
        institution=institution, year=2024, quarter=2, status=Status.SUBMITTED
    )


def test_analyst_sees_approve_and_return_on_a_submitted_quarter(
    client_for, analyst, submitted_period
):
    response = client_for(analyst).get(reverse("period_detail", args=[submitted_period.pk]))

    assert [action.name for action in response.context["actions"]] == ["approve", "return"]


def test_return_without_a_reason_shows_an_error_and_changes_nothing(
    client_for, analyst, submitted_period
):
    response = client_for(analyst).post(
        reverse("period_action", args=[submitted_period.pk, "return"]), {"reason": "  "}
    )

    assert response.status_code == 302
    assert _messages(response) == ["Say why the quarter is returned."]
    submitted_period.refresh_from_db()
    assert submitted_period.status == Status.SUBMITTED
    assert not PeriodTransition.objects.exists()


def test_return_with_a_reason_returns_the_quarter(client_for, analyst, submitted_period):
    client = client_for(analyst)
    response = client.post(
        reverse("period_action", args=[submitted_period.pk, "return"]),
        {"reason": "Total assets do not match the audited accounts."},
    )

    assert response.status_code == 302
    submitted_period.refresh_from_db()
    assert submitted_period.status == Status.RETURNED
    assert submitted_period.return_reason == "Total assets do not match the audited accounts."
    page = client.get(reverse("period_detail", args=[submitted_period.pk])).content.decode()
    assert "Total assets do not match the audited accounts." in page


def test_analyst_approves_then_locks(client_for, analyst, submitted_period):
    client = client_for(analyst)

    client.post(reverse("period_action", args=[submitted_period.pk, "approve"]))
    submitted_period.refresh_from_db()
    assert submitted_period.status == Status.APPROVED

    page = client.get(reverse("period_detail", args=[submitted_period.pk]))
    assert [action.name for action in page.context["actions"]] == ["lock", "reopen"]

    response = client.post(reverse("period_action", args=[submitted_period.pk, "lock"]))
    assert _messages(response) == ["The quarter was locked."]
    submitted_period.refresh_from_db()
    assert submitted_period.status == Status.LOCKED
    steps = list(submitted_period.transitions.values_list("from_status", "to_status"))
    assert steps == [(Status.SUBMITTED, Status.APPROVED), (Status.APPROVED, Status.LOCKED)]


def test_analyst_reopens_an_approved_quarter_with_a_reason(client_for, analyst, institution):
    period = ReportingPeriodFactory(institution=institution, status=Status.APPROVED)
    client = client_for(analyst)

    client.post(reverse("period_action", args=[period.pk, "reopen"]), {"reason": ""})
    period.refresh_from_db()
    assert period.status == Status.APPROVED

    client.post(reverse("period_action", args=[period.pk, "reopen"]), {"reason": "Typo in Q2."})
    period.refresh_from_db()
    assert period.status == Status.RETURNED
    assert period.return_reason == "Typo in Q2."


def test_refused_transition_is_a_message(client_for, analyst, period):
    response = client_for(analyst).post(reverse("period_action", args=[period.pk, "approve"]))

    assert response.status_code == 302
    assert len(_messages(response)) == 1
    period.refresh_from_db()
    assert period.status == Status.DRAFT


@pytest.mark.parametrize("role", ["analyst", "manager", "auditor", "staff"])
def test_locked_quarter_is_read_only_for_everybody(client_for, request, role, institution):
    period = ReportingPeriodFactory(institution=institution, status=Status.LOCKED)

    response = client_for(request.getfixturevalue(role)).get(
        reverse("period_detail", args=[period.pk])
    )

    assert response.context["actions"] == []
    html = response.content.decode()
    assert "Read-only." in html
    assert 'class="action-form"' not in html


def test_timeline_shows_who_when_and_why(client_for, analyst, manager, period):
    client_for(manager).post(reverse("period_action", args=[period.pk, "submit"]))
    client_for(analyst).post(
        reverse("period_action", args=[period.pk, "return"]), {"reason": "Missing staffing."}
    )

    response = client_for(analyst).get(reverse("period_detail", args=[period.pk]))

    assert len(response.context["timeline"]) == 2
    html = response.content.decode()
    assert "Missing staffing." in html
    assert manager.get_full_name() in html


# --- Contracts ----------------------------------------------------------------------------


def test_contract_list_filters_by_type_branch_and_status(client_for, analyst, institution):
    north = BranchFactory(institution=institution)
    south = BranchFactory(institution=institution)
    FinancingContractFactory(institution=institution, branch=north, external_id="C1")
    FinancingContractFactory(
        institution=institution,
        branch=south,
        external_id="C2",
        contract_type=ContractType.IJARA,
    )
    FinancingContractFactory(
        institution=institution,
        branch=south,
        external_id="C3",
        status=FinancingContract.Status.REPAID,
    )
    client = client_for(analyst)
    url = reverse("contract_list", args=[institution.code])

    def numbers(**params):
        return [c.external_id for c in client.get(url, params).context["page_obj"]]

    # Newest first (same disbursement date here: the last entered first).
    assert numbers() == ["C3", "C2", "C1"]
    assert numbers(contract_type="ijara") == ["C2"]
    assert numbers(branch=str(south.pk)) == ["C3", "C2"]
    assert numbers(status="repaid") == ["C3"]
    assert numbers(branch=str(north.pk), status="repaid") == []


def test_contract_list_ignores_a_branch_of_another_institution(
    client_for, analyst, institution, other_contract, contract
):
    response = client_for(analyst).get(
        reverse("contract_list", args=[institution.code]), {"branch": other_contract.branch_id}
    )

    assert response.status_code == 200
    assert not response.context["form"].is_valid()
    assert other_contract not in list(response.context["page_obj"])


def test_contract_list_is_paginated_by_fifty(client_for, analyst, institution):
    branch = BranchFactory(institution=institution)
    FinancingContractFactory.create_batch(51, institution=institution, branch=branch)
    client = client_for(analyst)
    url = reverse("contract_list", args=[institution.code])

    first = client.get(url)
    second = client.get(url, {"page": 2})

    assert len(first.context["page_obj"]) == 50
    assert len(second.context["page_obj"]) == 1
    assert "page=2" in first.content.decode()


def test_contract_list_queries_are_bounded(
    client_for, analyst, institution, django_assert_max_num_queries
):
    branches = BranchFactory.create_batch(3, institution=institution)
    for index in range(30):
        FinancingContractFactory(institution=institution, branch=branches[index % 3])
    client = client_for(analyst)

    # session, user, institution, branches for the filter, count, one page of contracts.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("contract_list", args=[institution.code]))
    assert len(response.context["page_obj"]) == 30


def test_contract_page_shows_schedule_repayments_restructuring_and_write_off(
    client_for, staff, institution
):
    contract = WriteOffFactory(contract__institution=institution).contract
    first = InstalmentFactory(contract=contract, number=1, principal_due=Decimal("5000.00"))
    InstalmentFactory(contract=contract, number=2, principal_due=Decimal("5000.00"))
    RepaymentFactory(contract=contract, instalment=first, external_id="PAY-77")
    RestructuringFactory(contract=contract, reason="Drought in the region.")

    response = client_for(staff).get(reverse("contract_detail", args=[contract.pk]))

    assert response.status_code == 200
    assert response.context["instalment_totals"]["principal_due"] == Decimal("10000.00")
    html = response.content.decode()
    assert "PAY-77" in html
    assert "Drought in the region." in html
    assert "More than 360 days late." in html
    assert "11,000.00" in html  # murabaha sale price, shown with the terms


def test_contract_page_shows_terms_of_other_types(client_for, analyst, institution):
    contract = FinancingContractFactory(
        institution=institution,
        contract_type=ContractType.MUSHARAKA,
        institution_loss_share=Decimal("62.5"),
    )

    html = client_for(analyst).get(reverse("contract_detail", args=[contract.pk])).content.decode()

    assert "Institution&#x27;s profit share (%)" in html
    assert ">40<" in html
    assert "Institution&#x27;s loss share (%)" in html
    assert ">62.5<" in html


def test_admin_contract_form_runs_the_contract_rules(administrator, client_for) -> None:
    """The admin is an entry path too: a blocking rule rejects the save with its message."""
    from institutions import contract_rules
    from tests.factories import FinancingContractFactory

    contract = FinancingContractFactory()

    def never_on_tuesday(candidate):
        if candidate.purpose == "forbidden":
            return [contract_rules.ContractViolation("T1", "purpose", "Not this purpose.", True)]
        return []

    contract_rules.register_rule(never_on_tuesday)
    try:
        browser = client_for(administrator)
        url = f"/admin/institutions/financingcontract/{contract.pk}/change/"
        page = browser.get(url)
        form = page.context["adminform"].form
        data = {
            name: (value.pk if hasattr(value, "pk") else ("" if value is None else value))
            for name, value in form.initial.items()
            if name in form.fields
        }
        data.update(
            {
                "purpose": "forbidden",
                "instalments-TOTAL_FORMS": "0",
                "instalments-INITIAL_FORMS": "0",
            }
        )
        response = browser.post(url, data)
        assert response.status_code == 200  # the form comes back with the error
        assert "Not this purpose." in response.content.decode()
        contract.refresh_from_db()
        assert contract.purpose != "forbidden"
    finally:
        contract_rules._rules.remove(never_on_tuesday)
