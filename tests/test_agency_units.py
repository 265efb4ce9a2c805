"""The unit tree's services (issue 18 §1): create, rename, move, 现场执法分队, retire and
reinstate, each audited with before/after, each refusal in Chinese with nothing written; the
move rewrites the subtree's paths and everyone's scope follows it; the offices a profile
names; and the pages that call them (the API is in tests/test_agency_units_api.py)."""

from __future__ import annotations

import pytest

from avrecords.access.models import AccessRequest
from avrecords.agency import units as svc
from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import Finding
from avrecords.equipment.models import Clearance, Device, DeviceStatus
from avrecords.lib.refusals import Conflict, Forbidden, Invalid
from avrecords.org.models import Role, Unit, User
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.models import Recording
from tests.conftest import Org, client_for
from tests.rows import make


def entries(action: str):
    return list(AuditEntry.objects.filter(action=action))


def unchanged(unit: Unit) -> dict:
    return Unit.objects.filter(pk=unit.pk).values(
        "name", "code", "parent", "path", "field_squad", "retired_at"
    )[0]


# --- create -------------------------------------------------------------------------------


def test_it_creates_a_unit_with_a_generated_code_and_one_audit_entry(org: Org):
    unit = svc.create_unit(org.sysadmin, name=" 执法三中队 ", parent=org.bureau)
    assert unit.name == "执法三中队"
    assert unit.code == "T350200-03"
    assert unit.path == f"{org.bureau.path}{unit.pk:06d}."
    [entry] = entries("agency.unit_create")
    assert entry.object_id == str(unit.pk)
    assert entry.detail["before"] == {}
    assert entry.detail["after"]["name"] == "执法三中队"
    assert entry.detail["after"]["parent_name"] == "某市市场监督管理局"


def test_it_creates_a_field_squad_with_the_code_given(org: Org):
    unit = svc.create_unit(
        org.sysadmin, name="现场执法分队", code="T350200-09", parent=org.squad1, field_squad=True
    )
    assert (unit.code, unit.field_squad, unit.parent) == ("T350200-09", True, org.squad1)


def test_a_system_administrator_may_add_another_top_level_unit(org: Org):
    unit = svc.create_unit(org.sysadmin, name="福州市市场监督管理局")
    assert unit.parent is None and unit.depth == 0 and unit.code.startswith("U")


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"name": ""}, "name", "请填写单位名称"),
        ({"name": "执法一中队"}, "name", "某市市场监督管理局下已有名为“执法一中队”的单位"),
        (
            {"name": "执法三中队", "code": "t350200-01"},
            "code",
            "单位代码 t350200-01 已属于 执法一中队",
        ),
        ({"name": "执法三中队", "code": "一中队"}, "code", "单位代码只能由数字、字母"),
        ({"name": "队" * 101}, "name", "单位名称最多 100 个字"),
    ],
)
def test_it_refuses_a_bad_new_unit_naming_the_field(org: Org, fields, field, reason):
    before = Unit.objects.count()
    with pytest.raises(Invalid) as refused:
        svc.create_unit(org.sysadmin, parent=org.bureau, **fields)
    assert refused.value.fields[field].startswith(reason)
    assert Unit.objects.count() == before
    assert not entries("agency.unit_create")


def test_it_refuses_a_unit_under_a_retired_one(org: Org):
    Unit.objects.filter(pk=org.squad2.pk).update(retired_at="2026-12-01T00:00:00Z")
    org.squad2.refresh_from_db()
    with pytest.raises(Invalid) as refused:
        svc.create_unit(org.sysadmin, name="三组", parent=org.squad2)
    assert refused.value.fields == {"parent": "执法二中队已撤销"}


def test_a_retired_sibling_keeps_its_name(org: Org):
    Unit.objects.filter(pk=org.squad2.pk).update(retired_at="2026-12-01T00:00:00Z")
    with pytest.raises(Invalid) as refused:
        svc.create_unit(org.sysadmin, name="执法二中队", parent=org.bureau)
    assert "已撤销，可恢复" in refused.value.fields["name"]


@pytest.mark.parametrize("who", ["bureau_admin", "leader", "officer", "head2"])
def test_only_system_administrators_manage_units(org: Org, who):
    with pytest.raises(Forbidden) as refused:
        svc.create_unit(getattr(org, who), name="执法三中队", parent=org.bureau)
    assert str(refused.value) == "无权管理单位（仅限系统管理员）"
    with pytest.raises(Forbidden):
        svc.rename_unit(getattr(org, who), org.squad1, name="一中队")
    assert not AuditEntry.objects.filter(action__startswith="agency.").exists()


# --- rename and field squad -----------------------------------------------------------------


def test_it_renames_a_unit_with_before_and_after(org: Org):
    svc.rename_unit(org.sysadmin, org.squad1, name="执法第一中队", code="T350200-1")
    org.squad1.refresh_from_db()
    assert (org.squad1.name, org.squad1.code) == ("执法第一中队", "T350200-1")
    [entry] = entries("agency.unit_rename")
    assert entry.detail["before"]["name"] == "执法一中队"
    assert entry.detail["after"]["name"] == "执法第一中队"
    assert entry.summary == "单位 执法一中队 更名为 执法第一中队"


def test_renaming_to_the_same_name_changes_nothing(org: Org):
    svc.rename_unit(org.sysadmin, org.squad1, name="执法一中队")
    assert not entries("agency.unit_rename")


def test_it_refuses_a_name_a_sibling_has(org: Org):
    before = unchanged(org.squad1)
    with pytest.raises(Invalid) as refused:
        svc.rename_unit(org.sysadmin, org.squad1, name="执法二中队")
    assert "已有名为“执法二中队”的单位" in refused.value.fields["name"]
    assert unchanged(org.squad1) == before and not entries("agency.unit_rename")


def test_it_marks_and_unmarks_a_field_squad(org: Org):
    svc.set_field_squad(org.sysadmin, org.squad2, True)
    svc.set_field_squad(org.sysadmin, org.squad2, True)  # no change, no entry
    svc.set_field_squad(org.sysadmin, org.squad2, False)
    first, second = entries("agency.unit_field_squad")
    assert (first.detail["before"]["field_squad"], first.detail["after"]["field_squad"]) == (
        False,
        True,
    )
    assert second.detail["after"]["field_squad"] is False


def test_a_retired_unit_is_not_edited(org: Org):
    Unit.objects.filter(pk=org.squad2.pk).update(retired_at="2026-12-01T00:00:00Z")
    org.squad2.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        svc.rename_unit(org.sysadmin, org.squad2, name="二中队")
    assert str(refused.value) == "执法二中队已撤销，请先恢复"


# --- move -----------------------------------------------------------------------------------


def test_moving_a_unit_rewrites_the_paths_of_its_subtree(org: Org):
    group = svc.create_unit(org.sysadmin, name="一组", parent=org.squad1)
    team = svc.create_unit(org.sysadmin, name="一班", parent=group)
    svc.move_unit(org.sysadmin, org.squad1, org.squad2)
    for unit in (org.squad1, group, team):
        unit.refresh_from_db()
    assert org.squad1.path == f"{org.squad2.path}{org.squad1.pk:06d}."
    assert group.path == f"{org.squad1.path}{group.pk:06d}."
    assert team.path == f"{group.path}{team.pk:06d}."
    assert team.depth == 4
    [entry] = entries("agency.unit_move")
    assert entry.detail["before"]["parent_name"] == "某市市场监督管理局"
    assert entry.detail["after"]["parent_name"] == "执法二中队"


def test_the_scope_follows_the_moved_subtree(org: Org):
    """陈刚 heads 一组; moved under 二中队 with it, he still sees his officer's recording, and
    二中队's head now sees it too while 一中队's admin no longer does."""
    group = svc.create_unit(org.sysadmin, name="一组", parent=org.squad1)
    head = Org._user("chengang", "陈刚", Role.UNIT_HEAD, group)
    officer = Org._user("liuyang", "刘洋", Role.OFFICER, group)
    recording = make(org, "3501009_350219_20261120100000_0001.MP4", officer=officer)
    assert Recording.objects.visible_to(org.admin).filter(pk=recording.pk).exists()
    assert not Recording.objects.visible_to(org.head2).filter(pk=recording.pk).exists()

    svc.move_unit(org.sysadmin, group, org.squad2)

    def sees(user) -> bool:
        user = User.objects.get(pk=user.pk)  # a new request: no cached scope
        return Recording.objects.visible_to(user).filter(pk=recording.pk).exists()

    assert sees(head) and sees(org.head2) and sees(officer)
    assert not sees(org.admin)


@pytest.mark.parametrize("target", ["itself", "descendant"])
def test_it_refuses_to_move_a_unit_under_itself_or_its_descendant(org: Org, target):
    group = svc.create_unit(org.sysadmin, name="一组", parent=org.squad1)
    before = unchanged(org.squad1)
    parent = org.squad1 if target == "itself" else group
    with pytest.raises(Invalid) as refused:
        svc.move_unit(org.sysadmin, org.squad1, parent)
    assert refused.value.fields == {"parent": "不能把执法一中队移到其本身或其下级单位之下"}
    assert unchanged(org.squad1) == before and not entries("agency.unit_move")


def test_it_refuses_a_move_beside_a_unit_of_the_same_name(org: Org):
    svc.create_unit(org.sysadmin, name="执法一中队", parent=org.squad2)
    with pytest.raises(Invalid) as refused:
        svc.move_unit(org.sysadmin, org.squad1, org.squad2)
    assert refused.value.fields == {"parent": "执法二中队下已有名为“执法一中队”的单位"}


def test_a_move_into_another_profile_tells_compliance(org: Org, monkeypatch):
    other = svc.create_unit(org.sysadmin, name="福州市城市管理委员会")
    policies.assign(None, other, PolicyProfile.objects.get(code="fuzhou"))
    told = []
    monkeypatch.setattr(
        "avrecords.compliance.jobs.enqueue", lambda *args: told.append(args), raising=True
    )
    svc.move_unit(org.sysadmin, org.squad2, other)
    assert told == [("compliance.reevaluate_unit", "unit", org.squad2.pk)]
    assert policies.profile_for_unit(org.squad2).code == "fuzhou"


# --- retire and reinstate -------------------------------------------------------------------


def empty_unit(org: Org) -> Unit:
    return svc.create_unit(org.sysadmin, name="撤并专班", parent=org.bureau)


def test_it_retires_an_empty_unit_and_reinstates_it(org: Org):
    unit = empty_unit(org)
    svc.retire_unit(org.sysadmin, unit, "机构改革撤并")
    unit.refresh_from_db()
    assert unit.retired_at is not None
    [entry] = entries("agency.unit_retire")
    assert entry.detail["before"]["retired_at"] is None
    assert entry.detail["after"]["retired_at"] is not None
    assert entry.detail["reason"] == "机构改革撤并"
    svc.reinstate_unit(org.sysadmin, unit)
    unit.refresh_from_db()
    assert unit.retired_at is None
    assert len(entries("agency.unit_reinstate")) == 1


def test_it_refuses_to_retire_without_a_reason(org: Org):
    unit = empty_unit(org)
    with pytest.raises(Invalid) as refused:
        svc.retire_unit(org.sysadmin, unit, "  ")
    assert refused.value.fields == {"reason": "请填写撤销原因"}
    assert unchanged(unit)["retired_at"] is None


def test_it_refuses_to_retire_a_unit_with_anything_active_naming_each(org: Org):
    """一中队 has 张伟 and 王芳 at work, a camera, and below the bureau a squad not retired."""
    before = unchanged(org.bureau)
    with pytest.raises(Conflict) as refused:
        svc.retire_unit(org.sysadmin, org.bureau, "撤并")
    reasons = refused.value.reasons
    assert any(r.startswith("仍有在岗人员 ") and "张伟" in r for r in reasons)
    assert any(r.startswith("仍有未报废的设备 2 台（") and "3501001" in r for r in reasons)
    assert "仍有未撤销的下级单位 2 个（执法一中队、执法二中队）" in reasons
    assert str(refused.value).startswith("某市市场监督管理局不能撤销：")
    assert unchanged(org.bureau) == before and not entries("agency.unit_retire")


def _only(unit: Unit, make_thing) -> list[str]:
    make_thing(unit)
    with pytest.raises(Conflict) as refused:
        svc.retire_unit(User.objects.get(username="xitong"), unit, "撤并")
    return refused.value.reasons


def test_each_open_thing_keeps_a_unit_from_being_retired(org: Org):
    unit = empty_unit(org)
    person = Org._user("liming", "李明", Role.OFFICER, unit)
    assert _only(unit, lambda u: None) == ["仍有在岗人员 1 名（李明）"]
    User.objects.filter(pk=person.pk).update(is_active=False)
    device = Device.objects.create(serial="3509001", unit=unit)
    assert _only(unit, lambda u: None) == ["仍有未报废的设备 1 台（3509001）"]
    Device.objects.filter(pk=device.pk).update(status=DeviceStatus.RETIRED)
    supervisor = Org._user("jiandu2", "吴敏", Role.SUPERVISOR, org.bureau)
    supervisor.supervised_units.add(unit)
    assert _only(unit, lambda u: None) == ["仍有挂钩监督的监督人员 1 名（吴敏）"]
    supervisor.supervised_units.clear()
    child = svc.create_unit(org.sysadmin, name="专班一组", parent=unit)
    assert _only(unit, lambda u: None) == ["仍有未撤销的下级单位 1 个（专班一组）"]
    svc.retire_unit(org.sysadmin, child, "撤并")
    svc.retire_unit(org.sysadmin, unit, "撤并")  # now nothing keeps it


def test_open_findings_requests_and_clearances_keep_a_unit(org: Org):
    rec = make(org, "3501001_350211_20261120100000_0001.MP4")
    Finding.objects.create(key="t:1", kind="gap", unit=org.squad1, officer=org.officer)
    request = AccessRequest.objects.create(
        number="CY-1", kind="copy", requester=org.officer, unit=org.squad1, reason="复核"
    )
    request.recordings.add(rec)
    Clearance.objects.create(
        person=org.officer2,
        kind="leave",
        successor=org.officer,
        unit=org.squad1,
        started_by=org.admin,
        started_at="2026-12-01T00:00:00Z",
        due_at="2026-12-10T00:00:00Z",
    )
    with pytest.raises(Conflict) as refused:
        svc.retire_unit(org.sysadmin, org.squad1, "撤并")
    reasons = "；".join(refused.value.reasons)
    for said in ("待处理的合规问题 1 项（记录中断）", "待审批或待办理的查阅复制申请 1 件（CY-1）"):
        assert said in reasons
    assert "办理中的离岗交接 1 件（王芳）" in reasons


def test_it_refuses_to_retire_twice_or_reinstate_what_is_not_retired(org: Org):
    unit = empty_unit(org)
    with pytest.raises(Conflict) as refused:
        svc.reinstate_unit(org.sysadmin, unit)
    assert str(refused.value) == "撤并专班未撤销"
    svc.retire_unit(org.sysadmin, unit, "撤并")
    with pytest.raises(Conflict):
        svc.retire_unit(org.sysadmin, unit, "撤并")
    assert len(entries("agency.unit_retire")) == 1


def test_a_unit_under_a_retired_parent_is_not_reinstated(org: Org):
    unit = empty_unit(org)
    child = svc.create_unit(org.sysadmin, name="专班一组", parent=unit)
    svc.retire_unit(org.sysadmin, child, "撤并")
    svc.retire_unit(org.sysadmin, unit, "撤并")
    child.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        svc.reinstate_unit(org.sysadmin, child)
    assert str(refused.value) == "上级单位撤并专班已撤销，请先恢复上级单位"


# --- profile and offices --------------------------------------------------------------------


def test_it_assigns_a_profile_through_the_policies_service(org: Org):
    svc.assign_profile(org.sysadmin, org.squad2, "fuzhou")
    assert policies.profile_for_unit(org.squad2).code == "fuzhou"
    [entry] = entries("policy.assign")
    assert entry.object_id == str(org.squad2.pk)
    with pytest.raises(Invalid) as refused:
        svc.assign_profile(org.sysadmin, org.squad2, "nosuch")
    assert refused.value.fields == {"profile": "所选策略不存在"}


def test_the_office_chengde_names_is_missing_then_set_up(org: Org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="chengde"))
    [office] = svc.offices()
    assert (office.name, office.root, office.unit, office.cites) == (
        "办公室",
        org.bureau,
        None,
        ["001§22"],
    )
    unit = svc.set_up_office(org.sysadmin, office.root, office.name)
    head = Org._user("wangfang2", "王芳", Role.UNIT_HEAD, unit)
    [office] = svc.offices()
    assert office.unit == unit and office.heads == [head]


# --- the pages ------------------------------------------------------------------------------


def test_the_tree_page_lists_units_with_profile_people_and_devices(org: Org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    svc.set_field_squad(org.sysadmin, org.squad2, True)
    retired = empty_unit(org)
    svc.retire_unit(org.sysadmin, retired, "撤并")
    page = client_for(org.sysadmin).get("/agency/units/").content.decode()
    assert '执法二中队</a> <span class="badge">现场执法分队</span>' in page
    assert '桐柏县市场监督管理局 <span class="muted">（继承自 某市市场监督管理局）</span>' in page
    active, folded = page.split("已撤销的单位（1）")
    assert "撤并专班" in folded and "撤并专班" not in active


def test_the_tree_page_says_the_office_chengde_asks_for_and_sets_it_up(org: Org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="chengde"))
    client = client_for(org.sysadmin)
    page = client.get("/agency/units/").content.decode()
    assert '规定由办公室负责人审核：<span class="badge warn">未设置</span>' in page
    response = client.post(
        "/agency/units/new",
        {"name": "办公室", "parent": org.bureau.pk, "next": "/agency/units/"},
        follow=True,
    )
    office = Unit.objects.get(name="办公室")
    assert office.parent == org.bureau
    assert "已新建单位 办公室" in response.content.decode()
    Org._user("bangongshi", "王芳", Role.UNIT_HEAD, office)
    page = client.get("/agency/units/").content.decode()
    assert f'已设置</span>（<a href="/agency/units/{office.pk}/">办公室</a>，负责人 王芳）' in page


def test_a_new_unit_is_made_on_its_page_and_a_bad_one_is_explained(org: Org):
    client = client_for(org.sysadmin)
    assert client.get("/agency/units/new").status_code == 200
    response = client.post("/agency/units/new", {"name": "执法一中队", "parent": org.bureau.pk})
    assert response.status_code == 422
    assert "某市市场监督管理局下已有名为“执法一中队”的单位" in response.content.decode()
    response = client.post(
        "/agency/units/new", {"name": "执法三中队", "parent": org.bureau.pk, "field_squad": "1"}
    )
    unit = Unit.objects.get(name="执法三中队")
    assert response.status_code == 302 and response["Location"] == f"/agency/units/{unit.pk}/"
    assert unit.field_squad


def test_the_unit_page_renames_moves_and_marks(org: Org):
    client = client_for(org.sysadmin)
    url = f"/agency/units/{org.squad2.pk}/"
    page = client.get(url).content.decode()
    assert "仍有在岗人员 3 名（杨军、周敏、孙立）" in page  # why it cannot be retired now
    response = client.post(url + "rename", {"name": "执法第二中队", "code": "T350200-02"})
    assert response.status_code == 302
    messages = client.get(url).content.decode()
    assert "已保存单位 执法第二中队 的名称和代码" in messages
    client.post(url + "move", {"parent": org.squad1.pk})
    client.post(url + "field-squad", {"field_squad": "1"})
    client.post(url + "profile", {"profile": "fuzhou"})
    org.squad2.refresh_from_db()
    assert (org.squad2.name, org.squad2.parent, org.squad2.field_squad) == (
        "执法第二中队",
        org.squad1,
        True,
    )
    assert policies.profile_for_unit(org.squad2).code == "fuzhou"
    changes = client.get(url).content.decode().split("最近的改动")[1]
    assert "适用策略：福州市城市管理委员会" in changes and "fuzhou" not in changes
    assert "单位 执法二中队 更名为 执法第二中队" in changes


def test_the_move_picker_leaves_out_the_units_own_subtree(org: Org):
    svc.create_unit(org.sysadmin, name="一组", parent=org.squad1)
    page = client_for(org.sysadmin).get(f"/agency/units/{org.squad1.pk}/").content.decode()
    picker = page.split('name="parent"')[1].split("</select>")[0]
    assert "执法二中队" in picker and "一组" not in picker and ">执法一中队<" not in picker


def test_a_refused_move_is_explained_under_its_field(org: Org):
    group = svc.create_unit(org.sysadmin, name="一组", parent=org.squad1)
    response = client_for(org.sysadmin).post(
        f"/agency/units/{org.squad1.pk}/move", {"parent": group.pk}
    )
    assert response.status_code == 422
    assert "不能把执法一中队移到其本身或其下级单位之下" in response.content.decode()


def test_retiring_asks_first_and_is_refused_with_each_reason(org: Org):
    client = client_for(org.sysadmin)
    page = client.get(f"/agency/units/{org.squad1.pk}/").content.decode()
    assert 'data-confirm="确定要撤销执法一中队吗？撤销后可以恢复"' in page
    response = client.post(f"/agency/units/{org.squad1.pk}/retire", {"reason": "撤并"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "未办理：" in body and "仍有未报废的设备 1 台（3501001）" in body
    assert unchanged(org.squad1)["retired_at"] is None


def test_a_unit_is_retired_and_reinstated_on_its_page(org: Org):
    unit = empty_unit(org)
    client = client_for(org.sysadmin)
    response = client.post(f"/agency/units/{unit.pk}/retire", {"reason": "机构改革"}, follow=True)
    assert "已撤销单位 撤并专班，其历史记录保留" in response.content.decode()
    assert "恢复该单位" in response.content.decode()
    response = client.post(f"/agency/units/{unit.pk}/reinstate", follow=True)
    assert "已恢复单位 撤并专班" in response.content.decode()
    assert unchanged(unit)["retired_at"] is None


@pytest.mark.parametrize("who", ["bureau_admin", "head2", "officer"])
def test_the_pages_are_for_system_administrators(org: Org, who):
    client = client_for(getattr(org, who))
    assert client.get("/agency/units/").status_code == 403
    assert client.post(f"/agency/units/{org.squad1.pk}/rename", {"name": "x"}).status_code == 403
    assert unchanged(org.squad1)["name"] == "执法一中队"
