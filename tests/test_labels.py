"""Codes and quantities in the words people read (issue 17 §7): lib/labels.py, lib/quantities.py
and the `zh` template filters."""

from __future__ import annotations

import ast
import datetime as dt
import logging
import pathlib
import re

import pytest
from django.template import Context, Template

from avrecords.jobs import periodic
from avrecords.lib import labels, quantities

SRC = pathlib.Path(__file__).resolve().parent.parent / "src" / "avrecords"


def _audit_actions() -> set[str]:
    """Every action string literally passed to an audit `record(...)` call in the code."""
    found = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            first = node.args[0]
            if (
                name == "record"
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and re.fullmatch(r"[a-z_]+\.[a-z_]+", first.value)
            ):
                found.add(first.value)
    return found


def test_every_audit_action_in_the_code_has_a_chinese_label():
    actions = _audit_actions()
    assert len(actions) > 50  # the scan found the calls
    missing = sorted(actions - set(labels.known(labels.ACTION)))
    assert not missing, f"audit actions without a label: {missing}"


def test_every_periodic_step_and_job_kind_has_a_chinese_label():
    kinds = set(periodic.registered()) | {"media.proxy", "media.thumbnail", "compliance.evaluate"}
    missing = sorted(kinds - set(labels.known(labels.JOB)))
    assert not missing, f"jobs without a label: {missing}"


def test_every_role_has_its_chinese_name():
    assert labels.get(labels.ROLE, "unit_head") == "单位负责人"
    assert labels.get(labels.ROLE, "leader") == "分管领导"


def test_labels_are_chinese_and_never_the_code():
    for kind in (labels.ACTION, labels.JOB, labels.ROLE):
        for code, word in labels.known(kind).items():
            assert re.search(r"[\u4e00-\u9fff]", word), (kind, code, word)
            assert code not in word


def test_an_unknown_code_shows_a_generic_word_and_is_logged_once(caplog):
    with caplog.at_level(logging.WARNING, logger="avrecords.lib.labels"):
        assert labels.get(labels.ACTION, "nobody.declared_this") == "其他操作"
        assert labels.get(labels.ACTION, "nobody.declared_this") == "其他操作"
        assert labels.get(labels.JOB, "nobody.declared_this") == "后台任务"
    logged = [r.getMessage() for r in caplog.records]
    assert sum("nobody.declared_this" in m and "action" in m for m in logged) == 1


def test_a_code_cannot_get_two_different_labels():
    labels.register("test-kind", {"a.b": "甲"})
    labels.register("test-kind", {"a.b": "甲"})  # the same word again is harmless
    with pytest.raises(ValueError):
        labels.register("test-kind", {"a.b": "乙"})


@pytest.mark.django_db
def test_an_agency_is_shown_by_its_name():
    assert labels.get(labels.PROFILE, "tongbai") == "桐柏县市场监督管理局"
    assert labels.get(labels.PROFILE, "nowhere") == "适用的执法策略"


def test_a_worker_is_shown_as_a_background_process_on_its_host():
    assert labels.worker("web-1:4242:139872") == "后台处理进程（web-1）"
    assert labels.worker("") == "—"


@pytest.mark.parametrize(
    ("size_bytes", "shown"),
    [
        (0, "0 字节"),
        (900, "900 字节"),
        (350 * 1024, "350 KB"),
        (int(1.2 * 1024**2), "1.2 MB"),
        (5 * 1024**3, "5 GB"),
        (int(1.5 * 1024**3), "1.5 GB"),
        (3 * 1024**4, "3 TB"),
    ],
)
def test_sizes_are_in_the_unit_that_fits(size_bytes, shown):
    assert quantities.size(size_bytes) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (20, "不到 1 分钟"),
        (25 * 60, "25 分钟"),
        (3600 + 5 * 60, "1 小时 05 分"),
        (3 * 3600, "3 小时"),
        (2 * 86400 + 3 * 3600 + 59, "2 天 3 小时"),
        (86400, "1 天"),
    ],
)
def test_durations_are_said_in_their_two_largest_units(seconds, shown):
    assert quantities.duration(seconds) == shown
    assert quantities.duration(dt.timedelta(seconds=seconds)) == shown


def test_lateness_and_recording_lengths():
    assert quantities.overdue(dt.timedelta(minutes=25)) == "逾期 25 分钟"
    assert quantities.overdue(2 * 86400 + 3 * 3600) == "逾期 2 天 3 小时"
    assert quantities.clock(600) == "00:10:00"
    assert quantities.clock(3725.4) == "01:02:05"


def test_the_template_filters_put_codes_and_quantities_into_chinese():
    html = Template(
        '{% load zh %}{{ a|label:"action" }}|{{ j|label:"job" }}|{{ steps|label_each:"role"|join:"→" }}'
        "|{{ b|size }}|{{ late|overdue }}|{{ s|clock }}|{{ w|worker }}"
    ).render(
        Context(
            {
                "a": "recording.view",
                "j": "compliance.evaluate",
                "steps": ["unit_head", "leader"],
                "b": 1_300_000,
                "late": dt.timedelta(minutes=25),
                "s": 600,
                "w": "host:1:2",
            }
        )
    )
    assert (
        html
        == "查看音像记录|合规检查|单位负责人→分管领导|1.2 MB|逾期 25 分钟|00:10:00|后台处理进程（host）"
    )
