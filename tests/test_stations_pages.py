"""The 采集站 pages (issue 19 §1, §4): the list with each station's state in Chinese, a
summary and a unit filter; registering a station (its token and a ready configuration file
shown once); editing, rotating and revoking its token, retiring and reinstating it, each with
its confirmation and the service's Chinese refusal; a station's page with its last heartbeat,
what it uploaded today (within the viewer's scope), the cameras it refused and how each was
handled. As the system administrator, as the administrator responsible for a station, and as
an officer (refused, no menu entry). The matrix rows are tests/permissions/rows_stations.py."""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
import tomllib

import pytest
from django.utils import timezone

from avrecords.agent import config as agent_config
from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Station
from avrecords.org.tokens import TokenRefused, digest_of
from avrecords.recordings import resumable
from avrecords.recordings.models import IngestBatch, IngestItem
from avrecords.stations import auth, cameras, heartbeats
from avrecords.stations import services as svc
from avrecords.stations.models import CameraRefusal, StationState
from tests.conftest import Org, client_for, with_menu_counts
from tests.rows import make
from tests.test_no_codes_on_pages import _Page, offending

GIB = 1024**3
SECRET = re.compile(r"avr_[A-Za-z0-9_-]{20,}")


@pytest.fixture
def station(org: Org) -> Station:
    """执法一中队值班室采集站, 林海 (一中队's administrator) responsible, online now."""
    made, _secret = svc.register(
        org.sysadmin,
        name="执法一中队值班室采集站",
        unit=org.squad1,
        location="一楼值班室",
        responsible=org.admin,
        note="八口采集站",
    )
    heartbeats.record_heartbeat(
        made,
        heartbeats.Beat(
            version="1.4.0",
            free_disk_bytes=400 * GIB,
            total_disk_bytes=1000 * GIB,
            queue_files=3,
            queue_bytes=1536 * 1024**2,
            cameras=("3501001", "3501002"),
            clock_offset_seconds=2.0,
        ),
    )
    return made


def text_of(response) -> str:
    page = _Page()
    page.feed(response.content.decode())
    return re.sub(r"\s+", " ", " ".join(page.text))


def uploaded(org: Org, station: Station, name: str, **fields):
    """A recording the station's import stored today (an import batch of the station)."""
    batch = IngestBatch.objects.create(source="station", station=station, unit=station.unit)
    recording = make(org, name, batch=batch, **fields)
    IngestItem.objects.create(
        batch=batch,
        relative_path=name,
        size_bytes=recording.size_bytes,
        outcome=IngestItem.Outcome.IMPORTED,
        recording=recording,
    )
    return recording


# --- the list ------------------------------------------------------------------------------


def test_the_list_says_each_stations_state_in_chinese_with_a_summary(org: Org, station):
    # 二中队采集站 (the fixture's) never connected; a third station silent for two hours
    quiet, _ = svc.register(org.sysadmin, name="局机关采集站", unit=org.bureau)
    heartbeats.record_heartbeat(quiet, heartbeats.Beat(version="1.3.9", queue_files=250))
    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    StationState.objects.filter(station=quiet).update(last_seen_at=two_hours_ago)

    response = client_for(org.sysadmin).get("/stations/")

    assert response.status_code == 200
    text = text_of(response)
    assert "共 4 个采集站，在线 1，离线 1，从未连接 2" in text
    since = timezone.localtime(two_hours_ago).strftime("%m-%d %H:%M")
    assert f"离线（自 {since}）" in text
    assert "2 小时前" in text
    assert "队列积压 250 个文件" in text
    assert "从未连接" in text
    row = text[text.index("执法一中队值班室采集站") :]
    assert row.startswith("执法一中队值班室采集站 执法一中队 一楼值班室 林海 在线")
    assert "2 台" in row and "1.4.0" in row and "刚刚" in row


def test_disk_clock_and_retired_stations_are_shown_as_such(org: Org, station):
    StationState.objects.filter(station=station).update(
        free_disk_bytes=80 * GIB, clock_offset_seconds=130
    )
    retired, _ = svc.register(org.sysadmin, name="旧采集站", unit=org.squad2)
    svc.retire(org.sysadmin, retired)

    text = text_of(client_for(org.sysadmin).get("/stations/"))

    assert "磁盘将满（剩余 8%）" in text
    assert "时钟偏差 快 2 分 10 秒" in text
    # the retired one is folded at the end, not counted
    assert "（另有已停用 1 个）" in text
    assert text.index("已停用的采集站（1）") < text.index("旧采集站")


def test_the_list_filters_by_unit(org: Org, station):
    client = client_for(org.sysadmin)
    text = text_of(client.get(f"/stations/?unit={org.squad2.pk}"))
    assert "二中队采集站" in text and "执法一中队值班室采集站" not in text
    assert "共 1 个采集站" in text
    # the bureau holds both squads' stations
    assert "共 3 个采集站" in text_of(client.get(f"/stations/?unit={org.bureau.pk}"))


def test_todays_uploads_count_files_and_size(org: Org, station):
    uploaded(org, station, "3501001_350211_20261206090000_0001.MP4", size_bytes=3 * 1024**2)
    uploaded(org, station, "3501001_350211_20261206091000_0002.MP4", size_bytes=5 * 1024**2)
    text = text_of(client_for(org.sysadmin).get("/stations/"))
    assert "2 个文件，8 MB" in text


def test_an_administrator_sees_his_scopes_stations_and_the_menu_entry(org: Org, station):
    client = client_for(org.admin)  # 林海, 一中队
    text = text_of(client.get("/stations/"))
    assert "执法一中队值班室采集站" in text and "一中队采集站" in text
    assert "二中队采集站" not in text
    assert "登记采集站" not in text  # managing is the system administrator's
    assert 'href="/stations/"' in with_menu_counts(client, "/")


def test_an_officer_is_refused_and_has_no_menu_entry(org: Org, station):
    client = client_for(org.officer)
    for path in ("/stations/", f"/stations/{station.pk}/", "/stations/new"):
        response = client.get(path)
        assert response.status_code == 403
        assert "无权访问" in response.content.decode()
    assert 'href="/stations/"' not in with_menu_counts(client, "/")


def test_the_pages_are_cards_on_phones(org: Org, station):
    page = client_for(org.sysadmin).get("/stations/").content.decode()
    assert 'class="station-card"' in page
    for label in ("采集站", "状态", "最近联系", "今日上传", "程序版本"):
        assert f'data-label="{label}"' in page
    assert '<meta name="viewport" content="width=device-width' in page


# --- registering: the token once -------------------------------------------------------------


def test_registering_shows_the_token_and_a_configuration_file_once(org: Org, tmp_path):
    client = client_for(org.sysadmin)
    form = client.get("/stations/new")
    assert form.status_code == 200
    # the unit picker offers units in service only; the 负责人 picker administrators only
    options = form.content.decode()
    assert "执法一中队" in options and "林海" in options and "张伟" not in options

    response = client.post(
        "/stations/new",
        {
            "name": "执法二中队值班室采集站",
            "unit": org.squad2.pk,
            "location": "二楼值班室",
            "responsible": org.other_admin.pk,
            "note": "",
        },
    )

    made = Station.objects.get(name="执法二中队值班室采集站")
    assert response.status_code == 302 and response["Location"] == f"/stations/{made.pk}/"
    page = html.unescape(client.get(response["Location"]).content.decode())
    [secret] = set(SECRET.findall(page))
    assert made.token.digest == digest_of(secret)
    assert auth.station_for_secret(secret) == made
    # the configuration file is one the agent reads as it stands
    [config] = re.findall(r'<textarea id="station-config"[^>]*>(.*?)</textarea>', page, re.S)
    agent = agent_config.parse(tomllib.loads(config), tmp_path / "station.toml")
    assert (agent.platform_url, agent.token) == ("http://testserver", secret)
    assert "令牌只显示这一次" in page and 'data-copy="#station-token"' in page
    assert "avrecords station run --config station.toml" in page
    assert "docs/deployment.md" in page
    [entry] = AuditEntry.objects.filter(action="station.register")
    assert secret not in str(entry.detail) and secret not in entry.summary
    # the same page again: the token is gone for good
    again = client.get(response["Location"]).content.decode()
    assert not SECRET.search(again) and "令牌只显示这一次" not in again
    assert f"以 {made.token.prefix} 开头" in text_of(client.get(response["Location"]))


def test_a_bad_registration_is_refused_in_chinese_and_nothing_is_made(org: Org, station):
    client = client_for(org.sysadmin)
    before = Station.objects.count()
    response = client.post("/stations/new", {"name": "", "unit": org.squad1.pk})
    assert response.status_code == 422
    assert "请填写" in text_of(response)
    taken = client.post("/stations/new", {"name": "执法一中队值班室采集站", "unit": org.squad1.pk})
    assert taken.status_code == 422
    assert "执法一中队值班室采集站" in text_of(taken) and "已" in text_of(taken)
    unknown = client.post("/stations/new", {"name": "新采集站", "unit": 999_999})
    assert unknown.status_code == 422
    assert "所选单位不存在或不在您的管理范围内" in text_of(unknown)
    assert Station.objects.count() == before
    assert not AuditEntry.objects.filter(action="station.register").exclude(
        object_id=str(station.pk)
    )


# --- editing, token, retiring ----------------------------------------------------------------


def test_editing_saves_and_is_audited(org: Org, station):
    client = client_for(org.sysadmin)
    form = client.get(f"/stations/{station.pk}/edit").content.decode()
    assert 'value="一楼值班室"' in form
    response = client.post(
        f"/stations/{station.pk}/edit",
        {
            "name": station.name,
            "unit": org.squad1.pk,
            "location": "二楼值班室",
            "responsible": org.bureau_admin.pk,
            "note": "八口采集站",
        },
    )
    assert response.status_code == 302
    station.refresh_from_db()
    assert (station.location, station.responsible) == ("二楼值班室", org.bureau_admin)
    [entry] = AuditEntry.objects.filter(action="station.update")
    assert entry.detail["before"]["location"] == "一楼值班室"
    assert entry.detail["after"]["location"] == "二楼值班室"
    text = text_of(client.get(f"/stations/{station.pk}/"))
    assert "已保存采集站 执法一中队值班室采集站" in text and "郑华" in text


def test_rotating_shows_the_new_token_once_and_voids_the_old(org: Org):
    old_station, old_secret = svc.register(org.sysadmin, name="局机关采集站", unit=org.bureau)
    client = client_for(org.sysadmin)
    page = client.get(f"/stations/{old_station.pk}/").content.decode()
    assert 'data-confirm="确定要更换局机关采集站的接入令牌吗？' in page

    response = client.post(f"/stations/{old_station.pk}/token", {"action": "rotate"}, follow=True)

    [secret] = set(SECRET.findall(response.content.decode()))
    assert secret != old_secret and auth.station_for_secret(secret) == old_station
    with pytest.raises(TokenRefused):
        auth.station_for_secret(old_secret)
    assert "原令牌已失效" in text_of(response)
    assert not SECRET.search(client.get(f"/stations/{old_station.pk}/").content.decode())


def test_revoking_leaves_the_station_without_a_token(org: Org):
    made, secret = svc.register(org.sysadmin, name="局机关采集站", unit=org.bureau)
    client = client_for(org.sysadmin)
    response = client.post(f"/stations/{made.pk}/token", {"action": "revoke"}, follow=True)
    text = text_of(response)
    assert "已撤销采集站 局机关采集站 的接入令牌" in text
    assert "已撤销" in text and "采集站须更换令牌后才能连接" in text
    assert "生成新令牌" in text and "撤销令牌" not in text
    with pytest.raises(TokenRefused):
        auth.station_for_secret(secret)
    # revoking again is refused with the service's reason, and nothing is recorded
    again = client.post(f"/stations/{made.pk}/token", {"action": "revoke"})
    assert again.status_code == 409
    assert "没有有效的接入令牌" in text_of(again)
    assert AuditEntry.objects.filter(action="station.token_revoke").count() == 1


def test_retiring_and_reinstating(org: Org, station):
    client = client_for(org.sysadmin)
    page = client.get(f"/stations/{station.pk}/").content.decode()
    assert 'data-confirm="确定要停用执法一中队值班室采集站吗？' in page

    retired = client.post(f"/stations/{station.pk}/retire", {"action": "retire"}, follow=True)

    station.refresh_from_db()
    assert station.retired_at is not None and station.token.is_revoked
    text = text_of(retired)
    assert "已停用采集站 执法一中队值班室采集站" in text and "恢复该采集站" in text
    assert "已停用" in text
    # a retired station's token cannot be rotated: the service's reason on the page
    refused = client.post(f"/stations/{station.pk}/token", {"action": "rotate"})
    assert refused.status_code == 409
    assert "已停用，请先恢复再更换令牌" in text_of(refused)
    assert not SECRET.search(refused.content.decode())

    back = client.post(f"/stations/{station.pk}/retire", {"action": "reinstate"}, follow=True)
    station.refresh_from_db()
    assert station.retired_at is None
    assert "已恢复采集站 执法一中队值班室采集站" in text_of(back)
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="station.r")] == [
        "station.register",
        "station.retire",
        "station.reinstate",
    ]


def test_a_station_still_uploading_is_not_retired(org: Org, station, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    name = base64.b64encode(b"3501001_350211_20261206090000_0001.MP4").decode()
    resumable.create(resumable.Sender(station=station), "1000", f"filename {name}")

    response = client_for(org.sysadmin).post(f"/stations/{station.pk}/retire", {"action": "retire"})

    assert response.status_code == 409
    assert "还有 1 个文件正在上传，请待上传完成（或过期清理）后再停用" in text_of(response)
    station.refresh_from_db()
    assert station.retired_at is None and not station.token.is_revoked
    assert not AuditEntry.objects.filter(action="station.retire").exists()


def test_managing_is_refused_to_the_responsible_administrator(org: Org, station):
    client = client_for(org.admin)
    for path, body in (
        (f"/stations/{station.pk}/edit", {"name": "改名"}),
        (f"/stations/{station.pk}/token", {"action": "rotate"}),
        (f"/stations/{station.pk}/retire", {"action": "retire"}),
        ("/stations/new", {"name": "新采集站", "unit": org.squad1.pk}),
    ):
        assert client.post(path, body).status_code == 403
    station.refresh_from_db()
    assert station.retired_at is None and not station.token.is_revoked
    acts = ("station.update", "station.token_rotate", "station.retire", "station.register")
    assert AuditEntry.objects.filter(action__in=acts).count() == 1  # the fixture's register


# --- a station's page ---------------------------------------------------------------------


def test_the_station_page_shows_its_last_heartbeat(org: Org, station):
    StationState.objects.filter(station=station).update(last_error="记录仪 3501002 读取中断")
    response = client_for(org.admin).get(f"/stations/{station.pk}/")
    text = text_of(response)
    assert "400 GB，共 1000 GB（剩余 40%）" in text
    assert "3 个文件，1.5 GB" in text
    assert "3501001、3501002" in text
    assert "比平台快 2 秒" in text
    assert "记录仪 3501002 读取中断" in text
    assert "1.4.0" in text
    assert "<h2>管理</h2>" not in response.content.decode()  # managing is not his
    assert "更换令牌" not in text and "停用" not in text.replace("已停用", "")


def test_todays_uploads_list_only_what_the_viewer_may_see(org: Org, station):
    mine = uploaded(org, station, "3501001_350211_20261206090000_0001.MP4")
    theirs = uploaded(
        org,
        station,
        "3501004_350221_20261206091000_0001.MP4",
        officer=org.other_officer,
        unit=org.squad2,
    )
    as_admin = client_for(org.admin).get(f"/stations/{station.pk}/").content.decode()
    assert f'href="/recordings/{mine.pk}/"' in as_admin
    assert f'href="/recordings/{theirs.pk}/"' not in as_admin
    assert theirs.original_name not in as_admin
    assert "其中 1 个不在您的查看范围内" in as_admin
    as_sysadmin = client_for(org.sysadmin).get(f"/stations/{station.pk}/").content.decode()
    assert f'href="/recordings/{theirs.pk}/"' in as_sysadmin


def test_a_station_out_of_scope_is_not_found(org: Org, station):
    assert client_for(org.other_admin).get(f"/stations/{station.pk}/").status_code == 404
    assert client_for(org.admin).get("/stations/999999/").status_code == 404


def test_the_responsible_administrator_records_how_a_refused_camera_was_handled(org: Org, station):
    check = cameras.check_camera(station, "9999001")
    assert check.device is None
    [refusal] = CameraRefusal.objects.filter(station=station)
    client = client_for(org.admin)
    page = text_of(client.get(f"/stations/{station.pk}/"))
    assert "9999001" in page and "记录处理情况" in page

    empty = client.post(f"/stations/{station.pk}/refusals/{refusal.pk}/handle", {"how": "other"})
    assert empty.status_code == 422
    assert "选择“其他”时请写明如何处理" in text_of(empty)
    refusal.refresh_from_db()
    assert refusal.handled_at is None

    done = client.post(
        f"/stations/{station.pk}/refusals/{refusal.pk}/handle",
        {"how": "returned", "explanation": "已交还二中队"},
        follow=True,
    )
    refusal.refresh_from_db()
    assert (refusal.handled_by, refusal.handling_note) == (
        org.admin,
        "非本单位设备已退回：已交还二中队",
    )
    text = text_of(done)
    assert "已记录对执法记录仪（序列号 9999001）的处理情况" in text
    assert "非本单位设备已退回：已交还二中队" in text and "林海" in text
    [entry] = AuditEntry.objects.filter(action="station.refusal_handle")
    assert entry.actor == org.admin
    # the page's recent entries name the station's refusal under the station's name
    assert "采集站：执法一中队值班室采集站" in text


def test_an_administrator_not_responsible_may_not_record_the_handling(org: Org, station):
    cameras.check_camera(station, "9999001")
    [refusal] = CameraRefusal.objects.filter(station=station)
    client = client_for(org.bureau_admin)  # sees 一中队's station, is not its 负责人
    assert "记录处理情况" not in text_of(client.get(f"/stations/{station.pk}/"))
    response = client.post(
        f"/stations/{station.pk}/refusals/{refusal.pk}/handle", {"how": "registered"}
    )
    assert response.status_code == 403
    refusal.refresh_from_db()
    assert refusal.handled_at is None


# --- Chinese only ---------------------------------------------------------------------------


def test_the_pages_show_no_codes_or_english(org: Org, station):
    cameras.check_camera(station, "9999001")
    uploaded(org, station, "3501001_350211_20261206090000_0001.MP4")
    client = client_for(org.sysadmin)
    for path in ("/stations/", f"/stations/{station.pk}/", f"/stations/{station.pk}/edit"):
        text = text_of(client.get(path))
        assert offending(text) == [], path
        # the only Latin letters: a file name, size units, a token's first letters (people
        # compare them with the configuration file's) and a user name in the audit entries
        leftover = re.sub(r"[\w.-]+\.MP4|\b(GB|MB|KB)\b|avr_[\w-]+|\(\w+\)", "", text)
        assert not re.search(r"[A-Za-z]{2,}", leftover), (path, re.findall(r"[A-Za-z]+", leftover))
