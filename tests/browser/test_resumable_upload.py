"""Resumable uploads from the upload page (issue 19 §3; M1), on a 390 px phone: 张伟 uploads
a real video over a connection held to 4G speed, pauses it and goes on, rides out a dropped
network (the page retries by itself and says so), then reloads the page in the middle of a
second video, chooses it again and the upload goes on from the server's offset, not from
zero. Each video is on the platform once, with the SHA-256 of the file he chose."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from avrecords.recordings.views_upload import BROWSER_PART_BYTES
from tests.browser.conftest import PHONE
from tests.browser.site import PEOPLES_BROWSER, run_in_site
from tests.browser.walk import expect

pytestmark = pytest.mark.browser

# A 4G uplink of about 25 Mbit/s: a 30 MB video takes some 10 s, time enough to pause.
UPLINK_BYTES_PER_SECOND = 3 * 1024**2
# The server keeps whole parts of the page's size only (`avrecords serve` reads a request's
# body whole before the application sees it), so a resume starts at a multiple of it.
PART_BYTES = BROWSER_PART_BYTES
UPLOAD_MS = 60_000  # the longest an upload may take here, retries and the import included
ROW = ".upload-row"

RECORDINGS_BY_NAME = """
import json
from avrecords.recordings.models import Recording
names = {names!r}
print(json.dumps({{n: list(Recording.objects.filter(original_name=n).values_list("sha256", flat=True)) for n in names}}))
"""


def noisy_video(path, frames: int, seed: int):
    """A real H.264 MP4 that does not compress (noise at QP 0): about 0.45 MB a frame at
    640×480, so a video of some tens of MB is made in a second."""
    import av
    import numpy as np

    rng = np.random.default_rng(seed)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        stream.options = {"preset": "ultrafast", "qp": "0"}
        for _ in range(frames):
            image = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode(None))
    return path


class Network:
    """Chromium's own network emulation for the page: uploads at UPLINK_BYTES_PER_SECOND,
    and the network gone and back (Playwright's set_offline does not reach requests under
    another session's emulation, so both go through this one)."""

    def __init__(self, page) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.online()

    def _emulate(self, offline: bool) -> None:
        conditions = {
            "offline": offline,
            "latency": 40,
            "downloadThroughput": -1,
            "uploadThroughput": UPLINK_BYTES_PER_SECOND,
        }
        self.cdp.send("Network.emulateNetworkConditions", conditions)

    def online(self) -> None:
        self._emulate(False)

    def offline(self) -> None:
        self._emulate(True)


def percent(row) -> float:
    return row.locator("progress").evaluate("p => p.value")


def wait_for_percent(walk, index: int, at_least: int) -> None:
    walk.until(
        f"(document.querySelectorAll('{ROW} progress')[{index}] || {{}}).value >= {at_least}",
        timeout_ms=UPLOAD_MS,
    )


def send(walk, video) -> None:
    walk.pick_files(walk.page.locator("input[type=file]"), str(video))
    walk.click(walk.page.get_by_role("button", name="上传", exact=True))


def test_a_phone_upload_pauses_rides_out_a_dropped_network_and_resumes_after_a_reload(
    person, site, tmp_path
):
    first = noisy_video(tmp_path / "现场检查_华兴超市_货架.mp4", frames=55, seed=19)
    second = noisy_video(tmp_path / "询问笔录_李明_录像.mp4", frames=55, seed=20)
    assert first.stat().st_size > 20 * 1024**2
    walk = person("zhangwei", PHONE)
    page = walk.page
    requests: list[tuple[str, str]] = []
    page.on("request", lambda r: requests.append((r.method, r.url)))
    walk.page.goto(site.url + "/upload/")
    network = Network(page)

    # paused past its first part, nothing more is sent; 继续 goes on from where the server
    # stopped, which the page says
    send(walk, first)
    row = page.locator(ROW).nth(0)
    expect(row.locator(".upload-name")).to_have_text(first.name)
    wait_for_percent(walk, 0, 35)
    walk.click(row.get_by_role("button", name=re.compile("^暂停")))
    expect(row).to_have_attribute("data-state", "paused")
    expect(row.locator(".upload-status")).to_contain_text("已暂停")
    paused_at = percent(row)
    page.wait_for_timeout(1000)
    assert percent(row) == paused_at
    walk.click(row.get_by_role("button", name=re.compile("^继续")))
    expect(row.locator(".upload-note")).to_have_text(f"从 {PART_BYTES / 1024**2:.1f} MB 处继续上传")
    expect(row.locator(".upload-status")).to_contain_text(re.compile(r"已上传 .* / .* MB（\d+%）"))

    # the network drops for a moment: the page says so, retries, and the upload completes
    wait_for_percent(walk, 0, min(paused_at + 15, 90))
    network.offline()
    expect(row.locator(".upload-note")).to_have_text("网络中断，正在重试…")
    page.wait_for_timeout(1500)
    network.online()
    expect(row.locator(".upload-status")).to_have_text("已导入", timeout=UPLOAD_MS)
    expect(row.get_by_role("link", name=first.name)).to_have_attribute(
        "href", re.compile(r"^/recordings/\d+/$")
    )
    assert row.get_attribute("data-sha256") == hashlib.sha256(first.read_bytes()).hexdigest()

    # a reload in the middle of the second video; chosen again, it goes on from the server's
    # offset (the first request after choosing it is a HEAD, not a new upload)
    send(walk, second)
    wait_for_percent(walk, 1, 60)  # two parts are on the server
    page.reload()
    requests.clear()
    send(walk, second)
    row = page.locator(ROW).nth(0)
    expect(row).to_have_attribute("data-resumed-from", re.compile(r"^[1-9]\d*$"))
    resumed_from = int(row.get_attribute("data-resumed-from"))
    assert resumed_from >= 2 * PART_BYTES
    expect(row.locator(".upload-note")).to_contain_text(
        f"从 {resumed_from / 1024**2:.1f} MB 处继续上传"
    )
    tus = [(method, url) for method, url in requests if "/api/v1/uploads/" in url]
    assert tus[0][0] == "HEAD" and not any(method == "POST" for method, _ in tus), tus
    expect(row.locator(".upload-status")).to_have_text("已导入", timeout=UPLOAD_MS)
    assert row.get_attribute("data-sha256") == hashlib.sha256(second.read_bytes()).hexdigest()

    # each video once on the platform, as chosen
    found = json.loads(
        run_in_site(site, RECORDINGS_BY_NAME.format(names=[first.name, second.name]))
    )
    assert found == {
        first.name: [hashlib.sha256(first.read_bytes()).hexdigest()],
        second.name: [hashlib.sha256(second.read_bytes()).hexdigest()],
    }
    walk.fits()
    page.screenshot(path=str(tmp_path / "upload-390.png"), full_page=True)


def test_without_javascript_the_form_still_uploads(browser, site, signed_in, tmp_path):
    """A browser with scripts off: the form posts the files to the page, which lists each
    file's outcome with a link to its recording."""
    clip = noisy_video(tmp_path / "现场检查_无脚本.mp4", frames=2, seed=21)
    context = browser.new_context(
        viewport=PHONE,
        storage_state=signed_in("zhangwei"),
        java_script_enabled=False,
        **PEOPLES_BROWSER,
    )
    try:
        page = context.new_page()
        page.goto(site.url + "/upload/")
        page.locator("input[type=file]").set_input_files(str(clip))
        page.get_by_role("button", name="上传", exact=True).click()
        page.wait_for_load_state()
        row = page.locator("#result tr", has_text=clip.name)
        expect(row).to_contain_text("已导入")
        expect(row.get_by_role("link", name=clip.name)).to_have_attribute(
            "href", re.compile(r"^/recordings/\d+/$")
        )
    finally:
        context.close()


def test_an_empty_file_is_refused_before_anything_is_sent(person, tmp_path):
    empty = tmp_path / "空白录像.mp4"
    empty.write_bytes(b"")
    walk = person("zhangwei", PHONE)
    walk.page.goto(walk.base + "/upload/")
    sent: list[str] = []
    walk.page.on("request", lambda r: "/api/v1/uploads/" in r.url and sent.append(r.method))
    send(walk, empty)
    row = walk.page.locator(ROW).first
    expect(row.locator(".upload-status")).to_have_text("未上传：空文件（0 字节）")
    expect(row.get_by_role("button")).to_have_count(0)
    assert sent == []
