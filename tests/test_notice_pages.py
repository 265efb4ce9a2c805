"""The notice check's pages (U5; 000§12, 001§11, 002§10, 003§9, 004§13): 系统管理 → 告知语参考
录音 for system administrators only (list, upload with Chinese errors and nothing stored,
audited listening, delete that asks first, 试听检测); the result on the player's timeline; the
officer's answer and the reviewer's decision on the activity's page; the score sheet's notice
item beside the system's result, pre-filled as a suggestion and never ticked.

The speech is espeak-ng's (tests/notice_audio.py), made once for the module."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from avrecords.audit.models import AuditEntry
from avrecords.compliance import activities as acts
from avrecords.compliance import notice_check, notice_references
from avrecords.compliance.models import (
    Finding,
    FindingKind,
    FindingStatus,
    NoticeReference,
)
from avrecords.org.models import Role
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.supervision import campaigns
from avrecords.supervision.campaigns import CampaignInput
from tests import notice_audio as na
from tests.conftest import client_for
from tests.rows import BEIJING, grant, make_stored

pytestmark = na.requires_espeak

LEAD_IN_SECONDS = 2.0  # silence, an ordinary sentence, a pause, then the notice
PAGE = "/notice/references/"


@pytest.fixture(scope="module")
def sounds(tmp_path_factory) -> dict:
    """The module's files: a reference of the notice, a video with it, one without, bad
    references (silence, longer than the 3-minute window, not audio)."""
    root = tmp_path_factory.mktemp("notice-pages")
    notice = na.speak(na.NOTICE_TEXT, speed=150)
    other = na.speak(na.OTHER_SENTENCES[1], speed=160)
    with_notice = na.clip([LEAD_IN_SECONDS, other, 0.5, na.speak(na.NOTICE_TEXT, speed=165), 1.0])
    # one ordinary sentence: the matcher may take two joined ones for the notice (H2's bench)
    without = na.clip([1.0, na.speak(na.OTHER_SENTENCES[8]), 1.0])
    long = na.clip([notice, 1.0] * int(200 / (notice.size / na.SAMPLE_RATE + 1) + 1))
    return {
        "reference": na.write_wav(root / "reference.wav", notice).read_bytes(),
        "with": na.write_video(root / "with.mp4", with_notice).read_bytes(),
        "with_seconds": with_notice.size / na.SAMPLE_RATE,
        "notice_at": LEAD_IN_SECONDS + (other.size / na.SAMPLE_RATE) + 0.5,
        "without": na.write_video(root / "without.mp4", without).read_bytes(),
        "without_seconds": without.size / na.SAMPLE_RATE,
        "silence": na.write_wav(root / "silence.wav", na.silence(4.0)).read_bytes(),
        "long": na.write_wav(root / "long.wav", long).read_bytes(),
        "not_audio": b"%PDF-1.4 this is a document, not a recording\n" * 50,
    }


@pytest.fixture
def world(org):
    """The bureau under tongbai (window 3 minutes, 000§12), a unit head and a supervisor."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    org.head1 = org._user("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)
    org.supervisor = org._user("jiandu", "监督员", Role.SUPERVISOR, org.squad1)
    return org


def upload(user, data: bytes, name="张伟朗读", kind="officer", filename="notice.wav"):
    form = {"name": name, "kind": kind}
    if data is not None:
        form["file"] = SimpleUploadedFile(filename, data)
    return client_for(user).post(f"{PAGE}upload", form)


@pytest.fixture
def reference(world, sounds) -> NoticeReference:
    return notice_references.add(
        world.sysadmin,
        SimpleUploadedFile("notice.wav", sounds["reference"]),
        name="记录仪一键告知",
        kind="device",
    )


def checked_activity(org, data: bytes, seconds: float, day: int):
    """张伟's inspection on 2026-09-<day> whose one recording is `data`, checked now."""
    recording = make_stored(
        org,
        f"3501001_350211_202609{day:02d}100500_0001.MP4",
        data=data,
        at=(2026, 9, day, 10, 5),
        duration_seconds=seconds,
    )
    start = dt.datetime(2026, 9, day, 10, tzinfo=BEIJING)
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind="on_site_inspection",
            started_at=start,
            ended_at=start + dt.timedelta(hours=1),
            officers=[org.officer],
        ),
    )
    if not activity.links.filter(recording=recording).exists():
        acts.link(org.admin, activity, recording)
    check = notice_check.run(activity)
    assert check is not None and check.recording_id == recording.pk
    return activity, recording, check


@pytest.fixture
def heard(world, sounds, reference):
    return checked_activity(world, sounds["with"], sounds["with_seconds"], 12)


@pytest.fixture
def unheard(world, sounds, reference):
    return checked_activity(world, sounds["without"], sounds["without_seconds"], 13)


def audits(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


# --- who may open them ---------------------------------------------------------------------


def test_the_references_page_opens_for_the_system_administrator_only(world, reference):
    page = client_for(world.sysadmin).get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "告知语参考录音" in body and "一键告知" in body and "执法人员朗读" in body
    for who in (world.admin, world.officer, world.leader, world.head1, world.supervisor):
        client = client_for(who)
        assert client.get(PAGE).status_code == 403, who
        assert client.get(f"{PAGE}{reference.pk}/audio").status_code == 403, who
        assert client.post(f"{PAGE}{reference.pk}/delete").status_code == 403, who
        assert client.post(f"{PAGE}try", {"recording": 1}).status_code == 403, who
    assert NoticeReference.objects.filter(pk=reference.pk).exists()
    assert not audits("notice_reference.listen")


def test_the_system_menu_shows_the_references_to_the_system_administrator_only(world):
    assert "告知语参考录音" in client_for(world.sysadmin).get("/").content.decode()
    assert "告知语参考录音" not in client_for(world.admin).get("/").content.decode()


# --- upload --------------------------------------------------------------------------------


def test_an_uploaded_reference_is_listed_with_its_facts(world, sounds):
    response = upload(world.sysadmin, sounds["reference"])
    assert response.status_code == 302 and response["Location"] == PAGE
    reference = NoticeReference.objects.get()
    body = client_for(world.sysadmin).get(PAGE).content.decode()
    row = body.split("张伟朗读", 1)[1].split("</tr>", 1)[0]
    assert "执法人员朗读" in row and "系统管理员" in row
    assert f"{reference.duration_seconds:.1f} 秒" in row
    assert f"{reference.speech_seconds:.1f} 秒" in row
    assert f'src="{PAGE}{reference.pk}/audio"' in row
    assert [e.actor_id for e in audits("notice_reference.add")] == [world.sysadmin.pk]


BAD = [
    pytest.param("silence", "silence.wav", id="silence"),
    pytest.param("long", "long.wav", id="longer-than-the-window"),
    pytest.param("not_audio", "notice.pdf", id="not-audio"),
]


@pytest.mark.parametrize(("sound", "filename"), BAD)
def test_a_bad_reference_is_refused_on_the_form_in_chinese_and_nothing_is_kept(
    world, sounds, settings, sound, filename
):
    response = upload(world.sysadmin, sounds[sound], filename=filename)
    assert response.status_code == 422
    body = response.content.decode()
    error = re.search(r'<small class="error" role="alert">([^<]+)</small>', body)
    assert error and re.search(r"[\u4e00-\u9fff]", error[1]), body[-2000:]
    assert not re.search(r"[A-Za-z]{4,}", error[1])  # no English, no codes
    assert 'value="张伟朗读"' in body  # what was typed is kept
    assert not NoticeReference.objects.exists()
    assert not list((Path(settings.AVRECORDS_DERIVED_PATH) / "notice").glob("*/*"))
    assert not audits("notice_reference.add")


def test_a_form_without_file_name_or_kind_says_what_is_missing(world):
    response = upload(world.sysadmin, None, name="", kind="")
    assert response.status_code == 422
    body = response.content.decode()
    assert "请选择参考录音文件" in body and "请填写名称" in body and "请选择类型" in body
    assert not NoticeReference.objects.exists()


# --- listen and delete ---------------------------------------------------------------------


def test_listening_to_a_reference_is_an_audited_delivery(world, reference):
    response = client_for(world.sysadmin).get(f"{PAGE}{reference.pk}/audio")
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert b"".join(response.streaming_content)[:4] == b"RIFF"
    (entry,) = audits("notice_reference.listen")
    assert (entry.actor_id, entry.object_id) == (world.sysadmin.pk, str(reference.pk))


def test_deleting_a_reference_asks_first_and_is_audited(world, reference, settings):
    page = client_for(world.sysadmin).get(PAGE).content.decode()
    form = re.search(rf'<form[^>]*action="{PAGE}{reference.pk}/delete"[^>]*>', page)[0]
    assert 'data-confirm="确定要删除参考录音“记录仪一键告知”吗？' in form and "不可撤销" in form
    response = client_for(world.sysadmin).post(f"{PAGE}{reference.pk}/delete")
    assert response.status_code == 302
    assert not NoticeReference.objects.exists()
    (entry,) = audits("notice_reference.remove")
    assert entry.actor_id == world.sysadmin.pk


# --- 试听检测 --------------------------------------------------------------------------------


def test_trying_a_recording_with_the_notice_says_where_and_how_sure(world, sounds, heard):
    _, recording, _ = heard
    body = client_for(world.sysadmin).post(f"{PAGE}try", {"recording": recording.pk})
    assert body.status_code == 200
    said = re.search(
        r"在 (\d\d):(\d\d) 处检测到告知语，置信度 (\d+)%（阈值 50%）", body.content.decode()
    )
    assert said, body.content.decode()[-3000:]
    at = int(said[1]) * 60 + int(said[2])
    assert abs(at - sounds["notice_at"]) <= 1.5
    assert 50 <= int(said[3]) <= 100


def test_trying_a_recording_without_the_notice_says_the_best_it_heard(world, unheard):
    _, recording, _ = unheard
    body = client_for(world.sysadmin).post(f"{PAGE}try", {"recording": recording.pk})
    said = re.search(r"未检测到告知语（最高置信度 (\d+)%，阈值 50%）", body.content.decode())
    assert said and int(said[1]) < 50


def test_trying_without_choosing_a_recording_asks_for_one(world, reference):
    response = client_for(world.sysadmin).post(f"{PAGE}try", {})
    assert response.status_code == 422 and "请选择要检测的音像记录" in response.content.decode()


# --- the player's timeline -----------------------------------------------------------------


def test_the_timeline_shows_where_the_notice_was_heard(world, sounds, heard):
    _, recording, check = heard
    marks = client_for(world.officer).get(f"/api/v1/recordings/{recording.pk}/marks").json()
    (mark,) = [m for m in marks if m["kind"] == "notice"]
    assert mark["at_seconds"] == pytest.approx(check.at_seconds)
    minutes, seconds = divmod(int(check.at_seconds), 60)
    pct = round(check.confidence * 100)
    assert mark["text"] == f"{minutes:02d}:{seconds:02d} 检测到告知语（置信度 {pct}%）"
    page = client_for(world.officer).get(f"/recordings/{recording.pk}/").content.decode()
    assert 'class="mark mark-notice"' in page and "检测到告知语" in page


def test_the_timeline_says_when_no_notice_was_heard_at_the_start(world, unheard):
    _, recording, _ = unheard
    marks = client_for(world.officer).get(f"/api/v1/recordings/{recording.pk}/marks").json()
    (mark,) = [m for m in marks if m["kind"] == "notice"]
    assert mark["at_seconds"] == 0 and mark["text"].endswith("未检测到告知语")
    assert mark["text"].startswith("开头 ")


def test_the_notice_mark_is_not_shown_to_one_who_may_not_play(world, heard):
    _, recording, _ = heard
    response = client_for(world.admin).get(f"/api/v1/recordings/{recording.pk}/marks")
    assert response.status_code == 403  # an administrator plays only with a grant (M3)
    grant(world.admin, recording, kind="view")
    marks = client_for(world.admin).get(f"/api/v1/recordings/{recording.pk}/marks").json()
    assert [m["kind"] for m in marks if m["kind"] == "notice"] == ["notice"]


# --- answer and review on the activity's page ----------------------------------------------


def test_the_officer_answers_and_the_unit_head_confirms_on_the_activity_page(world, unheard):
    activity, _, check = unheard
    finding = Finding.objects.get(kind=FindingKind.NO_NOTICE, activity=activity)
    url = f"/activities/{activity.pk}/"
    page = client_for(world.officer).get(url).content.decode()
    assert "告知检查" in page and check.message in page
    assert "开头 " in page and "（00:00–" in page  # the window searched
    form = page.split(f'action="/findings/{finding.pk}/notice-answer"', 1)[1].split("</form>")[0]
    for answer in ("告知在另一台设备上录制", "口头告知未录入", "现场无当事人或当事人拒不到场"):
        assert answer in form
    assert f"/findings/{finding.pk}/notice-review" not in page  # not his to decide

    officer = client_for(world.officer)
    answered = officer.post(
        f"/findings/{finding.pk}/notice-answer",
        {"code": "other_device", "text": "告知由同行的王芳用另一台记录仪录下", "next": url},
    )
    assert answered.status_code == 302 and answered["Location"] == url
    finding.refresh_from_db()
    assert finding.status == FindingStatus.EXPLAINED

    head = client_for(world.head1).get(url).content.decode()
    assert "告知在另一台设备上录制" in head and "告知由同行的王芳用另一台记录仪录下" in head
    assert f'action="/findings/{finding.pk}/notice-review"' in head
    decided = client_for(world.head1).post(
        f"/findings/{finding.pk}/notice-review", {"decision": "dismiss", "note": "已核实另一台"}
    )
    assert decided.status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RESOLVED
    assert finding.detail["review"]["outcome"] == "dismissed"
    after = client_for(world.officer).get(url).content.decode()
    assert "不予认定" in after and "已核实另一台" in after
    assert f'action="/findings/{finding.pk}/notice-answer"' not in after


def test_a_bad_answer_is_refused_in_chinese_and_changes_nothing(world, unheard):
    activity, _, _ = unheard
    finding = Finding.objects.get(kind=FindingKind.NO_NOTICE, activity=activity)
    response = client_for(world.officer).post(
        f"/findings/{finding.pk}/notice-answer", {"code": "other_device", "text": "短"}, follow=True
    )
    assert "至少 5 个字" in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_the_officer_concerned_may_not_review_his_own_missed_notice(world, unheard):
    activity, _, _ = unheard
    finding = Finding.objects.get(kind=FindingKind.NO_NOTICE, activity=activity)
    response = client_for(world.officer).post(
        f"/findings/{finding.pk}/notice-review", {"decision": "dismiss"}
    )
    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_the_officers_todo_entry_leads_to_the_answer_form(world, unheard):
    activity, _, _ = unheard
    todo = client_for(world.officer).get("/todo/").content.decode()
    assert "未检测到告知语" in todo and f'href="/activities/{activity.pk}/"' in todo


# --- the score sheet -----------------------------------------------------------------------


def _sample(org, activity):
    c = campaigns.create_campaign(
        org.supervisor,
        CampaignInput(
            kind="spot_check",
            title="2026年9月音像记录抽查",
            period_start=dt.date(2026, 9, 1),
            period_end=dt.date(2026, 9, 30),
            units=[org.squad1],
            ratio=1.0,
        ),
    )
    campaigns.draw_sample(org.supervisor, c)
    return c.samples.get(activity=activity)


def _item_row(page: str) -> str:
    """The notice item's block on the score sheet, with the system's line in it."""
    return page.split("亮证并告知录音录像", 1)[1].split("</fieldset>", 1)[0]


def test_the_score_sheet_offers_the_systems_result_without_ticking_the_item(world, heard):
    activity, recording, check = heard
    grant(world.supervisor, recording, kind="view")
    sample = _sample(world, activity)
    page = client_for(world.supervisor).get(f"/supervision/samples/{sample.pk}/").content.decode()
    minutes, seconds = divmod(int(check.at_seconds), 60)
    at = f"{minutes:02d}:{seconds:02d}"
    row = _item_row(page)
    pct = round(check.confidence * 100)
    assert f"系统检测：{at} 检测到告知语（置信度 {pct}%），请复核" in row
    assert "checked" not in row  # the verdict is the reviewer's
    box = re.search(rf'<textarea name="notes_{recording.pk}"[^>]*>([^<]*)</textarea>', page)
    assert box and box[1] == f"{at} 检测到告知语"
    assert "仅供参考" in page


def test_the_score_sheet_says_when_the_system_heard_no_notice(world, unheard):
    activity, recording, _ = unheard
    sample = _sample(world, activity)
    page = client_for(world.supervisor).get(f"/supervision/samples/{sample.pk}/").content.decode()
    row = _item_row(page)
    assert re.search(r"系统未在开头 [^<]*检测到告知语", row)
    assert "checked" not in row
