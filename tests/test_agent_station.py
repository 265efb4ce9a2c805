"""The station agent against a real platform (issue 19 §2, §3, §4; M1, M2, E7, X1).

One `avrecords serve` in its own home for the module; each test docks a camera (a directory
appearing in the polled directory with DEVICE.TXT and a GA/T 947 dump of real media) and runs
`avrecords station run --once` as a process, as a station PC would.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from avrecords.demo import media as demo_media
from tests import media
from tests.agent_site import (
    CuttingProxy,
    Platform,
    agent,
    dock,
    journal_rows,
    kill,
    run_agent,
    write_config,
)
from tests.cli import AVRECORDS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from benchmedia import encode_clip  # noqa: E402  (a real ~60 MB H.264 file in about a second)

pytestmark = pytest.mark.slow

MAIN, SPARE = "一中队值班室采集站", "一中队备用采集站"
SERIAL = "3501001"  # issued to 张伟 (350211) by tests.cli's fixtures


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    site = Platform(tmp_path_factory.mktemp("agent") / "home", [MAIN, SPARE])
    yield site
    site.stop()


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The few files of tests.media these tests dock (encoding is the slow part)."""
    root = tmp_path_factory.mktemp("agent-library")
    for variant, name in enumerate([media.H264, media.H264_B, media.MOV, media.TS]):
        demo_media.make_video(root / name, seconds=1, variant=variant)
    demo_media.make_video(root / media.UNKNOWN_DEVICE, seconds=1, variant=4)
    demo_media.truncate_copy(root / media.H264, root / media.TRUNCATED, 0.5)
    demo_media.make_photo(root / media.PHOTO, width=320, height=240)
    demo_media.make_audio(root / media.WAV, seconds=1)
    (root / media.ZERO).write_bytes(b"")
    (root / "Thumbs.db").write_bytes(b"junk\n")
    return root


@pytest.fixture(scope="module")
def big_video(tmp_path_factory):
    """One real H.264 file of about 60 MB (60 parts of 1 MiB)."""
    path = tmp_path_factory.mktemp("agent-big") / "clip.mp4"
    encode_clip(path)
    return path


def recordings_with(platform, sha: str) -> list[tuple]:
    return platform.query(
        "SELECT r.id, u.full_name FROM recordings_recording r"
        " LEFT JOIN org_user u ON u.id = r.officer_id WHERE r.sha256 = ?",
        (sha,),
    )


def test_it_uploads_a_docked_cameras_files_with_their_holder_and_reports_in(
    platform, library, tmp_path
):
    config, docks = write_config(tmp_path, platform.url, platform.secrets[MAIN])
    files = {
        media.H264: library / media.H264,
        media.PHOTO: library / media.PHOTO,
        media.WAV: library / media.WAV,
        media.ZERO: library / media.ZERO,
        "Thumbs.db": library / "Thumbs.db",
    }
    root = dock(docks, "CAMERA1", SERIAL, files)

    code, out, err = run_agent(config)

    assert code == 0, out + err
    assert "记录仪 3501001（张伟）接入：4 个文件" in out  # Thumbs.db stays: junk
    outcomes = dict(journal_rows(config, "SELECT relative_path, outcome FROM files"))
    assert outcomes == {
        f"DCIM/100MEDIA/{media.H264}": "imported",
        f"DCIM/100MEDIA/{media.PHOTO}": "imported",
        f"DCIM/100MEDIA/{media.WAV}": "imported",
        f"DCIM/100MEDIA/{media.ZERO}": "quarantined",
    }
    for name in (media.H264, media.PHOTO, media.WAV):  # bound to the camera's holder
        assert [r[1] for r in recordings_with(platform, sha256_of(library / name))] == ["张伟"]
    batches = platform.query(
        "SELECT b.source, s.name FROM recordings_ingestbatch b"
        " JOIN equipment_station s ON s.id = b.station_id WHERE s.name = ?",
        (MAIN,),
    )
    assert len(batches) == 4 and {b[0] for b in batches} == {"station"}
    # the camera keeps everything (erase_after_verify is off); the spool is empty again
    assert sorted(p.name for p in (root / "DCIM" / "100MEDIA").iterdir()) == sorted(files)
    assert not any((tmp_path / "spool").iterdir())
    # the heartbeat reached the platform under the station's name
    state = platform.query(
        "SELECT st.agent_version, st.last_seen_at FROM stations_stationstate st"
        " JOIN equipment_station s ON s.id = st.station_id WHERE s.name = ?",
        (MAIN,),
    )
    assert state and state[0][0] and state[0][1]

    # the operator's view of the local journal, in Chinese
    status = subprocess.run(
        [*AVRECORDS, "station", "status", "--config", str(config)], capture_output=True, text=True
    )
    assert "文件：已完成 4；待上传 0 个" in status.stdout
    assert "[接入] 记录仪 3501001（张伟）接入：4 个文件" in status.stdout

    # docked again (or the agent restarted): nothing is uploaded twice
    code, out, _ = run_agent(config)
    assert code == 0 and "本次完成 0 个文件" in out
    assert (
        len(
            platform.query(
                "SELECT id FROM recordings_ingestbatch WHERE station_id IN"
                " (SELECT id FROM equipment_station WHERE name = ?)",
                (MAIN,),
            )
        )
        == 4
    )


def test_an_unregistered_camera_is_refused_reported_and_left_untouched(platform, library, tmp_path):
    config, docks = write_config(tmp_path, platform.url, platform.secrets[MAIN])
    root = dock(
        docks, "STRANGER", "3509999", {media.UNKNOWN_DEVICE: library / media.UNKNOWN_DEVICE}
    )

    check = subprocess.run(
        [*AVRECORDS, "station", "check", "--config", str(config)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    assert f"采集站“{MAIN}”（执法一中队）" in check.stdout
    assert f"接入：{root}：序列号 3509999（取自设备文件 DEVICE.TXT）" in check.stdout

    code, out, _ = run_agent(config)

    assert code == 0
    assert "执法记录仪（序列号 3509999）未在本单位登记，已拒绝导入并已报告管理员" in out
    assert (root / "DCIM" / "100MEDIA" / media.UNKNOWN_DEVICE).exists()
    assert journal_rows(config, "SELECT COUNT(*) FROM files") == [(0,)]
    assert journal_rows(config, "SELECT kind, serial FROM events WHERE kind='refused'") == [
        ("refused", "3509999")
    ]
    assert platform.query(
        "SELECT serial FROM stations_camerarefusal r JOIN equipment_station s"
        " ON s.id = r.station_id WHERE s.name = ?",
        (MAIN,),
    ) == [("3509999",)]
    assert platform.query(
        "SELECT actor_label FROM audit_auditentry WHERE action = 'station.camera_refused'"
    ) == [(f"采集站：{MAIN}",)]
    assert recordings_with(platform, sha256_of(library / media.UNKNOWN_DEVICE)) == []


def test_erase_after_verify_removes_a_file_from_the_camera_only_once_verified(
    platform, library, tmp_path
):
    config, docks = write_config(
        tmp_path, platform.url, platform.secrets[MAIN], erase_after_verify=True
    )
    root = dock(
        docks,
        "CAMERA2",
        SERIAL,
        {media.H264_B: library / media.H264_B, media.TRUNCATED: library / media.TRUNCATED},
    )

    code, out, err = run_agent(config)

    assert code == 0, out + err
    rows = journal_rows(config, "SELECT outcome, verified, erased, reason FROM files ORDER BY id")
    assert [r[:3] for r in rows] == [("imported", 1, 1), ("quarantined", 1, 1)]
    assert all("已复核入库副本并从设备删除" in r[3] for r in rows)
    assert not list((root / "DCIM" / "100MEDIA").iterdir())
    assert (root / "DEVICE.TXT").exists()


def test_a_sigkilled_agent_resumes_its_upload_and_every_file_arrives_exactly_once(
    platform, big_video, library, tmp_path
):
    config, docks = write_config(tmp_path, platform.url, platform.secrets[MAIN])
    big_name = "3501001_350211_20261121080000_0001.MP4"
    dock(docks, "CAMERA3", SERIAL, {big_name: big_video, media.MOV: library / media.MOV})
    size = big_video.stat().st_size
    rng = random.Random(19)
    for _ in range(3):  # killed at a random point of the big file's upload, three times
        point = rng.uniform(0.05, 0.95) * size
        proc = agent(config)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            sent = journal_rows(config, "SELECT MAX(bytes_sent) FROM files")
            if sent and sent[0][0] and sent[0][0] >= point:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the agent finished before it could be killed"
        kill(proc)

    code, out, err = run_agent(config)

    assert code == 0, out + err
    rows = journal_rows(
        config, "SELECT relative_path, state, uploads_started, bytes_sent, sha256 FROM files"
    )
    big = next(r for r in rows if r[0].endswith(big_name))
    assert big[1] == "done" and big[2] == 1  # one upload, resumed, never started again
    assert big[4] == sha256_of(big_video)
    # each kill loses at most the part in flight
    assert big[3] <= size + 3 * 1024 * 1024
    assert len(recordings_with(platform, sha256_of(big_video))) == 1
    assert len(recordings_with(platform, sha256_of(library / media.MOV))) == 1
    assert platform.query(
        "SELECT COUNT(*) FROM recordings_ingestitem WHERE relative_path = ?",
        (f"DCIM/100MEDIA/{big_name}",),
    ) == [(1,)]


def test_a_cut_network_resumes_from_the_acknowledged_offset(platform, big_video, tmp_path):
    proxy = CuttingProxy(platform.port)
    config, docks = write_config(tmp_path, proxy.url, platform.secrets[MAIN], part_mib=4)
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(big_video.read_bytes() + b"\0" * 1000)  # another file, another hash
    name = "3501001_350211_20261121090000_0002.MP4"
    dock(docks, "CAMERA4", SERIAL, {name: copy})
    size = copy.stat().st_size
    proxy.cut_points = [size // 3]  # in the middle of a part's body
    proc = agent(config, "--once")
    out, err = proc.communicate(timeout=120)
    proxy.close()

    assert proc.returncode == 0, out + err
    [(state, sent, uploads)] = journal_rows(
        config, "SELECT state, bytes_sent, uploads_started FROM files"
    )
    assert state == "done" and uploads == 1
    assert proxy.cuts == 1 and "resuming from the platform's offset" in err
    resent = sent - size
    assert 0 < resent <= 4 * 1024 * 1024  # the part that was in flight, no more
    assert proxy.sent_upstream - size <= 4 * 1024 * 1024 + 200_000  # bodies + headers
    assert len(recordings_with(platform, sha256_of(copy))) == 1


def test_a_revoked_token_stops_the_agent_with_a_chinese_reason_and_is_audited(
    platform, library, tmp_path
):
    config, docks = write_config(tmp_path, platform.url, platform.secrets[SPARE])
    root = dock(docks, "CAMERA5", SERIAL, {media.TS: library / media.TS})
    platform.revoke(SPARE)

    code, out, _ = run_agent(config)

    assert code == 3
    assert "平台拒绝了采集站令牌：采集站令牌已撤销或已更换，请向系统管理员索取新令牌" in out
    assert (root / "DCIM" / "100MEDIA" / media.TS).exists()
    assert platform.query(
        "SELECT actor_label FROM audit_auditentry WHERE action = 'station.token_refused'"
    ) == [(f"采集站：{SPARE}",)]


def test_direct_mode_on_the_platform_host_ingests_through_the_same_services(
    platform, library, tmp_path
):
    config, docks = write_config(
        tmp_path, platform.url, platform.secrets[MAIN], direct=True, erase_after_verify=True
    )
    root = dock(
        docks, "CAMERA6", SERIAL, {media.H264: library / media.H264, media.TS: library / media.TS}
    )

    code, out, err = run_agent(config, env=platform.home.env)

    assert code == 0, out + err
    rows = journal_rows(config, "SELECT relative_path, outcome, verified FROM files ORDER BY id")
    # H264 is a duplicate where the first test sent it by HTTP to this platform already
    assert rows[0][1:] in [("imported", 1), ("duplicate", 1)] and rows[1][1:] == ("imported", 1)
    assert [r[1] for r in recordings_with(platform, sha256_of(library / media.TS))] == ["张伟"]
    batches = platform.query(
        "SELECT source_path FROM recordings_ingestbatch WHERE source_path LIKE '采集站直接导入%'"
    )
    assert len(batches) == 2
    # the ingest's own erase rule: the stored copy re-read, then the camera's file deleted
    assert not list((root / "DCIM" / "100MEDIA").iterdir())


def test_the_running_agent_takes_a_camera_docked_later_and_stops_on_sigterm(
    platform, library, tmp_path
):
    config, docks = write_config(tmp_path, platform.url, platform.secrets[MAIN], poll_seconds=0.2)
    proc = agent(config)
    time.sleep(1)  # the agent is watching an empty directory
    dock(docks, "CAMERA7", SERIAL, {media.PHOTO: library / media.PHOTO})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal_rows(config, "SELECT state FROM files") == [("done",)]:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == 0, out + err
    assert "记录仪 3501001（张伟）接入：1 个文件" in out and "收到停止信号" in out
    assert journal_rows(config, "SELECT state, verified FROM files") == [("done", 1)]
