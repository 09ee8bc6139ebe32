"""MFI staff, in Arabic, download the contracts template, upload it filled with an error (the
preview shows the row and column, nothing is saved), upload the corrected file, confirm, and
see the contracts."""

from __future__ import annotations

import datetime

import openpyxl
import pytest

from institutions.models import FinancingContract, Instalment
from tests.browser.session import log_in as _log_in
from tests.factories import (
    BranchFactory,
    ClientFactory,
    FinancingProductFactory,
    ReportingPeriodFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill(template: str, target: str, *, maturity: object) -> None:
    """Two murabaha contracts, the second with two instalments, into the downloaded template
    (found by its Arabic headers' positions: the template's own column order)."""
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    help_sheet = book.worksheets[1]
    # The help sheet lists every column's machine name (last column), in the data sheet's order.
    names = [row[-1].value for row in help_sheet.iter_rows(min_row=2) if row[0].value]
    position = {name: index + 1 for index, name in enumerate(names) if name}
    rows = [
        {
            "external_id": "IMP-1",
            "instalment_number": 1,
            "instalment_due_date": datetime.date(2026, 9, 10),
            "instalment_principal_due": 10000,
            "instalment_profit_due": 1000,
        },
        {
            "external_id": "IMP-2",
            "instalment_number": 1,
            "instalment_due_date": "10/08/2026",
            "instalment_principal_due": "5 000,00",
            "instalment_profit_due": "500,00",
        },
        {
            "external_id": "IMP-2",
            "instalment_number": 2,
            "instalment_due_date": "10/09/2026",
            "instalment_principal_due": "5 000,00",
            "instalment_profit_due": "500,00",
        },
    ]
    common = {
        "branch": "B1",
        "client": "C1",
        "product": "MUR",
        "contract_date": datetime.date(2026, 7, 1),
        "disbursement_date": "01/07/2026",
        "maturity_date": "10/09/2026",
        "financed_amount": 10000,
        "profit_amount": "1 000,00",
        "sale_price": "11 000,00",
    }
    if maturity is not None:
        rows[1]["maturity_date"] = maturity
    for offset, row in enumerate(rows):
        values = row if offset == 2 else {**common, **row}
        for name, value in values.items():
            sheet.cell(row=2 + offset, column=position[name], value=value)
    book.save(target)


def test_staff_imports_contracts_in_arabic(
    browser, live_server, screenshot, institution, staff, tmp_path, settings
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    period = ReportingPeriodFactory(institution=institution, year=2026, quarter=3)
    branch = BranchFactory(institution=institution, code="B1")
    ClientFactory(institution=institution, branch=branch, external_id="C1")
    FinancingProductFactory(institution=institution, code="MUR", contract_type="murabaha")

    page = _log_in(browser, live_server, staff.username, "ar")
    page.goto(f"{live_server.url}/periods/{period.pk}/import/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    screenshot(page, "import-page-ar")

    with page.expect_download() as download:
        page.click(f"a[href='/periods/{period.pk}/import/template/contracts.xlsx']")
    template = str(tmp_path / "template.xlsx")
    download.value.save_as(template)
    sheet = openpyxl.load_workbook(template).worksheets[0]
    assert sheet.sheet_view.rightToLeft
    assert sheet["A1"].value == "رقم العقد *"

    # First upload: the second contract matures before it is disbursed.
    wrong = str(tmp_path / "contracts-wrong.xlsx")
    _fill(template, wrong, maturity="01/01/2026")
    page.check("input[name=kind][value=contracts]")
    page.set_input_files("input[type=file]", wrong)
    page.click("form.import-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    errors = page.locator("table.import-errors tbody tr")
    assert errors.count() == 1
    error = errors.first
    assert error.get_attribute("data-row") == "3"
    assert error.get_attribute("data-column") == "maturity_date"
    assert "تاريخ الاستحقاق النهائي" in error.inner_text()
    assert "لا يمكن أن يسبق تاريخ الاستحقاق النهائي تاريخ الصرف." in error.inner_text()
    assert page.locator("form[action$='/confirm/']").count() == 0
    screenshot(page, "import-preview-errors-ar")
    assert FinancingContract.objects.count() == 0

    # Corrected file: the preview shows the summary, still nothing saved, then confirm.
    page.click(f"a[href^='/periods/{period.pk}/import/?kind=contracts']")
    page.wait_for_load_state("networkidle")
    right = str(tmp_path / "contracts-right.xlsx")
    _fill(template, right, maturity=None)
    page.set_input_files("input[type=file]", right)
    page.click("form.import-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("table.import-errors").count() == 0
    assert page.locator(".import-result--ok").count() == 1
    screenshot(page, "import-preview-ok-ar")
    assert FinancingContract.objects.count() == 0

    page.click("form[action$='/confirm/'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/institutions/{institution.code}/contracts/")
    assert page.locator("a", has_text="IMP-1").count() == 1
    assert page.locator("a", has_text="IMP-2").count() == 1
    assert page.locator(".message--success").count() == 1
    screenshot(page, "import-done-contracts-ar")
    assert FinancingContract.objects.count() == 2
    assert Instalment.objects.filter(contract__external_id="IMP-2").count() == 2
    page.context.close()
