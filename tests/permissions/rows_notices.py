"""待办 and 站内消息 (issue 17 §3): everyone has his own inbox and messages; a message is
its recipient's only (anyone else: 404, as if it did not exist). Opening one marks it read and
goes where it points; nothing here is audited."""

from __future__ import annotations

from tests.permissions.rules import EVERYONE, Endpoint, Target, post

NOTICE = Target("张伟's message", seen_by=frozenset(["officer"]))

ROWS = [
    Endpoint("page-messages", "/messages/", EVERYONE),
    Endpoint("page-message-open", "/messages/{notice}/", EVERYONE, NOTICE, ok=302),
    post("page-messages-read-all", "/messages/read-all", EVERYONE),
]
