"""Excel exports hold text, never formulas (issue 15, row 7).

Device notes, request reasons, violation summaries and names beginning with `=`, `+`, `-` or
`@` were written to the exports as live formulas: =HYPERLINK("http://x","点击") in a device
note became a link in the administrator's Excel. Each export is downloaded here through its
page and opened: no cell is a formula, every hostile text reads back exactly as typed, and
each carries Excel's quote prefix, so editing the cell later keeps it text.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from avrecords.access.models import RequestKind
from avrecords.equipment import registry
from avrecords.equipment.custody import issue_device
from avrecords.lib.sheets import FORMULA_STARTS
from avrecords.org.models import Role, Unit
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.supervision import violations
from tests.conftest import client_for
from tests.rows import make
from tests.test_registers import at, entry, granted
from tests.test_supervision_quality import activity

pytestmark = pytest.mark.django_db
LINK = '=HYPERLINK("http://x","点击")'
PAYLOADS = [LINK, "+1+1", "-2+3", "@SUM(A1)"]


@pytest.fixture
def hostile(org):
    """Each payload typed wherever an export shows text: device notes and conditions at issue,
    request reasons and a file name, violation summaries, a person's and a unit's name."""
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="chengde"))
    supervisor = org._user("jiandu", "刘监督", Role.SUPERVISOR, org.squad1)
    devices = [
        registry.register_device(
            org.admin,
            registry.DeviceInput(
                serial=f"HIK-DS-{n}", kind="fixed_camera", unit=org.squad1, note=payload
            ),
        )
        for n, payload in enumerate(PAYLOADS)
    ]
    issue_device(
        devices[0],
        org.officer2,
        operator=org.admin,
        when=dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC),
        condition="+1+1",
    )
    rec = make(org, f"{LINK}.mp4", officer=org.officer)
    steps = [(org.leader, Role.LEADER, at(2026, 11, 20, 9, 0))]
    for n, payload in enumerate(PAYLOADS, start=1):
        for kind, register, act in [
            (RequestKind.VIEW, "view", "播放"),
            (RequestKind.COPY, "copy", "下载原始文件"),
        ]:
            req = granted(
                org,
                f"{register}-{n}",
                kind,
                org.officer2,
                org.squad1,
                payload,
                steps,
                org.admin,
                at(2026, 11, 20, 10, n),
            )
            entry(req, register, act, org.officer2, at(2026, 11, 20, 11, n), recording=rec)
    for payload in PAYLOADS:
        violations.report(
            supervisor,
            violations.ViolationInput(
                kind="lent", unit=org.squad1, person=org.officer, summary=payload
            ),
        )
    Unit.objects.filter(pk=org.squad1.pk).update(name="-2+3")
    org.officer2.full_name = "@SUM(A1)"
    org.officer2.save(update_fields=["full_name"])
    activity(org, org.squad1, [org.officer2], at(2026, 3, 10, 9, 0))
    return {"supervisor": supervisor, "device": devices[0]}


def exports(org, hostile) -> list[tuple[str, str, object, set[str]]]:
    """(name, url, who downloads it, the hostile texts it must show exactly)."""
    supervisor, device = hostile["supervisor"], hostile["device"]
    return [
        ("设备台账", "/equipment/export.xlsx", org.admin, set(PAYLOADS)),
        ("设备使用台账", f"/equipment/devices/{device.pk}/usage?format=xlsx", org.admin, {"+1+1"}),
        (
            "人员使用台账",
            f"/equipment/people/{org.officer2.pk}/usage?format=xlsx",
            org.admin,
            {"+1+1", "@SUM(A1)"},
        ),
        (
            "查阅登记簿",
            "/registers/view/export?format=xlsx",
            org.sysadmin,
            set(PAYLOADS),
        ),
        ("复制登记簿", "/registers/copy/export?format=xlsx", org.sysadmin, set(PAYLOADS)),
        ("违规登记簿", "/supervision/violations/export.xlsx", supervisor, set(PAYLOADS)),
        (
            "执法质量考评",
            "/supervision/report.xlsx?start=2026-01-01&end=2026-12-31",
            supervisor,
            {"-2+3", "@SUM(A1)"},
        ),
    ]


def test_every_excel_export_writes_hostile_text_as_text(org, hostile):
    for name, url, user, expected in exports(org, hostile):
        response = client_for(user).get(url)
        assert response.status_code == 200, name
        book = load_workbook(io.BytesIO(response.content))
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
        assert [c.coordinate for c in cells if c.data_type == "f"] == [], name
        texts = {c.value for c in cells if isinstance(c.value, str)}
        assert expected <= texts, (name, expected - texts)
        risky = [
            c for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_STARTS)
        ]
        assert risky and all(c.quotePrefix and c.data_type == "s" for c in risky), name
