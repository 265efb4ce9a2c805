"""The `avrecords` command starts without loading the heavy libraries (issue 22 §1).

PDF (weasyprint), ISO (pycdlib), Excel (openpyxl), S3 (boto3), image and media (PyAV, Pillow,
numpy), bagit, the QR code library and the job queue (Huey, redis) are imported where they are used, never when Django
sets up, the command line loads its commands or the URLs load: every `avrecords` command pays
for what app loading imports. A subprocess takes the command's own path (settings, set-up,
`avrecords.cli`, each management command, the URL configuration) and names, for each heavy
module it finds loaded, the line of our code that imported it. The API (django-ninja) and
the profile schema it describes (pydantic) may come with the URL configuration only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core import checks
from django.test import override_settings
from django_tasks.backends.dummy import DummyBackend

HEAVY = (
    "weasyprint",
    "pycdlib",
    "openpyxl",
    "boto3",
    "botocore",
    "s3transfer",
    "av",
    "PIL",
    "numpy",
    "bagit",
    "segno",
    "onnxruntime",
    "huey",  # the job queue, loaded with the first message or by the worker
    "redis",
    # the API (django-ninja, no installed app) and the profile schema (pydantic, built when a
    # profile is parsed) load with the URLs or the first profile, not in set-up; PyYAML with
    # the first profile or citation read (issue 22 §1, second round)
    "ninja",
    "pydantic",
    "pydantic_core",
    "yaml",
)
# Imported by the URL configuration, which the probe loads last: the API is its part.
URLS = {"ninja", "pydantic", "pydantic_core"}

COMMANDS = (
    "avdemo",
    "serve",
    "ingest",
    "audit",
    "fixity",
    "retention",
    "createadmin",
    "transfer_install",
)
# The two commands that prepare or run the job queue load it when they load.
QUEUE_COMMANDS = ("avinit", "worker")
QUEUE = {"huey", "redis"}

PROBE = """
import importlib.abc, json, os, sys, traceback

heavy = set(json.loads(sys.argv[1]))
found = {}


class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        top = name.partition(".")[0]
        if top in heavy and top not in found:
            ours = [f for f in traceback.extract_stack() if "/avrecords/" in f.filename]
            chain = [f"{f.filename.rpartition('/avrecords/')[2]}:{f.lineno}" for f in ours]
            found[top] = " <- ".join(reversed(chain)) or "(not our code: settings or an app)"
        return None


sys.meta_path.insert(0, Watch())
os.environ["DJANGO_SETTINGS_MODULE"] = "avrecords.settings"
import django

django.setup()
import avrecords.cli
from django.core.management import ManagementUtility

for name in json.loads(sys.argv[2]):
    ManagementUtility(["avrecords", name]).fetch_command(name)
# only what was imported: settings locate ninja's files with find_spec, without importing it
print(json.dumps({top: where for top, where in found.items() if top in sys.modules}))
import avrecords.urls

print(json.dumps({top: where for top, where in found.items() if top in sys.modules}))
for name in json.loads(sys.argv[3]):
    ManagementUtility(["avrecords", name]).fetch_command(name)
print(json.dumps({top: where for top, where in found.items() if top in sys.modules}))
"""


def test_the_command_starts_without_any_heavy_library(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AVRECORDS_"))}
    env["AVRECORDS_HOME"] = str(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            json.dumps(HEAVY),
            json.dumps(COMMANDS),
            json.dumps(QUEUE_COMMANDS),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    *_, at_start, with_urls, with_queue = done.stdout.strip().splitlines()
    loaded = json.loads(at_start)
    assert loaded == {}, "imported at start-up:\n" + "\n".join(
        f"  {module}: {where}" for module, where in sorted(loaded.items())
    )
    beyond = {m: w for m, w in json.loads(with_urls).items() if m not in URLS}
    assert beyond == {}, "imported by the URLs:\n" + "\n".join(
        f"  {module}: {where}" for module, where in sorted(beyond.items())
    )
    beyond = {m: w for m, w in json.loads(with_queue).items() if m not in QUEUE | URLS}
    assert beyond == {}, "imported by init or the worker:\n" + "\n".join(
        f"  {module}: {where}" for module, where in sorted(beyond.items())
    )


# Loaded at start-up no longer (issue 22 §1, third round). django-tasks, as an app, ran
# django_stubs_ext.monkeypatch() (which imports the admin's options, sitemaps and syndication
# only to give classes __class_getitem__ for type checkers) and importlib.metadata; it is no
# installed app now and jobs registers its check. The 待办 sources, the review rule and the
# station health import half the platform: the registries import them on first use.
WORKLIST_APPS = (
    "access",
    "compliance",
    "equipment",
    "evidence",
    "recordings",
    "retention",
    "stations",
    "supervision",
)
PANEL_APPS = ("access", "cases", "compliance", "redaction", "retention")
NOT_AT_START = (
    "django_tasks",
    "django_stubs_ext",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "avrecords.supervision.review",
    "avrecords.stations.health",
    "avrecords.web.login_throttle",
    "django.contrib.auth.forms",
    *(f"avrecords.{app}.worklist_sources" for app in WORKLIST_APPS),
    *(f"avrecords.{app}.panels" for app in PANEL_APPS),
    "avrecords.compliance.workflows",
)

SET_UP = """
import json, os, sys

os.environ["DJANGO_SETTINGS_MODULE"] = "avrecords.settings"
import django

django.setup()
print(json.dumps(sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules)))
from avrecords import worklist

print(json.dumps(sorted({source.name.partition(".")[0] for source in worklist.sources()})))
from avrecords import panels

provided = [panels.PLAYBACK.provided, panels.CASE_ACTIVITIES.provided]  # asked first, alone
on_pages = {panel.name.partition(".")[0] for panel in panels.RECORDING.panels + panels.CASE.panels}
print(json.dumps([sorted(on_pages), *provided]))
"""


def test_set_up_leaves_out_what_only_a_page_or_a_task_needs(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AVRECORDS_"))}
    env["AVRECORDS_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SET_UP, json.dumps(NOT_AT_START)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    at_set_up, worklist_apps, on_pages = done.stdout.strip().splitlines()[-3:]
    assert json.loads(at_set_up) == []
    # and the first look at 待办 finds every app's sources, at a page every app's panels and
    # at a rule the app that provides it
    assert json.loads(worklist_apps) == sorted(WORKLIST_APPS)
    assert json.loads(on_pages) == [sorted(PANEL_APPS), True, True]


class RefusedBackend(DummyBackend):
    def check(self, **kwargs):
        return [checks.Error("refused", id="tests.E001")]


def test_it_still_runs_the_task_backends_check():
    import avrecords.jobs.tasks  # noqa: F401  (connects django_tasks' signals, as workers do)

    with override_settings(TASKS={"default": {"BACKEND": f"{__name__}.RefusedBackend"}}):
        errors = checks.run_checks()
    assert [e.id for e in errors if e.id == "tests.E001"] == ["tests.E001"]


ADMIN = """
import os, sys

os.environ["DJANGO_SETTINGS_MODULE"] = "avrecords.settings"
import django

django.setup()
from django.contrib import admin

print(sorted(m for m in ("avrecords.equipment.admin", "django.contrib.auth.admin") if m in sys.modules))
if sys.argv[1] == "urls":
    import avrecords.urls
else:
    from django.core import checks

    checks.run_checks(tags=[checks.Tags.admin])
print(sorted(model._meta.label for model in admin.site._registry))
"""


@pytest.mark.parametrize("first_use", ["urls", "check"])
def test_the_admin_discovers_its_modules_at_first_use_not_in_set_up(tmp_path, first_use):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AVRECORDS_"))}
    env["AVRECORDS_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", ADMIN, first_use],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    at_set_up, registered = done.stdout.strip().splitlines()[-2:]
    assert at_set_up == "[]"
    # ours, Django's and django-otp's admin modules, as ready() used to register them
    for label in ("equipment.Device", "recordings.Recording", "auth.Group", "otp_totp.TOTPDevice"):
        assert label in registered
