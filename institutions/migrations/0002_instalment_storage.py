"""PostgreSQL storage tuning for the instalment table (spec/perf-calibration.md §2.4).

A fillfactor of 90 leaves room on each page so that recording a payment (an UPDATE of the paid
columns, which are in no index) stays a HOT update and the heap keeps its physical order by
contract, which makes the portfolio SQL about 10x faster than on a shuffled heap.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE institutions_instalment SET (fillfactor = 90)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE institutions_instalment RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("institutions", "0001_initial")]
    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
