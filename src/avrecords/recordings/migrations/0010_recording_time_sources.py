"""A start time may also come from the station's clock or be set by hand (issue 19 §5).

Ingest has always recorded a source (name, container metadata, else mtime), so existing
rows keep theirs; a row without one (none is expected) gets 文件名 when its name parses as
GA/T 947, else 文件修改时间, the two sources its start time can have come from then.
"""

from django.db import migrations, models

KNOWN = ("filename", "container", "mtime")


def fill_missing_sources(apps, schema_editor):
    from avrecords.recordings.naming import parse_name

    Recording = apps.get_model("recordings", "Recording")
    missing = Recording.objects.exclude(time_source__in=KNOWN)
    for pk, name in missing.values_list("pk", "original_name").iterator():
        source = "filename" if parse_name(name) is not None else "mtime"
        Recording.objects.filter(pk=pk).update(time_source=source)


class Migration(migrations.Migration):
    dependencies = [
        ("recordings", "0009_bookmark_snapshot"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recording",
            name="time_source",
            field=models.CharField(
                choices=[
                    ("filename", "文件名"),
                    ("container", "容器元数据"),
                    ("station", "采集站时钟"),
                    ("mtime", "文件修改时间"),
                    ("manual", "人工指定"),
                ],
                max_length=16,
                verbose_name="时间来源",
            ),
        ),
        migrations.RunPython(fill_missing_sources, migrations.RunPython.noop, elidable=True),
    ]
