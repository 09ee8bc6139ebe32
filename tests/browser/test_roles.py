"""A demo user of each role logs in, in Arabic, French and English, and sees only what the role
allows; another institution's page is a 404. Arabic pages are right to left."""

from __future__ import annotations

import pytest

from tests.browser.session import log_in as _log_in
from tests.factories import ReportingPeriodFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"ar": "rtl", "fr": "ltr", "en": "ltr"}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_each_role_sees_its_scope(
    browser, live_server, screenshot, language, institution, other_institution,
    staff, manager, auditor, analyst,
) -> None:  # fmt: skip
    ReportingPeriodFactory(institution=institution, year=2026, quarter=3)
    expectations = {
        staff: ({institution.code}, {other_institution.code}),
        manager: ({institution.code}, {other_institution.code}),
        auditor: ({institution.code}, {other_institution.code}),
        analyst: ({institution.code, other_institution.code}, set()),
    }
    for user, (visible, hidden) in expectations.items():
        page = _log_in(browser, live_server, user.username, language)
        html = page.locator("html")
        assert html.get_attribute("lang") == language
        assert html.get_attribute("dir") == LANGUAGES[language]
        for code in visible:
            assert page.locator(f"a[href='/institutions/{code}/']").count() >= 1, (user, code)
        for code in hidden:
            assert page.locator(f"a[href='/institutions/{code}/']").count() == 0, (user, code)
            response = page.goto(f"{live_server.url}/institutions/{code}/")
            assert response is not None
            assert response.status == 404, (user, code)
        screenshot(page, f"home-{user.role}-{language}")
        page.context.close()


def test_arabic_institution_page_reads_right_to_left(
    browser, live_server, screenshot, institution, staff
) -> None:
    page = _log_in(browser, live_server, staff.username, "ar")
    page.goto(f"{live_server.url}/institutions/{institution.code}/")
    # The page's text starts on the right: the main heading's box hugs the right edge.
    heading = page.locator("h1").first.bounding_box()
    assert heading is not None
    assert heading["x"] + heading["width"] > 1280 / 2
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    screenshot(page, "institution-ar")
    page.context.close()
