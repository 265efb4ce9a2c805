"""What the player on a recording's page shows besides the video: the marks of its timeline,
the bookmark form and the snapshots (issue 17 §5). The pages (`views.render_detail`,
`views_player`) and supervision's scoring page (through its own template) build it here."""

from __future__ import annotations

from avrecords.recordings import marks, snapshots
from avrecords.recordings.models import MediaKind, Recording

DEFAULT_FRAME_RATE = 25.0


def frame_rate(recording: Recording) -> float:
    rate = float(recording.frame_rate or 0)
    return rate if 1 <= rate <= 240 else DEFAULT_FRAME_RATE


def timeline(user, recording: Recording, *, may_play: bool) -> list[dict]:
    """The marks as the timeline draws them: each with its place in percent of the length."""
    if not may_play:
        return []
    duration = float(recording.duration_seconds or 0)
    return [
        {"mark": m, "left": f"{100 * m.at / duration:.3f}" if duration else "0"}
        for m in marks.for_recording(user, recording)
    ]


def context(user, recording: Recording, *, may_play: bool, errors=None, values=None) -> dict:
    """The template context of `recordings/_marks.html` and the snapshots list."""
    return {
        "r": recording,
        "can_play": may_play,
        "marks": timeline(user, recording, may_play=may_play),
        "kinds": marks.KINDS,
        "bookmark_errors": errors or {},
        "bookmark_values": values or {},
        "bookmark_max": marks.BOOKMARK_MAX_CHARS,
        "frame_rate": frame_rate(recording),
        "length_clock": marks.clock(recording.duration_seconds or 0),
        "is_video": recording.media_kind == MediaKind.VIDEO,
        "can_snapshot": may_play and recording.media_kind == MediaKind.VIDEO,
        "snapshots": [
            {"s": s, "clock": marks.clock(s.at_seconds or 0)} for s in snapshots.listed(recording)
        ]
        if may_play
        else [],
    }
