"""A person's suspension from enforcement is kept in org (issue 16 §1).

Equipment (no device for a suspended person) and compliance (not named on an activity) sit
below supervision and may not read its decisions; they read `org.Suspension`. Every approved
decision that suspended someone gets its org row, with the same days and basis (decision
name and article, as `suspensions.describe` wrote them), and points at it; the decision's own
date columns go. Backwards: the dates come back from the org rows, which are then removed.
"""

import django.db.models.deletion
from django.db import migrations, models


def _constraints_now(schema_editor):
    """PostgreSQL checks the foreign keys just written at commit; the ALTER TABLE that follows
    in this migration would refuse to run with those checks pending."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def to_org(apps, schema_editor):
    Accountability = apps.get_model("supervision", "Accountability")
    Suspension = apps.get_model("org", "Suspension")
    db = schema_editor.connection.alias
    decided = Accountability.objects.using(db).filter(
        status="approved",
        suspend_months__gt=0,
        suspended_from__isnull=False,
        suspended_until__isnull=False,
    )
    for decision in decided.order_by("pk"):
        basis = "，".join(filter(None, (decision.decision_name, decision.cite)))
        decision.suspension = Suspension.objects.using(db).create(
            person_id=decision.person_id,
            starts_on=decision.suspended_from,
            ends_on=decision.suspended_until,
            basis=basis[:200],
        )
        decision.save(update_fields=["suspension"])
    _constraints_now(schema_editor)


def from_org(apps, schema_editor):
    Accountability = apps.get_model("supervision", "Accountability")
    Suspension = apps.get_model("org", "Suspension")
    db = schema_editor.connection.alias
    linked = Accountability.objects.using(db).filter(suspension__isnull=False)
    for decision in linked.select_related("suspension").order_by("pk"):
        decision.suspended_from = decision.suspension.starts_on
        decision.suspended_until = decision.suspension.ends_on
        decision.save(update_fields=["suspended_from", "suspended_until"])
    ids = list(linked.values_list("suspension_id", flat=True))
    linked.update(suspension=None)
    Suspension.objects.using(db).filter(pk__in=ids).delete()
    _constraints_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0006_suspension"),
        ("supervision", "0002_violation_register"),
    ]

    operations = [
        migrations.AddField(
            model_name="accountability",
            name="suspension",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="decision",
                to="org.suspension",
                verbose_name="停止执法",
            ),
        ),
        migrations.RunPython(to_org, from_org),
        migrations.RemoveField(model_name="accountability", name="suspended_from"),
        migrations.RemoveField(model_name="accountability", name="suspended_until"),
    ]
