"""Every page of the web interface, on the demo data, in Arabic: right to left, no English left
in it (issue 6: "a check that the Arabic pages are dir="rtl" and have no untranslated
strings"), every field labelled, and nothing wider than a 768 px tablet screen.

The demo is loaded at a small scale with its Shariah records, and every quarter
is computed, so the pages show real cards, charts, findings, alerts and rule warnings. What the
demo itself wrote (names, references, free-text reasons) is data, not interface: every text value
stored by the institution's records is allowed; stored English messages that the interface is
supposed to render in the reader's language (findings, alerts, reasons) are not.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from institutions.demo import DEMO_PASSWORD
from institutions.models import FinancingContract, Institution, ReportingPeriod
from tests.browser.i18n import untranslated_texts
from tests.browser.session import log_in
from users.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Data apps whose free text is the institution's own words. Indicators are not among them: their
#: stored messages are English renderings the pages must not show.
DATA_APPS = ("institutions", "shariah", "users", "partners")


def _stored_texts() -> set[str]:
    """Every text value stored in the data apps (free text and names, not choice codes)."""
    texts: set[str] = set()
    for label in DATA_APPS:
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            fields = [
                field.name
                for field in model._meta.concrete_fields
                if isinstance(field, models.CharField | models.TextField)
                and not field.choices
                and field.name not in {"password", "message"}
            ]
            for field in fields:
                texts.update(
                    value
                    for value in model.objects.values_list(field, flat=True).distinct()[:5000]
                    if value
                )
            if label == "users" and model.__name__ == "User":
                texts.update(
                    f"{first} {last}".strip()
                    for first, last in model.objects.values_list("first_name", "last_name")
                )
    return texts


@pytest.fixture
def demo(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    out = StringIO()
    call_command("load_indicator_catalog", stdout=out)
    call_command("load_shariah_checklist", stdout=out)
    call_command("load_demo", scale=0.02, stdout=out)
    call_command("load_shariah_demo", stdout=out)
    call_command("compute_indicators", all=True, stdout=out)
    return Institution.objects.get(code="yusr")


#: Form controls a user cannot identify: no <label>, no aria-label(ledby), no title.
_UNLABELLED = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter((el) => !['hidden', 'submit', 'button', 'reset'].includes(el.type))
  .filter((el) => el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.getAttribute('aria-labelledby') && !el.title)
  .map((el) => el.name || el.id || el.outerHTML.slice(0, 80))
"""


def _visit(page, url: str, path: str, allowed: set[str]) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Problems of one page: English left over, unlabelled fields, a page wider than the screen."""
    response = page.goto(url + path)
    assert response is not None
    assert response.status == 200, path
    html = page.locator("html")
    assert html.get_attribute("lang") == "ar", path
    assert html.get_attribute("dir") == "rtl", path
    problems = [(path, where, text) for where, text in untranslated_texts(page, allowed=allowed)]
    problems += [(path, "unlabelled field", name) for name in page.evaluate(_UNLABELLED)]
    # Wide tables scroll inside their own box; the page itself never scrolls sideways.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        problems.append((path, "page wider than the screen by", f"{overflow}px"))
    return problems


def _log_in(browser, live_server, username: str, width: int = 1280):  # type: ignore[no-untyped-def]
    # Signing in restores the user's preferred language: make it Arabic.
    User.objects.filter(username=username).update(preferred_language="ar")
    return log_in(browser, live_server, username, "ar", width, password=DEMO_PASSWORD)


def test_every_page_is_arabic(browser, live_server, screenshot, demo) -> None:
    allowed = _stored_texts()
    periods = list(ReportingPeriod.objects.filter(institution=demo).order_by("-year", "-quarter"))
    editable = next(period for period in periods if period.is_editable)
    reviewed = next(period for period in periods if period.status in ("submitted", "approved"))
    contract = (
        FinancingContract.objects.filter(institution=demo, repayments__isnull=False)
        .order_by("pk")
        .first()
    )
    assert contract is not None
    staff_paths = [
        "/",
        f"/institutions/{demo.code}/",
        f"/institutions/{demo.code}/contracts/",
        f"/institutions/{demo.code}/contracts/?days_late=over-90",
        f"/institutions/{demo.code}/contracts/new/?type=murabaha",
        f"/institutions/{demo.code}/contracts/new/?type=salam",
        f"/contracts/{contract.pk}/",
        f"/contracts/{contract.pk}/edit/",
        f"/periods/{editable.pk}/",
        f"/periods/{editable.pk}/import/",
        f"/periods/{reviewed.pk}/",
        f"/periods/{reviewed.pk}/indicators/",
        f"/periods/{reviewed.pk}/indicators/?basis=ttm",
        f"/periods/{reviewed.pk}/shariah/",
        *(
            f"/periods/{period.pk}/data/{section}/"
            for period in (editable, reviewed)
            for section in ("balance_sheet", "income_statement", "staffing", "portfolio_summary")
        ),
    ]
    leftovers = []
    # Staff on a tablet (768 px wide), the analyst on a laptop.
    page = _log_in(browser, live_server, f"{demo.code}-staff", width=768)
    for path in staff_paths:
        leftovers += _visit(page, live_server.url, path, allowed)
    screenshot(page, "arabic-staff-last-page")
    page.context.close()

    page = _log_in(browser, live_server, "analyst")
    for path in ["/", f"/periods/{reviewed.pk}/", f"/institutions/{demo.code}/"]:
        leftovers += _visit(page, live_server.url, path, allowed)
    screenshot(page, "arabic-analyst-institution")
    page.context.close()
    assert not leftovers, "\n".join(f"{path} {where}: {text}" for path, where, text in leftovers)
