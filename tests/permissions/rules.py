"""Who the stock users are, which groups of them hold which permission, who sees which object,
and the two row types of the matrix: `Target` and `Endpoint`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Every stock user of the world, nearest to squad 1's objects first within a role: where two
# users answer every row alike, the first of them stands for both in the matrix.
USERS = (
    "officer",  # 张伟, 一中队: the squad-1 recording is his
    "officer2",  # 王芳, 一中队: same squad, not her recording
    "other_officer",  # 杨军, 二中队
    "admin",  # records administrator of 一中队
    "other_admin",  # …of 二中队
    "bureau_admin",  # …of the whole bureau
    "leader",  # the bureau's leader
    "head1",  # unit head of 一中队 (陈刚)
    "head2",  # unit head of 二中队 (孙立)
    "supervisor",  # 一中队's supervisor
    "archivist",  # the bureau's archivist
    "sysadmin",  # system administrator
    "superuser",  # Django's superuser (createsuperuser)
)
EVERYONE = frozenset(USERS)
ADMINS = frozenset(["admin", "other_admin", "bureau_admin", "sysadmin", "superuser"])
OFFICERS = frozenset(["officer", "officer2", "other_officer"])
HEADS = frozenset(["head1", "head2"])  # unit heads of squad 1 (陈刚) and squad 2 (孙立)
UPLOADERS = ADMINS | OFFICERS
POLICY_MANAGERS = frozenset(["sysadmin", "superuser"])
# The profile (tongbai) names the unit head: 陈刚 for squad 1; the bureau leader above him
# may decide what he may, and system administrators may too.
ACKNOWLEDGERS = POLICY_MANAGERS | HEADS | {"leader"}
# Unit roles see their unit's subtree, system administrators everything.
UNIT_SCOPE = {
    "squad1": frozenset(
        [
            "admin",
            "bureau_admin",
            "leader",
            "head1",
            "supervisor",
            "archivist",
            "sysadmin",
            "superuser",
        ]
    ),
    "squad2": frozenset(
        ["other_admin", "bureau_admin", "leader", "head2", "archivist", "sysadmin", "superuser"]
    ),
}
# …and an officer sees only the recordings that are his own.
RECORDING_SCOPE = {
    "squad1": UNIT_SCOPE["squad1"] | {"officer"},
    "squad2": UNIT_SCOPE["squad2"] | {"other_officer"},
}
# The bureau's own objects (disposal lists, destruction records).
BUREAU_SCOPE = frozenset(["bureau_admin", "leader", "archivist", "sysadmin", "superuser"])

World = Any  # tests.permissions.world.World (not imported here: the world imports no rows)


def squad1_recording(world: World) -> int:
    return world.recording["squad1"]


@dataclass(frozen=True)
class Target:
    """An object a row's path names.

    `seen_by`: who sees it at all; anyone else gets 404 before any permission is checked (out
    of scope is answered exactly as missing). `seen_after_permission`: an object looked up only
    once the permission is held (a batch, an alarm): 403 first, then 404 out of scope.
    `audited_as`: the object type of the audit entry a permitted act writes, and the World's
    id of it (`audited_id`; None for an object the act itself creates)."""

    name: str
    seen_by: frozenset[str] | None = None
    seen_after_permission: frozenset[str] | None = None
    audited_as: str = "recordings.recording"
    audited_id: Callable[[World], Any] | None = squad1_recording

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Endpoint:
    """One page or API operation of the matrix.

    `path` names the world's objects in braces ({rec}: the squad-1 recording; see
    `World.ids`). `allowed`: who holds the permission it needs. `audit`: the audit action a
    permitted request records (exactly once), for everyone in `audited_for` (None: all
    allowed); the other allowed get a stand-in and nothing is recorded. `body(world)`: what a
    permitted user's form or script would send, as `content_type` (None: a form)."""

    name: str
    path: str
    allowed: frozenset[str]
    target: Target | None = None
    audit: str | None = None
    method: str = "GET"
    ok: int = 200
    audited_for: frozenset[str] | None = None
    body: Callable[[World], Any] | None = None
    content_type: str | None = None

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    def audits(self, who: str) -> bool:
        return bool(self.audit) and (self.audited_for is None or who in self.audited_for)

    def audited_object(self, world: World) -> tuple[str, Any]:
        """(object type, id) the audit entry names; id None for an object the act creates,
        "" for an act on no object (a register export)."""
        if self.target is None:
            return "", ""
        made = self.target.audited_id
        return self.target.audited_as, None if made is None else made(world)

    def __str__(self) -> str:
        return self.name


def post(name: str, path: str, allowed, target: Target | None = None, **fields) -> Endpoint:
    """A page's form POST: a permitted user is sent on (302), with a message if refused."""
    fields.setdefault("ok", 302)
    return Endpoint(name, path, frozenset(allowed), target, method="POST", **fields)


def api_post(name: str, path: str, allowed, target: Target | None = None, **fields) -> Endpoint:
    """An API POST with a JSON body (`body`, else an empty object)."""
    fields.setdefault("body", lambda w: {})
    return Endpoint(
        name,
        path,
        frozenset(allowed),
        target,
        method="POST",
        content_type="application/json",
        **fields,
    )


def expected_status(endpoint: Endpoint, who: str) -> int:
    """A recording (case, request…) outside one's scope does not exist, even for those who
    could not act on it; a batch or alarm needs the permission before it is looked up."""
    target = endpoint.target
    if target is not None and target.seen_by is not None and who not in target.seen_by:
        return 404
    if who not in endpoint.allowed:
        return 403
    late = target.seen_after_permission if target is not None else None
    if late is not None and who not in late:
        return 404
    return endpoint.ok


def representatives(endpoints: list[Endpoint]) -> list[str]:
    """One user per role and scope: users whose answers to every row are the same (王芳 and
    杨军, two officers with no recording of squad 1; the system administrator and Django's
    superuser) are one case of the rules, tried through the first of them in USERS. The lists'
    scope tests still try every user."""
    seen: set[tuple[tuple[int, bool], ...]] = set()
    chosen = []
    for who in USERS:
        answers = tuple((expected_status(e, who), e.audits(who)) for e in endpoints)
        if answers not in seen:
            seen.add(answers)
            chosen.append(who)
    return chosen
