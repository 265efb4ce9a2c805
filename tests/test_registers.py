"""M8: the 查阅登记簿 and 复制登记簿: who reads them, what each entry shows, the filters, and the
Excel and PDF exports."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.test import RequestFactory

from avrecords.access import grants
from avrecords.access import requests as access
from avrecords.access.context import register_context
from avrecords.access.models import (
    AccessRequest,
    ApprovalStep,
    Decision,
    RegisterEntry,
    RequestKind,
    RequestStatus,
)
from avrecords.access.register import can_view_registers, filter_entries, rows, to_xlsx
from avrecords.audit.models import AuditEntry
from avrecords.org.models import Role, Secrecy
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from tests.conftest import Org, client_for
from tests.rows import make
from tests.test_equipment_ledger_io import sheet_rows
from tests.test_equipment_registry import pdf_text_and_fonts

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


def at(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=BEIJING)


def granted(org, number, kind, requester, unit, reason, approvers, executor, executed):
    """An executed request with its approving steps, as the services leave it."""
    req = AccessRequest.objects.create(
        number=number,
        kind=kind,
        status=RequestStatus.ACTIVE,
        requester=requester,
        unit=unit,
        reason=reason,
        days=7,
        profile_code="chengde",
        chain=[role for _, role, _ in approvers],
        executed_by_role=Role.ADMIN,
        step=len(approvers),
        executor=executor,
        executed_at=executed,
        valid_until=executed + dt.timedelta(days=7),
    )
    for index, (person, role, when) in enumerate(approvers):
        step = ApprovalStep.objects.create(
            request=req, index=index, role=role, approver=person, decision=Decision.APPROVE
        )
        ApprovalStep.objects.filter(pk=step.pk).update(at=when)
    return req


def entry(req, register, act, actor, when, *, recording=None, item="", unit=None):
    e = grants.register(
        req, register=register, act=act, actor=actor, recording=recording, item=item
    )
    if unit is not None:
        RegisterEntry.objects.filter(pk=e.pk).update(unit=unit)
    RegisterEntry.objects.filter(pk=e.pk).update(at=when)
    return e


class World(SimpleNamespace):
    pass


@pytest.fixture
def world(org: Org) -> World:
    """Two squads' registers: in squad 1 王芳 viewed and copied 张伟's recording (approved by
    the squad head and the leader); in squad 2 杨军 viewed one and downloaded a package."""
    head1 = Org._user("zhongdui1", "赵刚", Role.UNIT_HEAD, org.squad1)
    w = World(org=org, head1=head1)
    w.rec1 = make(org, "20261120_执法一中队_现场检查.mp4", officer=org.officer)
    w.rec2 = make(org, "20261125_执法二中队_夜查.mp4", officer=org.other_officer)
    two_steps = [
        (head1, Role.UNIT_HEAD, at(2026, 11, 20, 9, 0)),
        (org.leader, Role.LEADER, at(2026, 11, 20, 9, 30)),
    ]
    w.view1 = granted(
        org,
        "CY-2026-0001",
        RequestKind.VIEW,
        org.officer2,
        org.squad1,
        "核查群众投诉（投诉编号 TS-1120）",
        two_steps,
        org.admin,
        at(2026, 11, 20, 10, 0),
    )
    w.copy1 = granted(
        org,
        "FZ-2026-0001",
        RequestKind.COPY,
        org.officer2,
        org.squad1,
        "行政复议答辩需要",
        two_steps,
        org.admin,
        at(2026, 11, 20, 10, 5),
    )
    w.view2 = granted(
        org,
        "CY-2026-0002",
        RequestKind.VIEW,
        org.other_officer,
        org.squad2,
        "案情研判",
        [(org.head2, Role.UNIT_HEAD, at(2026, 11, 25, 8, 0))],
        org.other_admin,
        at(2026, 11, 25, 8, 30),
    )
    w.export2 = granted(
        org,
        "ZJ-2026-0001",
        RequestKind.EXPORT,
        org.other_officer,
        org.squad2,
        "移送公安机关作为证据",
        [(org.head2, Role.UNIT_HEAD, at(2026, 11, 25, 8, 0))],
        org.other_admin,
        at(2026, 11, 25, 8, 30),
    )
    w.played = entry(
        w.view1, "view", "播放", org.officer2, at(2026, 11, 20, 10, 30), recording=w.rec1
    )
    w.late = entry(
        w.view1, "view", "播放", org.officer2, at(2026, 11, 20, 23, 30), recording=w.rec1
    )
    w.copied = entry(
        w.copy1, "copy", "下载原始文件", org.officer2, at(2026, 11, 21, 9, 0), recording=w.rec1
    )
    w.played2 = entry(
        w.view2, "view", "播放", org.other_officer, at(2026, 11, 25, 15, 0), recording=w.rec2
    )
    w.package = entry(
        w.export2,
        "copy",
        "下载证据包",
        org.other_officer,
        at(2026, 11, 25, 16, 0),
        item="ZJ-2026-0001（3 个文件）",
    )
    return w


def numbers(qs) -> list[str]:
    return [e.request.number + " " + e.act for e in qs.order_by("at")]


def audits() -> int:
    return AuditEntry.objects.filter(action="register.export").count()


# ---- who reads the registers ------------------------------------------------------------


def test_it_lets_unit_roles_and_the_sysadmin_read_the_registers_but_not_officers(world):
    org = world.org
    for user in (org.admin, org.head2, org.leader, org.sysadmin, world.head1):
        assert can_view_registers(user), user
    assert not can_view_registers(org.officer)
    assert not can_view_registers(None)


def test_it_shows_a_unit_head_only_his_subtree(world):
    org = world.org
    entries = RegisterEntry.objects.visible_to
    assert set(entries(org.head2)) == {world.played2, world.package}
    assert set(entries(world.head1)) == {world.played, world.late, world.copied}
    assert entries(org.leader).count() == 5  # the bureau is above both squads
    assert entries(org.sysadmin).count() == 5


def test_it_shows_an_officer_only_his_acts_and_those_under_his_requests(world):
    org = world.org
    entries = RegisterEntry.objects.visible_to
    assert set(entries(org.officer2)) == {world.played, world.late, world.copied}
    assert not entries(org.officer).exists()  # his recording, not his request


def test_the_context_says_whether_the_menu_shows_the_registers(world):
    request = RequestFactory().get("/")
    request.user = world.org.admin
    assert register_context(request) == {"can_view_registers": True}
    request.user = world.org.officer
    assert register_context(request) == {"can_view_registers": False}


# ---- what an entry shows ------------------------------------------------------------------


def test_an_entry_shows_requester_approvers_executor_time_reason_and_item(world):
    [row] = rows(RegisterEntry.objects.filter(pk=world.played.pk))
    assert row["no"] == 1
    assert row["at"] == "2026-11-20 10:30"
    assert (row["register"], row["act"], row["actor"]) == ("查阅", "播放", "王芳")
    assert row["requester"] == "王芳"
    assert row["approvers"] == (
        "赵刚（单位负责人）2026-11-20 09:00；郑国华（分管领导）2026-11-20 09:30"
    )
    assert (row["executor"], row["executed_at"]) == ("林海", "2026-11-20 10:00")
    assert row["reason"] == "核查群众投诉（投诉编号 TS-1120）"
    assert row["item"] == f"20261120_执法一中队_现场检查.mp4（记录 #{world.rec1.pk}）"
    assert (row["number"], row["valid_until"]) == ("CY-2026-0001", "2026-11-27 10:00")
    assert (row["request_id"], row["recording_id"]) == (world.view1.pk, world.rec1.pk)


def test_a_package_download_has_no_recording_and_a_rejecting_step_is_no_approver(world):
    ApprovalStep.objects.create(
        request=world.export2,
        index=1,
        role=Role.LEADER,
        approver=world.org.leader,
        decision=Decision.REJECT,
    )
    [row] = rows(RegisterEntry.objects.filter(pk=world.package.pk))
    assert row["item"] == "ZJ-2026-0001（3 个文件）" and row["recording_id"] is None
    assert row["approvers"] == "孙立（单位负责人）2026-11-25 08:00"


def test_a_confidential_item_is_named_only_to_people_cleared_for_it(world):
    org = world.org
    world.rec1.secrecy = Secrecy.PRIVACY
    world.rec1.save(update_fields=["secrecy"])
    qs = RegisterEntry.objects.filter(pk=world.copied.pk)
    [hidden] = rows(qs, viewer=org.admin)
    assert hidden["item"] == "涉密事项（个人隐私）" and hidden["recording_id"] is None
    assert hidden["reason"] == "行政复议答辩需要"  # the row itself stays in the register
    assert "现场检查" in next(rows(qs, viewer=org.officer2))["item"]  # his own copy
    org.admin.secrecy_clearances = [Secrecy.PRIVACY]
    assert "现场检查" in next(rows(qs, viewer=org.admin))["item"]
    org.admin.secrecy_clearances = []
    by_name = filter_entries(
        RegisterEntry.objects.visible_to(org.admin), {"q": "现场检查"}, user=org.admin
    )
    assert not by_name.exists()
    by_reason = filter_entries(
        RegisterEntry.objects.visible_to(org.admin), {"q": "复议"}, user=org.admin
    )
    assert list(by_reason) == [world.copied]
    sysadmin = org.sysadmin  # cleared for nothing: items without a recording still match
    package = filter_entries(
        RegisterEntry.objects.visible_to(sysadmin), {"q": "3 个文件"}, user=sysadmin
    )
    assert list(package) == [world.package]


# ---- filters ----------------------------------------------------------------------------


def test_it_filters_by_register_and_local_dates(world):
    everything = RegisterEntry.objects.visible_to(world.org.sysadmin)
    views = filter_entries(everything, {"register": "view"})
    assert numbers(views) == ["CY-2026-0001 播放", "CY-2026-0001 播放", "CY-2026-0002 播放"]
    day = filter_entries(everything, {"from": "2026-11-20", "to": "2026-11-20"})
    assert set(day) == {world.played, world.late}  # 23:30 Beijing is still the 20th
    assert set(filter_entries(everything, {"from": "2026-11-21"})) == {
        world.copied,
        world.played2,
        world.package,
    }
    assert set(filter_entries(everything, {"to": "2026-11-21"})) == {
        world.played,
        world.late,
        world.copied,
    }


def test_a_bad_date_selects_nothing(world):
    everything = RegisterEntry.objects.visible_to(world.org.sysadmin)
    assert not filter_entries(everything, {"from": "2026-13-01"}).exists()
    assert not filter_entries(everything, {"from": "2026-11-25", "to": "2026-11-20"}).exists()


def test_it_filters_by_unit_subtree(world):
    org = world.org
    everything = RegisterEntry.objects.visible_to(org.sysadmin)
    assert filter_entries(everything, {"unit": org.bureau.code}).count() == 5
    assert set(filter_entries(everything, {"unit": org.squad2.code})) == {
        world.played2,
        world.package,
    }
    assert not filter_entries(everything, {"unit": "NOPE"}).exists()
    # a unit outside the reader's scope selects nothing rather than widening it
    outside = filter_entries(RegisterEntry.objects.visible_to(org.head2), {"unit": org.squad1.code})
    assert not outside.exists()


def test_it_filters_by_person_actor_or_requester_name_or_badge(world):
    everything = RegisterEntry.objects.visible_to(world.org.sysadmin)
    assert set(filter_entries(everything, {"person": "王芳"})) == {
        world.played,
        world.late,
        world.copied,
    }
    by_badge = filter_entries(everything, {"person": "19006"})  # 杨军's 执法证号
    assert set(by_badge) == {world.played2, world.package}
    assert not filter_entries(everything, {"person": "张伟"}).exists()


def test_it_filters_by_request_number_and_text(world):
    everything = RegisterEntry.objects.visible_to(world.org.sysadmin)
    assert set(filter_entries(everything, {"number": "fz-2026"})) == {world.copied}
    assert set(filter_entries(everything, {"q": "TS-1120"})) == {world.played, world.late}
    assert set(filter_entries(everything, {"q": "夜查"})) == {world.played2}


# ---- pages ------------------------------------------------------------------------------


def test_the_index_redirects_to_the_view_register(world):
    response = client_for(world.org.admin).get("/registers/")
    assert response.status_code == 302 and response["Location"] == "/registers/view/"


def test_the_page_shows_the_entries_of_the_readers_units(world):
    page = client_for(world.org.admin).get("/registers/view/")
    assert page.status_code == 200
    text = page.text
    assert "查阅登记簿" in text and "核查群众投诉" in text and "赵刚（单位负责人）" in text
    assert "郑国华（分管领导）" in text and "林海" in text and "2026-11-20 10:30" in text
    assert f'href="/recordings/{world.rec1.pk}/"' in text
    assert f'href="/access/{world.view1.pk}/"' in text
    assert "案情研判" not in text  # squad 2
    assert "复议答辩" not in text  # the copy register
    copies = client_for(world.org.admin).get("/registers/copy/")
    assert "复议答辩" in copies.text and "核查群众投诉" not in copies.text


def test_a_unit_head_sees_only_his_subtree_on_the_page(world):
    page = client_for(world.org.head2).get("/registers/view/")
    assert page.status_code == 200
    assert "案情研判" in page.text and "核查群众投诉" not in page.text


def test_the_page_filters_and_reports_a_bad_date(world):
    client = client_for(world.org.leader)
    page = client.get("/registers/view/?person=杨军&from=2026-11-25")
    assert "案情研判" in page.text and "核查群众投诉" not in page.text
    bad = client.get("/registers/view/?from=2026-02-30")
    assert bad.status_code == 400 and "不是有效日期" in bad.text


def test_the_page_is_paginated_by_fifty(world):
    for minute in range(55):
        entry(world.view1, "view", "播放", world.org.officer2, at(2026, 11, 22, 8, minute))
    client = client_for(world.org.admin)
    first = client.get("/registers/view/")
    assert "共 57 条，第 1 / 2 页" in first.text and "page=2" in first.text
    second = client.get("/registers/view/?page=2")
    assert "第 2 / 2 页" in second.text and ">57<" in second.text


def test_officers_are_refused_and_strangers_sent_to_sign_in(world):
    officer = client_for(world.org.officer2)
    for url in ("/registers/", "/registers/view/", "/registers/copy/export?format=xlsx"):
        assert officer.get(url).status_code == 403, url
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert audits() == 0


def test_an_unknown_register_or_format_or_method_is_refused(world):
    client = client_for(world.org.admin)
    assert client.get("/registers/loan/").status_code == 404
    assert client.get("/registers/loan/export?format=xlsx").status_code == 404
    assert client.get("/registers/view/export?format=doc").status_code == 400
    assert client.post("/registers/view/").status_code == 405
    assert client.post("/registers/view/export?format=xlsx").status_code == 405
    assert audits() == 0


# ---- exports ----------------------------------------------------------------------------


def test_the_excel_export_has_a_title_row_a_header_and_the_rows(world):
    org = world.org
    response = client_for(org.leader).get(
        f"/registers/view/export?format=xlsx&unit={org.squad1.code}&from=2026-11-01&to=2026-11-30"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = sheet_rows(response.content)
    title = sheet[0][0]
    assert "查阅登记簿" in title and "执法一中队及下级单位" in title
    assert "2026-11-01 至 2026-11-30" in title and "导出时间" in title and "郑国华" in title
    assert sheet[1][:6] == ["序号", "时间", "登记簿", "行为", "人员", "申请人"]
    body = sheet[2:]
    assert [(r[0], r[1], r[4], r[11]) for r in body] == [
        (1, "2026-11-20 23:30", "王芳", "CY-2026-0001"),
        (2, "2026-11-20 10:30", "王芳", "CY-2026-0001"),
    ]
    assert "赵刚（单位负责人）" in body[0][6] and body[0][7] == "林海"
    assert body[0][9] == "核查群众投诉（投诉编号 TS-1120）"
    assert audits() == 1
    detail = AuditEntry.objects.get(action="register.export").detail
    assert detail["format"] == "xlsx" and detail["count"] == 2 and detail["unit"] == "T350200-01"


def test_the_excel_header_is_bold_and_frozen(world):
    import io

    from openpyxl import load_workbook

    content = to_xlsx(
        rows(RegisterEntry.objects.visible_to(world.org.sysadmin)), "复制登记簿", [("期间", "全部")]
    )
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.freeze_panes == "A3" and sheet["A2"].font.bold
    assert sheet.column_dimensions["G"].width >= 30
    assert sheet.max_row == 2 + 5


def test_the_pdf_export_is_a_pdf_with_the_chinese_font(world):
    response = client_for(world.org.head2).get("/registers/copy/export?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text, fonts = pdf_text_and_fonts(response.content)
    assert any(b"NotoSansCJK" in name for name in fonts), fonts
    assert "复制登记簿" in text and "杨军" in text and "ZJ-2026-0001" in text
    assert "王芳" not in text  # squad 1
    assert audits() == 1


def test_an_export_over_the_limit_is_refused_with_a_message(world, monkeypatch):
    from avrecords.access import views_register

    monkeypatch.setitem(views_register.FORMATS, "xlsx", (views_register.XLSX, 2))
    client = client_for(world.org.sysadmin)
    response = client.get("/registers/view/export?format=xlsx&person=王芳")
    assert response.status_code == 200  # two entries: within the limit
    response = client.get("/registers/view/export?format=xlsx")
    assert response.status_code == 302 and response["Location"] == "/registers/view/"
    assert audits() == 1


# ---- written by the real workflow -------------------------------------------------------


def test_a_download_under_an_executed_request_lands_in_the_copy_register(org):
    assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    head1 = Org._user("zhongdui1", "赵刚", Role.UNIT_HEAD, org.squad1)
    recording = make(org, "20261201_复核.mp4", officer=org.officer2)
    ask = access.Ask(kind=RequestKind.COPY, reason="提交复议机关", recordings=[recording])
    req = access.submit(org.officer2, ask)
    access.approve(head1, req, "同意")
    req = access.execute(org.admin, req)
    grants.register_download(grants.for_download(org.officer2, recording), org.officer2, recording)
    page = client_for(org.admin).get("/registers/copy/")
    assert page.status_code == 200
    for text in (req.number, "提交复议机关", "赵刚（单位负责人）", "林海", "下载原始文件", "王芳"):
        assert text in page.text, text
