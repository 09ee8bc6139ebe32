"""Rule messages show their amounts and dates the reader's way; the values stay stored
language-neutral (a finding keeps ``{"amount": "15400.16", "delivery": "2026-10-01"}``)."""

from __future__ import annotations

from django.utils import translation

from shariah.rules import message_for

PARAMS = {"amount": "15400.16", "delivery": "2026-10-01"}


def test_amounts_and_dates_in_the_readers_language() -> None:
    message = message_for("IJA-ADVANCE-RENT", PARAMS)
    with translation.override("fr"):
        text = str(message)
        assert "15\u202f400,16" in text or "15\u00a0400,16" in text or "15 400,16" in text
        assert "1 octobre 2026" in text
        assert "2026-10-01" not in text
    with translation.override("en"):
        text = str(message)
        assert "15,400.16" in text
        assert "2026-10-01" not in text
    assert PARAMS == {"amount": "15400.16", "delivery": "2026-10-01"}  # nothing rewritten
