"""Sending a row's request, and the one check every row gets for every user it is tried with."""

from __future__ import annotations

from django.db.models import Q
from django.test import Client

from avrecords.audit.models import AuditEntry
from tests.permissions.rules import Endpoint, expected_status

# A recording's retention follows its facts (M5): an act that changes them (filing it with a
# case, a hold, a situation) reclassifies it, and the new date is audited apart, as a
# consequence of the act, not a second act.
CONSEQUENCES = ("retention.classify",)


def send(client: Client, endpoint: Endpoint, world, squad: str = "squad1", **extra):
    """The row's request, with the body a permitted user's form or script would send; the
    answer's bytes are in `response.body` (a streamed answer read and closed)."""
    url = endpoint.path.format(**world.ids(squad))
    if endpoint.method == "GET":
        response = client.get(url, **extra)
    else:
        data = endpoint.body(world) if endpoint.body else None
        if endpoint.content_type:
            extra["content_type"] = endpoint.content_type
        response = getattr(client, endpoint.method.lower())(url, data, **extra)
    if response.streaming:
        response.body = b"".join(response.streaming_content)  # closes it, too
    else:
        response.body = response.content
    return response


def assert_answers_as_the_rules_say(world, endpoint: Endpoint, who: str) -> None:
    """403 without the permission (saying so in Chinese), 404 for an object outside the
    user's scope, else the row's answer; a permitted act is audited exactly once (a stand-in
    answer not at all), and a refused one is never recorded as done."""
    client = world.client(who)  # signed in (auth.login audited) before counting
    before = AuditEntry.objects.count()
    response = send(client, endpoint, world)
    status = expected_status(endpoint, who)
    assert response.status_code == status, response.body[:500]
    new = AuditEntry.objects.filter(seq__gt=before)
    if status == endpoint.ok:
        assert response.body or status == 302
        if endpoint.audits(who):
            acts = list(new.exclude(action__in=CONSEQUENCES))
            object_type, object_id = endpoint.audited_object(world)
            assert [(e.action, e.actor_id, e.object_type) for e in acts] == [
                (endpoint.audit, world.users[who].pk, object_type)
            ]
            if object_id is not None:
                assert acts[0].object_id == str(object_id)
        elif endpoint.audit:  # allowed in scope, but not to the thing itself
            assert not new.filter(action=endpoint.audit).exists()
        return
    if status == 403:
        if endpoint.api:
            assert response.json()["detail"].startswith("无权")
        else:
            assert "无权访问" in response.body.decode()
    done = Q(action__startswith="recording.")
    if endpoint.audit:
        done |= Q(action=endpoint.audit)
    assert not new.filter(done).exists()
