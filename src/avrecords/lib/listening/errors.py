"""What the listening library refuses, in Chinese for people and English for the log (U5)."""

from __future__ import annotations

from avrecords.lib.media_errors import MediaError


class ListeningError(MediaError):
    """Audio could not be listened to: str(e) is Chinese for users, `log_message` English."""

    default_message = "无法检查告知语"


class NoAudio(ListeningError):
    """The file has no audio stream (a camera with its microphone off, a photo)."""

    default_message = "该文件没有音轨，无法检查告知语"


class Unreadable(ListeningError):
    """The file is damaged or in a format the decoder does not know."""

    default_message = "文件已损坏或格式无法识别"


class BadReference(ListeningError):
    """A reference recording that cannot serve as an example of the notice."""

    default_message = "参考录音不可用"
