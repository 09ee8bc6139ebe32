"""The quarter's indicators page: scoped like the period, table 16 with both columns."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from indicators.models import REASON_TEXTS, IndicatorComputation
from indicators.services import indicators_compute_now
from tests.factories import ReportingPeriodFactory, StaffingSnapshotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(quarters):  # the hand-computed quarters of test_services
    _q3, q4 = quarters
    indicators_compute_now(period=q4, trigger=IndicatorComputation.Trigger.MANUAL)
    return q4


def test_table_16_with_both_columns_and_findings(computed, staff, client_for) -> None:
    page = client_for(staff).get(reverse("period_indicators", args=[computed.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "67.16 %" in html  # PAR30, Islamic: 13,500 / 20,100
    assert "40.79 %" in html  # PAR30, conventional: 13,500 / 33,100
    assert "Data-quality findings" in html
    assert "Murabaha" in html  # the breakdown by contract type


def test_french_numbers_and_missing_values_explained(computed, analyst, client_for) -> None:
    browser = client_for(analyst)
    browser.cookies["django_language"] = "fr"
    html = browser.get(reverse("period_indicators", args=[computed.pk]) + "?basis=ttm").content
    html = html.decode()
    assert 'lang="fr"' in html
    # The reason behind a TTM value shown as n/c, in French (the engine's English note is not shown).
    with translation.override("fr"):
        expected = escape(str(REASON_TEXTS["missing_data"]))
    assert expected in html
    assert "Income statements are missing" not in html


def test_other_institutions_quarter_is_404(computed, other_staff, auditor, client_for) -> None:
    assert (
        client_for(other_staff).get(reverse("period_indicators", args=[computed.pk])).status_code
        == 404
    )
    assert (
        client_for(auditor).get(reverse("period_indicators", args=[computed.pk])).status_code == 200
    )  # the auditor is granted this institution


def test_not_computed_yet(institution, staff, client_for) -> None:
    period = ReportingPeriodFactory(institution=institution, year=2026, quarter=2)
    StaffingSnapshotFactory(period=period)
    page = client_for(staff).get(reverse("period_indicators", args=[period.pk]))
    assert page.status_code == 200
    assert "Not computed yet." in page.content.decode()


def test_anonymous_is_sent_to_login(computed, client) -> None:
    response = client.get(reverse("period_indicators", args=[computed.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
