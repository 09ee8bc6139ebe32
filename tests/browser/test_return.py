"""MFI staff fill in the balance sheet in Arabic, in Moroccan number format: totals update as
they type, an unbalanced sheet is refused with the error at the top and next to the totals,
the corrected sheet saves, and an autosaved draft comes back after a reload."""

from __future__ import annotations

from decimal import Decimal

import pytest

from institutions.models import FinancialStatement, ReturnDraft
from tests.browser.session import log_in as _log_in
from tests.factories import ReportingPeriodFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NNBSP = "\u202f"

#: What a Moroccan accountant types: space thousands (plain, no-break or narrow), comma decimal.
FIGURES = {
    "cash_and_bank": "150 000,00",
    "short_term_investments": "50\u00a0000",
    "gross_financing_portfolio": "800\u202f000,00",
    "impairment_allowance": "20 000",
    "other_assets": "60 000",
    "third_party_financing": "500 000",
    "third_party_financing_short_term": "100 000",
    "other_liabilities": "50 000",
    "mudaraba_funds": "100 000",
    "total_equity": "389 000",  # one thousand short: the sheet does not balance
}


def _total(page, name: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f'output[data-name="{name}"]').inner_text().strip()


def test_staff_enters_an_arabic_balance_sheet(browser, live_server, screenshot, institution, staff):
    period = ReportingPeriodFactory(institution=institution, year=2026, quarter=2)
    page = _log_in(browser, live_server, staff.username, "ar")
    page.goto(f"{live_server.url}/periods/{period.pk}/")
    page.click(f'a[href="/periods/{period.pk}/data/balance_sheet/"]')
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"

    # Typed key by key, as a user would; totals follow every keystroke.
    page.locator("#id_cash_and_bank").press_sequentially(FIGURES["cash_and_bank"])
    assert _total(page, "total_assets") == f"150{NNBSP}000,00"
    for name, text in FIGURES.items():
        if name != "cash_and_bank":
            page.fill(f"#id_{name}", text)
    assert _total(page, "total_assets") == f"1{NNBSP}040{NNBSP}000,00"
    assert _total(page, "total_liabilities") == f"550{NNBSP}000,00"
    assert _total(page, "liabilities_and_equity") == f"1{NNBSP}039{NNBSP}000,00"
    assert _total(page, "balance_difference") == f"1{NNBSP}000,00"
    assert page.locator("[data-balance-bad]").is_visible()
    assert not page.locator("[data-balance-ok]").is_visible()
    # Leaving a field rewrites it the locale's way.
    page.locator("#id_impairment_allowance").focus()
    page.keyboard.press("Tab")
    assert page.input_value("#id_impairment_allowance") == f"20{NNBSP}000,00"
    screenshot(page, "return-balance-sheet-typing-ar")

    # Saving is refused: the summary at the top links to nothing wrong in a field, the
    # message sits at the top and next to the totals, and nothing is stored.
    with page.expect_navigation():  # after any autosave in flight
        page.click(".return-form__actions button[type=submit]")
    page.wait_for_load_state("networkidle")
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "الميزانية غير متوازنة" in summary.inner_text()
    assert page.locator("#balance-error").is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert not FinancialStatement.objects.filter(period=period).exists()
    # What was typed is still there (the failed save kept it as the draft).
    assert page.input_value("#id_total_equity").replace(" ", NNBSP) in (
        f"389{NNBSP}000",
        f"389{NNBSP}000,00",
    )
    screenshot(page, "return-balance-sheet-unbalanced-ar")

    page.fill("#id_total_equity", "390 000,00")
    assert _total(page, "balance_difference") == "0,00"
    assert page.locator("[data-balance-ok]").is_visible()
    with page.expect_navigation():  # after any autosave in flight
        page.click(".return-form__actions button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert not page.locator("#error-summary").count()
    statement = FinancialStatement.objects.get(period=period)
    assert statement.total_assets == Decimal("1040000.00")
    assert statement.total_equity == Decimal("390000.00")
    assert not ReturnDraft.objects.filter(period=period).exists()
    assert page.input_value("#id_gross_financing_portfolio") == f"800{NNBSP}000,00"
    screenshot(page, "return-balance-sheet-saved-ar")
    page.context.close()


def test_autosaved_draft_comes_back_after_a_reload(
    browser, live_server, screenshot, institution, staff
):
    period = ReportingPeriodFactory(institution=institution, year=2026, quarter=2)
    page = _log_in(browser, live_server, staff.username, "ar", width=768)
    url = f"{live_server.url}/periods/{period.pk}/data/income_statement/"
    page.goto(url)
    page.locator("#id_financing_income").press_sequentially("1 234 567,89")
    page.fill("#id_personnel_expense", "234 567,89")
    # The status line (aria-live) says when the draft was saved.
    page.wait_for_function(
        "document.getElementById('autosave-status').textContent.trim().length > 0 "
        "&& !document.getElementById('autosave-status').textContent.includes('…')"
    )
    assert page.locator("#autosave-status").get_attribute("aria-live") == "polite"
    page.wait_for_timeout(1500)  # the debounce after the last keystroke
    assert _total(page, "net_income") == f"1{NNBSP}000{NNBSP}000,00"
    draft = ReturnDraft.objects.get(period=period, section="income_statement")
    # Kept language-neutral, so that a colleague in another language reads it their way.
    assert draft.data["financing_income"] == "1234567.89"

    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("#draft-note").is_visible()
    assert page.input_value("#id_financing_income") == f"1{NNBSP}234{NNBSP}567,89"
    assert _total(page, "net_income") == f"1{NNBSP}000{NNBSP}000,00"
    # Keyboard: the first figure is reachable and visibly focused.
    page.locator("#id_financing_income").focus()
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + getComputedStyle(document.activeElement).boxShadow"
    )
    assert outline.strip() not in ("none", "nonenone", "")
    screenshot(page, "return-income-statement-draft-ar-768")

    page.click("#draft-note button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert not ReturnDraft.objects.filter(period=period).exists()
    assert not page.locator("#draft-note").count()
    assert page.input_value("#id_financing_income") == ""  # nothing stored yet
    page.context.close()


def test_locked_quarter_reads_only(browser, live_server, screenshot, institution, staff):
    period = ReportingPeriodFactory(institution=institution, year=2025, quarter=4, status="locked")
    page = _log_in(browser, live_server, staff.username, "fr")
    page.goto(f"{live_server.url}/periods/{period.pk}/data/balance_sheet/")
    assert page.locator('[data-testid="read-only"]').is_visible()
    assert page.locator("input.number-input").count() == 0
    status = page.evaluate(
        """async (url) => {
            const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken='));
            const response = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token ? token.split('=')[1] : ''}, body: new FormData()});
            return response.status;
        }""",
        f"/periods/{period.pk}/data/balance_sheet/draft/",
    )
    assert status in (403, 409)
    assert not ReturnDraft.objects.exists()
    screenshot(page, "return-locked-fr")
    page.context.close()


def test_analyst_returns_with_a_comment_per_section(
    browser, live_server, screenshot, institution, analyst, staff
):
    period = ReportingPeriodFactory(
        institution=institution, year=2026, quarter=1, status="submitted"
    )
    page = _log_in(browser, live_server, analyst.username, "fr")
    page.goto(f"{live_server.url}/periods/{period.pk}/")
    assert page.locator("#findings-title").is_visible()
    assert page.locator("#key-indicators-title").is_visible()
    page.fill("#reason-return", "Merci de corriger le bilan.")
    page.click(".section-comments summary")
    page.fill("#comment-balance_sheet", "La trésorerie ne correspond pas au relevé bancaire.")
    screenshot(page, "period-return-with-comments-fr")
    page.locator("#comment-balance_sheet").locator("xpath=ancestor::form").locator(
        "button[type=submit]"
    ).click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".timeline__comments").is_visible()
    page.context.close()

    page = _log_in(browser, live_server, staff.username, "ar")
    page.goto(f"{live_server.url}/periods/{period.pk}/data/balance_sheet/")
    assert "La trésorerie ne correspond pas" in page.locator(".review-comments").inner_text()
    assert page.locator("input.number-input").count() > 0  # returned: editable again
    screenshot(page, "return-balance-sheet-comment-ar")
    page.context.close()


def test_portfolio_summary_totals_per_band(browser, live_server, screenshot, institution, staff):
    period = ReportingPeriodFactory(institution=institution, year=2026, quarter=2)
    page = _log_in(browser, live_server, staff.username, "fr", width=768)
    page.goto(f"{live_server.url}/periods/{period.pk}/data/portfolio_summary/")
    page.fill("#id_murabaha-outstanding", "500 000")
    page.fill("#id_murabaha-par_30", "25 000,50")
    page.fill("#id_salam-outstanding", "1 000 000")
    page.fill("#id_salam-par_30", "4 999,50")
    assert _total(page, "total-outstanding") == f"1{NNBSP}500{NNBSP}000,00"
    assert _total(page, "total-par_30") == f"30{NNBSP}000,00"
    page.fill("#id_murabaha-number_of_financings", "1 200")
    assert _total(page, "total-number_of_financings") == f"1{NNBSP}200"
    screenshot(page, "return-portfolio-summary-fr-768")
    page.context.close()
