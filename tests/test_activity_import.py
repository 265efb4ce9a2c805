"""U1: activities imported from the case system's Excel or CSV export, all or nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import Activity, Finding
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
HEADER = [
    "外部编号",
    "单位代码",
    "活动类型",
    "开始时间",
    "结束时间",
    "执法人员",
    "当事人",
    "地点",
    "文书名称",
    "文书记载开始",
    "文书记载结束",
]


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def good_rows(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    return [
        HEADER,
        [
            "AJ-001",
            org.squad1.code,
            "现场检查",
            "2026-11-20 09:00",
            "2026-11-20 10:00",
            org.officer.badge_no,
            "桐柏县华兴食品有限公司",
            "城关镇新华路8号",
            "现场检查笔录",
            "2026-11-20 09:00",
            "2026-11-20 10:00",
        ],
        [
            "AJ-002",
            org.squad1.code,
            "seal_seizure",
            "2026-11-20 14:00",
            "2026-11-20 14:30",
            f"{org.officer.full_name}、{org.officer2.badge_no}",
            "王某某",
            "城关镇",
            "",
            "",
            "",
        ],
    ]


def upload(client, name: str, data: bytes):
    return client.post("/activities/import", {"file": SimpleUploadedFile(name, data)})


def test_an_excel_export_is_imported_and_checked(org, good_rows):
    response = upload(client_for(org.admin), "案件系统导出.xlsx", xlsx(good_rows))
    assert response.status_code == 200 and "已导入 2 条" in response.content.decode()
    first, second = Activity.objects.order_by("external_ref")
    assert (first.kind, first.kind_name, first.source) == (
        "on_site_inspection",
        "现场检查",
        "import",
    )
    assert set(second.officers.all()) == {org.officer, org.officer2}
    # The unrecorded seizure is found at once (000§9).
    assert Finding.objects.get(activity=second).kind == "missing"
    entry = AuditEntry.objects.get(action="activity.import")
    assert entry.detail["imported"] == 2 and entry.detail["file"] == "案件系统导出.xlsx"


def test_importing_the_same_export_again_skips_what_is_there(org, good_rows):
    client = client_for(org.admin)
    upload(client, "a.xlsx", xlsx(good_rows))
    body = upload(client, "a.xlsx", xlsx(good_rows)).content.decode()
    assert "已导入 0 条，跳过已导入过的 2 行（第 2、3 行）" in body
    assert Activity.objects.count() == 2


def test_one_bad_row_imports_nothing_and_every_error_is_listed_by_row(org, good_rows):
    rows = good_rows + [
        [
            "AJ-003",
            org.squad1.code,
            "卡拉OK",
            "2026-11-20 16:00",
            "2026-11-20 15:00",
            org.officer.badge_no,
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "AJ-004",
            "NOSUCH",
            "现场检查",
            "昨天下午",
            "2026-11-20 15:00",
            "99999",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "AJ-005",
            org.squad1.code,
            "现场检查",
            "2026-11-21 09:00",
            "2026-11-21 08:00",
            org.officer.badge_no,
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    response = upload(client_for(org.admin), "a.xlsx", xlsx(rows))
    body = response.content.decode()
    assert response.status_code == 422 and "未导入，共 6 处错误" in body
    assert "第 4 行：活动类型：“卡拉OK”不在策略" in body
    assert "第 4 行：实际结束：结束时间早于开始时间" in body
    assert "第 5 行：单位代码：“NOSUCH”不存在或不在您的管理范围内" in body
    assert "第 5 行：执法人员：“99999”不是已登记的执法证号或姓名" in body
    assert "第 5 行：开始时间：无法识别“昨天下午”" in body
    assert "第 6 行：实际结束：结束时间早于开始时间" in body
    assert (
        not Activity.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="activity").exists()
    )


def test_missing_columns_refuse_the_file(org, good_rows):
    rows = [[h for h in HEADER if h not in ("开始时间", "执法人员")]]
    body = upload(client_for(org.admin), "a.xlsx", xlsx(rows)).content.decode()
    assert "未导入：缺少列：开始时间、执法人员" in body


def test_a_gbk_csv_from_an_old_system_is_read(org, good_rows):
    lines = [",".join(str(c) for c in row) for row in good_rows]
    data = "\r\n".join(lines).encode("gb18030")
    assert "已导入 2 条" in upload(client_for(org.admin), "导出.csv", data).content.decode()


def test_other_units_and_files_that_are_not_tables_are_refused(org, good_rows):
    client = client_for(org.other_admin)  # squad 2's administrator: squad 1 is not his
    body = upload(client, "a.xlsx", xlsx(good_rows)).content.decode()
    assert "单位代码：“T350200-01”不存在或不在您的管理范围内" in body
    assert "只支持 .xlsx 或 .csv" in upload(client, "a.pdf", b"%PDF").content.decode()
    assert "无法读取 Excel 文件" in upload(client, "a.xlsx", b"not a zip").content.decode()
    assert not Activity.objects.exists()
