"""M9 and X2: a recording marked 个人隐私 is named on no page, in no API answer and in no export
for a person not cleared for it (issue 15, row 2).

The permission matrix's world (tests/permissions_world.py) gains one confidential recording of
王芳's, tied into everything that can list a recording: 张伟's seizure (a late-ingest finding
names it), squad 1's case and its complaint hold, an ingest batch, a fixity alarm, a clock
flag, a violation entry, the view register, a request by the one cleared person, a retention
shortening request, the bureau's disposal list in review — and a second confidential recording,
purged, behind a destruction record. Then every page and endpoint of the matrix, and a few
filtered and exported variants, is fetched as every stock user: the recordings' file names and
ids appear exactly where the scope-and-clearance rule lets the user see them.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from django.db import transaction

from avrecords.access import grants
from avrecords.access import requests as access
from avrecords.access.models import RequestKind
from avrecords.access.secrecy import apply_mark
from avrecords.cases import services as cases
from avrecords.cases.models import Case
from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import Activity, Finding
from avrecords.equipment.models import ClockFlag
from avrecords.fixity.models import Outcome
from avrecords.fixity.services import record_check
from avrecords.fixity.sweep import ReadResult
from avrecords.lib.storage import get_store
from avrecords.recordings.models import IngestBatch, IngestItem, Recording
from avrecords.retention import facts
from avrecords.retention.models import (
    DestructionRecord,
    DisposalItem,
    DisposalList,
    ItemDecision,
    ItemOutcome,
    StoreCheck,
)
from avrecords.retention.services import reclassify
from avrecords.supervision.models import ViolationCandidate
from tests.conftest import client_for
from tests.rows import grant, make, make_stored
from tests.test_evidence_package import pdf_text
from tests.test_permissions import ENDPOINTS

SECRET_ID = 7_310_429  # 王芳's recording at 张伟's seizure, marked 个人隐私
SECRET_NAME = "3501001_350212_20260930221000_0042.MP4"
GONE_ID = 7_310_437  # a purged bureau recording, marked 个人隐私 before it went
GONE_NAME = "3501000_000000_20230105090000_0042.MP4"
CLEARED = "bureau_admin"  # 郑华, cleared for 个人隐私
PDF_PAGE = b"%PDF-page\n"
# One uncleared person of every role whose scope holds the secrets: 张伟 (an officer of the
# seizure), squad 1's administrator, unit head and supervisor, the bureau's leader and
# archivist, the system administrator (a superuser is scoped as he is). Squad 2's people see
# nothing of squad 1's (the permission matrix proves it).
UNCLEARED = ["officer", "admin", "head1", "supervisor", "leader", "archivist", "sysadmin"]

# Filtered, searched and exported variants of the matrix's pages.
EXTRA_PATHS = [
    f"/recordings/?q={SECRET_NAME[:14]}",
    "/recordings/?officer=王芳",
    "/api/v1/recordings?q=3501001",
    "/findings/?status=all",
    "/api/v1/findings?status=all",
    "/activities/?open=1",
    "/registers/view/export?format=pdf",
    "/registers/copy/export?format=xlsx",
    "/retention/records/export.pdf",
    "/retention/records/?q=3501000",
    "/supervision/violations/export.xlsx",
    f"/recordings/{SECRET_ID}/",
    f"/api/v1/recordings/{SECRET_ID}",
    f"/api/v1/retention/recordings/{SECRET_ID}",
    f"/recordings/{SECRET_ID}/thumbnail",
]


@pytest.fixture(autouse=True)
def isolated_store(settings, world_dir):
    """Overrides conftest's: the module's one world keeps its originals in one store."""
    settings.AVRECORDS_STORE_PATH = world_dir / "store"
    settings.AVRECORDS_DERIVED_PATH = world_dir / "derived"
    get_store.cache_clear()
    yield settings.AVRECORDS_STORE_PATH
    get_store.cache_clear()


class _PageForPdf:
    """Stands in for WeasyPrint's HTML: the "PDF" is the page it would have laid out."""

    def __init__(self, string: str, **kwargs) -> None:
        self.string = string

    def write_pdf(self, **kwargs) -> bytes:
        return PDF_PAGE + self.string.encode()


@pytest.fixture
def pdf_as_page(monkeypatch):
    """Every printable document is an HTML page laid out by WeasyPrint, which takes a minute a
    document on a busy machine; here the test reads the page itself (the layout of real PDFs
    is tests/test_evidence_package.py's and tests/test_equipment_registry.py's concern)."""
    import weasyprint

    monkeypatch.setattr(weasyprint, "HTML", _PageForPdf)
    monkeypatch.setattr(weasyprint, "CSS", lambda **kwargs: None)


@pytest.fixture(scope="module")
def secret_world(module_world, django_db_blocker):
    """The matrix's world and the confidential recordings tied into it (inside the world's
    module transaction: gone when the module ends)."""
    with django_db_blocker.unblock():
        _tie_in_secrets(module_world)
    return module_world


@pytest.fixture
def world(secret_world, db):
    return secret_world


def _tie_in_secrets(world) -> None:
    users = world.users
    wangfang, admin, cleared = users["officer2"], users["admin"], users[CLEARED]
    squad1 = admin.unit
    seizure = Activity.objects.get(pk=world.activity)
    rec = make_stored(
        None,
        SECRET_NAME,
        pk=SECRET_ID,
        officer=wangfang,
        unit=squad1,
        device_id=world.device,
        batch=IngestBatch.objects.get(pk=world.batch["squad1"]),
        at=(2026, 9, 30, 22, 10),
    )
    # Stored three weeks late: a late-ingest finding names it.
    Recording.objects.filter(pk=rec.pk).update(
        ingested_at=dt.datetime(2026, 10, 21, 9, tzinfo=dt.UTC)
    )
    acts.link(admin, seizure, rec)
    evaluate_activity(seizure)
    assert Finding.objects.filter(recording=rec).exists()
    IngestItem.objects.create(
        batch=rec.batch,
        relative_path=f"DCIM/100MEDIA/{SECRET_NAME}",
        outcome=IngestItem.Outcome.IMPORTED,
        size_bytes=rec.size_bytes,
        sha256=rec.sha256,
        recording=rec,
    )
    cases.link_recordings(admin, Case.objects.get(pk=world.case), [rec])
    record_check(rec, ReadResult(Outcome.MISSING, error="gone"))
    ClockFlag.objects.filter(pk=world.clock_flag).update(recording=rec)
    ViolationCandidate.objects.get(pk=world.violation).recordings.add(rec)
    DisposalItem.objects.create(
        disposal=DisposalList.objects.get(pk=world.disposal),
        recording=rec,
        keep_until=dt.date(2025, 1, 5),
        category_name="一般执法记录",
    )
    apply_mark(rec, "privacy")
    cleared.secrecy_clearances = ["privacy"]
    cleared.save()
    # What only the cleared can start: a view request, its register row, a shortening request.
    viewing = grant(cleared, rec, kind="view")
    grants.register_playback(viewing, cleared, rec)
    access.submit(
        cleared, access.Ask(kind=RequestKind.VIEW, reason="核查投诉", recordings=[rec], days=3)
    )
    reclassify([rec], why="首次确定保存期限")
    facts.ask_to_shorten(cleared, rec, reason="当事人已撤回投诉")
    # The nightly store check found its lock short and extended it.
    StoreCheck.objects.create(
        checked=1,
        extended=1,
        drift=[{"recording": rec.pk, "name": rec.original_name, "extended": "2028-01-10"}],
    )
    _purged_secret(world)


def _purged_secret(world) -> None:
    bureau = world.users[CLEARED].unit
    gone = make(None, GONE_NAME, pk=GONE_ID, officer=False, unit=bureau, at=(2023, 1, 5, 9, 0))
    apply_mark(gone, "privacy")
    done = DisposalList.objects.filter(status="done").get()
    item = DisposalItem.objects.create(
        disposal=done,
        recording=gone,
        keep_until=dt.date(2025, 1, 5),
        category_name="一般执法记录",
        decision=ItemDecision.PURGE,
        outcome=ItemOutcome.PURGED,
    )
    now = done.finished_at
    DestructionRecord.objects.create(
        recording=gone,
        item=item,
        number=f"{done.number}-{item.pk}",
        original_name=gone.original_name,
        sha256=gone.sha256,
        size_bytes=gone.size_bytes,
        storage_key=gone.storage_key,
        started_at=gone.started_at,
        ended_at=gone.ended_at,
        ingested_at=gone.ingested_at,
        unit_name=bureau.name,
        category_name="一般执法记录",
        cite="000§18",
        keep_until=dt.date(2025, 1, 5),
        reviewed_by="档案员（dangan）",
        approved_by="郑国华（lingdao）",
        begun_at=now,
        purged_at=now,
    )
    Recording.objects.filter(pk=gone.pk).update(purged_at=now)


# --- reading what a response says ---------------------------------------------------------


def _text(response) -> str:
    """Everything the response tells its reader: the page, the JSON, the cells of a workbook,
    the text of a PDF."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind:
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    if body.startswith(PDF_PAGE):
        return body.decode()
    if kind.startswith("application/pdf"):
        return pdf_text(body)
    if kind.startswith(("text/", "application/json")):
        return body.decode()
    return ""  # media and images name nothing


def _names(text: str, rec_id: int, name: str) -> list[str]:
    """How the text names the recording: its file name, its id as a number of its own."""
    found = [name] if name in text else []
    return found + re.findall(rf"(?<!\d){rec_id}(?!\d)", text)


def _paths(world) -> list[str]:
    ids = world.ids()
    return [e.path.format(**ids) for e in ENDPOINTS if e.method == "GET"] + EXTRA_PATHS


# --- the tests ------------------------------------------------------------------------------


def test_only_the_cleared_and_the_owner_may_see_the_secrets(world):
    """The scope-and-clearance rule itself (X2, M9): what the pages must follow."""
    seen = {
        pk: {
            who
            for who, user in world.users.items()
            if Recording.objects.visible_to(user).filter(pk=pk).exists()
        }
        for pk in (SECRET_ID, GONE_ID)
    }
    assert seen == {SECRET_ID: {CLEARED, "officer2"}, GONE_ID: {CLEARED}}
    assert not set(UNCLEARED) & (seen[SECRET_ID] | seen[GONE_ID])


@pytest.mark.parametrize("who", UNCLEARED)
def test_no_page_api_or_export_names_a_confidential_recording_to_the_uncleared(
    world, pdf_as_page, who
):
    """Every page and endpoint of the matrix, and the variants above, as one user not cleared
    for the secrets: neither their file names nor their ids appear (a count without names may
    say that something is withheld)."""
    client = client_for(world.users[who])
    leaks = []
    for path in _paths(world):
        with transaction.atomic():  # a page that registers or audits leaves nothing behind
            response = client.get(path)
            text = _text(response)
            transaction.set_rollback(True)
        if response.status_code >= 500:  # a broken page would hide nothing, it would fail
            leaks.append(f"{path}: {response.status_code}")
        for pk, name in ((SECRET_ID, SECRET_NAME), (GONE_ID, GONE_NAME)):
            if named := _names(text, pk, name):
                leaks.append(f"{path}: {sorted(set(named))}")
    listed = "\n".join(leaks)
    assert not leaks, f"{who} is shown what he is not cleared for, or a page broke:\n{listed}"


CLEARED_SEES = [
    "/activities/{act}/",
    "/api/v1/activities/{act}",
    "/findings/?status=all",
    "/api/v1/findings?status=all",
    "/fixity/",
    "/api/v1/fixity/alarms",
    "/ingest/{batch}/",
    "/cases/{case}/",
    "/retention/holds/{hold}/",
    "/retention/disposals/{disposal}/",
    "/registers/view/",
    "/equipment/clock-flags",
    "/retention/",
    "/api/v1/disposals/{disposal}",
]


@pytest.mark.parametrize("path", CLEARED_SEES)
def test_the_cleared_user_in_scope_does_see_the_confidential_recording(world, path):
    """The other half: the same pages do name it for 郑华, cleared and in scope, so the search
    above would find it if it were there."""
    response = client_for(world.users[CLEARED]).get(path.format(**world.ids()))
    assert response.status_code == 200
    assert _names(_text(response), SECRET_ID, SECRET_NAME)


def test_the_destruction_records_name_the_purged_secret_to_the_cleared_only(world):
    for who, shown in ((CLEARED, True), ("archivist", False), ("leader", False)):
        text = _text(client_for(world.users[who]).get("/retention/records/"))
        assert (GONE_NAME in text) is shown, who


def test_the_uncleared_are_told_how_many_recordings_are_withheld_and_keep_their_findings(world):
    """张伟's seizure: he sees that one recording is withheld, not which; the unit head still
    has the late-ingest finding to act on, without the recording's reference."""
    officer, head = client_for(world.users["officer"]), client_for(world.users["head1"])
    page = officer.get(f"/activities/{world.activity}/").content.decode()
    assert "另有 1 条涉密或权限范围外的音像记录未显示" in page
    activity = officer.get(f"/api/v1/activities/{world.activity}").json()
    assert (activity["recording_ids"], activity["withheld_recordings"]) == ([], 1)
    late = [f for f in head.get("/api/v1/findings").json() if f["kind"] == "late_ingest"]
    assert [f["recording_id"] for f in late] == [None]
    assert "涉密或权限范围外的记录" in head.get("/findings/").content.decode()
