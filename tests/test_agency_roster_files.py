"""人员名册 files as they arrive (issue 18 §3, tests): CSV in GBK with Chinese names, damaged
and empty files, a header without 单位, and files past the row limit refused before memory
grows (lib.sheets' early refusal, measured with tracemalloc)."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from avrecords.agency import roster
from avrecords.lib.sheets import SheetRefused
from avrecords.org.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
HEADER = "姓名,用户名,执法证号,单位,角色"
PEAK_BYTES_ALLOWED = 50 * 1024 * 1024


def xlsx_bytes(rows) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refusal(org, name: str, content: bytes) -> str:
    with pytest.raises(SheetRefused) as refused:
        roster.import_file(org.sysadmin, name, content, dry_run=True)
    return str(refused.value)


def test_it_reads_a_gbk_csv_with_chinese_names_and_units(org):
    text = f"{HEADER}\r\n欧阳娜,,35020019100,执法一中队,执法人员\r\n诸葛亮,zhuge,35020019101,执法二中队,监督人员\r\n"
    report = roster.import_file(org.sysadmin, "名册.csv", text.encode("gbk"), dry_run=False)
    assert report.errors == {}
    assert report.summary == "已新增 2 人，修改 0 人，不变 0 人"
    assert User.objects.get(badge_no="35020019100").full_name == "欧阳娜"
    assert User.objects.get(username="zhuge").unit == org.squad2


def test_the_page_shows_a_gbk_csvs_names_in_its_preview(org):
    text = f"{HEADER}\r\n欧阳娜,,35020019100,执法一中队,执法人员\r\n"
    upload = SimpleUploadedFile("名册.csv", text.encode("gbk"))
    page = client_for(org.sysadmin).post("/agency/roster/", {"file": upload}).content.decode()
    assert "将新增 1 人" in page and "欧阳娜" in page


def test_it_refuses_an_xlsx_that_is_not_a_zip(org):
    message = refusal(org, "名册.xlsx", "姓名,单位\n张伟,执法一中队\n".encode())
    assert message == "无法读取 Excel 文件（文件损坏或不是 .xlsx）"


def test_it_refuses_a_truncated_xlsx(org):
    whole = xlsx_bytes(
        [["姓名", "执法证号", "单位", "角色"], ["张伟", "35020019001", "执法一中队", "执法人员"]]
    )
    assert "无法读取 Excel 文件" in refusal(org, "名册.xlsx", whole[: len(whole) // 2])


def test_it_refuses_an_empty_file(org):
    assert refusal(org, "名册.csv", b"") == "文件没有内容"
    assert refusal(org, "名册.csv", f"{HEADER}\r\n\r\n".encode()) == "文件中没有人员"


def test_it_refuses_a_header_without_the_unit_column_on_the_page(org):
    upload = SimpleUploadedFile(
        "名册.csv", "姓名,执法证号,角色\r\n张伟,35020019001,执法人员\r\n".encode()
    )
    response = client_for(org.sysadmin).post("/agency/roster/", {"file": upload})
    assert response.status_code == 422
    assert "未导入：缺少列：单位（第一行须为列名）" in response.content.decode()


def test_it_refuses_a_file_with_neither_badge_nor_username_column(org):
    message = refusal(org, "名册.csv", "姓名,单位,角色\r\n张伟,执法一中队,执法人员\r\n".encode())
    assert message == "缺少列：执法证号或用户名（用来找到已有的人员）"


def test_it_refuses_another_kind_of_file(org):
    assert refusal(org, "名册.xls", b"\xd0\xcf\x11\xe0") == "只支持 .xlsx 或 .csv 文件"


def _lines(count: int) -> bytes:
    body = "".join(f"人员{i},,3502{i:07d},执法一中队,执法人员\r\n" for i in range(count))
    return f"{HEADER}\r\n{body}".encode()


def test_it_refuses_a_csv_past_the_row_limit_before_memory_grows(org):
    content = _lines(20 * roster.MAX_ROWS_PER_FILE)  # 100,000 rows, about 4 MB
    tracemalloc.start()
    try:
        message = refusal(org, "名册.csv", content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == "文件超过 5000 行：一次最多导入 5000 行，请分批导入"
    assert peak < PEAK_BYTES_ALLOWED
    assert not User.objects.filter(full_name__startswith="人员").exists()


def test_it_refuses_an_xlsx_one_row_past_the_limit(org):
    rows = [["姓名", "执法证号", "单位", "角色"]]
    rows += [[f"人员{i}", f"3502{i:07d}", "执法一中队", "执法人员"] for i in range(5001)]
    content = xlsx_bytes(rows)
    tracemalloc.start()
    try:
        message = refusal(org, "名册.xlsx", content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "5000 行" in message
    assert peak < PEAK_BYTES_ALLOWED
