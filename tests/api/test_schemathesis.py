"""Property-based run of schemathesis against the live API: no 5xx, no schema violation.

Slow (about a minute): run by .ci/run, not by ``make test``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import FinancingContractFactory, ReportingPeriodFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, make_token, institution
) -> None:
    ReportingPeriodFactory(institution=institution)
    FinancingContractFactory(institution=institution)
    _client, token = make_token(institution)
    executable = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(  # noqa: S603 - our own venv's executable, fixed arguments
        [
            str(executable),
            "run",
            f"{live_server.url}/api/v1/schema/",
            "--header",
            f"Authorization: Token {token}",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            "25",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
