"""A media tool's refusal: Chinese for people, English for the log (the listening and the
redaction libraries derive their errors from it)."""

from __future__ import annotations


class MediaError(Exception):
    """str(e) is Chinese for users (a subclass's `default_message` unless given); `log_message`
    is English for the log."""

    default_message = "无法处理该文件"

    def __init__(self, message: str = "", *, log_message: str = "") -> None:
        self.message = message or self.default_message
        self.log_message = log_message or type(self).__name__
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message
