"""Analysts see a quarter's results in the admin and can request a recomputation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from indicators.models import IndicatorComputation
from indicators.services import indicators_compute_now
from tests.factories import ReportingPeriodFactory, StaffingSnapshotFactory

pytestmark = pytest.mark.django_db


def test_quarter_page_shows_values_and_recompute_action(analyst, client_for, institution) -> None:
    period = ReportingPeriodFactory(institution=institution, year=2026, quarter=1)
    StaffingSnapshotFactory(period=period)
    indicators_compute_now(period=period, trigger=IndicatorComputation.Trigger.MANUAL)
    browser = client_for(analyst)

    page = browser.get(reverse("admin:indicators_quarterindicators_change", args=[period.pk]))
    assert page.status_code == 200
    assert b"PAR30" in page.content
    assert b"Income statements are missing" in page.content  # NULL values show their reason

    changelist = reverse("admin:indicators_quarterindicators_changelist")
    response = browser.post(
        changelist, {"action": "compute_selected", "_selected_action": [period.pk]}
    )
    assert response.status_code == 302
    assert IndicatorComputation.objects.filter(period=period, trigger="manual").count() == 2


def test_mfi_staff_cannot_open_the_admin(staff, client_for) -> None:
    response = client_for(staff).get(reverse("admin:indicators_quarterindicators_changelist"))
    assert response.status_code == 302  # to the admin login
