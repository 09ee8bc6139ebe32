"""Late-payment amounts recognised as income are refused when a statement is saved (DECISIONS
D11), on every path that saves a statement: ``institutions.services.financial_statement_save``
(browser forms and the REST API call it), the REST API itself and the Django admin.

The Shariah app registers the rule with ``institutions.statement_rules``; the statement's
``late_payment_collected`` memo line must carry every late-payment amount the contract records
show collected in the quarter, or the difference is being treated as income.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import translation

from institutions import statement_rules
from institutions.models import FinancialStatement, Institution, ReportingPeriod
from institutions.services import financial_statement_save
from shariah.rules import statement_violations
from tests.factories import (
    FinancialStatementFactory,
    FinancingContractFactory,
    LatePaymentChargeFactory,
    ReportingPeriodFactory,
)
from users.models import User

pytestmark = pytest.mark.django_db
M = Decimal
CODE = "LATE-AS-INCOME"
FIELD = "late_payment_collected"
STATEMENT_URL = "/api/v1/financial-statements/"


@pytest.fixture
def quarter(institution: Institution) -> ReportingPeriod:
    """2025Q1 with 200.00 of late-payment amounts collected in it (and some outside it)."""
    period = ReportingPeriodFactory(institution=institution, year=2025, quarter=1)
    contract = FinancingContractFactory(institution=institution)
    for amount, collected_on in (
        ("120.00", datetime.date(2025, 1, 10)),
        ("80.00", datetime.date(2025, 3, 31)),
        ("500.00", datetime.date(2025, 4, 1)),  # next quarter
        ("70.00", None),  # charged, not collected
    ):
        LatePaymentChargeFactory(
            contract=contract,
            date=datetime.date(2024, 12, 1),
            amount=M(amount),
            collected_on=collected_on,
        )
    return period


def _balanced(**lines: Any) -> dict[str, Any]:
    data = {
        "cash_and_bank": M("100000.00"),
        "gross_financing_portfolio": M("400000.00"),
        "total_assets": M("500000.00"),
        "total_liabilities": M("300000.00"),
        "total_equity": M("200000.00"),
        "financing_income": M("30000.00"),
    }
    data.update(lines)
    return data


def test_the_rule_is_registered_with_the_institutions_extension_point() -> None:
    assert statement_violations in statement_rules._rules


# --- The service --------------------------------------------------------------------------------


@pytest.mark.parametrize("memo", [M("0.00"), M("150.00"), M("199.99")])
def test_service_refuses_a_memo_line_below_the_amounts_collected(
    memo: Decimal, quarter: ReportingPeriod, staff: User
) -> None:
    with pytest.raises(ValidationError) as error:
        financial_statement_save(
            actor=staff, period=quarter, data=_balanced(late_payment_collected=memo)
        )
    assert [e.code for e in error.value.error_dict[FIELD]] == [CODE]
    message = error.value.message_dict[FIELD][0]
    assert CODE in message  # the error names the rule's code …
    assert "200.00" in message
    assert f"{M('200.00') - memo:.2f}" in message
    assert not FinancialStatement.objects.filter(period=quarter).exists()


@pytest.mark.parametrize("memo", [M("200.00"), M("250.00")])
def test_service_accepts_a_memo_line_carrying_every_amount_collected(
    memo: Decimal, quarter: ReportingPeriod, staff: User
) -> None:
    statement = financial_statement_save(
        actor=staff, period=quarter, data=_balanced(late_payment_collected=memo)
    )
    assert statement.late_payment_collected == memo


def test_service_refuses_an_update_that_moves_the_amounts_into_income(
    quarter: ReportingPeriod, staff: User
) -> None:
    financial_statement_save(
        actor=staff, period=quarter, data=_balanced(late_payment_collected=M("200.00"))
    )
    with pytest.raises(ValidationError, match=CODE):
        financial_statement_save(
            actor=staff, period=quarter, data={"late_payment_collected": M("0.00")}
        )
    assert FinancialStatement.objects.get(period=quarter).late_payment_collected == M("200.00")


def test_a_quarter_without_collections_needs_no_memo_amount(
    institution: Institution, staff: User
) -> None:
    period = ReportingPeriodFactory(institution=institution, year=2025, quarter=2)
    statement = financial_statement_save(actor=staff, period=period, data=_balanced())
    assert statement.late_payment_collected == M("0")


def test_charges_of_another_institution_do_not_count(
    institution: Institution, other_institution: Institution, staff: User
) -> None:
    period = ReportingPeriodFactory(institution=institution, year=2025, quarter=1)
    LatePaymentChargeFactory(
        contract=FinancingContractFactory(institution=other_institution),
        amount=M("300.00"),
        collected_on=datetime.date(2025, 2, 1),
    )
    assert financial_statement_save(actor=staff, period=period, data=_balanced())


def test_the_balance_and_the_rule_are_reported_together(
    quarter: ReportingPeriod, staff: User
) -> None:
    with pytest.raises(ValidationError) as error:
        financial_statement_save(
            actor=staff, period=quarter, data=_balanced(total_assets=M("1.00"))
        )
    assert set(error.value.message_dict) == {"total_assets", FIELD}


def test_the_error_is_translated(quarter: ReportingPeriod, staff: User) -> None:
    with pytest.raises(ValidationError) as error:
        financial_statement_save(actor=staff, period=quarter, data=_balanced())
    (item,) = error.value.error_dict[FIELD]
    with translation.override("en"):
        english = str(item.message)
    assert english.startswith(f"Late-payment amounts recognised as income ({CODE}):")
    assert "go to charity" in english
    for language in ("fr", "ar"):
        with translation.override(language):
            assert CODE in str(item.message)


# --- The REST API -------------------------------------------------------------------------------


def _payload(period: ReportingPeriod, **lines: Any) -> dict[str, Any]:
    return {"period": period.pk, **{k: str(v) for k, v in _balanced(**lines).items()}}


def test_api_post_refuses_then_accepts(api, token, quarter: ReportingPeriod) -> None:
    client = api(token)
    response = client.post(STATEMENT_URL, _payload(quarter), format="json")
    assert response.status_code == 400, response.json()
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == (FIELD, CODE)
    assert CODE in error["message"]
    assert not FinancialStatement.objects.exists()

    response = client.post(
        STATEMENT_URL, _payload(quarter, late_payment_collected="200.00"), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()[FIELD] == "200.00"


def test_api_put_refuses_then_accepts(api, token, quarter: ReportingPeriod) -> None:
    statement = FinancialStatementFactory(period=quarter, late_payment_collected=M("200.00"))
    client = api(token)
    url = f"{STATEMENT_URL}{statement.pk}/"
    response = client.put(url, {"late_payment_collected": "120.00"}, format="json")
    assert response.status_code == 400, response.json()
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == (FIELD, CODE)
    statement.refresh_from_db()
    assert statement.late_payment_collected == M("200.00")

    response = client.put(url, {"late_payment_collected": "210.00"}, format="json")
    assert response.status_code == 200, response.json()
    statement.refresh_from_db()
    assert statement.late_payment_collected == M("210.00")


# --- The admin ----------------------------------------------------------------------------------


def _form_data(statement: FinancialStatement, **changes: Any) -> dict[str, Any]:
    data = {
        key: ("" if value is None else value)
        for key, value in model_to_dict(statement).items()
        if key != "id"
    }
    data.update(changes)
    return data


def test_admin_refuses_then_accepts(
    quarter: ReportingPeriod, administrator: User, client_for: Callable[[User], Client]
) -> None:
    statement = FinancialStatementFactory(period=quarter, late_payment_collected=M("200.00"))
    browser = client_for(administrator)
    url = reverse("admin:institutions_financialstatement_change", args=[statement.pk])
    page = browser.post(url, _form_data(statement, late_payment_collected="50.00"))
    assert page.status_code == 200
    assert CODE in page.content.decode()
    assert page.context["adminform"].form.errors[FIELD]
    statement.refresh_from_db()
    assert statement.late_payment_collected == M("200.00")

    page = browser.post(url, _form_data(statement, late_payment_collected="200.00"))
    assert page.status_code == 302, page.context["adminform"].form.errors
    statement.refresh_from_db()
    assert statement.late_payment_collected == M("200.00")


def test_admin_add_form_runs_the_rule(
    quarter: ReportingPeriod, administrator: User, client_for: Callable[[User], Client]
) -> None:
    template = FinancialStatementFactory.build(period=quarter)
    browser = client_for(administrator)
    url = reverse("admin:institutions_financialstatement_add")
    page = browser.post(url, _form_data(template, late_payment_collected="0.00"))
    assert page.status_code == 200
    assert CODE in page.content.decode()
    assert not FinancialStatement.objects.exists()
    page = browser.post(url, _form_data(template, late_payment_collected="200.00"))
    assert page.status_code == 302, page.context["adminform"].form.errors
    assert FinancialStatement.objects.get().late_payment_collected == M("200.00")


# --- The browser return form -------------------------------------------------------------------


@pytest.mark.parametrize(("memo", "accepted"), [("150,00", False), ("200,00", True)])
def test_the_income_statement_form_refuses_late_payments_booked_as_income(
    quarter: ReportingPeriod, staff: User, client_for: Any, memo: str, accepted: bool
) -> None:
    """Through the quarterly-return page (French numbers): below the 200.00 collected, the error
    sits on the memo line with the rule's code and nothing is saved; at 200.00 it saves."""
    browser = client_for(staff)
    browser.cookies["django_language"] = "fr"
    response = browser.post(
        f"/periods/{quarter.pk}/data/income_statement/",
        {"financing_income": "30 000,00", FIELD: memo},
    )
    if accepted:
        assert response.status_code == 302
        assert FinancialStatement.objects.get(period=quarter).late_payment_collected == M("200.00")
        return
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert [error.code for error in errors[FIELD]] == [CODE]
    assert CODE in response.content.decode()
    assert not FinancialStatement.objects.filter(period=quarter).exists()


# --- The statement file import -----------------------------------------------------------------


@pytest.mark.parametrize(("memo", "accepted"), [("150,00", False), ("200,00", True)])
def test_a_statement_file_with_late_payments_booked_as_income_is_refused(
    quarter: ReportingPeriod, staff: User, client_for: Any, memo: str, accepted: bool
) -> None:
    """A statements CSV (line, amount) on the quarter's import page: the preview shows the rule
    on the memo line's row, and nothing is saved; at 200.00 the file can be confirmed."""
    lines = [
        "line,amount",
        '"cash_and_bank","100000,00"',
        '"gross_financing_portfolio","400000,00"',
        '"total_assets","500000,00"',
        '"total_liabilities","300000,00"',
        '"total_equity","200000,00"',
        f'"{FIELD}","{memo}"',
    ]
    upload = SimpleUploadedFile("statement.csv", ("\n".join(lines) + "\n").encode())
    response = client_for(staff).post(
        f"/periods/{quarter.pk}/import/",
        {"kind": "statement", "file": upload},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 200
    problems = response.context["problems"]
    if accepted:
        assert problems == []
        assert response.context["token"]
    else:
        assert [(problem.row, problem.code) for problem in problems] == [(7, CODE)]
        assert CODE in str(problems[0].message)
    assert not FinancialStatement.objects.filter(period=quarter).exists()
