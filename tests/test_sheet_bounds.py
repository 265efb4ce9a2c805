"""Imports read uploaded sheets within bounds (U1, E1; issue 15, row 6).

A 1.6 KB .xlsx declaring `<dimension ref="A1:XFD1048576">` grew the server past 2 GB before the
row limit applied: openpyxl padded every row to 16,384 columns and a million rows. Each file
here is written by hand, as an attacker would, posted to the activity import (page and API) and
the device ledger import, and must be refused in Chinese with 422, import nothing and keep the
server's memory (traced around the request) under a small bound.
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import Activity
from avrecords.equipment.models import Device
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
MAX_GROWTH_BYTES = 100 * 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
PACKAGE_RELS = f"""<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">
<Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>
<sheet name="导入" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">
<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
EMPTY_STRINGS = f'<sst xmlns="{MAIN}" count="0" uniqueCount="0"/>'


def cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def line(number: int, values: list[str]) -> str:
    """A row of inline strings from column A."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return row(number, *(cell(f"{letters[i]}{number}", v) for i, v in enumerate(values)))


def xlsx(rows: str, *, dimension="A1:XFD1048576", strings=None, doctype="") -> bytes:
    """An .xlsx written by hand: one sheet declaring `dimension`, holding `rows` (XML).
    `strings` writes the shared-string table as streamed chunks (a zip bomb packs well)."""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="{MAIN}">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if strings is None:
            archive.writestr("xl/sharedStrings.xml", EMPTY_STRINGS)
        else:
            with archive.open("xl/sharedStrings.xml", "w") as part:
                for chunk in strings:
                    part.write(chunk)
    return out.getvalue()


def strings_bomb(unpacked_bytes: int):
    """A shared-string table of `unpacked_bytes` that packs into a few hundred KB."""
    yield f'<sst xmlns="{MAIN}">'.encode()
    entry = b"<si><t>" + b"A" * 1000 + b"</t></si>"
    block = entry * 1024
    for _ in range(unpacked_bytes // len(block)):
        yield block
    yield b"</sst>"


ACTIVITY_HEADER = ["单位代码", "活动类型", "开始时间", "结束时间", "执法人员"]
DEVICE_HEADER = ["产品序号", "设备类型", "所属单位代码"]


def activity_row(org) -> list[str]:
    return [
        org.squad1.code,
        "现场检查",
        "2026-11-20 09:00",
        "2026-11-20 10:00",
        org.officer.badge_no,
    ]


def device_row(org) -> list[str]:
    return ["3509001", "执法记录仪", org.squad1.code]


def post(org, target: str, name: str, content: bytes):
    """Post the file as an administrator; returns (status, Chinese text, peak traced bytes)."""
    client = client_for(org.admin)
    upload = SimpleUploadedFile(name, content)
    url = {
        "activities page": "/activities/import",
        "activities API": "/api/v1/activities/import",
        "devices page": "/equipment/import",
    }[target]
    client.post(url, {"file": SimpleUploadedFile("预热.xlsx", b"not a zip")})  # load code first
    tracemalloc.start()
    try:
        response = client.post(url, {"file": upload})
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    body = response.content.decode()
    text = json.loads(body).get("detail", "") if target.endswith("API") else body
    return response.status_code, text, peak


def assert_nothing_imported(devices_before: int) -> None:
    assert Activity.objects.count() == 0
    assert Device.objects.count() == devices_before
    assert not AuditEntry.objects.filter(action__in=["activity.import", "device.import"]).exists()


def header_for(target: str) -> list[str]:
    return DEVICE_HEADER if target.startswith("devices") else ACTIVITY_HEADER


TARGETS = ["activities page", "activities API", "devices page"]


@pytest.fixture
def profile(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))


@pytest.mark.parametrize("target", TARGETS)
def test_a_sheet_declaring_a_million_rows_with_a_value_in_the_last_is_refused_in_bounded_memory(
    org, profile, target
):
    rows = line(1, header_for(target)) + row(1048576, cell("XFD1048576", "x"))
    devices = Device.objects.count()
    status, text, peak = post(org, target, "导入.xlsx", xlsx(rows))
    assert status == 422
    assert "文件超过 5000 行" in text
    assert peak < MAX_GROWTH_BYTES
    assert_nothing_imported(devices)


@pytest.mark.parametrize("target", TARGETS)
def test_a_sheet_that_only_declares_a_huge_size_is_read_as_what_it_holds(org, profile, target):
    """The dimension is the sender's word: a file whose rows are few imports normally."""
    values = device_row(org) if target.startswith("devices") else activity_row(org)
    rows = line(1, header_for(target)) + line(2, values)
    status, _text, peak = post(org, target, "导入.xlsx", xlsx(rows))
    assert status == 200
    assert peak < MAX_GROWTH_BYTES
    if target.startswith("devices"):
        assert Device.objects.filter(serial="3509001").exists()
    else:
        assert Activity.objects.count() == 1


def a_million_empty_cells() -> str:
    return row(2, "<c/>" * 1_000_000)


@pytest.mark.parametrize(
    ("label", "build", "message"),
    [
        (
            "a value far to the right",
            lambda h: line(1, h) + row(2, cell("XFD2", "x")),
            "超过 100 列",
        ),
        ("a row of a million cells", lambda h: line(1, h) + a_million_empty_cells(), "超过 100 列"),
        (
            "a cell longer than a field",
            lambda h: line(1, h) + row(2, cell("A2", "长" * 1001)),
            "第 2 行“{}”超过 1000 字",
        ),
    ],
)
@pytest.mark.parametrize("target", ["activities page", "devices page"])
def test_cells_beyond_the_columns_or_too_long_are_refused_in_bounded_memory(
    org, profile, target, label, build, message
):
    header = header_for(target)
    devices = Device.objects.count()
    status, text, peak = post(org, target, "导入.xlsx", xlsx(build(header)))
    assert status == 422, label
    assert message.format(header[0]) in text
    assert peak < MAX_GROWTH_BYTES
    assert_nothing_imported(devices)


@pytest.mark.parametrize(
    ("unpacked_bytes", "message"),
    [
        (200 * 1024 * 1024, "Excel 文件解压后过大（上限 64 MB）"),
        (20 * 1024 * 1024, "Excel 文件的文字内容过多（上限 16 MB）"),
    ],
)
@pytest.mark.parametrize("target", ["activities API", "devices page"])
def test_a_shared_string_bomb_is_refused_before_it_is_unpacked(
    org, profile, target, unpacked_bytes, message
):
    content = xlsx(line(1, header_for(target)), strings=strings_bomb(unpacked_bytes))
    assert len(content) < 1024 * 1024  # it packs small: only its unpacked size gives it away
    devices = Device.objects.count()
    status, text, peak = post(org, target, "导入.xlsx", content)
    assert status == 422
    assert message in text
    assert peak < MAX_GROWTH_BYTES
    assert_nothing_imported(devices)


def test_a_sheet_with_a_doctype_is_refused_unread(org, profile):
    """Entity expansion (a billion laughs) needs a DOCTYPE; no real .xlsx has one."""
    doctype = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    content = xlsx(line(1, ACTIVITY_HEADER), doctype=doctype)
    status, text, _peak = post(org, "activities page", "导入.xlsx", content)
    assert status == 422 and "无法读取 Excel 文件（文件结构异常）" in text
    assert_nothing_imported(Device.objects.count())


@pytest.mark.parametrize("target", ["activities page", "devices page"])
def test_a_csv_line_of_commas_is_refused_in_bounded_memory(org, profile, target):
    content = (",".join(header_for(target)) + "\n" + "," * 5_000_000 + "x\n").encode()
    devices = Device.objects.count()
    status, text, peak = post(org, target, "导入.csv", content)
    assert status == 422 and "超过 100 列" in text
    assert peak < MAX_GROWTH_BYTES
    assert_nothing_imported(devices)
