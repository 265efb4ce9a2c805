"""`direct = true`: the station is the platform host, so the agent ingests without HTTP
(issue 19 §2).

The same acts as the station API, through the same services: the station from its token
(`stations.auth.station_for_secret`), the camera check (`stations.cameras.check_camera`),
the heartbeat (`stations.heartbeats.record_heartbeat`), and each file through
`recordings.ingest.Ingestor` with `station=` — one read of the camera hashing into the store,
quarantine, dedupe, binding, and `--erase-after-verify`'s own rule (the stored copy re-read).
Only this module sets Django up.
"""

from __future__ import annotations

import datetime as dt
import os

from avrecords.agent.platform import PlatformDown, TokenRefused, UploadResult


class DirectPlatform:
    """The platform in this process: Django set up, the database of AVRECORDS_HOME."""

    def __init__(self, config) -> None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avrecords.settings")
        import django

        django.setup()
        from avrecords.lib.storage import get_store

        get_store().cleanup_incomplete()  # before any camera thread begins a put
        self.config = config

    def _station(self):
        from avrecords.org.tokens import TokenRefused as Refused
        from avrecords.stations.auth import station_for_secret

        try:
            return station_for_secret(self.config.token, ip="127.0.0.1")
        except Refused as exc:
            raise TokenRefused(str(exc)) from exc

    def me(self) -> dict:
        from django.utils import timezone

        station = self._station()
        return {
            "name": station.name,
            "unit": station.unit.name,
            "server_time": timezone.now().isoformat(),
        }

    def heartbeat(self, state: dict) -> float | None:
        from django.db import connection

        from avrecords.stations.heartbeats import Beat, record_heartbeat

        try:
            beat = Beat(**{**state, "cameras": tuple(state["cameras"])})
            record_heartbeat(self._station(), beat, ip="127.0.0.1")
        finally:
            connection.close()
        return 0.0  # the same clock

    def check_camera(self, serial: str, camera_time: dt.datetime | None) -> tuple[bool, dict]:
        from avrecords.stations.cameras import check_camera

        found = check_camera(self._station(), serial, camera_time=camera_time, ip="127.0.0.1")
        if not found.registered:
            return False, {"detail": found.message}
        return True, {"serial": found.serial, "holder": found.holder}

    def ingest(self, item, serial: str, erase_after_verify: bool) -> UploadResult:
        from django.db import connection

        from avrecords.recordings.ingest import IngestAborted, Ingestor
        from avrecords.recordings.models import IngestSource

        try:
            ingestor = Ingestor(
                source=IngestSource.STATION,
                station=self._station(),
                source_path=f"采集站直接导入（记录仪 {serial}）",
                erase_after_verify=erase_after_verify,
            )
            try:
                result = ingestor.ingest_file(item.path, item.relative_path)
            except IngestAborted as exc:
                ingestor.finish(error=str(exc))
                raise PlatformDown(str(exc)) from exc
            ingestor.finish()
        finally:
            connection.close()
        return UploadResult(result.outcome, result.reason, result.sha256, result.recording_id)
