"""The import pages: permissions, preview that saves nothing, errors by row and column in the
user's language, all-or-nothing confirmation, re-import as update, locked quarters, Shariah
blocking rules, repayments and statements."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from institutions.models import (
    FinancialStatement,
    FinancingContract,
    Instalment,
    Repayment,
    ReportingPeriod,
    ReturnDraft,
)
from partners import imports
from tests.factories import (
    BranchFactory,
    ClientFactory,
    FinancingProductFactory,
    ReportingPeriodFactory,
)

pytestmark = pytest.mark.django_db

CONTRACT_COLUMNS = [
    "external_id",
    "branch",
    "client",
    "product",
    "contract_date",
    "disbursement_date",
    "maturity_date",
    "financed_amount",
    "profit_amount",
    "sale_price",
    "purpose",
    "ownership_date",
    "instalment_number",
    "instalment_due_date",
    "instalment_principal_due",
    "instalment_profit_due",
]


def contract_lines(external_id: str = "K1", client: str = "C1", **changes: object) -> list[list]:
    """The two rows (one per instalment) of a valid murabaha, in ``CONTRACT_COLUMNS`` order."""
    values = {
        "external_id": external_id,
        "branch": "B1",
        "client": client,
        "product": "MUR",
        "contract_date": "10/01/2024",
        "disbursement_date": "10/01/2024",
        "maturity_date": "10/12/2024",
        "financed_amount": "10 000,00",
        "profit_amount": "1 000,00",
        "sale_price": "11 000,00",
        "purpose": "Sewing machine",
        "ownership_date": None,
        **changes,
    }
    common = [values[name] for name in CONTRACT_COLUMNS[:12]]
    return [
        [*common, 1, "10/06/2024", "5 000,00", "500,00"],
        [external_id, *[None] * 11, 2, "10/12/2024", "5 000,00", "500,00"],
    ]


def workbook(kind: str, names: list[str], rows: list[list], *, language: str = "fr") -> bytes:
    layout = imports.layout_for(kind)
    with translation.override(language):
        header = [layout.column(name).header() for name in names]  # type: ignore[union-attr]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def contracts_file(*contracts: list[list], language: str = "fr") -> bytes:
    return workbook(
        "contracts",
        CONTRACT_COLUMNS,
        [row for lines in contracts for row in lines],
        language=language,
    )


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def references(institution):
    branch = BranchFactory(institution=institution, code="B1")
    ClientFactory(institution=institution, branch=branch, external_id="C1")
    ClientFactory(institution=institution, branch=branch, external_id="C2")
    FinancingProductFactory(institution=institution, code="MUR", contract_type="murabaha")
    return branch


@pytest.fixture
def period(institution) -> ReportingPeriod:
    return ReportingPeriodFactory(institution=institution, year=2024, quarter=4)


def upload(
    client, period, data: bytes, *, kind: str = "contracts", name: str = "f.xlsx", language="fr"
):
    return client.post(
        f"/periods/{period.pk}/import/",
        {"kind": kind, "file": SimpleUploadedFile(name, data)},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def confirm(client, period, response, language="fr"):
    token = response.context["token"]
    assert token, [str(problem.message) for problem in response.context["problems"]]
    return client.post(
        f"/periods/{period.pk}/import/{token}/confirm/", HTTP_ACCEPT_LANGUAGE=language
    )


def problems_of(response) -> list[tuple[int | None, str, str]]:
    return [
        (problem.row, problem.column.name if problem.column else "", problem.message)
        for problem in response.context["problems"]
    ]


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("staff", 200), ("manager", 200), ("auditor", 403), ("analyst", 403), ("other_staff", 404)],
)
def test_who_may_open_the_import_page(client_for, request, period, role, status) -> None:
    user = request.getfixturevalue(role)
    client = client_for(user)
    assert client.get(f"/periods/{period.pk}/import/").status_code == status
    template = client.get(f"/periods/{period.pk}/import/template/contracts.xlsx")
    assert template.status_code == status
    posted = upload(client, period, contracts_file(contract_lines()))
    assert posted.status_code == status
    assert FinancingContract.objects.count() == 0


def test_anonymous_users_are_sent_to_log_in(client, period) -> None:
    response = client.get(f"/periods/{period.pk}/import/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_another_institutions_preview_token_is_a_404(
    client_for, staff, other_staff, other_institution, references, period
) -> None:
    preview = upload(client_for(staff), period, contracts_file(contract_lines()))
    token = preview.context["token"]
    other_period = ReportingPeriodFactory(institution=other_institution)
    response = client_for(other_staff).post(f"/periods/{other_period.pk}/import/{token}/confirm/")
    assert response.status_code == 404
    # Nor does the right user reach it through another quarter of the institution.
    second = ReportingPeriodFactory(institution=period.institution, year=2025, quarter=1)
    response = client_for(staff).post(f"/periods/{second.pk}/import/{token}/confirm/")
    assert response.status_code == 404
    assert FinancingContract.objects.count() == 0


# --- Templates ------------------------------------------------------------------------------


def test_templates_are_in_the_users_language(client_for, staff, period) -> None:
    client = client_for(staff)
    response = client.get(
        f"/periods/{period.pk}/import/template/contracts.xlsx", HTTP_ACCEPT_LANGUAGE="ar"
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet, help_sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets
    assert sheet.sheet_view.rightToLeft
    assert sheet["A1"].value == "رقم العقد *"
    # The second sheet explains each column; amounts are in the institution's currency.
    described = {row[-1].value: row[2].value for row in help_sheet.iter_rows(min_row=2)}
    assert "MAD" in described["financed_amount"]
    csv_response = client.get(
        f"/periods/{period.pk}/import/template/repayments.csv", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert csv_response.content.decode("utf-8-sig").startswith("Numéro de contrat *;")
    assert client.get(f"/periods/{period.pk}/import/template/other.xlsx").status_code == 404
    assert client.get(f"/periods/{period.pk}/import/template/contracts.pdf").status_code == 404


# --- Preview and confirmation ---------------------------------------------------------------


def test_preview_saves_nothing_and_confirm_applies(client_for, staff, references, period) -> None:
    client = client_for(staff)
    data = contracts_file(contract_lines("K1"), contract_lines("K2", client="C2"))
    before = (FinancingContract.objects.count(), Instalment.objects.count())
    preview = upload(client, period, data)
    assert preview.status_code == 200
    assert problems_of(preview) == []
    assert (FinancingContract.objects.count(), Instalment.objects.count()) == before == (0, 0)
    summary = dict((str(label), value) for label, value, _money in preview.context["summary"])
    assert list(summary.values())[:5] == [
        4,
        2,
        2,
        0,
        4,
    ]  # rows, contracts, new, updated, instalments
    response = confirm(client, period, preview)
    assert response.status_code == 302
    assert response["Location"] == f"/institutions/{period.institution.code}/contracts/"
    assert FinancingContract.objects.count() == 2
    assert Instalment.objects.count() == 4
    contract = FinancingContract.objects.get(external_id="K1")
    assert contract.financed_amount == Decimal("10000.00")
    assert contract.contract_type == "murabaha"
    # The preview file is gone: confirming twice is a 404.
    token = preview.context["token"]
    assert client.post(f"/periods/{period.pk}/import/{token}/confirm/").status_code == 404


def test_reimport_updates_instead_of_duplicating(client_for, staff, references, period) -> None:
    client = client_for(staff)
    confirm(client, period, upload(client, period, contracts_file(contract_lines("K1"))))
    changed = contracts_file(contract_lines("K1", purpose="Tractor"))
    preview = upload(client, period, changed)
    summary = {str(label): value for label, value, _money in preview.context["summary"]}
    with translation.override(preview.wsgi_request.LANGUAGE_CODE):  # the page's language
        assert summary[translation.gettext("New contracts")] == 0
        assert summary[translation.gettext("Contracts updated")] == 1
    confirm(client, period, preview)
    assert FinancingContract.objects.count() == 1
    assert FinancingContract.objects.get().purpose == "Tractor"
    assert Instalment.objects.count() == 2


def test_confirm_is_all_or_nothing_and_validates_again(
    client_for, staff, references, period
) -> None:
    client = client_for(staff)
    preview = upload(
        client, period, contracts_file(contract_lines("K1"), contract_lines("K2", client="C2"))
    )
    # Between preview and confirmation, the second contract's client disappears.
    from institutions.models import Client

    Client.objects.filter(external_id="C2").delete()
    response = confirm(client, period, preview)
    assert response.status_code == 409
    assert FinancingContract.objects.count() == 0
    assert Instalment.objects.count() == 0
    assert [(row, column) for row, column, _m in problems_of(response)] == [(4, "client")]


def test_errors_by_row_and_column_in_arabic(client_for, staff, references, period) -> None:
    client = client_for(staff)
    bad = contract_lines("K2", maturity_date="01/01/2024")  # before the disbursement
    bad[1][13] = "31/02/2024"  # no such day
    data = contracts_file(contract_lines("K1"), bad, language="ar")
    response = upload(client, period, data, language="ar")
    assert response.status_code == 200
    assert response.context["token"] is None
    found = {(row, column) for row, column, _message in problems_of(response)}
    assert found == {(4, "maturity_date"), (5, "instalment_due_date")}
    html = response.content.decode()
    assert 'dir="rtl"' in html
    assert "تاريخ الاستحقاق النهائي" in html  # the column, in Arabic
    assert "لا يمكن أن يسبق تاريخ الاستحقاق النهائي تاريخ الصرف." in html  # the message
    assert '<span class="import-letter">G</span>' in html
    assert FinancingContract.objects.count() == 0


def test_errors_by_row_and_column_in_french(client_for, staff, references, period) -> None:
    client = client_for(staff)
    missing_client = contract_lines("K2", client=None)
    response = upload(
        client, period, contracts_file(contract_lines("K1"), missing_client, language="en")
    )
    assert [(row, column) for row, column, _m in problems_of(response)] == [(4, "client")]
    html = response.content.decode()
    assert 'lang="fr"' in html
    assert "Ce champ est obligatoire." in html
    assert "Numéro de client" in html
    assert FinancingContract.objects.count() == 0


def test_unknown_column_is_shown_and_nothing_saved(client_for, staff, references, period) -> None:
    book = openpyxl.load_workbook(io.BytesIO(contracts_file(contract_lines("K1"))))
    book.active.cell(row=1, column=17, value="Couleur")
    output = io.BytesIO()
    book.save(output)
    response = upload(client_for(staff), period, output.getvalue())
    ((row, column, message),) = problems_of(response)
    assert (row, column) == (1, "")
    assert "Couleur" in message
    assert "Couleur" in response.content.decode()


def test_shariah_blocking_rule_shows_on_its_row_and_column(
    client_for, staff, references, period
) -> None:
    client = client_for(staff)
    sold_before_owned = contract_lines("K2", ownership_date="20/01/2024")
    response = upload(client, period, contracts_file(contract_lines("K1"), sold_before_owned))
    problems = problems_of(response)
    assert [(row, column) for row, column, _m in problems] == [(4, "ownership_date")]
    assert "MUR-OWNERSHIP" in [problem.code for problem in response.context["problems"]]
    assert response.context["problems"][0].letter == "L"
    assert FinancingContract.objects.count() == 0


@pytest.mark.parametrize("status", ["submitted", "approved", "locked"])
def test_a_quarter_that_cannot_change_refuses_imports(
    client_for, staff, references, institution, status
) -> None:
    period = ReportingPeriodFactory(institution=institution, status=status)
    client = client_for(staff)
    page = client.get(f"/periods/{period.pk}/import/")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' not in page.content.decode()
    response = upload(client, period, contracts_file(contract_lines("K1")))
    assert response.status_code == 409
    assert FinancingContract.objects.count() == 0


def test_a_quarter_locked_between_preview_and_confirm_refuses(
    client_for, staff, references, period
) -> None:
    client = client_for(staff)
    preview = upload(client, period, contracts_file(contract_lines("K1")))
    ReportingPeriod.objects.filter(pk=period.pk).update(status="submitted")
    response = confirm(client, period, preview)
    assert response.status_code == 302
    assert FinancingContract.objects.count() == 0


def test_too_large_file_is_refused_with_a_message(client_for, staff, period, monkeypatch) -> None:
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 100)
    response = upload(client_for(staff), period, b"x" * 200, name="f.csv", language="en")
    assert response.status_code == 400
    assert "The file is too large" in response.content.decode()


def test_csv_upload_with_english_headers(client_for, staff, references, period) -> None:
    layout = imports.layout_for("contracts")
    with translation.override("en"):
        header = [layout.column(name).header() for name in CONTRACT_COLUMNS]  # type: ignore[union-attr]
    lines = [";".join(header)]
    for row in contract_lines("K1"):
        lines.append(";".join("" if value is None else str(value) for value in row))
    client = client_for(staff)
    preview = upload(client, period, "\n".join(lines).encode(), name="contracts.csv")
    assert problems_of(preview) == []
    confirm(client, period, preview)
    assert FinancingContract.objects.get().instalments.count() == 2


# --- Repayments and statements --------------------------------------------------------------


def test_repayments_import_and_reimport(client_for, staff, references, period) -> None:
    client = client_for(staff)
    confirm(client, period, upload(client, period, contracts_file(contract_lines("K1"))))
    names = ["contract", "external_id", "value_date", "principal_amount", "profit_amount"]
    rows = [["K1", "P1", "10/06/2024", "5 000,00", "500,00"], ["K9", "P2", "10/06/2024", "1", "0"]]
    response = upload(client, period, workbook("repayments", names, rows), kind="repayments")
    assert [(row, column) for row, column, _m in problems_of(response)] == [(3, "contract")]
    assert Repayment.objects.count() == 0
    preview = upload(client, period, workbook("repayments", names, rows[:1]), kind="repayments")
    confirm(client, period, preview)
    assert Repayment.objects.count() == 1
    again = upload(
        client,
        period,
        workbook("repayments", names, [["K1", "P1", "11/06/2024", "5 000,00", "500,00"]]),
        kind="repayments",
    )
    confirm(client, period, again)
    assert Repayment.objects.count() == 1
    assert str(Repayment.objects.get().value_date) == "2024-06-11"
    assert Instalment.objects.get(number=1).principal_paid == Decimal("5000.00")


def statement_rows(total_assets: str = "1 000,00") -> list[list]:
    return [
        ["Cash and bank deposits", "1 000,00"],
        ["total_assets", total_assets],
        ["Total equity", "1 000,00"],
    ]


def test_statement_import_saves_the_quarters_statement(client_for, staff, period) -> None:
    client = client_for(staff)
    data = workbook("statement", ["line", "amount"], statement_rows())
    ReturnDraft.objects.create(
        period=period, section="balance_sheet", data={"cash_and_bank": "7"}, updated_by=staff
    )
    preview = upload(client, period, data, kind="statement")
    assert problems_of(preview) == []
    assert not FinancialStatement.objects.exists()
    assert ReturnDraft.objects.exists()  # the preview changes nothing
    response = confirm(client, period, preview)
    assert response.status_code == 302
    assert response["Location"] == f"/periods/{period.pk}/"
    statement = FinancialStatement.objects.get(period=period)
    assert statement.cash_and_bank == Decimal("1000.00")
    assert statement.deposits == 0
    assert not ReturnDraft.objects.filter(period=period).exists()  # they would hide the import


def test_unbalanced_statement_shows_the_error_on_the_total_assets_row(
    client_for, staff, period
) -> None:
    data = workbook("statement", ["line", "amount"], statement_rows(total_assets="5 000,00"))
    response = upload(client_for(staff), period, data, kind="statement", language="en")
    problems = problems_of(response)
    assert {(row, column) for row, column, _message in problems} == {(3, "amount")}
    # Total assets (5,000) are neither the sum of their lines (1,000) nor equal to the
    # liabilities and equity: both said, on the total's row.
    messages = " ".join(message for _row, _column, message in problems)
    assert "is not the sum of its lines (1000.00)" in messages
    assert "does not balance" in messages
    assert not FinancialStatement.objects.exists()


@pytest.mark.parametrize(
    ("role", "confirm_status", "cancel_status"),
    [
        ("staff", 404, 302),
        ("manager", 404, 302),
        ("auditor", 403, 403),
        ("analyst", 403, 403),
        ("administrator", 403, 403),
        ("other_staff", 404, 404),
    ],
)
def test_confirm_and_cancel_of_an_unknown_preview(
    client_for, request, period, role, confirm_status, cancel_status
) -> None:
    client = client_for(request.getfixturevalue(role))
    assert client.post(f"/periods/{period.pk}/import/bogus/confirm/").status_code == confirm_status
    assert client.post(f"/periods/{period.pk}/import/bogus/cancel/").status_code == cancel_status
    assert client.get(f"/periods/{period.pk}/import/bogus/confirm/").status_code == 405


def test_cancel_forgets_the_preview_and_its_file(
    client_for, staff, references, period, tmp_path
) -> None:
    client = client_for(staff)
    preview = upload(client, period, contracts_file(contract_lines("K1")))
    token = preview.context["token"]
    stored = list((tmp_path / "imports" / "preview").iterdir())
    assert [path.name for path in stored] == [f"{token}.xlsx"]
    response = client.post(f"/periods/{period.pk}/import/{token}/cancel/")
    assert response.status_code == 302
    assert not list((tmp_path / "imports" / "preview").iterdir())
    assert client.post(f"/periods/{period.pk}/import/{token}/confirm/").status_code == 404
    assert FinancingContract.objects.count() == 0


def test_statement_template_carries_the_quarters_amounts_and_imports_back(
    client_for, staff, period
) -> None:
    client = client_for(staff)
    data = workbook("statement", ["line", "amount"], statement_rows())
    confirm(client, period, upload(client, period, data, kind="statement"))
    template = client.get(
        f"/periods/{period.pk}/import/template/statement.xlsx", HTTP_ACCEPT_LANGUAGE="ar"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(template.content)).worksheets[0]
    amounts = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2)}
    assert amounts["النقدية والأرصدة لدى المصارف"] == 1000
    assert amounts["إجمالي الأصول"] == 1000
    preview = upload(client, period, template.content, kind="statement", language="ar")
    assert problems_of(preview) == []
    summary = {str(label): value for label, value, _money in preview.context["summary"]}
    assert Decimal("1000") in summary.values()


@pytest.mark.parametrize("kind", imports.KINDS)
def test_a_template_without_data_is_refused_as_empty(client_for, staff, period, kind) -> None:
    client = client_for(staff)
    template = client.get(
        f"/periods/{period.pk}/import/template/{kind}.csv", HTTP_ACCEPT_LANGUAGE="fr"
    )
    if kind == "statement":
        # The statement's template lists its lines without amounts: keep only the header.
        content = template.content.decode("utf-8-sig").splitlines()[0].encode()
    else:
        content = template.content
    response = upload(client, period, content, kind=kind, name="empty.csv")
    assert [problem.code for problem in response.context["problems"]] == ["empty"]
    assert response.context["token"] is None


def test_shariah_warnings_are_shown_in_the_preview_and_accepted(
    client_for, staff, references, institution, period
) -> None:
    FinancingProductFactory(institution=institution, code="QH", contract_type="qard_hassan")
    names = [*CONTRACT_COLUMNS[:9], "service_fee"]
    row = ["Q1", "B1", "C1", "QH", "10/01/2024", "10/01/2024", "10/12/2024", "1 000", "0", "25"]
    client = client_for(staff)
    preview = upload(client, period, workbook("contracts", names, [row]))
    assert problems_of(preview) == []
    (warning,) = preview.context["outcome"].warnings
    assert (warning.row, warning.column.name, warning.code) == (
        2,
        "declared_actual_cost",
        "QH-FEE-COST-UNDECLARED",
    )
    assert 'data-code="QH-FEE-COST-UNDECLARED"' in preview.content.decode()
    confirm(client, period, preview)
    assert FinancingContract.objects.get(external_id="Q1").service_fee == Decimal("25.00")
