"""Issue 19 §5 (M1, E2, U1): assigning what arrived unbound, on its page, by the API and in
bulk from the list, with the start time's source recorded and shown.

The recordings are real videos imported through a station without a GA/T 947 name, so they
wait (待指派) with the container's creation time (10:00 Beijing time). 张伟 holds camera
3501001 all year; camera 3501007 is on the shelf until 王芳 takes it at 12:00 that day.
"""

from __future__ import annotations

import datetime as dt
from itertools import count
from pathlib import Path

import pytest

from avrecords.audit.models import AuditEntry
from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import ActivityRecording, Finding, FindingKind, FindingStatus
from avrecords.demo import media
from avrecords.equipment.custody import issue_device
from avrecords.equipment.models import Device
from avrecords.jobs import services as jobs
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.ingest import Ingestor
from avrecords.recordings.models import IngestSource, Recording
from avrecords.retention.models import RecordingRetention
from tests.conftest import client_for
from tests.rows import BEIJING

BULK = "/recordings/bulk/"
CREATED = "2026-11-20T02:00:00.000000Z"  # 10:00 Beijing time
_variant = count(1)


def beijing(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 20, hour, minute, tzinfo=BEIJING)


@pytest.fixture
def wang_camera(org) -> Device:
    camera = Device.objects.create(serial="3501007", unit=org.squad1)
    issue_device(camera, org.officer2, when=beijing(12))
    return camera


@pytest.fixture
def waiting(org, tmp_path):
    """`waiting(name)`: a real video imported by the squad's station, waiting for assignment."""

    def make(name: str, created: str = CREATED) -> Recording:
        path: Path = media.make_video(
            tmp_path / name, seconds=1, creation_time=created, variant=next(_variant)
        )
        ingestor = Ingestor(source=IngestSource.STATION, station=org.station, operator=org.admin)
        result = ingestor.ingest_file(path, name)
        ingestor.finish()
        rec = Recording.objects.get(pk=result.recording_id)
        assert rec.needs_assignment and rec.officer is None
        assert rec.time_source == ("container" if created else "filename")
        return rec

    return make


def assign_api(user, rec: Recording, **body):
    return client_for(user).post(
        f"/api/v1/recordings/{rec.pk}/assignment", body, content_type="application/json"
    )


def page_of(user, rec: Recording) -> str:
    return client_for(user).get(f"/recordings/{rec.pk}/").content.decode()


# --- on the recording's page ------------------------------------------------------------------


def test_the_box_shows_the_start_time_and_where_it_came_from(org, waiting):
    rec = waiting("现场检查_李记餐馆.mp4")
    page = page_of(org.admin, rec)
    assert f'action="/recordings/{rec.pk}/assign"' in page
    assert 'name="started_at" step="1" value="2026-11-20T10:00:00"' in page
    assert "开始时间来源：容器元数据" in page


def test_a_start_time_set_by_hand_is_recorded_as_manual_with_the_old_value(org, waiting):
    rec = waiting("现场检查_张三食品店.mp4")
    client = client_for(org.admin)
    response = client.post(
        f"/recordings/{rec.pk}/assign",
        {"officer": org.officer.pk, "started_at": "2026-11-20T14:05:00"},
    )
    assert response.status_code == 302
    rec.refresh_from_db()
    assert (rec.officer, rec.needs_assignment, rec.time_source) == (org.officer, False, "manual")
    assert rec.started_at == beijing(14, 5)
    assert rec.ended_at == rec.started_at + dt.timedelta(seconds=rec.duration_seconds)
    entry = AuditEntry.objects.get(action="recording.assign", object_id=str(rec.pk))
    assert entry.detail["before"]["time_source"] == "container"
    assert entry.detail["before"]["started_at"] == "2026-11-20T02:00:00+00:00"
    assert entry.detail["after"]["time_source"] == "manual"
    assert entry.detail["after"]["officer"] == org.officer.pk
    assert "开始时间由 2026-11-20 10:00:00（容器元数据）改为 2026-11-20 14:05:00（人工指定）" in (
        entry.summary
    )
    page = client.get(response["Location"]).content.decode()
    assert "已指派给 张伟" in page and "开始时间来源：人工指定" in page
    assert f'action="/recordings/{rec.pk}/assign"' not in page  # no longer waiting


def test_the_time_as_the_page_showed_it_is_not_a_change(org, waiting):
    rec = waiting("现场检查_原时间.mp4")
    client_for(org.admin).post(
        f"/recordings/{rec.pk}/assign",
        {"officer": org.officer.pk, "started_at": "2026-11-20T10:00:00"},
    )
    rec.refresh_from_db()
    assert (rec.officer, rec.time_source, rec.started_at) == (org.officer, "container", beijing(10))


def test_a_time_alone_is_corrected_and_the_recording_still_waits(org, waiting):
    rec = waiting("现场检查_只改时间.mp4")
    client = client_for(org.admin)
    response = client.post(f"/recordings/{rec.pk}/assign", {"started_at": "2026-11-20T15:00:00"})
    rec.refresh_from_db()
    assert (rec.needs_assignment, rec.officer, rec.time_source) == (True, None, "manual")
    assert rec.started_at == beijing(15)
    entry = AuditEntry.objects.get(action="recording.start_time")
    assert entry.detail["before"]["started_at"] == "2026-11-20T02:00:00+00:00"
    assert not AuditEntry.objects.filter(action="recording.assign").exists()
    page = client.get(response["Location"]).content.decode()
    assert "已更正开始时间（人工指定），该记录仍待指派" in page
    assert "更正开始时间" in page  # the trail names the action in Chinese


def test_a_later_time_by_hand_extends_the_retention_and_an_earlier_does_not_shorten_it(
    org, waiting
):
    """Retention counts from the recording's time (M5); a correction is re-evaluated as an
    import is, and retention is only ever extended without approval."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    rec = waiting("现场检查_保存期限.mp4")
    jobs.run_pending()
    first = RecordingRetention.objects.get(recording=rec).keep_until
    client = client_for(org.admin)
    client.post(f"/recordings/{rec.pk}/assign", {"started_at": "2026-12-01T10:00:00"})
    jobs.run_pending()
    later = RecordingRetention.objects.get(recording=rec).keep_until
    assert later == first + dt.timedelta(days=11)
    client.post(f"/recordings/{rec.pk}/assign", {"started_at": "2026-11-01T10:00:00"})
    jobs.run_pending()
    assert RecordingRetention.objects.get(recording=rec).keep_until == later


def test_a_device_alone_binds_to_whoever_held_it_at_the_start_time(org, waiting):
    rec = waiting("现场检查_按设备.mp4")
    client_for(org.admin).post(f"/recordings/{rec.pk}/assign", {"device": org.camera.pk})
    rec.refresh_from_db()
    assert (rec.officer, rec.device, rec.needs_assignment) == (org.officer, org.camera, False)


def test_custody_is_read_at_the_corrected_time(org, waiting, wang_camera):
    rec = waiting("现场检查_时钟错.mp4")
    refused = assign_api(org.admin, rec, device_id=wang_camera.pk)
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "设备 3501007 在 2026-11-20 10:00:00 没有领用人，请选择执法人员"
    )
    response = assign_api(
        org.admin, rec, device_id=wang_camera.pk, started_at="2026-11-20T14:05:00+08:00"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["officer_name"], body["time_source"]) == ("王芳", "manual")


def test_nothing_chosen_is_refused_in_chinese(org, waiting):
    rec = waiting("现场检查_未选择.mp4")
    client = client_for(org.admin)
    response = client.post(f"/recordings/{rec.pk}/assign", {}, follow=True)
    assert "未指派：请选择执法人员或设备，或填写开始时间" in response.content.decode()
    assert assign_api(org.admin, rec).json()["detail"] == "请选择执法人员或设备，或填写开始时间"
    rec.refresh_from_db()
    assert rec.needs_assignment and rec.time_source == "container"


def test_a_start_time_in_the_future_is_refused_and_nothing_changes(org, waiting):
    rec = waiting("现场检查_未来.mp4")
    response = assign_api(
        org.admin, rec, officer_id=org.officer.pk, started_at="2099-01-01T09:00:00+08:00"
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "开始时间不能晚于当前时间"
    rec.refresh_from_db()
    assert (rec.officer, rec.time_source, rec.started_at) == (None, "container", beijing(10))
    assert not AuditEntry.objects.filter(action__startswith="recording.assign").exists()


# --- who may ---------------------------------------------------------------------------------


def test_an_officer_is_refused_on_the_page_the_api_and_the_list(org, waiting):
    """He does not see a station's unbound recording (404, scope first); the list's bulk
    action refuses his role before anything (403)."""
    rec = waiting("现场检查_执法人员.mp4")
    officer = client_for(org.officer)
    page = officer.post(f"/recordings/{rec.pk}/assign", {"officer": org.officer.pk})
    assert page.status_code == 404
    assert assign_api(org.officer, rec, officer_id=org.officer.pk).status_code == 404
    bulk = officer.post(BULK, {"action": "assign_custody", "recording": rec.pk})
    assert bulk.status_code == 403
    rec.refresh_from_db()
    assert rec.needs_assignment and rec.time_source == "container"
    assert not AuditEntry.objects.filter(action__startswith="recording.assign").exists()


def test_an_administrator_of_another_unit_does_not_see_it(org, waiting):
    rec = waiting("现场检查_别的中队.mp4")
    assert assign_api(org.other_admin, rec, officer_id=org.other_officer.pk).status_code == 404
    assert (
        client_for(org.other_admin)
        .post(f"/recordings/{rec.pk}/assign", {"started_at": "2026-11-20T15:00:00"})
        .status_code
        == 404
    )
    rec.refresh_from_db()
    assert rec.time_source == "container"


def test_a_device_or_person_outside_the_administrators_units_is_refused(org, waiting):
    rec = waiting("现场检查_范围外.mp4")
    device = assign_api(org.admin, rec, device_id=org.camera2.pk, started_at="2026-11-20T15:00")
    assert device.status_code == 422
    assert device.json()["detail"] == "所选设备不存在或不在您的管辖范围内"
    person = assign_api(org.admin, rec, officer_id=org.other_officer.pk)
    assert person.status_code == 422
    assert person.json()["detail"] == "所选执法人员不存在、已停用或不在您的管辖范围内"
    rec.refresh_from_db()
    assert (rec.officer, rec.time_source) == (None, "container")  # the time was not kept


def test_a_system_administrator_may_assign_by_custody(org, waiting):
    rec = waiting("现场检查_系统管理员.mp4")
    response = assign_api(org.sysadmin, rec, device_id=org.camera.pk)
    assert response.status_code == 200 and response.json()["officer_name"] == "张伟"


# --- in bulk from the list ---------------------------------------------------------------------


def test_the_list_offers_both_bulk_assignments(org):
    page = client_for(org.admin).get("/recordings/").content.decode()
    assert 'value="assign"' in page and 'value="assign_custody"' in page
    assert "按各自时间匹配领用人" in page


def test_bulk_assigns_the_same_officer_and_device_to_several(org, waiting):
    a, b = waiting("批量_甲.mp4"), waiting("批量_乙.mp4")
    response = client_for(org.admin).post(
        BULK,
        {
            "action": "assign",
            "officer": org.officer.pk,
            "device": org.camera.pk,
            "recording": [a.pk, b.pk],
        },
    )
    html = response.content.decode()
    assert "办理 2 条" in html
    assert f"#{a.pk} 批量_甲.mp4：已指派给 张伟（设备 3501001）" in html
    for rec in (a, b):
        rec.refresh_from_db()
        assert (rec.officer, rec.device, rec.time_source) == (org.officer, org.camera, "container")
    assert AuditEntry.objects.filter(action="recording.assign").count() == 2


def test_bulk_matches_each_to_the_holder_at_its_own_time(org, waiting, wang_camera):
    """At 10:00 nobody held 3501007: refused by name. At 14:05 (its container time) and at
    15:00 (its time corrected by hand first) 王芳 did."""
    early = waiting("按时间_上午.mp4")
    afternoon = waiting("按时间_下午.mp4", created="2026-11-20T06:05:00.000000Z")
    corrected = waiting("按时间_已更正.mp4")
    client = client_for(org.admin)
    client.post(f"/recordings/{corrected.pk}/assign", {"started_at": "2026-11-20T15:00:00"})

    response = client.post(
        BULK,
        {
            "action": "assign_custody",
            "device": wang_camera.pk,
            "recording": [early.pk, afternoon.pk, corrected.pk],
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "按各自时间匹配领用人" in html and "办理 2 条" in html and "未办理 1 条" in html
    assert (
        f"#{early.pk} 按时间_上午.mp4：设备 3501007 在 2026-11-20 10:00:00 没有领用人，"
        "请选择执法人员" in html
    )
    assert f"#{afternoon.pk} 按时间_下午.mp4：已指派给 王芳（设备 3501007）" in html
    assert f"#{corrected.pk} 按时间_已更正.mp4：已指派给 王芳（设备 3501007）" in html
    early.refresh_from_db()
    corrected.refresh_from_db()
    assert early.needs_assignment and early.officer is None
    assert (corrected.officer, corrected.time_source, corrected.started_at) == (
        org.officer2,
        "manual",
        beijing(15),
    )


def test_bulk_by_custody_without_a_device_uses_the_one_the_name_names(org, waiting, wang_camera):
    """A station import keeps the registered camera its name names though nobody held it at
    the name's time; once that time is corrected, matching needs no device chosen."""
    named = waiting("3501007_359999_20261120100000_0001.MP4", created="")
    assert (named.device, named.time_source) == (wang_camera, "filename")
    unnamed = waiting("无设备_现场.mp4")
    client = client_for(org.admin)
    client.post(f"/recordings/{named.pk}/assign", {"started_at": "2026-11-20T15:00:00"})
    response = client.post(BULK, {"action": "assign_custody", "recording": [named.pk, unnamed.pk]})
    html = response.content.decode()
    assert f"#{named.pk} 3501007_359999_20261120100000_0001.MP4：已指派给 王芳（设备 3501007）" in (
        html
    )
    assert (
        f"#{unnamed.pk} 无设备_现场.mp4：未选择设备，文件名中也没有本单位已登记的设备，"
        "无法按领用记录匹配" in html
    )


# --- the compliance engine -----------------------------------------------------------------------


def test_the_engine_reevaluates_after_assignment(org, waiting):
    """A fuzhou inquiry 14:00–14:40 with no recording is 应记录未记录. Bound at its container
    time (10:00) a recording does not cover it; bound at the time set by hand (14:05) it does:
    the finding is cleared, and the recording, stored weeks after it was made, is late."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind="inquiry",
            started_at=beijing(14),
            ended_at=beijing(14, 40),
            officers=[org.officer],
        ),
    )
    [missing] = evaluate_activity(activity)
    assert missing.kind == FindingKind.MISSING and missing.status == FindingStatus.OPEN
    at_ten, by_hand = waiting("询问_上午.mp4"), waiting("询问_下午.mp4")
    jobs.run_pending()
    assert not Finding.objects.filter(recording__in=[at_ten, by_hand]).exists()

    assert assign_api(org.admin, at_ten, officer_id=org.officer.pk).status_code == 200
    jobs.run_pending()
    missing.refresh_from_db()
    assert missing.status == FindingStatus.OPEN
    assert Finding.objects.filter(recording=at_ten, kind=FindingKind.LATE_INGEST).exists()

    response = assign_api(
        org.admin, by_hand, officer_id=org.officer.pk, started_at="2026-11-20T14:05:00+08:00"
    )
    assert response.status_code == 200
    jobs.run_pending()
    missing.refresh_from_db()
    assert missing.status == FindingStatus.CLEARED
    assert ActivityRecording.objects.filter(activity=activity, recording=by_hand).exists()
