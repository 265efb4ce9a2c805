"""The violation register now belongs to supervision (issue 16 §6; supervision's 0002 made
its model, on this same table). State only: no table, row or constraint changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0005_violationcandidate_decided_at_and_more"),
        ("supervision", "0002_violation_register"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ViolationCandidate")],
            database_operations=[],
        ),
    ]
