"""The whole quarter, as the people who do it see it, in a real browser (issue 6):

1. an MFI staff member logs in in Arabic, enters the balance sheet, is told it does not balance,
   fixes it and saves; enters the income statement;
2. imports a contracts file with an error (shown by row and column, nothing saved), then the
   corrected file, and confirms it;
3. the MFI manager submits the quarter;
4. an analyst (in French) reviews it and returns it with a comment on the balance sheet;
5. the staff member sees the comment, corrects the figure; the manager submits again;
6. the analyst approves it;
7. an auditor (in English) reads the approved quarter: read-only, with its whole timeline.

Every Arabic page on the way is right to left and shows no untranslated text.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from institutions.models import FinancialStatement, FinancingContract, PeriodTransition
from tests.browser.i18n import untranslated_texts
from tests.browser.session import log_in
from tests.factories import (
    BranchFactory,
    ClientFactory,
    FinancingProductFactory,
    ReportingPeriodFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NNBSP = "\u202f"

BALANCE_SHEET = {
    "cash_and_bank": "150 000,00",
    "short_term_investments": "50 000",
    "gross_financing_portfolio": "800 000,00",
    "impairment_allowance": "20 000",
    "other_assets": "60 000",
    "third_party_financing": "500 000",
    "third_party_financing_short_term": "100 000",
    "other_liabilities": "50 000",
    "mudaraba_funds": "100 000",
    "total_equity": "389 000",  # one thousand short: the sheet does not balance
}
INCOME_STATEMENT = {"financing_income": "120 000,00", "personnel_expense": "45 000,00"}


class Journey:
    """Logs people in and out and checks every Arabic page it passes through."""

    def __init__(self, browser, live_server, screenshot, allowed):  # type: ignore[no-untyped-def]
        self.browser = browser
        self.live_server = live_server
        self.url = live_server.url
        self.screenshot = screenshot
        self.allowed = allowed
        self.page = None
        self.checked: list[str] = []

    def log_in(self, username: str, language: str, width: int = 1280):  # type: ignore[no-untyped-def]
        if self.page is not None:
            self.page.context.close()
        self.language = language
        self.page = log_in(self.browser, self.live_server, username, language, width)
        self.check()
        return self.page

    def go(self, path: str) -> None:
        response = self.page.goto(self.url + path)
        assert response is not None, path
        assert response.status == 200, (path, response.status)
        self.check()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        self.check()

    def check(self) -> None:
        """Arabic pages read right to left and have no English left in them."""
        html = self.page.locator("html")
        assert html.get_attribute("lang") == self.language
        if self.language != "ar":
            return
        assert html.get_attribute("dir") == "rtl"
        leftovers = untranslated_texts(self.page, allowed=self.allowed)
        assert not leftovers, (self.page.url, leftovers)
        self.checked.append(self.page.url)

    def submit(self, form_selector: str) -> None:
        self.page.locator(form_selector).locator("button[type=submit]").first.click()
        self.settle()


def test_a_quarter_from_entry_to_approval(  # noqa: PLR0915 - one story, told in order
    browser, live_server, screenshot, tmp_path, settings,
    institution, staff, manager, analyst, auditor,
) -> None:  # fmt: skip
    settings.MEDIA_ROOT = str(tmp_path / "media")
    period = ReportingPeriodFactory(institution=institution, year=2026, quarter=3)
    branch = BranchFactory(institution=institution, code="CASA", name="الدار البيضاء")
    client = ClientFactory(institution=institution, branch=branch, external_id="CL-1")
    product = FinancingProductFactory(
        institution=institution, code="MUR", name="مرابحة", contract_type="murabaha"
    )
    allowed = {
        institution.name,
        institution.code,
        branch.name,
        product.name,
        "CASA",
        "CL-1",
        "MUR",
        "La trésorerie ne correspond pas au relevé bancaire.",
        "Merci de corriger le bilan.",
        "contracts-wrong.csv",
        "contracts-right.csv",
    }
    for user in (staff, manager, analyst, auditor):
        allowed |= {user.username, user.get_full_name()}
    journey = Journey(browser, live_server, screenshot, allowed)

    # 1. Staff, in Arabic: the due quarter is on the home page.
    page = journey.log_in(staff.username, "ar")
    page.click(f"a[href='/periods/{period.pk}/']")
    journey.settle()
    page.click(f"a[href='/periods/{period.pk}/data/balance_sheet/']")
    journey.settle()
    for name, text in BALANCE_SHEET.items():
        page.fill(f"#id_{name}", text)
    with page.expect_navigation():  # after any autosave in flight
        page.click(".return-form__actions button[type=submit]")
    journey.settle()
    assert page.locator("#error-summary").is_visible()
    assert not FinancialStatement.objects.filter(period=period).exists()
    screenshot(page, "journey-1-unbalanced-ar")
    page.fill("#id_total_equity", "390 000,00")
    with page.expect_navigation():  # after any autosave in flight
        page.click(".return-form__actions button[type=submit]")
    journey.settle()
    assert not page.locator("#error-summary").count()
    assert FinancialStatement.objects.get(period=period).total_equity == Decimal("390000.00")
    journey.go(f"/periods/{period.pk}/data/income_statement/")
    for name, text in INCOME_STATEMENT.items():
        page.fill(f"#id_{name}", text)
    with page.expect_navigation():  # after any autosave in flight
        page.click(".return-form__actions button[type=submit]")
    journey.settle()
    assert not page.locator("#error-summary").count()
    assert FinancialStatement.objects.get(period=period).financing_income == Decimal("120000.00")

    # 2. Import a contracts file: first with an error, then corrected.
    _import_contracts(journey, period, tmp_path, client=client)

    # 3. The manager submits.
    page = journey.log_in(manager.username, "ar")
    journey.go(f"/periods/{period.pk}/")
    journey.submit(f"form[action='/periods/{period.pk}/submit/']")
    period.refresh_from_db()
    assert period.status == "submitted"
    screenshot(page, "journey-3-submitted-ar")

    # 4. The analyst, in French, returns it with a comment on the balance sheet.
    page = journey.log_in(analyst.username, "fr")
    journey.go(f"/periods/{period.pk}/")
    assert page.locator("#findings-title").is_visible()
    page.fill("#reason-return", "Merci de corriger le bilan.")
    page.click(".section-comments summary")
    page.fill("#comment-balance_sheet", "La trésorerie ne correspond pas au relevé bancaire.")
    journey.submit(f"form[action='/periods/{period.pk}/return/']")
    period.refresh_from_db()
    assert period.status == "returned"
    screenshot(page, "journey-4-returned-fr")

    # 5. Staff see the comment on the balance sheet, correct it; the manager submits again.
    page = journey.log_in(staff.username, "ar")
    assert page.locator(f"a[href='/periods/{period.pk}/']").count() >= 1  # "returned" on home
    journey.go(f"/periods/{period.pk}/data/balance_sheet/")
    assert "La trésorerie" in page.locator(".review-comments").inner_text()
    page.fill("#id_cash_and_bank", "140 000,00")
    page.fill("#id_total_equity", "380 000,00")
    with page.expect_navigation():  # after any autosave in flight
        page.click(".return-form__actions button[type=submit]")
    journey.settle()
    assert not page.locator("#error-summary").count()
    assert FinancialStatement.objects.get(period=period).cash_and_bank == Decimal("140000.00")
    page = journey.log_in(manager.username, "ar")
    journey.go(f"/periods/{period.pk}/")
    journey.submit(f"form[action='/periods/{period.pk}/submit/']")
    period.refresh_from_db()
    assert period.status == "submitted"

    # 6. The analyst approves.
    page = journey.log_in(analyst.username, "fr")
    journey.go(f"/periods/{period.pk}/")
    journey.submit(f"form[action='/periods/{period.pk}/approve/']")
    period.refresh_from_db()
    assert period.status == "approved"

    # 7. The auditor reads it, in English: read-only, the whole timeline.
    page = journey.log_in(auditor.username, "en")
    journey.go(f"/periods/{period.pk}/")
    assert page.locator("form.action-form").count() == 0
    steps = list(
        PeriodTransition.objects.filter(period=period)
        .order_by("created_at", "pk")
        .values_list("to_status", flat=True)
    )
    assert steps == ["submitted", "returned", "submitted", "approved"]
    timeline = page.locator("#timeline-title").locator("xpath=..").inner_text()
    assert "Merci de corriger le bilan." in timeline
    journey.go(f"/periods/{period.pk}/data/balance_sheet/")
    assert page.locator("input.number-input").count() == 0
    journey.go(f"/periods/{period.pk}/indicators/")
    screenshot(page, "journey-7-auditor-en")
    page.context.close()
    assert len(journey.checked) >= 8


CONTRACT_COLUMNS = (
    "external_id,branch,client,product,contract_date,disbursement_date,maturity_date,"
    "ownership_date,financed_amount,profit_amount,sale_price,"
    "instalment_number,instalment_due_date,instalment_principal_due,instalment_profit_due"
)


def _contracts_csv(path: Path, *, ownership_date: str) -> str:
    """Two murabaha financings as a core-banking export would write them (the API's column
    names, one line per instalment). ``ownership_date`` is when the institution took
    possession of the second one's asset."""
    lines = [
        CONTRACT_COLUMNS,
        "JR-1,CASA,CL-1,MUR,2026-07-01,2026-07-01,2026-09-10,2026-06-28,"
        "10000.00,1000.00,11000.00,1,2026-09-10,10000.00,1000.00",
        f"JR-2,CASA,CL-1,MUR,2026-07-05,2026-07-05,2026-09-05,{ownership_date},"
        "6000.00,600.00,6600.00,1,2026-08-05,3000.00,300.00",
        f"JR-2,CASA,CL-1,MUR,2026-07-05,2026-07-05,2026-09-05,{ownership_date},"
        "6000.00,600.00,6600.00,2,2026-09-05,3000.00,300.00",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _import_contracts(journey: Journey, period, tmp_path: Path, *, client) -> None:  # type: ignore[no-untyped-def]
    page = journey.page
    journey.go(f"/periods/{period.pk}/")
    page.click(f"a[href='/periods/{period.pk}/import/']")
    journey.settle()

    # The asset of JR-2 was bought after it was sold to the client: a Shariah blocking rule.
    wrong = _contracts_csv(tmp_path / "contracts-wrong.csv", ownership_date="2026-07-09")
    page.check("input[name=kind][value=contracts]")
    page.set_input_files("input[type=file]", wrong)
    page.click("form.import-form button[type=submit]")
    journey.settle()
    errors = page.locator("table.import-errors tbody tr")
    assert errors.count() >= 1
    rows = {errors.nth(i).get_attribute("data-row") for i in range(errors.count())}
    columns = {errors.nth(i).get_attribute("data-column") for i in range(errors.count())}
    assert rows <= {"3", "4"}, rows
    assert "ownership_date" in columns, columns
    assert "MUR-OWNERSHIP" in errors.first.inner_text()
    assert page.locator("form[action$='/confirm/']").count() == 0
    assert not FinancingContract.objects.filter(institution=period.institution).exists()
    journey.screenshot(page, "journey-2-import-errors-ar")

    page.click(f"a[href^='/periods/{period.pk}/import/?kind=contracts']")
    journey.settle()
    right = _contracts_csv(tmp_path / "contracts-right.csv", ownership_date="2026-07-02")
    page.set_input_files("input[type=file]", right)
    page.click("form.import-form button[type=submit]")
    journey.settle()
    assert page.locator("table.import-errors").count() == 0
    assert not FinancingContract.objects.filter(institution=period.institution).exists()
    page.click("form[action$='/confirm/'] button[type=submit]")
    journey.settle()
    assert page.locator(".message--success").count() == 1
    contracts = FinancingContract.objects.filter(institution=period.institution, client=client)
    assert sorted(contracts.values_list("external_id", flat=True)) == ["JR-1", "JR-2"]
    journey.screenshot(page, "journey-2-imported-ar")
