"""Idempotency-Key: which answers are kept for the key, and requests still in flight.

Like Stripe: an answer that says "try again later" or "the state conflicts" (409, 429) and a
server error (5xx, or an exception) are not kept, so the same key can be retried once the cause
is gone; every other answer is. The first request reserves its key before its view runs; a
repeat arriving meanwhile gets 409 ``idempotency_request_in_progress``.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from rest_framework import exceptions

from institutions.api.views import RepaymentViewSet
from institutions.models import Repayment, ReportingPeriod
from partners.models import ApiClient, IdempotencyRecord
from tests.factories import ReportingPeriodFactory

pytestmark = pytest.mark.django_db

PAYMENT = {
    "contract": "K1",
    "external_id": "P1",
    "value_date": "2024-06-10",
    "principal_amount": "5000.00",
    "profit_amount": "500.00",
}


def _post(client, key: str, body: dict | None = None):
    return client.post(
        "/api/v1/repayments/", body or PAYMENT, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_conflict_is_not_kept_and_the_key_works_once_the_quarter_reopens(
    api, token, institution, contract
) -> None:
    period = ReportingPeriodFactory(
        institution=institution, year=2024, quarter=2, status=ReportingPeriod.Status.LOCKED
    )
    client = api(token)
    refused = _post(client, "k-409")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "period_not_editable"
    assert not IdempotencyRecord.objects.filter(key="k-409").exists()
    ReportingPeriod.objects.filter(pk=period.pk).update(status=ReportingPeriod.Status.DRAFT)
    accepted = _post(client, "k-409")
    assert accepted.status_code == 201, accepted.json()
    assert not accepted.has_header("Idempotent-Replayed")
    replay = _post(client, "k-409")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert Repayment.objects.count() == 1


def test_a_429_from_the_view_is_not_kept(api, token, contract, monkeypatch) -> None:
    original = RepaymentViewSet.create

    def throttled(self, request, *args, **kwargs):
        raise exceptions.Throttled(wait=1)

    monkeypatch.setattr(RepaymentViewSet, "create", throttled)
    client = api(token)
    assert _post(client, "k-429").status_code == 429
    assert not IdempotencyRecord.objects.filter(key="k-429").exists()
    monkeypatch.setattr(RepaymentViewSet, "create", original)
    assert _post(client, "k-429").status_code == 201


def test_a_server_error_frees_the_key(api, token, contract, monkeypatch) -> None:
    original = RepaymentViewSet.create

    def explode(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(RepaymentViewSet, "create", explode)
    client = api(token)
    client.raise_request_exception = False
    assert _post(client, "k-500").status_code == 500
    assert not IdempotencyRecord.objects.filter(key="k-500").exists()
    monkeypatch.setattr(RepaymentViewSet, "create", original)
    response = _post(client, "k-500")
    assert response.status_code == 201
    assert not response.has_header("Idempotent-Replayed")


def test_a_validation_error_is_kept(api, token, contract) -> None:
    client = api(token)
    bad = {**PAYMENT, "contract": "NOPE"}
    assert _post(client, "k-400", bad).status_code == 400
    replay = _post(client, "k-400", bad)
    assert replay.status_code == 400
    assert replay["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.get(key="k-400").response_status == 400


def test_the_key_is_reserved_before_the_view_runs(api, token, contract, monkeypatch) -> None:
    original = RepaymentViewSet.create
    seen: list[int | None] = []

    def watching(self, request, *args, **kwargs):
        seen.append(IdempotencyRecord.objects.get(key="k-seen").response_status)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(RepaymentViewSet, "create", watching)
    assert _post(api(token), "k-seen").status_code == 201
    assert seen == [None]  # in flight while the view ran
    assert IdempotencyRecord.objects.get(key="k-seen").response_status == 201


def _first_request_hash(api, token) -> str:
    """The fingerprint of a POST of ``PAYMENT`` (sent once under another key, then undone)."""
    _post(api(token), "k-probe")
    Repayment.objects.all().delete()
    return IdempotencyRecord.objects.get(key="k-probe").request_hash


def _in_flight(key: str, request_hash: str, *, age: datetime.timedelta | None = None) -> Any:
    """The reservation a concurrent first request holds while its view runs."""
    record = IdempotencyRecord.objects.create(
        user=ApiClient.objects.get().user,
        key=key,
        method="POST",
        path="/api/v1/repayments/",
        request_hash=request_hash,
        response_status=None,
    )
    if age is not None:
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    return record


def test_a_repeat_while_the_first_is_in_flight_is_409(api, token, contract) -> None:
    record = _in_flight("k-flight", _first_request_hash(api, token))
    response = _post(api(token), "k-flight")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "idempotency_request_in_progress"
    assert Repayment.objects.count() == 0
    # The first request's reservation is untouched: it completes it itself.
    record.refresh_from_db()
    assert record.response_status is None
    # Another body under the same key is still a reused key.
    other = _post(api(token), "k-flight", {**PAYMENT, "external_id": "P2"})
    assert other.status_code == 422


def test_an_abandoned_reservation_is_taken_over(api, token, contract) -> None:
    _in_flight("k-stale", _first_request_hash(api, token), age=datetime.timedelta(hours=1))
    response = _post(api(token), "k-stale")
    assert response.status_code == 201, response.json()
    assert Repayment.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="k-stale").response_status == 201
