"""Storage settings that only exist on PostgreSQL (run by .ci/run)."""

import pytest
from django.db import connection

from institutions.models import Instalment


@pytest.mark.postgres
@pytest.mark.django_db
def test_instalment_table_fillfactor_is_90():
    # Migration 0002 leaves 10 % of each page free so that recording a payment stays a HOT update.
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE oid = %s::regclass",
            [Instalment._meta.db_table],
        )
        (reloptions,) = cursor.fetchone()

    assert "fillfactor=90" in (reloptions or [])
