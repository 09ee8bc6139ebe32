"""Answers in the request's language: the texts of findings and of values that could not be
computed (their codes unchanged), and the message of a body that is not JSON."""

from __future__ import annotations

import pytest
from django.utils import translation

from indicators.models import (
    REASON_TEXTS,
    DataQualityFinding,
    Indicator,
    IndicatorComputation,
    IndicatorValue,
)
from tests.factories import ReportingPeriodFactory

pytestmark = pytest.mark.django_db

STORED_ENGLISH = "Identical to the previous quarter: cash and bank (stored in English)."


@pytest.fixture
def computation(institution) -> IndicatorComputation:
    return IndicatorComputation.objects.create(
        period=ReportingPeriodFactory(institution=institution),
        trigger=IndicatorComputation.Trigger.MANUAL,
    )


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_finding_message_is_in_the_request_language(api, token, computation, language) -> None:
    finding = DataQualityFinding.objects.create(
        period=computation.period,
        computation=computation,
        code="identical_to_previous_quarter",
        severity="warning",
        message=STORED_ENGLISH,
        params={"fields": "cash_and_bank"},
    )
    with translation.override(language):
        expected = finding.message_display
    assert expected != STORED_ENGLISH
    row = api(token).get("/api/v1/data-quality-findings/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert row["results"][0]["message"] == expected
    assert row["results"][0]["code"] == "identical_to_previous_quarter"
    detail = api(token).get(
        f"/api/v1/data-quality-findings/{finding.pk}/", HTTP_ACCEPT_LANGUAGE=language
    )
    assert detail.json()["message"] == expected


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_value_reason_is_in_the_request_language(api, token, computation, language) -> None:
    indicator = Indicator.objects.create(
        code="OSS",
        catalogue="financial",
        catalogue_version=1,
        category=Indicator.Category.PORTFOLIO_QUALITY,
        unit="%",
        direction="higher_better",
        name_en="Operational self-sufficiency",
        name_fr="Autosuffisance opérationnelle",
        name_ar="الاكتفاء الذاتي التشغيلي",
    )
    IndicatorValue.objects.create(
        period=computation.period,
        computation=computation,
        indicator=indicator,
        variant="conventional",
        basis="quarter",
        value=None,
        reason_code="zero_denominator",
        reason="operating expenses + financing costs = 0 (engine note)",
    )
    with translation.override(language):
        expected = str(REASON_TEXTS["zero_denominator"])
    assert (expected == "Not computable: the denominator is zero.") == (language == "en")
    row = api(token).get("/api/v1/indicator-values/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert row["results"][0]["reason"] == expected
    assert row["results"][0]["reason_code"] == "zero_denominator"


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_a_body_that_is_not_json_has_a_translated_message(api, token, language) -> None:
    response = api(token).post(
        "/api/v1/branches/",
        data='{code: "B1"}',
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    [item] = response.json()["errors"]
    assert (item["code"], item["field"]) == ("parse_error", None)
    with translation.override(language):
        expected = translation.gettext(
            "The body is not valid JSON (line {line}, column {column})."
        ).format(line=1, column=2)
    assert item["message"] == expected
    assert "Expecting property name" not in item["message"]


def test_a_body_that_is_not_text_has_a_translated_message(api, token) -> None:
    response = api(token).post(
        "/api/v1/branches/",
        data=b"\xff\xfe{}",
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "parse_error",
            "field": None,
            "message": "Le corps de la requête n'est pas un JSON valide.",
        }
    ]
