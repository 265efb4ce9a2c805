"""The violation register moves from compliance to supervision (issue 16 §6).

State only: the table `compliance_violationcandidate` (and its recordings table) keeps its
name, rows and constraints; supervision's model names it in `Meta.db_table`. Accountability's
foreign key now points at supervision's model, the same table. The content type (and the
permissions that hang on it) moves with the model. Compliance drops the model from its state
in its 0006, which runs after this one.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODEL = "violationcandidate"


def move_content_type(apps, schema_editor, source="compliance", target="supervision"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if ContentType.objects.using(db).filter(app_label=target, model=MODEL).exists():
        return  # already there (made by a post_migrate before this migration ran)
    ContentType.objects.using(db).filter(app_label=source, model=MODEL).update(app_label=target)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="supervision", target="compliance")


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("compliance", "0005_violationcandidate_decided_at_and_more"),
        ("equipment", "0003_ledger"),
        ("org", "0003_supervision_and_clearances"),
        ("recordings", "0007_recording_purged_at"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ViolationCandidate",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "key",
                            models.CharField(blank=True, max_length=100, null=True, unique=True),
                        ),
                        ("kind", models.CharField(max_length=32, verbose_name="类型")),
                        ("kind_name", models.CharField(max_length=100, verbose_name="类型名称")),
                        ("summary", models.CharField(max_length=300, verbose_name="说明")),
                        (
                            "cite",
                            models.CharField(blank=True, max_length=100, verbose_name="依据条款"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("open", "待核查"),
                                    ("confirmed", "已认定"),
                                    ("dismissed", "已排除"),
                                ],
                                default="open",
                                max_length=10,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "decided_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="认定时间"),
                        ),
                        (
                            "decision_reason",
                            models.TextField(blank=True, verbose_name="认定或排除理由"),
                        ),
                        (
                            "activity",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                to="compliance.activity",
                            ),
                        ),
                        (
                            "decided_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "device",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="equipment.device",
                            ),
                        ),
                        (
                            "finding",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="violation",
                                to="compliance.finding",
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="violation_candidates",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "recordings",
                            models.ManyToManyField(
                                blank=True, related_name="+", to="recordings.recording"
                            ),
                        ),
                        (
                            "reported_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "unit",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT, to="org.unit"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "违规线索",
                        "verbose_name_plural": "违规线索",
                        "db_table": "compliance_violationcandidate",
                        "ordering": ["-created_at"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="accountability",
                    name="violation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="decisions",
                        to="supervision.violationcandidate",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back, elidable=False),
    ]
