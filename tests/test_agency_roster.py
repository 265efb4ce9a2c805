"""人员名册 (issue 18 §3): a roster imported all or nothing, every bad row named; its preview;
the new people's passwords once; the export that re-imports unchanged; the API pair."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from avrecords.agency import people, roster
from avrecords.audit.models import AuditEntry
from avrecords.lib import leftovers
from avrecords.org.models import Role, Unit, User
from tests.agency_people_fixtures import let_unit_admins_manage_people
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
HEADER = [
    "姓名",
    "用户名",
    "执法证号",
    "执法记录编号",
    "单位",
    "角色",
    "涉密知悉范围",
    "监督的单位",
]
HEADER += ["联系电话"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋"


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]


def two_hundred(org) -> list[list]:
    """200 new officers, half in each squad, with 执法证号 3502002xxxx."""
    rows = []
    for i in range(200):
        name = SURNAMES[i % 20] + GIVEN[i // 20]
        unit = org.squad1.code if i % 2 else "执法二中队"
        badge = f"3502002{i:04d}"
        rows.append([name, f"p{i:03d}", badge, f"36{i:04d}", unit, "执法人员", "", "", ""])
    return rows


def actions(since: int = 0) -> list[str]:
    return list(AuditEntry.objects.filter(seq__gt=since).values_list("action", flat=True))


def last_seq() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def upload(client, content: bytes, name: str = "名册.xlsx"):
    return client.post("/agency/roster/", {"file": _file(content, name)})


def _file(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def confirm(client, response):
    return client.post("/agency/roster/apply", {"token": response.context["token"]})


# ---- all or nothing --------------------------------------------------------------------------


def test_it_refuses_a_roster_of_200_with_5_bad_rows_whole_naming_every_row(org):
    Unit.objects.create(
        name="执法一中队",
        code="T350300-01",
        parent=Unit.objects.create(name="另一市市场监督管理局", code="T350300"),
    )
    rows = two_hundred(org)
    rows[1][0:5] = ["刘伟", "p001", "35020020000", "360001", org.squad1.code]  # row 3 = row 2's
    rows[9][4] = "执法一中队"  # two units of that name now: row 11 (squad 1 by name)
    rows[20][5] = "队长"  # row 22
    rows[40][2] = "3502#0040"  # row 42: the service's format check
    rows[60][1:3] = ["zhangwei", "35020019002"]  # row 62: 张伟's username, 王芳's badge
    client = client_for(org.sysadmin)
    before, seq = User.objects.count(), last_seq()
    response = upload(client, xlsx([HEADER, *rows]))
    page = response.content.decode()
    assert response.status_code == 422
    assert "共 5 行有误，未导入任何人员" in page
    assert "第 3 行：执法证号 35020020000 与第 2 行重复" in page
    assert "第 11 行：单位“执法一中队”有 2 个同名" in page
    assert "单位代码 T350300-01，属另一市市场监督管理局" in page
    assert "第 22 行：角色“队长”无法识别" in page
    assert "第 42 行：执法证号只能由数字、字母和“-”组成" in page
    assert (
        "第 62 行：用户名 zhangwei 属于 张伟（执法一中队），执法证号 35020019002 属于 王芳（执法一中队），不是同一人"
        in page
    )
    assert User.objects.count() == before
    assert actions(seq) == []


def test_it_imports_the_fixed_roster_then_changes_nothing_when_its_export_comes_back(org):
    client = client_for(org.sysadmin)
    seq = last_seq()
    preview = upload(client, xlsx([HEADER, *two_hundred(org)]))
    assert preview.status_code == 200
    assert "将新增 200 人，修改 0 人，不变 0 人" in preview.content.decode()
    assert not User.objects.filter(username="p000").exists()  # a dry run writes nothing
    assert actions(seq) == []
    done = confirm(client, preview)
    assert done.status_code == 302
    assert User.objects.filter(username__startswith="p").count() == 200
    person = User.objects.get(username="p001")
    assert (person.full_name, person.unit, person.role) == ("李伟", org.squad1, Role.OFFICER)
    assert person.must_change_password
    written = actions(seq)
    assert written.count("agency.person_create") == 200
    assert written.count("agency.roster_import") == 1
    entry = AuditEntry.objects.get(action="agency.roster_import")
    assert entry.detail["new"] == 200 and len(entry.detail["sha256"]) == 64

    exported = client.get("/agency/roster/export.xlsx")
    assert exported.status_code == 200
    seq = last_seq()
    again = upload(client, exported.content, "人员名册.xlsx")
    everyone = User.objects.count()
    assert f"将新增 0 人，修改 0 人，不变 {everyone} 人" in again.content.decode()
    confirm(client, again)
    assert actions(seq) == ["agency.roster_import"]


def test_a_change_is_previewed_with_before_and_after_and_applied_through_the_service(org):
    client = client_for(org.sysadmin)
    rows = [["张伟", "", "35020019001", "", "执法一中队", "监督人员", "个人隐私", "执法二中队", ""]]
    preview = upload(client, xlsx([HEADER, *rows]))
    page = preview.content.decode()
    assert "将新增 0 人，修改 1 人，不变 0 人" in page
    assert "角色：执法人员 → 监督人员" in page
    assert "涉密知悉范围：（空） → 个人隐私" in page
    seq = last_seq()
    confirm(client, preview)
    org.officer.refresh_from_db()
    assert org.officer.role == Role.SUPERVISOR
    assert org.officer.secrecy_clearances == ["privacy"]
    assert list(org.officer.supervised_units.all()) == [org.squad2]
    assert org.officer.officer_no == "350211"  # an empty number cell keeps his
    assert actions(seq) == ["agency.person_update", "agency.roster_import"]


def test_the_confirmation_applies_only_the_file_previewed_and_only_once(org):
    client = client_for(org.sysadmin)
    preview = upload(
        client,
        xlsx([HEADER, ["李娜", "lina", "35020019100", "", "执法一中队", "执法人员", "", "", ""]]),
    )
    wrong = client.post("/agency/roster/apply", {"token": "0" * 32}, follow=True)
    assert "没有待确认的名册" in wrong.content.decode()
    assert not User.objects.filter(username="lina").exists()
    confirm(client, preview)
    assert User.objects.filter(username="lina").count() == 1
    twice = confirm(client, preview)
    assert twice.status_code == 302
    assert User.objects.filter(username="lina").count() == 1


def test_a_preview_left_unconfirmed_is_swept_by_the_workers_reaper(org):
    client = client_for(org.sysadmin)
    rows = [["李娜", "lina", "35020019100", "", "执法一中队", "执法人员", "", "", ""]]
    preview = upload(client, xlsx([HEADER, *rows]))
    assert leftovers.clean(older_than_seconds=0) >= 1
    late = confirm(client, preview)
    assert late.status_code == 302
    assert not User.objects.filter(username="lina").exists()


def test_it_refuses_a_row_that_would_change_a_persons_status(org):
    rows = [["张伟", "zhangwei", "35020019001", "", "执法一中队", "执法人员", "", "", "", "已停用"]]
    response = upload(client_for(org.sysadmin), xlsx([[*HEADER, "状态"], *rows]))
    assert response.status_code == 422
    assert "第 2 行：状态不能通过名册修改（现为“在岗”）：调离、离职请办理调动或离职交接" in (
        response.content.decode()
    )


def test_it_refuses_an_import_that_takes_the_last_system_administrators_role(org):
    rows = [["系统管理员", "xitong", "", "", "", "执法人员", "", "", ""]]
    response = upload(client_for(org.sysadmin), xlsx([HEADER, *rows]))
    assert response.status_code == 422
    assert "第 2 行：不能取消最后一名系统管理员的角色" in response.content.decode()
    org.sysadmin.refresh_from_db()
    assert org.sysadmin.role == Role.SYSADMIN


def test_it_lets_a_file_hand_the_system_administrators_role_to_another_person(org):
    rows = [
        ["系统管理员", "xitong", "", "", "", "执法人员", "", "", ""],
        ["林海", "guanli", "", "", "执法一中队", "系统管理员", "", "", ""],
    ]
    report = roster.import_file(org.sysadmin, "交接.xlsx", xlsx([HEADER, *rows]), dry_run=False)
    assert report.errors == {}
    assert User.objects.get(username="guanli").role == Role.SYSADMIN
    assert User.objects.get(username="xitong").role == Role.OFFICER


def test_the_new_peoples_passwords_are_downloaded_once_and_audited(org):
    client = client_for(org.sysadmin)
    rows = [["李娜", "", "35020019100", "", "执法一中队", "执法人员", "", "", ""]]
    confirm(client, upload(client, xlsx([HEADER, *rows])))
    page = client.get("/agency/roster/").content.decode()
    assert "当面交给本人" in page
    seq = last_seq()
    sheet = client.post("/agency/roster/passwords.xlsx")
    assert sheet.status_code == 200
    header, row = sheet_rows(sheet.content)
    assert header == ["姓名", "用户名", "执法证号", "单位", "初始密码"]
    assert row[:4] == ["李娜", "35020019100", "35020019100", "执法一中队"]  # 执法证号 signs in
    assert actions(seq) == ["agency.roster_passwords"]
    assert client.login(username="35020019100", password=row[4])
    again = client_for(org.sysadmin).post("/agency/roster/passwords.xlsx", follow=True)
    assert "初始密码表已下载过或已过期" in again.content.decode()


# ---- export ----------------------------------------------------------------------------------


def test_the_export_writes_a_formula_looking_name_as_text_in_xlsx_and_csv(org):
    people.update_person(org.sysadmin, org.officer2, full_name='=HYPERLINK("http://x","点击")')
    client = client_for(org.sysadmin)
    content = client.get("/agency/roster/export.xlsx").content
    sheet = load_workbook(io.BytesIO(content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == org.officer2.full_name]
    assert cells and cells[0].data_type == "s"
    csv_text = client.get("/agency/roster/export.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text
    seq = last_seq()
    again = upload(client, csv_text.encode("utf-8-sig"), "名册.csv")
    assert "修改 0 人" in again.content.decode()
    assert actions(seq) == []


def test_the_csv_export_is_utf8_with_a_bom_or_gbk_and_audited(org):
    client = client_for(org.sysadmin)
    seq = last_seq()
    utf8 = client.get("/agency/roster/export.csv")
    assert utf8.content.startswith(b"\xef\xbb\xbf")
    gbk = client.get("/agency/roster/export.csv?encoding=gbk")
    assert "张伟".encode("gbk") in gbk.content
    assert actions(seq) == ["agency.roster_export", "agency.roster_export"]


def test_the_template_has_the_header_and_two_chinese_examples(org):
    rows = sheet_rows(client_for(org.sysadmin).get("/agency/roster/template.xlsx").content)
    assert rows[0][:3] == ["姓名", "用户名", "执法证号"]
    assert [r[0] for r in rows[1:]] == ["张伟", "李娜"]


def test_an_officer_may_neither_import_nor_export(org):
    client = client_for(org.officer)
    assert client.get("/agency/roster/").status_code == 403
    assert client.get("/agency/roster/export.xlsx").status_code == 403


# ---- API -------------------------------------------------------------------------------------


def test_the_api_tries_then_imports_and_returns_the_passwords_once(org):
    client = client_for(org.sysadmin)
    content = xlsx(
        [HEADER, ["李娜", "lina", "35020019100", "", "执法一中队", "执法人员", "", "", ""]]
    )
    dry = client.post(
        "/api/v1/people/import", {"file": _file(content, "a.xlsx"), "dry_run": "true"}
    )
    assert dry.status_code == 200, dry.content
    assert (dry.json()["new"], dry.json()["created"]) == (1, [])
    assert not User.objects.filter(username="lina").exists()
    done = client.post("/api/v1/people/import", {"file": _file(content, "a.xlsx")})
    created = done.json()["created"]
    assert [c["username"] for c in created] == ["lina"] and created[0]["initial_password"]


def test_the_api_answers_422_with_every_bad_row(org):
    rows = [
        ["", "a1", "", "", "执法九中队", "执法人员", "", "", ""],
        ["李娜", "", "", "", "执法一中队", "", "", "", ""],
    ]
    response = client_for(org.sysadmin).post(
        "/api/v1/people/import", {"file": _file(xlsx([HEADER, *rows]), "a.xlsx")}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "共 2 行有误，未导入任何人员"
    messages = [e["message"] for e in body["errors"]]
    assert messages[0].startswith("第 2 行：姓名不能为空；单位“执法九中队”不存在")
    assert messages[1] == "第 3 行：执法证号和用户名至少填写一项；角色不能为空"


def test_the_api_exports_xlsx_and_csv(org):
    client = client_for(org.sysadmin)
    xlsx_answer = client.get("/api/v1/people/export?format=xlsx")
    assert sheet_rows(xlsx_answer.content)[0][0] == "姓名"
    csv_answer = client.get("/api/v1/people/export?format=csv&encoding=gbk")
    assert csv_answer.content.decode("gb18030").startswith("姓名,用户名")


# ---- a unit administrator, where his profile lets him manage people --------------------------


def test_a_unit_administrator_exports_and_imports_his_subtree_only(org):
    let_unit_admins_manage_people(org, unit=org.squad1)
    client = client_for(org.admin)
    names = [r[0] for r in sheet_rows(client.get("/agency/roster/export.xlsx").content)[1:]]
    assert "张伟" in names and "杨军" not in names and "系统管理员" not in names
    rows = [
        ["杨军", "", "35020019006", "", "执法一中队", "执法人员", "", "", ""],
        ["王芳", "wangfang", "35020019002", "", "执法一中队", "系统管理员", "", "", ""],
    ]
    page = upload(client, xlsx([HEADER, *rows])).content.decode()
    assert "第 2 行：执法证号 35020019006 已属于 杨军（执法二中队）" in page
    assert "第 3 行：您无权授予系统管理员角色" in page


def test_the_api_answers_400_in_chinese_to_a_multipart_body_it_cannot_split(org):
    client = client_for(org.sysadmin)
    before = User.objects.count()
    response = client.generic(
        "POST",
        "/api/v1/people/import",
        b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert "boundary" in response.json()["detail"] and "无法解析" in response.json()["detail"]
    assert User.objects.count() == before
