"""In a real browser: MFI staff create a murabaha in French through the form of its type, hit a
Shariah rule and fix it; the institution page in Arabic shows the indicator cards and charts,
right to left. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest

from institutions.models import ContractType, FinancingContract
from tests.browser.session import log_in as _log_in
from tests.factories import (
    BranchFactory,
    ClientFactory,
    FinancingProductFactory,
)
from tests.indicators.test_charts import history  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_creates_a_murabaha_in_french_and_fixes_a_rule_error(
    browser, live_server, screenshot, institution, staff
) -> None:
    branch = BranchFactory(institution=institution, name="Agence Rabat")
    ClientFactory(institution=institution, branch=branch, external_id="CL-501")
    FinancingProductFactory(
        institution=institution, contract_type=ContractType.MURABAHA, name="Mourabaha équipement"
    )
    FinancingProductFactory(
        institution=institution, contract_type=ContractType.SALAM, name="Salam récolte"
    )
    page = _log_in(browser, live_server, staff.username, "fr")
    page.goto(f"{live_server.url}/institutions/{institution.code}/contracts/new/")
    assert page.locator("html").get_attribute("lang") == "fr"

    # The script switches sections in place: pick salam, then murabaha.
    page.select_option("[data-type-picker] select", "salam")
    assert page.locator("#id_salam-commodity").is_visible()
    assert not page.locator("#id_murabaha-sale_price").is_visible()
    page.select_option("[data-type-picker] select", "murabaha")
    assert page.locator("#id_murabaha-sale_price").is_visible()
    assert page.locator("#id_murabaha-ownership_date").is_visible()
    # Only the murabaha section is shown, and only murabaha products are offered.
    visible_sections = page.locator(".contract-terms:visible")
    assert visible_sections.count() == 1
    assert visible_sections.get_attribute("data-contract-type") == "murabaha"
    assert not page.locator("#id_salam-commodity").is_visible()
    products = page.locator("#id_product option:not([hidden])").all_inner_texts()
    assert "Salam récolte" not in products
    assert "Mourabaha équipement" in products
    # The no-script button is hidden when the script runs.
    assert not page.get_by_role("button", name=re.compile("Show this type", re.I)).is_visible()

    page.fill("#id_external_id", "MUR-2026-001")
    page.select_option("#id_branch", label="Agence Rabat")
    page.fill("#id_client", "CL-501")
    page.select_option("#id_product", label="Mourabaha équipement")
    page.fill("#id_contract_date", "2026-03-10")
    page.fill("#id_disbursement_date", "2026-03-10")
    page.fill("#id_maturity_date", "2027-03-10")
    page.fill("#id_financed_amount", "12000")
    page.fill("#id_murabaha-profit_amount", "1200")
    page.fill("#id_murabaha-sale_price", "13200")
    # Possession after the sale: MUR-OWNERSHIP blocks the contract.
    page.fill("#id_murabaha-ownership_date", "2026-03-20")
    page.fill("#id_schedule-first_due_date", "2026-04-10")
    page.locator(".form-actions button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    error = page.locator("#id_murabaha-ownership_date_error .field__error")
    # The field in error is announced and focused.
    assert page.evaluate("document.activeElement.id") == "id_murabaha-ownership_date"
    assert error.first.is_visible()
    assert "possession" in error.first.inner_text()
    assert "mourabaha" in error.first.inner_text().casefold()
    assert not FinancingContract.objects.filter(external_id="MUR-2026-001").exists()
    # What was typed is still there, and still only the murabaha section shows.
    assert page.locator("#id_external_id").input_value() == "MUR-2026-001"
    assert page.locator(".contract-terms:visible").count() == 1
    screenshot(page, "contract-form-error-fr")

    page.fill("#id_murabaha-ownership_date", "2026-03-05")
    page.locator(".form-actions button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    contract = FinancingContract.objects.get(external_id="MUR-2026-001")
    assert page.url.endswith(f"/contracts/{contract.pk}/")
    assert contract.instalments.count() == 12
    assert page.locator(".message--success").is_visible()
    assert page.locator("table.data-table").first.is_visible()
    screenshot(page, "contract-created-fr")
    page.context.close()


def test_contract_form_is_usable_at_768px_without_overflow(
    browser, live_server, screenshot, institution, staff
) -> None:
    page = _log_in(browser, live_server, staff.username, "fr", width=768)
    page.goto(f"{live_server.url}/institutions/{institution.code}/contracts/new/?type=murabaha")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    # Keyboard: the first tab stop is the skip link, and focus is visible.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    screenshot(page, "contract-form-768-fr")
    page.context.close()


def test_arabic_institution_page_shows_cards_and_charts_right_to_left(
    browser,
    live_server,
    screenshot,
    institution,
    staff,
    history,  # noqa: F811
) -> None:
    page = _log_in(browser, live_server, staff.username, "ar")
    page.goto(f"{live_server.url}/institutions/{institution.code}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    cards = page.locator(".indicator-card")
    assert cards.count() >= 3
    assert page.locator(".indicator-card[data-indicator='PAR30']").is_visible()
    charts = page.locator("svg.chart__svg[role=img]")
    assert charts.count() == 2
    # The PAR30 line's oldest point is on the right: time runs right to left.
    dots = page.locator("[data-chart='chart-par30'] circle")
    boxes = [dots.nth(i).bounding_box() for i in range(dots.count())]
    assert len(boxes) == 3
    xs = [box["x"] for box in boxes if box]
    assert xs == sorted(xs, reverse=True)
    # Accessible name of each chart.
    assert page.locator("#chart-par30-title").count() == 1
    screenshot(page, "institution-indicators-ar")
    page.context.close()
