"""``mfme.settings.production``: refuses the development key, and passes Django's deployment
checks once HTTPS is configured through the environment. Each case runs ``manage.py`` in a
fresh process, since settings load once per process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "k" * 20 + "-production-test-key-not-used-anywhere-0123456789"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MFME_") and name not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    environment |= {"DJANGO_SETTINGS_MODULE": "mfme.settings.production", **env}
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_the_development_key():
    result = _manage("check")
    assert result.returncode != 0
    assert "Set MFME_SECRET_KEY in production." in result.stderr


def test_production_passes_the_deployment_checks_when_https_is_configured():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        MFME_SECRET_KEY=KEY,
        MFME_SSL_REDIRECT="true",
        MFME_HSTS_SECONDS="31536000",
        MFME_HSTS_INCLUDE_SUBDOMAINS="true",
        MFME_HSTS_PRELOAD="true",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_https_settings_the_deployment_checks_name_them():
    result = _manage("check", "--deploy", MFME_SECRET_KEY=KEY)
    assert "security.W004" in result.stdout + result.stderr  # no HSTS
    assert "security.W008" in result.stdout + result.stderr  # no redirect
