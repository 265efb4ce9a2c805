"""E3 staffing ratios and E4 technical specs against the unit's profile, checked on small unit
trees whose answers are worked out by hand in each test."""

from __future__ import annotations

import itertools

import pytest

from avrecords.compliance.models import Activity, ActivityRecording
from avrecords.equipment import staffing
from avrecords.equipment.models import Device, DeviceKind, DeviceStatus
from avrecords.org.models import Role, Unit, User
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from tests.conftest import client_for
from tests.rows import make

_n = itertools.count(1)


def officers(unit, count, *, role=Role.OFFICER, active=True):
    for _ in range(count):
        n = next(_n)
        User.objects.create(
            username=f"p{n}", full_name=f"人员{n}", role=role, unit=unit, is_active=active
        )


def cameras(unit, count, *, kind=DeviceKind.BODY_CAMERA, status=DeviceStatus.IN_SERVICE):
    for _ in range(count):
        Device.objects.create(serial=f"Z{next(_n):06d}", unit=unit, kind=kind, status=status)


def rows_by_name(root):
    units = Unit.objects.filter(path__startswith=root.path)
    return {r.unit.name: r for r in staffing.ratio_report(units)}


def test_tongbai_one_per_three_officers_and_at_least_one_per_unit(org):
    """000§7: 原则上不少于3名执法人员配备1台，每个执法监管机构最低不少于一台."""
    root = Unit.objects.create(name="桐柏县市场监督管理局", code="TB")
    big = Unit.objects.create(name="城关所", code="TB1", parent=root)
    small = Unit.objects.create(name="月河所", code="TB2", parent=root)
    empty = Unit.objects.create(name="办公室", code="TB3", parent=root)
    assign(org.sysadmin, root, PolicyProfile.objects.get(code="tongbai"))
    officers(big, 7)  # ceil(7/3) = 3 needed
    officers(big, 2, active=False)  # people who left do not count
    officers(big, 1, role=Role.ADMIN)  # nor do administrators
    cameras(big, 2)
    cameras(big, 1, status=DeviceStatus.LOST)  # a lost camera is not equipment
    cameras(big, 1, kind=DeviceKind.AUDIO_RECORDER)  # nor is a voice recorder
    officers(small, 1)  # ceil(1/3) = 1, and at least 1 per unit
    cameras(small, 1, kind=DeviceKind.HANDHELD, status=DeviceStatus.SPARE)
    cameras(empty, 1)
    rows = rows_by_name(root)
    assert (rows["城关所"].officers, rows["城关所"].cameras, rows["城关所"].required) == (7, 2, 3)
    assert not rows["城关所"].ok and rows["城关所"].shortfall == 1
    assert rows["城关所"].reasons == ["7 名执法人员按每 3 人 1 台需 3 台"]
    assert rows["城关所"].cite == "000§7"
    assert rows["月河所"].ok and rows["月河所"].required == 1
    assert not rows["办公室"].applies and not rows["桐柏县市场监督管理局"].applies


def test_fuzhou_one_per_two_and_two_per_field_squad(org):
    """004§5: 每2名执法人员配备1台；每个现场执法分队至少2台."""
    root = Unit.objects.create(name="福州市城管支队", code="FZ")
    squad_a = Unit.objects.create(name="一大队一分队", code="FZ1", parent=root, field_squad=True)
    squad_b = Unit.objects.create(name="一大队二分队", code="FZ2", parent=root, field_squad=True)
    office = Unit.objects.create(name="法制科", code="FZ3", parent=root)
    assign(org.sysadmin, root, PolicyProfile.objects.get(code="fuzhou"))
    officers(squad_a, 3)  # ceil(3/2) = 2, field squad 2 → 2
    cameras(squad_a, 1)
    cameras(squad_a, 1, status=DeviceStatus.REPAIR)  # under repair: not counted
    officers(squad_b, 1)  # ceil(1/2) = 1, but a field squad needs 2
    cameras(squad_b, 2)
    officers(office, 5)  # ceil(5/2) = 3
    cameras(office, 3)
    rows = rows_by_name(root)
    a, b, c = rows["一大队一分队"], rows["一大队二分队"], rows["法制科"]
    assert (a.required, a.cameras, a.ok) == (2, 1, False)
    assert a.reasons == ["3 名执法人员按每 2 人 1 台需 2 台", "现场执法分队不少于 2 台"]
    assert (b.required, b.cameras, b.ok) == (2, 2, True)
    assert b.reasons == ["现场执法分队不少于 2 台"]
    assert (c.required, c.cameras, c.ok) == (3, 3, True)
    page = client_for(org.sysadmin).get("/equipment/staffing").content.decode()
    assert "低于标准，缺 1 台" in page and ">第五条</span>" in page


def test_a_unit_without_a_profile_is_not_judged(org):
    rows = rows_by_name(org.bureau)
    assert all(not r.applies for r in rows.values())


def test_devices_below_the_profiles_minimum_are_flagged_for_replacement(org):
    """000§6 (tongbai): 1080P, 8 hours, 32 GB and tamper-proof files (the platform's numbers)."""
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    good = {"resolution": 1080, "battery_hours": 10, "storage_gb": 64, "tamper_proof": True}
    old = {"resolution": 720, "battery_hours": 4.5, "storage_gb": 64, "tamper_proof": False}
    Device.objects.filter(pk=org.camera.pk).update(specs=good)
    weak = Device.objects.create(serial="350B001", unit=org.squad1, specs=old)
    unknown = Device.objects.create(serial="350B002", unit=org.squad1, specs={})
    Device.objects.create(serial="350B003", unit=org.squad1, kind=DeviceKind.CAMERA, specs=old)
    flagged = dict(staffing.below_spec(Device.objects.all()))
    assert list(flagged) == [weak]  # the photo camera is not held to the recorder minimum
    assert flagged[weak] == [
        "分辨率 720P 低于 1080P",
        "续航 4.5 小时 低于 8 小时",
        "不具备文件防删改功能",
    ]
    minimum = PolicyProfile.objects.get(code="tongbai").profile.equipment.specs
    assert staffing.spec_shortfalls(unknown, minimum) == (
        [],
        ["分辨率", "续航", "存储", "文件防删改"],
    )
    page = client_for(org.admin).get(f"/equipment/devices/{weak.pk}/").content.decode()
    assert "低于本单位技术标准" in page and ">第六条</span>" in page


@pytest.mark.parametrize("proof", [True, False])
def test_explosive_area_activity_needs_an_explosion_proof_device(org, proof):
    """001§6(1) (chengde): 在爆炸危险区域实施执法检查须使用符合防爆规定的设备."""
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="chengde"))
    Device.objects.filter(pk=org.camera.pk).update(specs={"explosion_proof": proof})
    rec = make(org, "3501001_350211_20261120100000_0001.mp4", device=org.camera)
    activity = Activity.objects.create(
        unit=org.squad1,
        kind="on_site_inspection",
        kind_name="现场检查",
        must_record=True,
        started_at=rec.started_at,
        ended_at=rec.ended_at,
        source="web",
        explosive_area=True,
    )
    ActivityRecording.objects.create(activity=activity, recording=rec)
    problems = staffing.explosion_check(activity)
    if proof:
        assert problems == []
    else:
        assert problems == [
            "设备 3501001 未登记为防爆设备，不得在爆炸危险区域使用（001§6(1)）",
            "本单位未配备防爆音像记录设备；依 001§6(1) 可不进行现场记录，但须制作工作记录报主管领导",
        ]
