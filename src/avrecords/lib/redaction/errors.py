"""What the redaction library refuses, in Chinese for people and English for the log.

Redacted copies protect privacy and commercial secrets (000§19, 001§25, 003§14, 004§21) and
are derived files beside untouched originals (M2); a refusal leaves nothing half-written.
"""

from __future__ import annotations

from avrecords.lib.media_errors import MediaError


class RedactionError(MediaError):
    """A redacted copy could not be made: str(e) is Chinese for users, `log_message` English."""

    default_message = "无法生成脱敏副本"


class NoVideo(RedactionError):
    """The file has no video stream (an audio recording, a photo): nothing to redact."""

    default_message = "该文件没有视频画面，无法脱敏"


class Unreadable(RedactionError):
    """The file is damaged or in a format the decoder does not know."""

    default_message = "文件已损坏或格式无法识别，无法脱敏"


class TooLong(RedactionError):
    """The stretch to redact, or the frame size, is over what one copy may cover."""

    default_message = "录像过长，无法一次脱敏，请选择需要提供的时间段"


class Cancelled(RedactionError):
    """The job was cancelled; whatever it had written was removed."""

    default_message = "已取消"
