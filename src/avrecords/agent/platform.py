"""The platform as the agent sees it: the station API and tus uploads with tuspy (issue 19 §2, §3).

`/api/v1/station/me`, `heartbeat` and `cameras/check` with the station's token (Bearer);
uploads through tus 1.0.0 at `/api/v1/uploads/` with tuspy's `Uploader`, each part carrying
`Upload-Checksum: sha256 …` (tuspy computes it; this module only names the algorithm). The
upload's URL is handed to the caller before the first byte is sent (the journal keeps it), a
cut connection is resumed from the offset the platform acknowledges (HEAD), and an upload the
platform no longer knows (expired, 404/410) is reported so the caller starts it again once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
from tusclient.exceptions import TusCommunicationError, TusUploadFailed
from tusclient.request import TusRequest
from tusclient.uploader import Uploader

from avrecords import __version__

log = logging.getLogger(__name__)

# the final PATCH ingests the whole file before it answers (a 2 GB original takes a while)
FINAL_PART_TIMEOUT_SECONDS = 1800
RETRY_DELAYS_SECONDS = (1, 2, 5, 10, 20, 30)


class TokenRefused(Exception):
    """The platform refused the station's token (401); the agent stops. Message Chinese."""


class PlatformDown(Exception):
    """The platform cannot be reached or answered an unexpected status; tried again later."""


class UploadGone(Exception):
    """The platform no longer knows this upload (expired or removed): start a new one."""


class UploadRefused(Exception):
    """The platform refused the file itself (4xx with a Chinese detail): not retried now."""


@dataclass
class UploadResult:
    """What the platform says about a finished upload."""

    outcome: str
    reason: str
    sha256: str
    recording_id: int | None


def _detail(response: requests.Response) -> str:
    try:
        return str(response.json().get("detail") or "")[:500]
    except ValueError:
        return ""


class Platform:
    """The platform's station API with this station's token; one per agent, thread-safe."""

    def __init__(self, config) -> None:
        self.config = config
        self.headers = {
            "Authorization": f"Bearer {config.token}",
            "User-Agent": f"avrecords-station/{__version__}",
        }
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers.update(self.headers)
        return session

    def request(self, method: str, url: str, *, timeout: float | None = None, **kwargs):
        try:
            response = self.session.request(
                method, url, timeout=timeout or self.config.timeout_seconds, **kwargs
            )
        except requests.RequestException as exc:
            raise PlatformDown(f"无法连接平台：{type(exc).__name__}") from exc
        if response.status_code == 401:
            raise TokenRefused(_detail(response) or "平台拒绝了采集站令牌")
        return response

    def _json(self, method: str, path: str, **kwargs) -> dict:
        response = self.request(method, self.config.api_url(path), **kwargs)
        if response.status_code >= 500:
            raise PlatformDown(f"平台暂时无法处理（{response.status_code}）")
        if response.status_code >= 400:
            raise UploadRefused(_detail(response) or f"平台拒绝了请求（{response.status_code}）")
        return response.json()

    # --- the station API --------------------------------------------------------------
    def me(self) -> dict:
        return self._json("GET", "me")

    def heartbeat(self, state: dict) -> float | None:
        """Send the station's state; return the clock offset (station minus platform, s)."""
        sent = time.time()
        answer = self._json("POST", "heartbeat", json=state)
        received = time.time()
        server_time = _parse_time(answer.get("server_time"))
        if server_time is None:
            return None
        return round((sent + received) / 2 - server_time.timestamp(), 3)

    def check_camera(self, serial: str, camera_time: dt.datetime | None) -> tuple[bool, dict]:
        """(True, answer) for a camera registered to the agency; (False, {"detail"}) if not."""
        body = {"serial": serial}
        if camera_time is not None:
            body["camera_time"] = camera_time.isoformat()
        response = self.request("POST", self.config.api_url("cameras/check"), json=body)
        if response.status_code == 403:
            return False, {"detail": _detail(response) or f"记录仪（序列号 {serial}）未登记"}
        if response.status_code >= 400:
            raise PlatformDown(f"平台暂时无法核对记录仪（{response.status_code}）")
        return True, response.json()

    # --- uploads ----------------------------------------------------------------------
    def upload(
        self,
        spool_path,
        *,
        size: int,
        url: str,
        metadata: dict[str, str],
        on_url: Callable[[str], None],
        on_sent: Callable[[int], None],
    ) -> UploadResult:
        """Send the spooled file (resuming `url` if given) and return the platform's result.

        Raises UploadGone when `url` is no longer known to the platform."""
        uploader = _StationUploader(
            file_path=str(spool_path),
            url=None,
            client=_Client(self, self.config.uploads_url),
            chunk_size=self.config.part_bytes,
            metadata=metadata,
            upload_checksum=True,
        )
        if url:
            uploader.url = url
            uploader.offset = self._offset(url)
        else:
            url = uploader.create_url()
            on_url(url)  # journaled before the first byte is sent
            uploader.url, uploader.offset = url, 0
        failures, sent_any = 0, False
        # a file of 0 bytes is finished by one empty PATCH; a resumed one already whole by none
        while uploader.offset < size or (size == 0 and not sent_any):
            try:
                on_sent(uploader.get_request_length())  # counted as sent, even if cut
                uploader.upload_chunk()
                failures, sent_any = 0, True
            except TusCommunicationError as exc:
                status = exc.status_code
                if status == 401:
                    raise TokenRefused(_tus_detail(exc) or "平台拒绝了采集站令牌") from exc
                if status in (404, 410):
                    raise UploadGone(_tus_detail(exc)) from exc
                # 400: the part arrived short; 409: another offset; 460: the part's checksum
                if status is not None and 400 < status < 500 and status not in (409, 460):
                    raise UploadRefused(_tus_detail(exc) or f"平台拒绝了上传（{status}）") from exc
                failures += 1
                if failures > len(RETRY_DELAYS_SECONDS):
                    raise PlatformDown(f"上传多次中断：{exc}") from exc
                log.warning("upload part failed (%s); resuming from the platform's offset", exc)
                time.sleep(RETRY_DELAYS_SECONDS[failures - 1])
                uploader.offset = self._offset(url)
        headers = uploader.request.response_headers if uploader.request else {}
        if headers.get("avrecords-outcome"):
            return UploadResult(
                outcome=headers["avrecords-outcome"],
                reason=_header_text(headers.get("avrecords-reason", "")),
                sha256=headers.get("avrecords-sha256", ""),
                recording_id=int(headers["avrecords-recording"])
                if headers.get("avrecords-recording", "").isdigit()
                else None,
            )
        return self.result(url)

    def _offset(self, url: str) -> int:
        for attempt, delay in enumerate((0, *RETRY_DELAYS_SECONDS)):
            time.sleep(delay)
            try:
                response = self.request("HEAD", url, headers={"Tus-Resumable": "1.0.0"})
            except PlatformDown:
                if attempt == len(RETRY_DELAYS_SECONDS):
                    raise
                continue
            if response.status_code in (404, 410):
                raise UploadGone("平台上的上传已过期或已删除")
            if response.status_code < 300 and "upload-offset" in response.headers:
                return int(response.headers["upload-offset"])
            if response.status_code < 500:
                raise UploadRefused(f"平台拒绝了续传（{response.status_code}）")
        raise PlatformDown("平台暂时无法续传")

    def result(self, url: str) -> UploadResult:
        """The finished upload's result (GET as JSON, finishing an interrupted ingest)."""
        response = self.request(
            "GET", url, headers={"Accept": "application/json"}, timeout=FINAL_PART_TIMEOUT_SECONDS
        )
        if response.status_code in (404, 410):
            raise UploadGone("平台上的上传已过期或已删除")
        if response.status_code >= 400:
            raise PlatformDown(f"平台暂时无法给出上传结果（{response.status_code}）")
        body = response.json()
        if not body.get("outcome"):
            raise PlatformDown("平台尚未完成这次上传的入库")
        return UploadResult(
            body["outcome"],
            body.get("reason") or "",
            body.get("sha256") or "",
            body.get("recording_id"),
        )


def _parse_time(value) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _header_text(value: str) -> str:
    """A reason header may be percent- or RFC 2047-free UTF-8 sent as latin-1 by WSGI."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _tus_detail(exc: TusCommunicationError) -> str:
    content = exc.response_content or b""
    try:
        import json

        return str(json.loads(content).get("detail") or "")[:500]
    except (ValueError, AttributeError, TypeError):
        return ""


class _Client:
    """What tuspy's uploader reads from a client: the creation URL and the headers."""

    def __init__(self, platform: Platform, url: str) -> None:
        self.platform = platform
        self.url = url
        self.headers = platform.headers
        self.client_cert = None


class _StationRequest(TusRequest):
    """tuspy's PATCH, sent on the agent's session with a timeout (tuspy's has none)."""

    def perform(self):
        platform = self._platform
        try:
            chunk = self.file.read(self._content_length)
            self.add_checksum(chunk)
            final = self._final
            resp = platform.session.patch(
                self._url,
                data=chunk,
                headers=self._request_headers,
                timeout=(platform.config.timeout_seconds, FINAL_PART_TIMEOUT_SECONDS)
                if final
                else platform.config.timeout_seconds,
            )
            self.status_code = resp.status_code
            self.response_content = resp.content
            self.response_headers = {k.lower(): v for k, v in resp.headers.items()}
        except requests.exceptions.RequestException as error:
            raise TusUploadFailed(error) from error
        finally:
            self.file.close()


class _StationUploader(Uploader):
    """tuspy's uploader with SHA-256 part checksums (the platform's only algorithm)."""

    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)

    def get_file_size(self):
        import os

        return os.path.getsize(self.file_path)

    def create_url(self):
        platform = self.client.platform
        response = platform.request(
            "POST", self.client.url, headers=self.get_url_creation_headers()
        )
        location = response.headers.get("location")
        if response.status_code != 201 or not location:
            if 400 <= response.status_code < 500:
                raise UploadRefused(
                    _detail(response) or f"平台拒绝了上传（{response.status_code}）"
                )
            raise PlatformDown(f"平台暂时无法创建上传（{response.status_code}）")
        from urllib.parse import urljoin

        return urljoin(self.client.url, location)

    def _do_request(self):
        self.request = _StationRequest.__new__(_StationRequest)
        self.request._platform = self.client.platform
        self.request._final = self.offset + self.get_request_length() >= self.stop_at
        TusRequest.__init__(self.request, self)
        self.request.perform()
        if not 200 <= self.request.status_code < 300:
            raise TusUploadFailed("", self.request.status_code, self.request.response_content)
