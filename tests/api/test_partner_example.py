"""The README's partner example (``docs/partner_example.py``) runs, from the docs alone, against
a real server on the embedded default: a quarter opened, contracts and repayments loaded, the
statement and staffing saved, the quarter submitted, the indicators read back. Slow: it starts
a server (see ``live.py``)."""

from __future__ import annotations

import datetime
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import FinancingProductFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FIRST_TWO_DUE = (datetime.date(2026, 11, 5), datetime.date(2026, 12, 5))


@pytest.fixture
def product(institution):
    return FinancingProductFactory(institution=institution, contract_type="murabaha", code="MUR")


def test_the_partner_example_runs_end_to_end(product, server_on_a_file) -> None:
    url, database, token = server_on_a_file
    environment = {**os.environ, "MFME_URL": url, "MFME_TOKEN": token}
    command = [sys.executable, str(Path(settings.BASE_DIR) / "docs" / "partner_example.py")]
    for run in ("first", "again"):  # a re-run replays its Idempotency-Keys
        result = subprocess.run(  # noqa: S603 - our own script
            command, env=environment, capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode == 0, (run, result.stdout, result.stderr)
        assert "is now submitted" in result.stdout, result.stdout
    with closing(sqlite3.connect(database)) as check:
        counts = [
            check.execute(f"SELECT COUNT(*) FROM institutions_{table}").fetchone()[0]  # noqa: S608
            for table in ("financingcontract", "instalment", "repayment", "financialstatement")
        ]
        (status,) = check.execute(
            "SELECT status FROM institutions_reportingperiod WHERE year = 2026 AND quarter = 4"
        ).fetchone()
    # Two contracts of 12 instalments; each repays its first two when they have fallen due
    # (5 November and 5 December 2026); one statement.
    due = sum(day <= datetime.datetime.now(tz=datetime.UTC).date() for day in FIRST_TWO_DUE)
    assert counts == [2, 24, 2 * due, 1]
    assert status == "submitted"
