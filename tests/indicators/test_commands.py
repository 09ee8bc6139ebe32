"""The compute_indicators and load_indicator_catalog commands (eager Celery in tests)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from indicators.models import Indicator, IndicatorComputation
from tests.factories import ReportingPeriodFactory

pytestmark = pytest.mark.django_db


def test_catalogue_load_is_idempotent() -> None:
    call_command("load_indicator_catalog")
    count = Indicator.objects.count()
    call_command("load_indicator_catalog")
    assert Indicator.objects.count() == count >= 30
    assert Indicator.objects.get(code="PAR30").name_ar


@pytest.mark.usefixtures("eager_celery")
def test_compute_one_quarter_then_only_missing(institution) -> None:
    q1 = ReportingPeriodFactory(institution=institution, year=2026, quarter=1)
    q2 = ReportingPeriodFactory(institution=institution, year=2026, quarter=2)
    call_command("compute_indicators", institution=institution.code, period="2026Q1")
    assert IndicatorComputation.objects.get(period=q1).status == "succeeded"
    assert not IndicatorComputation.objects.filter(period=q2).exists()
    call_command("compute_indicators", institution=institution.code, missing=True)
    assert IndicatorComputation.objects.filter(period=q1).count() == 1  # not recomputed
    assert IndicatorComputation.objects.get(period=q2).status == "succeeded"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "Name --institution"),
        ({"institution": "nope"}, "No institution"),
        ({"institution": "amana", "period": "2026-1"}, "must look like"),
        ({"institution": "amana", "period": "2031Q1"}, "No quarter"),
        ({"all": True, "institution": "amana"}, "cannot be combined"),
    ],
)
def test_bad_arguments_say_why(institution, options: dict, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("compute_indicators", **options)
